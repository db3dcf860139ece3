// Buckets: the global timeout, end(false) refusing with EBUSY while caps are outstanding,
// end(true) cancelling queued, parked, deferred and running RPCs and revoking every cap,
// revocation of handles, resolving cap arguments back to objects, and stats.

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen } from '../../core/index.ts';
import { bucketsOf, connect, defineClass, defineInterface, t } from '../../libcap/index.ts';
import { advance, Ctl, mustCreate, ops, settle, track, world } from './harness.ts';

describe('bucket: global timeout', () => {
  it('an idle bucket with no caps outstanding ends after globalTimeout, not before', async () => {
    const w = world({ globalTimeout: 500 });
    await advance(w.k, 499);
    expect(w.bucket.ended).toBe(false);
    await advance(w.k, 1);
    expect(w.bucket.ended).toBe(true);
    expect(w.bucket.stats().state).toBe('ended');
    // Manager and workers are gone.
    expect(w.srv.threads.size).toBe(0);
    expect(await w.bucket.end(false)).toBeNull();
  });

  it('never ends while a client holds a cap; ends globalTimeout after the last cap goes', async () => {
    const w = world({ globalTimeout: 500 });
    const c = w.client();
    await advance(w.k, 10_000);
    expect(w.bucket.ended).toBe(false);
    expect(w.bucket.stats().outstanding).toBe(1);
    ops(w.k, c.task).delete(c.slot);
    await settle(w.k);
    expect(w.bucket.stats().outstanding).toBe(0);
    await advance(w.k, 499);
    expect(w.bucket.ended).toBe(false);
    await advance(w.k, 1);
    expect(w.bucket.ended).toBe(true);
  });

  it('never ends while an RPC is in flight, even with no caps outstanding', async () => {
    const w = world({ globalTimeout: 500 });
    const c = w.client();
    const cli = connect(Ctl, w.k, c.task, c.slot);
    const call = track(cli.hold({ id: 1 }));
    await settle(w.k);
    ops(w.k, c.task).delete(c.slot);
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ outstanding: 0, inflight: 1 });
    await advance(w.k, 2000);
    expect(w.bucket.ended).toBe(false);
    w.log.release(1, 5);
    await settle(w.k);
    expect(call.value).toEqual({ value: 5 });
    await advance(w.k, 500);
    expect(w.bucket.ended).toBe(true);
  });
});

describe('bucket: global timeout and client death', () => {
  it('a client dying while its handler runs: the bucket does not end before the handler returns', async () => {
    const w = world({ globalTimeout: 50 });
    const a = w.client();
    void connect(Ctl, w.k, a.task, a.slot).block({ ms: 500 }).catch(() => {});
    await settle(w.k);
    w.k.deleteTask(a.task);
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ outstanding: 0, inflight: 1 });
    await advance(w.k, 100);
    expect(w.bucket.ended).toBe(false);
    await advance(w.k, 400);
    expect(w.log.blockAborted).toEqual([500]);
    expect(w.bucket.stats().inflight).toBe(0);
    await advance(w.k, 50);
    expect(w.bucket.ended).toBe(true);
  });
});

describe('bucket: end', () => {
  it('end(false) answers EBUSY while caps are outstanding, and the bucket keeps serving', async () => {
    const w = world();
    const c = w.client();
    expect(await w.bucket.end(false)).toBe('EBUSY');
    expect(await w.bucket.end()).toBe('EBUSY');
    expect(w.bucket.ended).toBe(false);
    expect(await connect(Ctl, w.k, c.task, c.slot).add({ by: 2 })).toEqual({ value: 2 });
  });

  it('end(false) with no caps outstanding ends the bucket', async () => {
    const w = world();
    const c = w.client();
    ops(w.k, c.task).delete(c.slot);
    await settle(w.k);
    expect(await w.bucket.end(false)).toBeNull();
    expect(w.bucket.ended).toBe(true);
    await settle(w.k);
    expect(w.srv.threads.size).toBe(0);
  });

  it('end(true): queued and parked RPCs answer ECANCELED, deferred and running EINTR; every cap is revoked', async () => {
    const w = world({ maxWorkers: 1 });
    const a = w.client('a');
    const b = w.client('b');
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const cb = connect(Ctl, w.k, b.task, b.slot);
    const deferred = track(ca.attempt.hold({ id: 1 }));
    await settle(w.k);
    const running = track(ca.attempt.block({ ms: 100 }));
    await settle(w.k);
    const queued = track(ca.attempt.get());
    expect(await w.bucket.inhibitObject(b.obj)).toBeNull();
    const parked = track(cb.attempt.get());
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ pending: 1, parked: 1, inflight: 2, outstanding: 2 });
    const ended = track(w.bucket.end(true));
    await settle(w.k);
    expect(queued.value).toMatchObject({ ok: false, error: 'ECANCELED' });
    expect(parked.value).toMatchObject({ ok: false, error: 'ECANCELED' });
    expect(deferred.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.log.aborted).toEqual([1]);
    // The running handler is told and answers EINTR when it returns.
    expect(running.done).toBe(false);
    await advance(w.k, 100);
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.log.blockAborted).toEqual([100]);
    expect(ended.done).toBe(true);
    expect(ended.value).toBeNull();
    // Clients' caps are revoked; both objects heard no-senders.
    expect(ops(w.k, a.task).identify(a.slot)).toBeNull();
    expect(ops(w.k, b.task).identify(b.slot)).toBeNull();
    expect(w.bucket.stats()).toMatchObject({ outstanding: 0, inflight: 0, pending: 0, parked: 0, state: 'ended' });
    expect(w.log.noSenders.sort()).toEqual([a.obj.id, b.obj.id].sort());
    expect(await ca.attempt.get()).toMatchObject({ ok: false, error: 'EBADF' });
    // The late answer of the cancelled deferred call is ignored, not sent.
    expect(w.log.release(1)).toBe(false);
    await settle(w.k);
    expect(w.srv.threads.size).toBe(0);
    expect(w.bucket.stats().workers).toBe(0);
  });

  it('inhibit and resume after the end answer ECANCELED / false; end twice resolves', async () => {
    const w = world();
    expect(await w.bucket.end(true)).toBeNull();
    expect(await w.bucket.inhibit()).toBe('ECANCELED');
    expect(w.bucket.resume()).toBe(false);
    expect(await w.bucket.end(true)).toBeNull();
  });

  it('an inhibitor waiting to drain when the bucket ends gets ECANCELED', async () => {
    const w = world();
    const a = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const running = track(ca.attempt.block({ ms: 50 }));
    await settle(w.k);
    const inh = track(w.bucket.inhibit());
    await settle(w.k);
    expect(w.bucket.stats().state).toBe('draining');
    const ended = w.bucket.end(true);
    await settle(w.k);
    expect(inh.value).toBe('ECANCELED');
    await advance(w.k, 50);
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(await ended).toBeNull();
  });
});

