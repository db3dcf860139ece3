// Deferred replies (rpc.ts): answered later exactly once (a second answer throws), an
// answer given before the handler even returned, promise handlers, and continuations
// whose object or bucket goes away: the caller always gets an answer, never hangs.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, defineClass, defineInterface, Deferred, fail, RpcFailure, t, after, stub as stubOf } from '../../libcap/index.ts';
import type { Sys, SysGen } from '../../core/index.ts';
import { advance, collectBugs, Ctl, mustCreate, ops, settle, track, world } from './harness.ts';

const D = defineInterface('d', {
  later: { op: 1, args: { id: t.u32 }, reply: { v: t.u32 }, errors: ['ENOENT'] },
  now: { op: 2, args: { v: t.u32 }, reply: { v: t.u32 }, errors: ['ENOENT'] },
  promised: { op: 3, args: { v: t.u32 }, reply: { v: t.u32 } },
  busy: { op: 4, args: { ms: t.u32 } },
  timed: { op: 5, args: { ms: t.u32 }, reply: { v: t.u32 }, errors: ['ETIMEDOUT'] },
});

let bugs: ReturnType<typeof collectBugs>;
beforeEach(() => {
  bugs = collectBugs();
});
afterEach(() => bugs.restore());

function setup(opts: { maxWorkers?: number } = {}) {
  const w = world({ maxWorkers: opts.maxWorkers ?? 4 });
  const later = new Map<number, Deferred<(typeof D.methods.later)['__spec'] & object>>();
  const promises = new Map<number, { resolve(v: { v: number }): void; reject(e: unknown): void }>();
  const cls = defineClass({
    name: 'd',
    interface: D,
    init: () => null,
    handlers: {
      later(ctx, { id }) {
        const d = ctx.defer();
        later.set(id, d);
        return d;
      },
      now(ctx, { v }) {
        // Answered before the handler returns.
        const d = ctx.defer();
        if (v === 0) d.fail('ENOENT');
        else d.reply({ v });
        return d;
      },
      promised(_ctx, { v }) {
        return new Promise<{ v: number }>((resolve, reject) => promises.set(v, { resolve, reject }));
      },
      *busy(ctx, { ms }) {
        yield ctx.sys!.sleep(ms);
      },
      timed(ctx, { ms }) {
        const d = ctx.defer();
        const cancelTimer = after(w.bucket, ms, () => d.fail('ETIMEDOUT'));
        ctx.onCancel(cancelTimer);
        return d;
      },
    },
  });
  const task = w.k.createTask('d-client');
  const obj = mustCreate(w.bucket, cls);
  const slot = w.bucket.install(obj, task);
  obj.unref();
  return { w, task, slot, obj, later, promises, c: connect(D, w.k, task, slot) };
}

