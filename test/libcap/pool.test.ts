// Worker pool and manager (worker.ts, manager.ts): the pool is bounded under bursts,
// idle workers exit after the worker timeout, the manager queues requests when every
// worker is busy, and a capped pool with deferring handlers never deadlocks.

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, stub, t, type RpcResult } from '../../libcap/index.ts';
import { advance, Ctl, mustCreate, settle, track, world } from './harness.ts';

function burst(n: number, opts: Parameters<typeof world>[0]) {
  const w = world(opts);
  const { task, slot } = w.client();
  const c = connect(Ctl, w.k, task, slot);
  let maxThreads = 0;
  const sample = () => {
    maxThreads = Math.max(maxThreads, w.srv.threads.size);
    return w.srv.threads.size;
  };
  return { w, c, task, slot, sample, max: () => maxThreads, n };
}

describe('pool: bounded under a burst', () => {
  it('40 concurrent blocking calls never run on more than maxWorkers workers; all are answered', async () => {
    const { w, c, sample, max } = burst(40, { maxWorkers: 4, minWorkers: 1, workerTimeout: 1000 });
    const calls = Array.from({ length: 40 }, (_, i) => track(c.block({ ms: 10 + (i % 3) })));
    await settle(w.k);
    sample();
    const s = w.bucket.stats();
    expect(s.workers).toBe(4);
    expect(w.log.busy).toBe(4);
    // The rest waits in the manager's queue (the receive path took them).
    expect(s.pending).toBe(36);
    for (let i = 0; i < 20 && calls.some((x) => !x.done); i++) {
      await advance(w.k, 10);
      sample();
    }
    expect(calls.every((x) => x.done)).toBe(true);
    expect(calls.map((x) => x.value?.value)).toEqual(Array.from({ length: 40 }, (_, i) => 10 + (i % 3)));
    expect(w.log.maxBusy).toBe(4);
    // Manager plus at most four workers, ever.
    expect(max()).toBe(5);
    expect(w.bucket.stats()).toMatchObject({ pending: 0, inflight: 0, workers: 4 });
  });

  it('40 concurrent deferred calls occupy no worker: one worker serves them all', async () => {
    const { w, c, sample, max } = burst(40, { maxWorkers: 4, minWorkers: 1 });
    const calls = Array.from({ length: 40 }, (_, i) => track(c.hold({ id: i })));
    await settle(w.k);
    sample();
    expect(w.log.held.size).toBe(40);
    expect(w.bucket.stats()).toMatchObject({ workers: 1, inflight: 40, pending: 0 });
    for (let i = 39; i >= 0; i--) w.log.release(i, i * 2);
    await settle(w.k);
    sample();
    expect(calls.map((x) => x.value?.value)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(max()).toBe(2);
  });

  it("the task factory's quota caps the pool below maxWorkers", async () => {
    const { w, c } = burst(10, { maxWorkers: 8 });
    // A second bucket in a task whose factory allows two threads.
    const small = w.k.createTask('small', { quota: 2, slots: 4096 });
    const b2 = Bucket.start(w.k, small, { maxWorkers: 8 });
    const obj = mustCreate(b2, w.cls);
    const task = w.k.createTask('c2');
    const c2 = connect(Ctl, w.k, task, b2.install(obj, task));
    obj.unref();
    const calls = Array.from({ length: 10 }, () => track(c2.block({ ms: 5 })));
    await settle(w.k);
    expect(b2.stats().workers).toBe(2);
    expect(w.log.busy).toBe(2);
    for (let i = 0; i < 10 && calls.some((x) => !x.done); i++) await advance(w.k, 5);
    expect(calls.every((x) => x.value?.value === 5)).toBe(true);
    expect(await c.get()).toEqual({ value: 0 });
  });
});

describe('pool: work released at once (resume) grows the pool to its bound', () => {
  it('8 parked blocking calls released by a resume run on maxWorkers workers at once', async () => {
    const { w, c } = burst(8, { maxWorkers: 4, minWorkers: 1 });
    expect(await w.bucket.inhibit()).toBeNull();
    const calls = Array.from({ length: 8 }, () => track(c.block({ ms: 10 })));
    await settle(w.k);
    expect(w.bucket.stats().parked).toBe(8);
    w.bucket.resume();
    await settle(w.k);
    expect(w.log.busy).toBe(4);
    expect(w.bucket.stats()).toMatchObject({ workers: 4, pending: 4 });
    await advance(w.k, 10);
    await advance(w.k, 10);
    expect(calls.every((x) => x.value?.value === 10)).toBe(true);
    expect(w.log.maxBusy).toBe(4);
  });
});

describe('pool: idle workers exit after the worker timeout', () => {
  it('workers above minWorkers exit after workerTimeout of idle virtual time, not before', async () => {
    const { w, c } = burst(8, { maxWorkers: 4, minWorkers: 2, workerTimeout: 1000 });
    const calls = Array.from({ length: 8 }, () => track(c.block({ ms: 10 })));
    await settle(w.k);
    await advance(w.k, 10);
    await advance(w.k, 10);
    expect(calls.every((x) => x.done)).toBe(true);
    expect(w.bucket.stats().workers).toBe(4);
    await advance(w.k, 998);
    expect(w.bucket.stats().workers).toBe(4);
    expect(w.srv.threads.size).toBe(5);
    await advance(w.k, 2);
    expect(w.bucket.stats()).toMatchObject({ workers: 2, idleWorkers: 2 });
    expect(w.srv.threads.size).toBe(3);
    // minWorkers stay forever, and the pool grows again on demand.
    await advance(w.k, 100_000);
    expect(w.bucket.stats().workers).toBe(2);
    const again = Array.from({ length: 6 }, () => track(c.block({ ms: 1 })));
    await settle(w.k);
    expect(w.bucket.stats().workers).toBe(4);
    await advance(w.k, 1);
    await advance(w.k, 1);
    expect(again.every((x) => x.value?.value === 1)).toBe(true);
  });

  it('minWorkers 0: the last worker exits too, and a new request starts one', async () => {
    const { w, c } = burst(1, { maxWorkers: 2, minWorkers: 0, workerTimeout: 50 });
    expect(await c.get()).toEqual({ value: 0 });
    await advance(w.k, 50);
    expect(w.bucket.stats().workers).toBe(0);
    expect(w.srv.threads.size).toBe(1);
    const r = track(c.add({ by: 3 }));
    await settle(w.k);
    expect(r.value).toEqual({ value: 3 });
    expect(w.bucket.stats().workers).toBe(1);
  });
});

describe('pool: a worker timing out as work is queued', () => {
  it('the idle timeout and a resume at the same instant: the worker takes the queued request instead of exiting', async () => {
    const { w, c } = burst(1, { maxWorkers: 1, minWorkers: 0, workerTimeout: 100 });
    expect(await w.bucket.inhibit()).toBeNull();
    const call = track(c.get());
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ parked: 1, workers: 1, idleWorkers: 1 });
    // A higher-priority thread resumes the bucket at t=100, exactly when the idle
    // worker's timeout fires: the worker must not exit with the request queued.
    const ctl = w.k.createTask('controller');
    w.k.spawn(
      ctl,
      function* (sys: Sys): SysGen<void> {
        yield sys.sleep(100);
        w.bucket.resume();
      },
      { priority: 200 },
    );
    await advance(w.k, 100);
    await advance(w.k, 1000);
    expect(call.done).toBe(true);
    expect(call.value).toEqual({ value: 0 });
    expect(w.bucket.stats()).toMatchObject({ pending: 0, parked: 0, inflight: 0 });
  });
});

