// Whether anybody still waits for a deferred answer. A server that keeps calls waiting
// (notify's next and wait, the name server's waiting queries and watchers) asks before it
// hands over anything that would be lost if nobody is there to receive it.

import { RpcState, type Rpc } from './rpc.ts';

/**
 * True when nobody waits for `rpc`'s answer any more: it was answered or cancelled, or
 * its caller gave up (timed out, was cancelled or died: its saved reply cap is dead, P2).
 * A call still in its handler (no reply cap saved yet) has its caller waiting.
 */
export function callerGone(rpc: Rpc): boolean {
  if (rpc.state === RpcState.Done || rpc.cancelled || rpc.answered) return true;
  const session = rpc.session;
  if (session !== null) return session.closed;
  if (rpc.replySlot === 0) return false;
  const id = rpc.bucket.ops.identify(rpc.replySlot);
  return id === null || id.dead;
}

/**
 * Forget a call whose caller is gone: the library answers it (EINTR, through a reply cap
 * nobody waits on: a no-op, P3) so it no longer counts as in flight at the server.
 */
export function dropAbandoned(rpc: Rpc): void {
  if (rpc.state !== RpcState.Done && !rpc.answered) rpc.bucket.cancel(rpc);
}
