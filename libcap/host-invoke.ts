// One RPC made by a server's task outside any of its threads' turns (a handler that must
// not wait, a promise callback), wherever the task lives. In a task of the kernel's heap
// it is hostInvoke (a pooled proxy thread of the task); in an isolated task there is no
// host side to call from, so a short-lived thread of the task, started through its
// bucket's host and paid for by its factory, performs the call with `invoke`. Either way
// the call is made as the same task, with the same timeout, and answers the same result.

import { DEFAULT_PRIORITY, type Sys, type SysGen } from '../core/index.ts';
import type { BucketHost } from './bucket-host.ts';
import { hostInvoke, invoke, type CallOptions, type RpcResult } from './client.ts';
import type { MethodDef } from './interface.ts';

/**
 * Call `m` on the cap in `cap` (a slot of the host's task) from host code. An isolated
 * task answers ENOMEM when it cannot start the calling thread (its factory's quota
 * spent); cancellation by AbortSignal is not available there (EINVAL).
 */
export function invokeFromHost(host: BucketHost, cap: number, m: MethodDef, args: unknown, opts: CallOptions = {}): Promise<RpcResult<unknown>> {
  if (host.kernel !== null && host.task !== null) return hostInvoke(host.kernel, host.task, cap, m, args, opts);
  if (opts.signal !== undefined) return Promise.resolve({ ok: false, error: 'EINVAL', message: `${m.fullName}: no cancellation from an isolated task's host code` });
  return new Promise<RpcResult<unknown>>((resolve) => {
    function* caller(sys: Sys): SysGen<void> {
      let r: RpcResult<unknown>;
      try {
        r = yield* invoke(sys, cap, m, args, opts);
      } catch (e) {
        r = { ok: false, error: 'EIO', message: `${m.fullName}: ${e instanceof Error ? e.message : String(e)}` };
      }
      resolve(r);
    }
    try {
      host.spawn(caller, `${host.taskName}.call`, DEFAULT_PRIORITY);
    } catch (e) {
      resolve({ ok: false, error: 'ENOMEM', message: `${m.fullName}: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
}