// A rendezvous: wait(id) is answered by post(id) from another call.
const Rv = defineInterface('rv', {
  wait: { op: 1, args: { id: t.u32 }, reply: { got: t.u32 } },
  post: { op: 2, args: { id: t.u32, v: t.u32 }, reply: { woke: t.bool } },
  busy: { op: 3, args: { ms: t.u32 } },
});

describe('pool: the manager queues requests; a capped pool does not deadlock', () => {
  function rendezvous(maxWorkers: number) {
    const w = world({ maxWorkers, minWorkers: 1 });
    const waiting = new Map<number, { reply(v: { got: number }): boolean }>();
    const cls = defineClass({
      name: 'rv',
      interface: Rv,
      init: () => null,
      handlers: {
        wait(ctx, { id }) {
          const d = ctx.defer();
          waiting.set(id, d);
          return d;
        },
        post(_ctx, { id, v }) {
          const d = waiting.get(id);
          waiting.delete(id);
          return { woke: d !== undefined && d.reply({ got: v }) };
        },
        *busy(ctx, { ms }) {
          yield ctx.sys!.sleep(ms);
        },
      },
    });
    const obj = mustCreate(w.bucket, cls);
    const task = w.k.createTask('rv-client');
    const c = connect(Rv, w.k, task, w.bucket.install(obj, task));
    obj.unref();
    return { w, c };
  }

  it('maxWorkers 1: waiters defer, a busy handler holds the only worker, posts queue behind it; all answered', async () => {
    const { w, c } = rendezvous(1);
    const waits = [1, 2, 3].map((id) => track(c.wait({ id })));
    await settle(w.k);
    const busy = track(c.busy({ ms: 20 }));
    await settle(w.k);
    const posts = [3, 1, 2].map((id) => track(c.post({ id, v: id * 10 })));
    await settle(w.k);
    // The only worker sleeps in `busy`; the posts wait in the manager's queue.
    expect(w.bucket.stats()).toMatchObject({ workers: 1, pending: 3 });
    expect(waits.some((x) => x.done)).toBe(false);
    await advance(w.k, 20);
    expect(busy.done).toBe(true);
    expect(posts.map((p) => p.value)).toEqual([{ woke: true }, { woke: true }, { woke: true }]);
    expect(waits.map((x) => x.value)).toEqual([{ got: 10 }, { got: 20 }, { got: 30 }]);
    expect(w.bucket.stats()).toMatchObject({ workers: 1, pending: 0, inflight: 0 });
  });

  it('maxWorkers 1: queued requests are served in arrival order', async () => {
    const { w, c } = rendezvous(1);
    const busy = track(c.busy({ ms: 5 }));
    await settle(w.k);
    const order: number[] = [];
    const posts = Array.from({ length: 10 }, (_, i) => c.attempt.post({ id: 100 + i, v: 0 }).then((r: RpcResult<{ woke: boolean }>) => (order.push(i), r)));
    await settle(w.k);
    expect(w.bucket.stats().pending).toBe(10);
    await advance(w.k, 5);
    await Promise.all(posts);
    expect(busy.done).toBe(true);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('pool: workers blocked in outgoing calls lend their place (issue 9, item 9)', () => {
  // Bucket A serves `relay`, a generator handler (the README's `yield* stub(...)` style)
  // that calls server B; B's handler calls back into A (ctl.get). With every A worker
  // blocked in its call to B, the callback must still find a worker.
  const Relay = defineInterface('relay', { relay: { op: 1, reply: { v: t.u32 } } });
  const Ping = defineInterface('ping', { ping: { op: 1, reply: { v: t.u32 } } });

  function setup(maxWorkers: number, hardMaxWorkers?: number) {
    const w = world({ maxWorkers, minWorkers: 1, workerTimeout: 100, ...(hardMaxWorkers === undefined ? {} : { hardMaxWorkers }) });
    const srvB = w.k.createTask('srv-b', { quota: 1000, slots: 4096 });
    const bB = Bucket.start(w.k, srvB, { maxWorkers: 8 });
    // B holds a cap to a ctl object of A; A holds a cap to B's ping object.
    const ctlObj = mustCreate(w.bucket, w.cls);
    const aInB = w.bucket.install(ctlObj, srvB);
    ctlObj.unref();
    const pingCls = defineClass({
      name: 'ping',
      interface: Ping,
      init: () => null,
      handlers: {
        *ping(ctx) {
          const r: RpcResult<{ value: number }> = yield* stub(Ctl, ctx.sys!, aInB).get(undefined, { timeout: 1000 });
          return r.ok ? { v: r.value.value + 1 } : ctx.fail('EIO');
        },
      },
    });
    const pingObj = mustCreate(bB, pingCls);
    const bInA = bB.install(pingObj, w.srv);
    pingObj.unref();
    const relayCls = defineClass({
      name: 'relay',
      interface: Relay,
      init: () => null,
      handlers: {
        *relay(ctx) {
          const r: RpcResult<{ v: number }> = yield* stub(Ping, ctx.sys!, bInA).ping(undefined, { timeout: 1000 });
          return r.ok ? { v: r.value.v } : ctx.fail('EIO');
        },
      },
    });
    const relayObj = mustCreate(w.bucket, relayCls);
    const task = w.k.createTask('relay-client');
    const c = connect(Relay, w.k, task, w.bucket.install(relayObj, task));
    relayObj.unref();
    return { w, c };
  }

  it('pool at its maximum, every worker blocked in a nested call whose server calls back: the callbacks are served', async () => {
    const { w, c } = setup(2);
    const calls = Array.from({ length: 2 }, () => track(c.attempt.relay()));
    await settle(w.k);
    expect(calls.map((x) => x.value)).toEqual([
      { ok: true, value: { v: 1 } },
      { ok: true, value: { v: 1 } },
    ]);
    expect(w.k.now()).toBe(0); // no timeout fired: served at once
    // The pool grew past its soft maximum only while workers were lent; then it shrinks back.
    expect(w.bucket.stats().workers).toBeLessThanOrEqual(2);
    expect(w.bucket.stats().lentWorkers).toBe(0);
  });

  it('a burst of relays: every one is served, never on more threads than the hard ceiling', async () => {
    const { w, c } = setup(2, 16);
    let most = 0;
    const calls = Array.from({ length: 12 }, () => track(c.attempt.relay()));
    for (let i = 0; i < 50 && calls.some((x) => !x.done); i++) {
      await settle(w.k);
      most = Math.max(most, w.bucket.stats().workers);
      if (calls.some((x) => !x.done)) await advance(w.k, 1);
    }
    expect(calls.every((x) => x.value?.ok === true)).toBe(true);
    expect(most).toBeLessThanOrEqual(16);
    expect(w.k.now()).toBeLessThan(1000); // no call waited for a timeout
  });

  it('at the hard ceiling the callback waits for a worker (here: until the nested call times out)', async () => {
    const { w, c } = setup(1, 1);
    const call = track(c.attempt.relay());
    await settle(w.k);
    expect(call.done).toBe(false);
    await advance(w.k, 1000);
    await advance(w.k, 1000);
    expect(call.value).toMatchObject({ ok: false, error: 'EIO' });
    expect(w.bucket.stats()).toMatchObject({ workers: 1, lentWorkers: 0, inflight: 0 });
  });

  it('sleeping handlers are not lent: maxWorkers still bounds busy workers', async () => {
    const { w } = setup(2);
    const a = w.client();
    const cc = connect(Ctl, w.k, a.task, a.slot);
    const calls = Array.from({ length: 6 }, () => track(cc.block({ ms: 5 })));
    await settle(w.k);
    expect(w.log.busy).toBe(2);
    for (let i = 0; i < 10 && calls.some((x) => !x.done); i++) await advance(w.k, 5);
    expect(calls.every((x) => x.done)).toBe(true);
    expect(w.log.maxBusy).toBe(2);
  });
});
