// Cancellation from a kernel thread: a stub() call given an AbortSignal is cancelled by a
// cancel another thread of the same task sends; the handler sees its signal and the
// caller gets EINTR. An already-aborted signal answers EINTR without calling.

import { expect, it } from 'vitest';
import { Kernel, VirtualClock, type Sys, type SysGen } from '../../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, stub, type RpcResult } from '../../libcap/index.ts';

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
