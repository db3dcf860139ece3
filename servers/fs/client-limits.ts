// What the filesystem holds for each client, bounded per client so that no client can
// fill the server's cap space and make it fail others: the caps it holds of this
// server (opens: EMFILE past the bound, as RLIMIT_NOFILE), the notify sender caps it
// asked the server to keep (watchers: EAGAIN past the bound), and a last reserve of
// the server's own cap slots (ENOMEM to the client that asks when it is gone). A
// watcher must be a sender cap of the system's notify service (EINVAL otherwise).

import { Kind } from '../../core/index.ts';
import type { Bucket, Client } from '../../libcap/index.ts';
import { dotdotsHeld } from './dotdot.ts';
import { keptRootCount } from './root-cache.ts';
import type { Filesystem } from './filesystem.ts';

/** Per-client bounds (see docs/limits-fs.md). */
export interface ClientLimits {
  /** Caps of this server one client may hold (protids, each open one): EMFILE beyond. */
  readonly maxOpens: number;
  /** Change watchers one client may register: EAGAIN beyond. */
  readonly maxWatchers: number;
  /** Free cap slots the server keeps for itself: a new open or watcher past that answers ENOMEM. */
  readonly reserveSlots: number;
  /** Bytes of transfer buffers (io.mapBuffer) one client may hold: ENOBUFS beyond. */
  readonly maxTransferBytes: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = { maxOpens: 1024, maxWatchers: 64, reserveSlots: 256, maxTransferBytes: 8 << 20 };

/**
 * True when the caps this server holds for clients (their entries, the watchers it
 * keeps) leave fewer than `reserve` slots of its cap space: the rest is for its own
 * machinery (receive windows, translators' control caps, timers).
 */
function spaceLow(fs: Filesystem, reserve: number): boolean {
  return fs.bucket.outstanding + fs.watcherTotal() + dotdotsHeld(fs.ops) + keptRootCount(fs) + reserve >= fs.capSpaceSize;
}

/**
 * May `client` (null: a trusted caller, bounded by the reserve only) be given one more cap
 * of `bucket`, whose server also keeps `kept` caps of its own for clients? For servers
 * built on netfs and trivfs, which keep no watchers.
 */
export function admitCap(bucket: Bucket, client: Client | null, limits: ClientLimits, kept = 0): 'EMFILE' | 'ENOMEM' | null {
  if (client !== null && client.count >= limits.maxOpens) return 'EMFILE';
  if (bucket.outstanding + kept + limits.reserveSlots >= bucket.task.cspace.size) return 'ENOMEM';
  return null;
}

/**
 * May the holder of the control port be given a root (fsys.getroot)? Only ENOMEM: the
 * holder is trusted (the parent filesystem), and the roots it fetches go on to its
 * users, so no per-client bound applies.
 */
export function admitRoot(fs: Filesystem): 'ENOMEM' | null {
  return spaceLow(fs, fs.limits.reserveSlots) ? 'ENOMEM' : null;
}

/** May `client` be given one more protid? EMFILE at its bound, ENOMEM when the server is short of slots. */
export function admitOpen(fs: Filesystem, client: Client): 'EMFILE' | 'ENOMEM' | null {
  if (client.count >= fs.limits.maxOpens) return 'EMFILE';
  if (spaceLow(fs, fs.limits.reserveSlots)) return 'ENOMEM';
  return null;
}

/**
 * May the server keep `sender` as a watcher for `client`? EOPNOTSUPP when this server
 * was given no notify service; EINVAL unless it is a live cap to that service other than
 * the service's root as the server holds it; EAGAIN at the client's watcher bound;
 * ENOMEM when the server is short of slots.
 */
export function admitWatcher(fs: Filesystem, client: Client, sender: number): 'EOPNOTSUPP' | 'EINVAL' | 'EAGAIN' | 'ENOMEM' | null {
  if (fs.notifySlot === 0) return 'EOPNOTSUPP';
  const service = fs.ops.identify(fs.notifySlot);
  const given = fs.ops.identify(sender);
  if (service === null || given === null) return 'EINVAL';
  if (given.kind !== Kind.Endpoint || given.dead || given.object !== service.object || given.badge === service.badge) return 'EINVAL';
  if (fs.watchersOf(client) >= fs.limits.maxWatchers) return 'EAGAIN';
  if (spaceLow(fs, fs.limits.reserveSlots)) return 'ENOMEM';
  return null;
}
