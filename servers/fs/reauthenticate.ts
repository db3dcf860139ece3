// The server half of io.reauthenticate (Hurd io_reauthenticate with auth's rendezvous):
// make a new protid on the same open, hand it to the auth server on the client's
// rendezvous cap with auth.serverAuthenticate, and learn from auth the ids it carries.
// The new protid is inhibited until those ids are known, so a request that arrives on
// it first waits instead of running as nobody. The exchange runs from a helper thread:
// no worker waits for the client. On failure (no auth, timeout, dead rendezvous) the
// new port is revoked. The rendezvous cap is kept with its serial (libcap's KeptCap)
// until auth answers: the client may revoke it meanwhile and the slot be refilled by
// another client's cap, which is then left alone.

import { invokeFromHost, InhibitState, keptCap, releaseKept, type Bucket, type CapObject, type Rpc } from '../../libcap/index.ts';
import { Auth, type Ids } from '../../protocol/auth.ts';
import { copyIds, NOBODY, User } from './user.ts';

/** What a server needs to reauthenticate. */
export interface ReauthContext<D extends { user: User }> {
  /** The server's auth cap (a slot of its task); 0 when it has none (the request is ignored). */
  readonly authSlot: number;
  /** How long the server half waits for the user half (ms of kernel time). */
  readonly timeout: number;
  /** Its bucket: the call to auth is made through its host (in-process or isolated). */
  readonly bucket: Bucket;
  /** Make the new protid on the same open (one reference, handed over). */
  make(): CapObject<D>;
}

/** Serve one io.reauthenticate request carrying `rendezvous` (a one-way message). */
export function reauthenticate<D extends { user: User }>(ctx: Rpc, rendezvous: number, rc: ReauthContext<D>): void {
  const client = ctx.client;
  if (rc.authSlot === 0 || client.dead) return;
  // Kept with its serial: the client may revoke it while auth waits, and the slot be refilled.
  const kept = keptCap(rc.bucket.ops, rendezvous);
  if (kept === null) return;
  ctx.keep(rendezvous);
  const obj = rc.make();
  obj.data.user = NOBODY;
  // A fresh object has no RPC in flight: inhibiting it takes effect at once.
  void rc.bucket.inhibitObject(obj);
  if (obj.inh.state !== InhibitState.Inhibited) throw new Error('reauthenticate: a fresh protid did not inhibit at once');
  const port = rc.bucket.give(client, obj);
  obj.unref();
  const args = { rendezvous, port, timeout: rc.timeout };
  void invokeFromHost(rc.bucket.host, rc.authSlot, Auth.methods.serverAuthenticate, args, { timeout: rc.timeout + 1000 }).then((r) => {
    releaseKept(rc.bucket.ops, kept);
    if (r.ok) obj.data.user = new User(copyIds(r.value as Ids));
    else if (obj.alive) rc.bucket.revoke(client, obj);
    rc.bucket.resumeObject(obj);
  });
}
