// Cancellation: an AbortSignal on the client aborts the handler's ctx.signal and the
// call answers EINTR; a cancel that reaches the server before its request still cancels
// it (tombstones, crafted with raw LABEL_CANCEL messages, including one that overtakes
// the request in the kernel's endpoint queue); cancels are uninhibitable.

import { describe, expect, it } from 'vitest';
import { type Sys, type SysGen, type Task } from '../../core/index.ts';
import { connect, defineClass, defineInterface, ERRNO, stub, t } from '../../libcap/index.ts';
import { LABEL_CANCEL } from '../../libcap/interface.ts';
import { advance, Ctl, header, mustCreate, rawCall, rawSend, settle, track, world, type RawAnswer } from './harness.ts';

function one() {
  const w = world();
  const a = w.client();
  return { w, a, c: connect(Ctl, w.k, a.task, a.slot) };
}

/** Send a cancel naming (key, seq) through `slot`, from a thread of `task` at `priority`. */
function cancelFrom(w: ReturnType<typeof world>, task: Task, slot: number, key: number, seq: number, priority = 100) {
  return track(
    w.k.exec(
      task,
      function* (sys: Sys): SysGen<number> {
        return yield* rawSend(sys, slot, { label: LABEL_CANCEL, words: header(key, seq) });
      },
      { priority },
    ),
  );
}

function rawFrom(w: ReturnType<typeof world>, task: Task, slot: number, label: number, words: number[], priority = 100) {
  return track(
    w.k.exec(
      task,
      function* (sys: Sys): SysGen<RawAnswer> {
        return yield* rawCall(sys, slot, { label, words });
      },
      { priority },
    ),
  );
}

