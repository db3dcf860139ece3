// Kept roots: the roots a filesystem fetched from an active translator (fsys.getroot),
// kept so that the next crossing by the same user costs a copy of a cap instead of a
// call to the translator. What makes this safe:
//
// - A root is kept under the exact identity it was fetched for (every effective and
//   available uid and gid, in order), the directory holding the translated node and the
//   ".." it carried; it is handed only to a lookup with that same key, so the root cached
//   for one user's credentials is never given to another user.
// - Only O_PATH roots with a plain answer (retry NORMAL, no retry name) are kept: such a
//   root carries no offset and no open modes, so lookups sharing its per-open cannot see
//   each other. Roots opened to read, write or as a directory check are fetched each time.
// - A translator keeps at most KEPT_ROOTS_PER_TRANSLATOR of them (the oldest-used one
//   goes first); each is a cap slot of the parent's space, counted against its reserve.
// - They go when the translator does: dead (its endpoint or task gone, checked before
//   every use), detached, replaced, or asked to go away. Before fsys.goaway the parent
//   drops the ones it keeps, and keeps no new ones until the answer came, so a translator
//   whose only users were the parent's kept roots can go away (EBUSY counts real users).
// - Only for translators the parent started and alone controls: none are kept of one a
//   client attached (it holds the control cap), nor while a copy of the control cap the
//   parent gave out (file.getTranslatorCntl) lives, since its holder may call
//   fsys.goaway straight; the kept roots are dropped at the next crossing that sees it.

import { Status, type Kernel } from '../../core/index.ts';
import { releaseKept } from '../../libcap/kept-cap.ts';
import type { DotDot } from './dotdot.ts';
import type { Filesystem } from './filesystem.ts';
import { O } from '../../protocol/fs.ts';
import type { MLink } from './node-store.ts';
import type { ActiveTranslator } from './trans-box.ts';
import type { User } from './user.ts';

/** Roots kept per active translator (per user identity, ".." and directory): the oldest-used goes past this. */
export const KEPT_ROOTS_PER_TRANSLATOR = 8;

/** One kept root. */
interface KeptRoot {
  readonly key: string;
  readonly dir: MLink;
  readonly dotdot: DotDot | null;
  /** The root cap, a slot of the parent's space owned by the cache. */
  readonly slot: number;
  /** Its serial: the translator may revoke the root, and the slot then refill (KeptCap). */
  readonly serial: number;
}

/** The kept roots of one translator, most recently used last. */
interface KeptSet {
  readonly roots: KeptRoot[];
  /** Calls to fsys.goaway in flight: no root is kept meanwhile. */
  closing: number;
}

/** Kept roots of every translator, per filesystem. */
const kept = new WeakMap<Filesystem, Map<ActiveTranslator, KeptSet>>();
/** How many roots each filesystem keeps in all. */
const totals = new WeakMap<Filesystem, number>();
/**
 * The filesystems of each kernel that keep roots now (for forgetKeptRoots). Only those
 * in the kernel's heap: an isolated filesystem's caches live in its worker, where no
 * Kernel object is to name them by.
 */
const keeping = new WeakMap<Kernel, Set<Filesystem>>();

function addTotal(fs: Filesystem, n: number): void {
  const t = (totals.get(fs) ?? 0) + n;
  totals.set(fs, t);
  if (fs.kernel === null) return;
  let set = keeping.get(fs.kernel);
  if (set === undefined) {
    set = new Set();
    keeping.set(fs.kernel, set);
  }
  if (t > 0) set.add(fs);
  else set.delete(fs);
}

function setsOf(fs: Filesystem): Map<ActiveTranslator, KeptSet> {
  let m = kept.get(fs);
  if (m === undefined) {
    m = new Map();
    kept.set(fs, m);
  }
  return m;
}

/** Keys of users seen (a User is immutable: reauthentication makes a new one). */
const keys = new WeakMap<User, string>();

/** The cache key of a user: every id list, in order. */
function keyOf(user: User): string {
  let k = keys.get(user);
  if (k === undefined) {
    const i = user.ids;
    k = `${i.euids.join(',')}/${i.auids.join(',')}/${i.egids.join(',')}/${i.agids.join(',')}`;
    keys.set(user, k);
  }
  return k;
}

/** True when a root fetched with these flags may be kept (see the essay above). */
export function mayKeep(flags: number): boolean {
  return flags === O.PATH;
}

/**
 * True when someone besides this filesystem holds the translator's control cap (it was
 * given out with file.getTranslatorCntl): that holder may call fsys.goaway straight, so
 * no root is kept meanwhile (the translator would count kept roots as users).
 */
function controlShared(fs: Filesystem, act: ActiveTranslator): boolean {
  const n = fs.ops.childCount(act.control);
  return !n.ok || n.value > 0;
}

/** How many kept-root caps the filesystem holds now (counted against its slot reserve). */
export function keptRootCount(fs: Filesystem): number {
  return totals.get(fs) ?? 0;
}

