// Cancellation from a kernel thread: a stub() call given an AbortSignal is cancelled by a
// cancel another thread of the same task sends; the handler sees its signal and the
// caller gets EINTR. An already-aborted signal answers EINTR without calling.

import { expect, it } from 'vitest';
import { Kernel, VirtualClock, type Sys, type SysGen } from '../../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, stub, t, type RpcResult } from '../../libcap/index.ts';

const Slow = defineInterface('slow', { wait: { op: 1 } });

function world() {
  const k = new Kernel({ clock: new VirtualClock() });
  const seen: string[] = [];
  const cls = defineClass({
    name: 'slow',
    interface: Slow,
    init: () => ({}),
    handlers: {
      wait(ctx) {
        const d = ctx.defer();
        ctx.signal.addEventListener('abort', () => seen.push('handler saw the abort'));
        return d; // never answered by the handler itself
      },
    },
  });
  const b = Bucket.start(k, k.createTask('srv', { quota: 100, slots: 1024 }));
  const obj = b.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error(obj.error);
  const client = k.createTask('client');
  return { k, seen, client, cap: b.install(obj, client) };
}

it('libcap cancellation: an in-thread stub call with an AbortSignal answers EINTR and the handler sees it', async () => {
  const { k, seen, client, cap } = world();
  const ac = new AbortController();
  const call = k.exec(client, function* (sys: Sys): SysGen<RpcResult<unknown>> {
    return yield* stub(Slow, sys, cap).wait(undefined, { signal: ac.signal });
  });
  await k.settle();
  ac.abort();
  expect(await call).toMatchObject({ ok: false, error: 'EINTR' });
  expect(seen).toEqual(['handler saw the abort']);
});

it('libcap cancellation: an in-thread stub call with a signal already aborted does not call', async () => {
  const { k, client, cap } = world();
  const ac = new AbortController();
  ac.abort();
  const r = await k.exec(client, function* (sys: Sys): SysGen<RpcResult<unknown>> {
    return yield* stub(Slow, sys, cap).wait(undefined, { signal: ac.signal });
  });
  expect(r).toMatchObject({ ok: false, error: 'EINTR' });
  expect(k.counters.messages).toBe(0);
});

const Opener = defineInterface('opener', { open: { op: 1, reply: { sub: t.cap() } } });

/** A client thread's receive windows and the reserved slots of its task. */
function windowsOf(sys: Sys): { windows: number[]; reserved: number } {
  return { windows: [...sys.utcb.recvSlots], reserved: sys.task.cspace.reserved.size };
}

it('libcap cancellation: a call with an aborted signal leaves the receive windows as they were', async () => {
  const { k, client } = world();
  const ac = new AbortController();
  ac.abort();
  const r = await k.exec(client, function* (sys: Sys): SysGen<unknown> {
    const before = windowsOf(sys);
    const res = yield* stub(Opener, sys, 1).open(undefined, { signal: ac.signal });
    return { res, before, after: windowsOf(sys) };
  });
  const { res, before, after } = r as { res: RpcResult<unknown>; before: unknown; after: unknown };
  expect(res).toMatchObject({ ok: false, error: 'EINTR' });
  expect(after).toEqual(before);
});

it('libcap cancellation: a call abandoned mid-flight (return) restores the windows and drops its abort listener', async () => {
  const { k, client, cap } = world();
  const ac = new AbortController();
  const r = await k.exec(client, function* (sys: Sys): SysGen<unknown> {
    const before = windowsOf(sys);
    const call = stub(Opener, sys, cap).open(undefined, { signal: ac.signal });
    const first = call.next();
    const during = windowsOf(sys);
    const ended = call.return({ ok: false, error: 'EINTR', message: 'abandoned' });
    return { first: first.done, during, ended, before, after: windowsOf(sys) };
  });
  const o = r as { first: boolean; during: { windows: number[]; reserved: number }; before: { windows: number[]; reserved: number }; after: unknown; ended: unknown };
  expect(o.first).toBe(false);
  expect(o.during.windows[0]).not.toBe(o.before.windows[0]);
  expect(o.during.reserved).toBe(o.before.reserved + 1);
  expect(o.after).toEqual(o.before);
  expect(o.ended).toEqual({ value: { ok: false, error: 'EINTR', message: 'abandoned' }, done: true });
  // The listener is gone: aborting now sends no cancel.
  ac.abort();
  await k.settle();
  expect(k.counters.messages).toBe(0);
});

it('libcap cancellation: a throw into an abandoned call restores the windows and rethrows', async () => {
  const { k, client, cap } = world();
  const r = await k.exec(client, function* (sys: Sys): SysGen<unknown> {
    const before = windowsOf(sys);
    const call = stub(Opener, sys, cap).open();
    call.next();
    let thrown: unknown = null;
    try {
      call.throw(new Error('torn down'));
    } catch (e) {
      thrown = e;
    }
    return { thrown: (thrown as Error).message, before, after: windowsOf(sys), again: call.next() };
  });
  const o = r as { thrown: string; before: unknown; after: unknown; again: unknown };
  expect(o.thrown).toBe('torn down');
  expect(o.after).toEqual(o.before);
  expect(o.again).toEqual({ value: undefined, done: true });
});