describe('cancellation from the client', () => {
  it("a deferred call: the handler's signal aborts, the client gets EINTR, a late reply is ignored", async () => {
    const { w, c } = one();
    const ac = new AbortController();
    const call = track(c.attempt.hold({ id: 1 }, { signal: ac.signal }));
    await settle(w.k);
    expect(w.log.held.get(1)!.signal.aborted).toBe(false);
    ac.abort();
    await settle(w.k);
    expect(call.value).toEqual({ ok: false, error: 'EINTR', message: 'ctl.hold' });
    expect(w.log.aborted).toEqual([1]);
    expect(w.log.held.get(1)!.done).toBe(true);
    expect(w.log.release(1)).toBe(false);
    await settle(w.k);
    expect(w.bucket.stats().inflight).toBe(0);
    // The thrown form is an RpcError with Node-style fields.
    const ac2 = new AbortController();
    const p = c.hold({ id: 2 }, { signal: ac2.signal });
    await settle(w.k);
    ac2.abort();
    await expect(p).rejects.toMatchObject({ name: 'RpcError', code: 'EINTR', errno: -ERRNO.EINTR, syscall: 'ctl.hold' });
  });

  // Cancellation is advisory (issue 9, item 10): the answer is what the handler did. This
  // handler (block) honours its signal and gives up, so the client gets EINTR; it used
  // to get EINTR whatever the handler answered, even a committed result (next test).
  it('a running generator handler sees its signal abort; one that gives up answers EINTR', async () => {
    const { w, c } = one();
    const ac = new AbortController();
    const call = track(c.attempt.block({ ms: 40 }, { signal: ac.signal }));
    await advance(w.k, 10);
    ac.abort();
    await settle(w.k);
    expect(call.done).toBe(false);
    await advance(w.k, 30);
    expect(w.log.blockAborted).toEqual([40]);
    expect(call.value).toMatchObject({ ok: false, error: 'EINTR' });
  });

  it('a running handler that completes after the cancel answers what it committed', async () => {
    const { w, c } = one();
    const ac = new AbortController();
    const call = track(c.attempt.commit({ ms: 40 }, { signal: ac.signal }));
    await advance(w.k, 10);
    ac.abort();
    await advance(w.k, 30);
    expect(w.log.blockAborted).toEqual([40]);
    expect(call.value).toEqual({ ok: true, value: { value: 1 } });
    expect(await c.get()).toEqual({ value: 1 });
  });

  it('a running handler that completes after inhibition cancelled it answers what it committed', async () => {
    const { w, c } = one();
    const call = track(c.attempt.commit({ ms: 40 }));
    await advance(w.k, 10);
    const inh = track(w.bucket.inhibit());
    await advance(w.k, 30);
    expect(w.log.blockAborted).toEqual([40]);
    expect(call.value).toEqual({ ok: true, value: { value: 1 } });
    expect(inh.value).toBeNull();
    w.bucket.resume();
    expect(await c.get()).toEqual({ value: 1 });
  });

  it('a promise handler: cancelled while pending, its resolution later is dropped', async () => {
    const w = world();
    const P = defineInterface('p', { later: { op: 1, reply: { v: t.u32 } } });
    let resolveLater: (v: { v: number }) => void = () => {};
    let sawAbort = false;
    const cls = defineClass({
      name: 'p',
      interface: P,
      init: () => null,
      handlers: {
        later(ctx) {
          ctx.signal.addEventListener('abort', () => (sawAbort = true));
          return new Promise<{ v: number }>((r) => (resolveLater = r));
        },
      },
    });
    const task = w.k.createTask('pc');
    const o = mustCreate(w.bucket, cls);
    const c = connect(P, w.k, task, w.bucket.install(o, task));
    const ac = new AbortController();
    const call = track(c.attempt.later(undefined, { signal: ac.signal }));
    await settle(w.k);
    ac.abort();
    await settle(w.k);
    expect(sawAbort).toBe(true);
    expect(call.value).toMatchObject({ ok: false, error: 'EINTR' });
    resolveLater({ v: 1 });
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ inflight: 0, served: 1 });
  });

  it('a signal aborted before the call answers EINTR without reaching the server', async () => {
    const { w, c } = one();
    const ac = new AbortController();
    ac.abort();
    expect(await c.attempt.add({ by: 1 }, { signal: ac.signal })).toMatchObject({ ok: false, error: 'EINTR' });
    await settle(w.k);
    expect(w.log.calls).toEqual([]);
  });

  it('a call queued for a worker is cancelled without running its handler', async () => {
    const w = world({ maxWorkers: 1 });
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    const busy = track(c.block({ ms: 10 }));
    await settle(w.k);
    const ac = new AbortController();
    const queued = track(c.attempt.add({ by: 1 }, { signal: ac.signal }));
    await settle(w.k);
    expect(w.bucket.stats().pending).toBe(1);
    ac.abort();
    await settle(w.k);
    expect(queued.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.bucket.stats().pending).toBe(0);
    await advance(w.k, 10);
    expect(busy.value).toEqual({ value: 10 });
    expect(w.log.calls).toEqual(['block']);
  });
});