describe('deferred replies', () => {
  it('answered later, exactly once: a second answer throws; done tells', async () => {
    const { w, c, later } = setup();
    const call = track(c.later({ id: 1 }));
    await settle(w.k);
    const d = later.get(1)!;
    expect(d.done).toBe(false);
    expect(call.done).toBe(false);
    expect(d.reply({ v: 9 })).toBe(true);
    expect(d.done).toBe(true);
    expect(() => d.reply({ v: 10 })).toThrow(/d\.later: deferred reply answered twice/);
    expect(() => d.fail('ENOENT')).toThrow(/answered twice/);
    await settle(w.k);
    expect(call.value).toEqual({ v: 9 });
  });

  it('a deferred failure answers the declared error', async () => {
    const { w, c, later } = setup();
    const call = track(c.attempt.later({ id: 2 }));
    await settle(w.k);
    expect(later.get(2)!.fail('ENOENT', 'gone')).toBe(true);
    await settle(w.k);
    expect(call.value).toEqual({ ok: false, error: 'ENOENT', message: 'd.later' });
  });

  it('many deferred calls answered in any order each get their own answer', async () => {
    const { w, c, later } = setup();
    const calls = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => track(c.later({ id })));
    await settle(w.k);
    for (const id of [5, 0, 7, 2, 1, 6, 3, 4]) later.get(id)!.reply({ v: id * 3 });
    await settle(w.k);
    expect(calls.map((x) => x.value?.v)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
  });

  it('an answer given before the handler returned is sent, for live and for queued requests', async () => {
    const { w, c } = setup({ maxWorkers: 1 });
    expect(await c.now({ v: 5 })).toEqual({ v: 5 });
    expect(await c.attempt.now({ v: 0 })).toMatchObject({ ok: false, error: 'ENOENT' });
    // Queued behind a busy worker, then run from the queue.
    const busy = track(c.busy({ ms: 10 }));
    await settle(w.k);
    const q1 = track(c.attempt.now({ v: 6 }));
    const q2 = track(c.attempt.now({ v: 0 }));
    await settle(w.k);
    expect(w.bucket.stats().pending).toBe(2);
    await advance(w.k, 10);
    expect(busy.done).toBe(true);
    expect(q1.value).toEqual({ ok: true, value: { v: 6 } });
    expect(q2.value).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(bugs.list).toEqual([]);
    expect(w.bucket.stats()).toMatchObject({ inflight: 0, pending: 0 });
  });

  it('a promise handler answers when it resolves; a rejection answers EIO and reports the bug', async () => {
    const { w, c, promises } = setup();
    const ok = track(c.promised({ v: 1 }));
    const bad = track(c.attempt.promised({ v: 2 }));
    await settle(w.k);
    promises.get(2)!.reject(new RangeError('nope'));
    promises.get(1)!.resolve({ v: 11 });
    await settle(w.k);
    expect(ok.value).toEqual({ v: 11 });
    expect(bad.value).toMatchObject({ ok: false, error: 'EIO' });
    expect(bugs.list).toEqual(['d.promised: RangeError: nope']);
  });

  it('a deadline on a deferred reply (after(), virtual time), cancelled with the call', async () => {
    const { w, c } = setup();
    const t1 = track(c.attempt.timed({ ms: 100 }));
    await advance(w.k, 99);
    expect(t1.done).toBe(false);
    await advance(w.k, 1);
    expect(t1.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    const ac = new AbortController();
    const t2 = track(c.attempt.timed({ ms: 50 }, { signal: ac.signal }));
    await settle(w.k);
    ac.abort();
    await settle(w.k);
    expect(t2.value).toMatchObject({ ok: false, error: 'EINTR' });
    await advance(w.k, 100);
    expect(bugs.list).toEqual([]);
  });

  it('fail() and RpcFailure build error answers with errno numbers', () => {
    const f = fail('ENOENT', 'x');
    expect(f).toBeInstanceOf(RpcFailure);
    expect([f.error, f.errno, f.message]).toEqual(['ENOENT', 2, 'x']);
  });
});

describe('deferred replies carrying caps', () => {
  it('a deferred answer granting a cap: the freed slot reused at once by the next call is left alone', async () => {
    const w = world();
    const G = defineInterface('g', {
      take: { op: 1, reply: { ep: t.cap('grant') } },
      hold: { op: 2, args: { id: t.u32 }, reply: { v: t.u32 } },
    });
    const waiting = new Map<number, Deferred<(typeof G.methods.take)['__spec'] & object>>();
    const holds = new Map<number, Deferred<(typeof G.methods.hold)['__spec'] & object>>();
    const cls = defineClass({
      name: 'g',
      interface: G,
      init: () => null,
      handlers: {
        take(ctx) {
          const d = ctx.defer();
          waiting.set(1, d);
          return d;
        },
        hold(ctx, { id }) {
          const d = ctx.defer();
          holds.set(id, d);
          return d;
        },
      },
    });
    const task = w.k.createTask('g-client');
    const o = mustCreate(w.bucket, cls);
    const slot = w.bucket.install(o, task);
    // One client thread: take (answered later, from host code, through the manager),
    // then at once a second call whose reply cap the server saves in the lowest free slot.
    const run = track(
      w.k.exec(task, function* (sys: Sys): SysGen<unknown[]> {
        const s = stubOf(G, sys, slot);
        const a = yield* s.take();
        const b = yield* s.hold({ id: 2 });
        return [a.ok, b];
      }),
    );
    await settle(w.k);
    const ep = w.k.createEndpoint(w.srv);
    waiting.get(1)!.reply({ ep });
    await settle(w.k);
    expect(holds.has(2)).toBe(true);
    holds.get(2)!.reply({ v: 22 });
    await settle(w.k);
    expect(run.value).toEqual([true, { ok: true, value: { v: 22 } }]);
    expect(bugs.list).toEqual([]);
  });

  it('a received cap the handler answers with by grant: the slot reused at once is left alone', async () => {
    const w = world();
    const G = defineInterface('g2', {
      bounce: { op: 1, args: { c: t.cap() }, reply: { c: t.cap('grant') } },
      hold: { op: 2, args: { id: t.u32 }, reply: { v: t.u32 } },
    });
    const holds = new Map<number, Deferred<(typeof G.methods.hold)['__spec'] & object>>();
    const cls = defineClass({
      name: 'g2',
      interface: G,
      init: () => null,
      handlers: {
        bounce: (ctx, { c }) => {
          const d = ctx.defer();
          // Answered from host code later: the manager sends it.
          queueMicrotask(() => d.reply({ c }));
          return d;
        },
        hold(ctx, { id }) {
          const d = ctx.defer();
          holds.set(id, d);
          return d;
        },
      },
    });
    const task = w.k.createTask('g2-client');
    const o = mustCreate(w.bucket, cls);
    const slot = w.bucket.install(o, task);
    const mine = w.k.createEndpoint(task);
    const run = track(
      w.k.exec(task, function* (sys: Sys): SysGen<unknown[]> {
        const s = stubOf(G, sys, slot);
        const a = yield* s.bounce({ c: mine });
        const b = yield* s.hold({ id: 3 });
        return [a.ok, b];
      }),
    );
    await settle(w.k);
    expect(holds.has(3)).toBe(true);
    holds.get(3)!.reply({ v: 33 });
    await settle(w.k);
    expect(run.value).toEqual([true, { ok: true, value: { v: 33 } }]);
  });
});

describe('deferred replies: continuations outliving their object, client or bucket', () => {
  it('the bucket ends: the continuation is answered EINTR for the caller; its late answer is ignored', async () => {
    const { w, c, later } = setup();
    const call = track(c.attempt.later({ id: 1 }));
    await settle(w.k);
    const d = later.get(1)!;
    expect(await w.bucket.end(true)).toBeNull();
    await settle(w.k);
    expect(call.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(d.signal.aborted).toBe(true);
    expect(d.done).toBe(true);
    expect(d.reply({ v: 1 })).toBe(false);
    expect(bugs.list).toEqual([]);
  });

  it('the client dies: the continuation is cancelled and its object released once answered', async () => {
    const { w, task, obj, c, later } = setup();
    void c.later({ id: 3 }).catch(() => {});
    await settle(w.k);
    w.k.deleteTask(task);
    await settle(w.k);
    const d = later.get(3)!;
    expect(d.signal.aborted).toBe(true);
    expect(d.reply({ v: 3 })).toBe(false);
    await settle(w.k);
    expect(obj.alive).toBe(false);
    expect(w.bucket.stats()).toMatchObject({ inflight: 0, outstanding: 0, clients: 0 });
  });

  it('the object is revoked from every client: the RPC keeps it alive and its answer still arrives', async () => {
    const { w, obj, c, later } = setup();
    const call = track(c.attempt.later({ id: 4 }));
    await settle(w.k);
    w.bucket.revokeObject(obj);
    expect(obj.alive).toBe(true);
    later.get(4)!.reply({ v: 4 });
    await settle(w.k);
    expect(call.value).toEqual({ ok: true, value: { v: 4 } });
    expect(obj.alive).toBe(false);
  });

  it('the client drops its cap while its call is deferred: noSenders fires, the answer still arrives', async () => {
    const { w, task, slot, obj, c, later } = setup();
    const call = track(c.attempt.later({ id: 5 }));
    await settle(w.k);
    ops(w.k, task).delete(slot);
    await settle(w.k);
    expect(w.bucket.stats().outstanding).toBe(0);
    later.get(5)!.reply({ v: 5 });
    await settle(w.k);
    expect(call.value).toEqual({ ok: true, value: { v: 5 } });
    expect(obj.alive).toBe(false);
  });

  it('the ctl test class: hold answered by release, no bug reports', async () => {
    const w = world();
    const a = w.client();
    const h = track(connect(Ctl, w.k, a.task, a.slot).hold({ id: 1 }));
    await settle(w.k);
    expect(w.log.release(1, 2)).toBe(true);
    await settle(w.k);
    expect(h.value).toEqual({ value: 2 });
  });
});
