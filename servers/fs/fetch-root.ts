// Entering a translator, as the Hurd's fshelp_fetch_root: start the passive translator
// if none is active (translator-start.ts; other lookups wait on the start), then ask the
// active one for its root with fsys.getroot, passing the user's ids and open flags and
// an unauthenticated port on the directory holding the node (what ".." at its root
// leads to). The call is bounded by the translator timeout, so a translator that never
// answers fails the lookup with ETIMEDOUT; a dead one (its task deleted, its endpoint
// gone: EPIPE) has its active setting cleared and the lookup starts over, which
// restarts a passive translator.

import type { Sys, SysGen } from '../../core/index.ts';
import { hostInvoke, invoke, type ErrnoName, type RpcResult } from '../../libcap/index.ts';
import { clearActive, isGone } from './active-translator.ts';
import type { Filesystem } from './filesystem.ts';
import { Fsys, O, type Retry } from './fs-interfaces.ts';
import type { MLink } from './node-store.ts';
import { PerOpen } from './peropen.ts';
import { startPassive } from './translator-start.ts';
import { NOBODY, type User } from './user.ts';

/** What fsys.getroot answered: where the lookup continues. */
export interface FetchedRoot {
  readonly retry: Retry;
  readonly retryName: string;
  /** The root cap, a slot of the server task (the caller owns it). */
  readonly root: number;
}

/**
 * The root of the translator on `link` (whose directory is `dir`), opened with `flags`
 * for `user`. `dotdotOf` is the per-open the walk started from (its ".." carries over).
 * Null when the node turned out to have no translator after all (a dead active one
 * without a passive setting): the caller opens the node itself.
 */
export async function fetchRoot(
  fs: Filesystem,
  link: MLink,
  dir: MLink,
  dotdotOf: PerOpen,
  user: User,
  flags: number,
): Promise<FetchedRoot | ErrnoName | null> {
  const box = fs.store.peek(link.node)?.trans ?? null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (box === null) return null;
    let act = box.active;
    if (act !== null && act.task !== null && !act.task.alive) {
      clearActive(fs, box);
      act = null;
    }
    if (act === null) {
      if (box.passive === null && box.starting === null) return null;
      const started = await startPassive(fs, link, box);
      if (typeof started === 'string') return started;
      act = started;
    }
    // ".." at the translator's root: this directory, through an unauthenticated port.
    const ddPo = new PerOpen(fs.store, dir, dir.node, O.PATH, dotdotOf.dotdot?.ref() ?? null);
    const ddObj = fs.newProtid(ddPo, NOBODY, true);
    const client = act.task !== null && act.task.alive ? fs.bucket.clientFor(act.task) : fs.bucket.anonymousClient();
    const ddSlot = fs.bucket.give(client, ddObj);
    ddObj.unref();
    const r = await hostInvoke(
      fs.kernel,
      fs.task,
      act.control,
      Fsys.methods.getroot,
      { dotdot: ddSlot, ids: user.ids, flags },
      { timeout: fs.settings.translatorTimeout },
    );
    if (r.ok) {
      const v = r.value as { retry: Retry; retryName: string; root: number };
      return { retry: v.retry, retryName: v.retryName, root: v.root };
    }
    // The translator never took the port (or failed): take it back.
    if (ddObj.alive) fs.bucket.revoke(client, ddObj);
    if (isGone(r.error)) {
      if (box.active === act) clearActive(fs, box);
      continue;
    }
    return r.error;
  }
  return 'EIO';
}


/** fetchActiveRoot could not answer: the translator is gone or none is active (use fetchRoot). */
export const NOT_ACTIVE: unique symbol = Symbol('not active');

/**
 * The common case of fetchRoot, run on the server's worker thread: a translator is
 * already active, so fsys.getroot is called in-thread (bounded by the translator
 * timeout) instead of through a host call and a deferred answer. Answers NOT_ACTIVE
 * when there is no live active translator (or it turns out to be gone, after clearing
 * it): the caller then takes the general path, which starts a passive one.
 */
export function* fetchActiveRoot(
  fs: Filesystem,
  link: MLink,
  dir: MLink,
  dotdotOf: PerOpen,
  user: User,
  flags: number,
  sys: Sys,
): SysGen<FetchedRoot | ErrnoName | typeof NOT_ACTIVE> {
  const box = fs.store.peek(link.node)?.trans ?? null;
  const act = box?.active ?? null;
  if (box === null || act === null || (act.task !== null && !act.task.alive)) return NOT_ACTIVE;
  const ddPo = new PerOpen(fs.store, dir, dir.node, O.PATH, dotdotOf.dotdot?.ref() ?? null);
  const ddObj = fs.newProtid(ddPo, NOBODY, true);
  const client = act.task !== null && act.task.alive ? fs.bucket.clientFor(act.task) : fs.bucket.anonymousClient();
  const ddSlot = fs.bucket.give(client, ddObj);
  ddObj.unref();
  const r: RpcResult<unknown> = yield* invoke(
    sys,
    act.control,
    Fsys.methods.getroot,
    { dotdot: ddSlot, ids: user.ids, flags },
    { timeout: fs.settings.translatorTimeout },
  );
  if (r.ok) {
    const v = r.value as { retry: Retry; retryName: string; root: number };
    return { retry: v.retry, retryName: v.retryName, root: v.root };
  }
  if (ddObj.alive) fs.bucket.revoke(client, ddObj);
  if (isGone(r.error)) {
    if (box.active === act) clearActive(fs, box);
    return NOT_ACTIVE;
  }
  return r.error;
}