describe('cancellation: a cancel that arrives before its request (tombstone)', () => {
  it('cancel then request from the same thread: the request answers EINTR and never runs', async () => {
    const { w, a } = one();
    const res = await w.k.exec(a.task, function* (sys: Sys): SysGen<(number | RawAnswer)[]> {
      return [
        yield* rawSend(sys, a.slot, { label: LABEL_CANCEL, words: header(77, 5) }),
        yield* rawCall(sys, a.slot, { label: Ctl.methods.add.op, words: [...header(77, 5), 1] }),
        // The tombstone is used up: the next call of the thread runs.
        yield* rawCall(sys, a.slot, { label: Ctl.methods.add.op, words: [...header(77, 6), 1] }),
      ];
    });
    expect((res[1] as RawAnswer).label).toBe(ERRNO.EINTR);
    expect((res[2] as RawAnswer).words).toEqual([1]);
    expect(w.log.calls).toEqual(['add']);
  });

  it('a cancel naming another sequence of the same thread does not cancel this request', async () => {
    const { w, a } = one();
    cancelFrom(w, a.task, a.slot, 77, 4);
    await settle(w.k);
    const r = rawFrom(w, a.task, a.slot, Ctl.methods.add.op, [...header(77, 5), 2]);
    await settle(w.k);
    expect(r.value?.words).toEqual([2]);
  });

  it('a cancel from a higher-priority thread overtakes the request waiting in the kernel queue', async () => {
    const { w, a } = one();
    // Stop the bucket's threads (blocked in receive) so that messages wait in the
    // endpoint's queue; resumed, their receive answers Cancelled (Decision 5).
    await settle(w.k);
    const server = [...w.srv.threads];
    expect(server.length).toBe(2);
    for (const th of server) expect(w.k.suspendThread(th)).toBe(0);
    const req = rawFrom(w, a.task, a.slot, Ctl.methods.add.op, [...header(88, 1), 3], 50);
    await settle(w.k);
    const cancel = cancelFrom(w, a.task, a.slot, 88, 1, 200);
    await settle(w.k);
    expect(req.done).toBe(false);
    expect(cancel.done).toBe(false);
    for (const th of server) expect(w.k.resumeThread(th)).toBe(0);
    await settle(w.k);
    expect(cancel.done).toBe(true);
    expect(req.value?.label).toBe(ERRNO.EINTR);
    expect(w.log.calls).toEqual([]);
    // The bucket survived the suspension and serves on.
    expect(await connect(Ctl, w.k, a.task, a.slot).add({ by: 4 })).toEqual({ value: 4 });
  });

  it('a cancel overtaking its request while the bucket is inhibited still cancels it (cancels are uninhibitable)', async () => {
    const { w, a } = one();
    expect(await w.bucket.inhibit()).toBeNull();
    cancelFrom(w, a.task, a.slot, 99, 1);
    await settle(w.k);
    const r = rawFrom(w, a.task, a.slot, Ctl.methods.get.op, header(99, 1));
    await settle(w.k);
    // Answered at once, not parked until the resume.
    expect(r.value?.label).toBe(ERRNO.EINTR);
    expect(w.bucket.stats().parked).toBe(0);
    w.bucket.resume();
  });

  it('stale cancels (for calls already answered) never hit later calls', async () => {
    const { w, a, c } = one();
    for (let i = 0; i < 100; i++) cancelFrom(w, a.task, a.slot, 1000 + i, 1);
    await settle(w.k);
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => c.add({ by: i })));
    expect(rs.at(-1)).toEqual({ value: 190 });
  });
});

describe('abandoned calls are cancelled at the server (issue 9, item 3)', () => {
  it('a host call that times out waiting for its reply cancels the handler (its signal aborts, nothing stays in flight)', async () => {
    const { w, c } = one();
    const call = track(c.attempt.hold({ id: 7 }, { timeout: 10 }));
    await advance(w.k, 10);
    expect(call.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    await settle(w.k);
    expect(w.log.aborted).toEqual([7]);
    expect(w.log.held.get(7)!.done).toBe(true);
    expect(w.bucket.stats().inflight).toBe(0);
  });

  it('an in-thread stub call that times out cancels the handler too; a running generator handler sees its signal', async () => {
    const { w, a } = one();
    const r = track(
      w.k.exec(a.task, function* (sys: Sys): SysGen<unknown> {
        const s = stub(Ctl, sys, a.slot);
        const held = yield* s.hold({ id: 8 }, { timeout: 5 });
        const blocked = yield* s.block({ ms: 50 }, { timeout: 5 });
        return { held, blocked };
      }),
    );
    await advance(w.k, 5);
    await advance(w.k, 5);
    expect(r.value).toMatchObject({ held: { error: 'ETIMEDOUT' }, blocked: { error: 'ETIMEDOUT' } });
    expect(w.log.aborted).toEqual([8]);
    await advance(w.k, 50);
    expect(w.log.blockAborted).toEqual([50]);
    expect(w.bucket.stats().inflight).toBe(0);
  });
});
