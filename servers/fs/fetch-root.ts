// Entering a translator, as the Hurd's fshelp_fetch_root: start the passive translator
// if none is active (translator-start.ts; other lookups wait on the start), then ask the
// active one for its root with fsys.getroot, passing the user's ids and open flags and
// an unauthenticated port on the directory holding the node (what ".." at its root
// leads to). The call is bounded by the translator timeout, so a translator that never
// answers fails the lookup with ETIMEDOUT; a dead one (its task deleted, its endpoint
// gone: EPIPE) has its active setting cleared and the lookup starts over, which
// restarts a passive translator. An O_PATH root fetched before for the same user, from
// the same directory and "..", is copied from the kept roots instead (root-cache.ts).

import type { Sys, SysGen } from '../../core/index.ts';
import { invokeFromHost, invoke, type CapObject, type Client, type ErrnoName, type RpcResult } from '../../libcap/index.ts';
import { clearActive, isDead, isGone } from './active-translator.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { Fsys, O, type Retry } from '../../protocol/fs.ts';
import type { MLink } from './node-store.ts';
import { PerOpen } from './peropen.ts';
import { copyKeptRoot, keepRoot, mayKeep } from './root-cache.ts';
import type { ActiveTranslator, TransBox } from './trans-box.ts';
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
    if (act !== null && isDead(fs, act)) {
      clearActive(fs, box);
      act = null;
    }
    if (act === null) {
      if (box.passive === null && box.starting === null) return null;
      const started = await startPassive(fs, link, box);
      if (typeof started === 'string') return started;
      act = started;
    }
    const kept = keptFor(fs, act, user, dir, dotdotOf, flags);
    if (kept !== null) return kept;
    const dd = giveDotdot(fs, act, dir, dotdotOf);
    const r = await invokeFromHost(
      fs.bucket.host,
      act.control,
      Fsys.methods.getroot,
      { dotdot: dd.slot, ids: user.ids, flags },
      { timeout: fs.settings.translatorTimeout },
    );
    const done = getrootDone(fs, box, act, dd, r);
    if (done !== NOT_ACTIVE) return keepFetched(fs, act, user, dir, dotdotOf, flags, done);
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
  if (box === null || act === null || isDead(fs, act)) return NOT_ACTIVE;
  const kept = keptFor(fs, act, user, dir, dotdotOf, flags);
  if (kept !== null) return kept;
  const dd = giveDotdot(fs, act, dir, dotdotOf);
  const r: RpcResult<unknown> = yield* invoke(
    sys,
    act.control,
    Fsys.methods.getroot,
    { dotdot: dd.slot, ids: user.ids, flags },
    { timeout: fs.settings.translatorTimeout },
  );
  const done = getrootDone(fs, box, act, dd, r);
  return done === NOT_ACTIVE ? done : keepFetched(fs, act, user, dir, dotdotOf, flags, done);
}

/** A copy of the root kept for this crossing (root-cache.ts), or null: fetch it. */
function keptFor(fs: Filesystem, act: ActiveTranslator, user: User, dir: MLink, dotdotOf: PerOpen, flags: number): FetchedRoot | null {
  if (!mayKeep(flags)) return null;
  const slot = copyKeptRoot(fs, act, user, dir, dotdotOf.dotdot);
  return slot === 0 ? null : { retry: 'normal', retryName: '', root: slot };
}

/** A root just fetched: keep a copy when it may be kept; the answer goes on unchanged. */
function keepFetched(
  fs: Filesystem,
  act: ActiveTranslator,
  user: User,
  dir: MLink,
  dotdotOf: PerOpen,
  flags: number,
  done: FetchedRoot | ErrnoName,
): FetchedRoot | ErrnoName {
  if (typeof done !== 'string' && mayKeep(flags) && done.retry === 'normal' && done.retryName === '') {
    keepRoot(fs, act, user, dir, dotdotOf.dotdot, done.root);
  }
  return done;
}

/** The ".." port given to a translator with fsys.getroot: whom it went to, and its slot. */
interface GivenDotdot {
  readonly client: Client;
  readonly obj: CapObject<ProtidData>;
  readonly slot: number;
}

/** ".." at the translator's root: `dir`, through an unauthenticated port given to it. */
function giveDotdot(fs: Filesystem, act: ActiveTranslator, dir: MLink, dotdotOf: PerOpen): GivenDotdot {
  const po = new PerOpen(fs.store, dir, dir.node, O.PATH, dotdotOf.dotdot?.ref() ?? null);
  const obj = fs.newProtid(po, NOBODY, true);
  const client =
    act.launched?.client ?? (act.task !== null && act.task.alive ? fs.bucket.clientFor(act.task) : fs.bucket.anonymousClient());
  const slot = fs.bucket.give(client, obj);
  obj.unref();
  return { client, obj, slot };
}

/**
 * What fsys.getroot's answer means for the lookup: the root, an error, or NOT_ACTIVE
 * when the translator turned out to be gone (its active setting is then cleared). On
 * failure the ".." port the translator never took is taken back.
 */
function getrootDone(
  fs: Filesystem,
  box: TransBox,
  act: ActiveTranslator,
  dd: GivenDotdot,
  r: RpcResult<unknown>,
): FetchedRoot | ErrnoName | typeof NOT_ACTIVE {
  if (r.ok) {
    const v = r.value as { retry: Retry; retryName: string; root: number };
    return { retry: v.retry, retryName: v.retryName, root: v.root };
  }
  if (dd.obj.alive) fs.bucket.revoke(dd.client, dd.obj);
  if (isGone(r.error)) {
    if (box.active === act) clearActive(fs, box);
    return NOT_ACTIVE;
  }
  return r.error;
}