describe('bucket: revocation and lookups', () => {
  it('revoke(client, obj) deletes every copy the client holds; its calls answer EBADF', async () => {
    const w = world();
    const a = w.client();
    const second = w.bucket.install(a.obj, a.task); // a second copy of the same handle
    const client = w.bucket.clientFor(a.task);
    expect(w.bucket.stats().outstanding).toBe(1);
    expect(w.bucket.revoke(client, a.obj)).toBe(true);
    expect(w.bucket.revoke(client, a.obj)).toBe(false);
    expect(ops(w.k, a.task).identify(a.slot)).toBeNull();
    expect(ops(w.k, a.task).identify(second)).toBeNull();
    expect(w.bucket.stats().outstanding).toBe(0);
    expect(w.log.noSenders).toEqual([a.obj.id]);
    expect(a.obj.alive).toBe(false);
    expect(await connect(Ctl, w.k, a.task, a.slot).attempt.get()).toMatchObject({ error: 'EBADF' });
  });

  it("revokeObject(obj) takes the object from every client; other objects' handles stay", async () => {
    const w = world();
    const a = w.client('a');
    const b = w.client('b');
    w.bucket.install(a.obj, b.task);
    const keep = w.bucket.install(b.obj, a.task);
    a.obj.ref();
    w.bucket.revokeObject(a.obj);
    expect(w.bucket.stats().outstanding).toBe(2);
    expect(await connect(Ctl, w.k, a.task, a.slot).attempt.get()).toMatchObject({ error: 'EBADF' });
    expect(await connect(Ctl, w.k, a.task, keep).add({ by: 4 })).toEqual({ value: 4 });
    expect(a.obj.alive).toBe(true);
    expect(a.obj.refs).toBe(1);
    a.obj.unref();
    expect(a.obj.alive).toBe(false);
  });

  it('resolve maps a cap argument that names this bucket back to its object and client', async () => {
    const w = world();
    const Link = defineInterface('link', { same: { op: 1, args: { c: t.cap() }, reply: { obj: t.u32, task: t.i32 } } });
    const cls = defineClass({
      name: 'link',
      interface: Link,
      init: () => null,
      handlers: {
        same(ctx, { c }) {
          const r = w.bucket.resolve(c);
          if (r === null) return ctx.fail('EINVAL');
          return { obj: r.object.id, task: r.client.taskId };
        },
      },
    });
    const a = w.client();
    const link = mustCreate(w.bucket, cls);
    const ls = w.bucket.install(link, a.task);
    const l = connect(Link, w.k, a.task, ls);
    expect(await l.same({ c: a.slot })).toEqual({ obj: a.obj.id, task: a.task.id });
    // A foreign cap (an endpoint of the client's own) resolves to nothing.
    const foreign = w.k.createEndpoint(a.task);
    expect(await l.attempt.same({ c: foreign })).toMatchObject({ ok: false, error: 'EINVAL' });
    await settle(w.k);
  });

  it('stats and the registry describe the bucket', async () => {
    const w = world({ name: 'ctl-bucket', maxWorkers: 3 });
    const a = w.client();
    await connect(Ctl, w.k, a.task, a.slot).get();
    expect(bucketsOf(w.k)).toEqual([w.bucket]);
    expect(w.bucket.stats()).toEqual({
      name: 'ctl-bucket',
      state: 'serving',
      workers: 1,
      idleWorkers: 1,
      lentWorkers: 0,
      pending: 0,
      parked: 0,
      inflight: 0,
      clients: 1,
      outstanding: 1,
      served: 1,
    });
    expect(w.bucket.maxWorkers).toBe(3);
  });

  it('a one-way message is served with no answer', async () => {
    const w = world();
    const a = w.client();
    await w.k.exec(a.task, function* (sys: Sys): SysGen<void> {
      sys.utcb.mr.set([1, 1, 42]);
      yield sys.send(a.slot, Ctl.methods.note.op, 3);
    });
    await connect(Ctl, w.k, a.task, a.slot).note({ n: 43 });
    await settle(w.k);
    expect(w.log.notes).toEqual([42, 43]);
    expect(w.bucket.stats().inflight).toBe(0);
  });
});