/**
 * A fresh copy of the root kept for `user` entering `act` from `dir` with ".." `dotdot`
 * (a slot of the parent's space, for the reply to move to the client); 0 when none is
 * kept (or the translator turned out dead: its kept roots are then dropped).
 */
export function copyKeptRoot(fs: Filesystem, act: ActiveTranslator, user: User, dir: MLink, dotdot: DotDot | null): number {
  const set = kept.get(fs)?.get(act);
  if (set === undefined || set.roots.length === 0) return 0;
  if (controlShared(fs, act)) {
    dropKeptRoots(fs, act);
    return 0;
  }
  const key = keyOf(user);
  const roots = set.roots;
  for (let i = roots.length - 1; i >= 0; i--) {
    const r = roots[i]!;
    if (r.key !== key || r.dir !== dir || r.dotdot !== dotdot) continue;
    const id = fs.ops.identify(r.slot);
    if (id === null || id.dead || id.serial !== r.serial) {
      dropKeptRoots(fs, act);
      return 0;
    }
    const s = fs.ops.allocSlot();
    if (s === 0) return 0;
    if (fs.ops.copy(r.slot, s) !== Status.Ok) {
      fs.ops.delete(s);
      return 0;
    }
    if (i !== roots.length - 1) {
      roots.splice(i, 1);
      roots.push(r);
    }
    return s;
  }
  return 0;
}

/**
 * Keep a copy of `root` (just fetched for `user` from `dir` with ".." `dotdot`, and still
 * the caller's to answer). Nothing is kept while the translator is being asked to go
 * away, when it is no longer attached, or when the parent's slot reserve is low.
 */
export function keepRoot(fs: Filesystem, act: ActiveTranslator, user: User, dir: MLink, dotdot: DotDot | null, root: number): void {
  if (act.task === null || !fs.children.has(act) || controlShared(fs, act)) return;
  const sets = setsOf(fs);
  let set = sets.get(act);
  if (set === undefined) {
    set = { roots: [], closing: 0 };
    sets.set(act, set);
  }
  if (set.closing > 0) return;
  if (fs.bucket.outstanding + keptRootCount(fs) + fs.limits.reserveSlots >= fs.capSpaceSize) return;
  const s = fs.ops.allocSlot();
  if (s === 0) return;
  if (fs.ops.copy(root, s) !== Status.Ok) {
    fs.ops.delete(s);
    return;
  }
  const serial = fs.ops.identify(s)?.serial ?? 0;
  if (set.roots.length >= KEPT_ROOTS_PER_TRANSLATOR) {
    releaseKept(fs.ops, set.roots.shift()!);
    addTotal(fs, -1);
  }
  set.roots.push({ key: keyOf(user), dir, dotdot, slot: s, serial });
  addTotal(fs, 1);
}

/** Delete every root kept of `act` (it died, was detached, or is being released). */
export function dropKeptRoots(fs: Filesystem, act: ActiveTranslator): void {
  const sets = kept.get(fs);
  const set = sets?.get(act);
  if (set === undefined) return;
  for (const r of set.roots) releaseKept(fs.ops, r);
  addTotal(fs, -set.roots.length);
  set.roots.length = 0;
  if (set.closing === 0) sets!.delete(act);
}

/**
 * Around a call of fsys.goaway to `act`: drop its kept roots and keep none until `call`
 * settles, so that they never make it answer EBUSY.
 */
export async function withoutKeptRoots<T>(fs: Filesystem, act: ActiveTranslator, call: () => Promise<T>): Promise<T> {
  const reopen = closeKeptRoots(fs, act);
  try {
    return await call();
  } finally {
    reopen();
  }
}

/** Drop the kept roots of `act` and keep none until the returned function is called (once goaway was answered). */
export function closeKeptRoots(fs: Filesystem, act: ActiveTranslator): () => void {
  const sets = setsOf(fs);
  let set = sets.get(act);
  if (set === undefined) {
    set = { roots: [], closing: 0 };
    sets.set(act, set);
  }
  dropKeptRoots(fs, act);
  set.closing++;
  const s = set;
  return () => {
    s.closing--;
    if (s.closing === 0 && s.roots.length === 0 && sets.get(act) === s) sets.delete(act);
  };
}

/**
 * Drop every root the filesystems on `kernel` keep, as if each of their translators had
 * gone; answers how many were dropped. For leak checks (tools/fuzz): with the caches
 * emptied, what a client left behind shows, and so does anything dropping them leaves.
 */
export function forgetKeptRoots(kernel: Kernel): number {
  let n = 0;
  for (const fs of [...(keeping.get(kernel) ?? [])]) {
    n += keptRootCount(fs);
    for (const act of [...(kept.get(fs)?.keys() ?? [])]) dropKeptRoots(fs, act);
  }
  return n;
}
