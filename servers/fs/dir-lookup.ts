// dir.lookup, as the Hurd's diskfs_S_dir_lookup: the server walks the path itself.
//
// The walk goes component by component from the protid's directory, checking search
// permission on every directory with the protid's ids. "." stays; ".." goes up, and at
// this filesystem's root either answers REAUTH with the parent the root was entered
// from (an unauthenticated port; the client reauthenticates, then continues with the
// rest) or, at the top of the tree, stays at the root (relative escapes stop there).
// A relative symlink is spliced into the path (at most 40 of them: ELOOP); an absolute
// one answers MAGICAL with "/target/rest" (the client restarts at its own root). On the
// last component O_NOLINK opens the link itself and O_NOFOLLOW refuses it (ELOOP).
// A node with a translator (unless O_NOTRANS on the last component) ends the walk: its
// root is fetched (fetch-root.ts) and answered with the rest of the path to continue
// with (retry NORMAL). O_CREAT creates a missing last component (O_EXCL: EEXIST if it
// exists), O_TRUNC and O_DIRECTORY are checked when opening (open-node.ts).
//
// The walk itself is synchronous; only entering a translator defers the answer.

import { admitOpen } from './client-limits.ts';
import type { SysGen } from '../../core/index.ts';
import type { ErrnoName, Handler, Rpc, RpcFailure, SpecOf } from '../../libcap/index.ts';
import { failDeferred, failWith } from './fail-with.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { fetchActiveRoot, fetchRoot, NOT_ACTIVE } from './fetch-root.ts';
import { ACCESS, O, PATH_MAX, S, type Dir, type Retry } from '../../protocol/fs.ts';
import { newOwner } from './new-node.ts';
import { NodeStore, type MLink, type MNode } from './node-store.ts';
import { checkOpen, openChecked } from './open-node.ts';
import { badOpenFlags } from './open-flags.ts';
import { followSymlink, joinRest, splitPath } from './path-name.ts';
import type { PerOpen } from './peropen.ts';
import { isDead } from './active-translator.ts';
import { copyKeptRoot, mayKeep } from './root-cache.ts';
import type { ActiveTranslator } from './trans-box.ts';
import type { User } from './user.ts';

/** Symlinks one lookup may follow (Linux's and memfs's limit). */
export const MAX_SYMLINKS = 40;

/** Flags that do not reach a translator's root (they were about the name in this server). */
const LOOKUP_ONLY = O.CREAT | O.EXCL | O.NOTRANS | O.NOLINK | O.NOFOLLOW;

type LookupSpec = SpecOf<typeof Dir.methods.lookup>;

/** Where a walk ended. */
export type Walked =
  | { readonly kind: 'open'; readonly link: MLink; readonly node: MNode; readonly created: boolean; readonly mustBeDir: boolean }
  | { readonly kind: 'retry'; readonly retry: Retry; readonly retryName: string; readonly port: number | undefined }
  | {
      readonly kind: 'translator';
      readonly link: MLink;
      readonly dir: MLink;
      readonly rest: string;
      readonly last: boolean;
      /** The translated node was named with a trailing slash: its root must be a directory. */
      readonly mustBeDir: boolean;
    };

/** Walk `path` from the directory of `start` for `user` (see the essay above). */
export function walk(fs: Filesystem, start: PerOpen, user: User, path: string, flags: number, mode: number): Walked | ErrnoName {
  const split = splitPath(path);
  if (typeof split === 'string') return split;
  if (!start.isDir) return 'ENOTDIR';
  const store = fs.store;
  let parts = split.parts;
  let trailing = split.trailingSlash;
  let dir = start.link;
  let links = 0;
  let i = 0;
  while (i < parts.length) {
    const last = i === parts.length - 1;
    const comp = parts[i]!;
    const d = dir.node;
    if (!user.may(ACCESS.X_OK, d.mode, d.uid, d.gid)) return 'EACCES';
    if (comp === '.' || comp === '..') {
      if (comp === '..') {
        if (dir === store.root) {
          if (start.dotdot !== null) {
            const retryName = joinRest(parts, i + 1, trailing);
            const port = start.dotdot.copy();
            if (port === 0) return 'EIO';
            return { kind: 'retry', retry: 'reauth', retryName, port };
          }
        } else {
          const up = store.parent(dir);
          if (up === undefined) return 'ENOENT';
          dir = up;
        }
      }
      i++;
      continue;
    }
    if (NodeStore.removed(dir)) return 'ENOENT';
    const child = store.child(dir, comp);
    if (child === undefined) {
      if (!last || (flags & O.CREAT) === 0) return 'ENOENT';
      if (trailing) return 'EISDIR';
      const owner = newOwner(fs, user, dir, mode, false);
      if (typeof owner === 'string') return owner;
      const made = store.createFile(dir, comp, owner.perm, owner.uid, owner.gid);
      fs.dirChanged(dir.node, 'add', comp);
      return { kind: 'open', link: made, node: made.node, created: true, mustBeDir: false };
    }
    if (last && (flags & (O.CREAT | O.EXCL)) === (O.CREAT | O.EXCL)) return 'EEXIST';
    const node = child.node;
    const box = store.peek(node)?.trans;
    if (box != null && box.present && !(last && (flags & O.NOTRANS) !== 0)) {
      return { kind: 'translator', link: child, dir, rest: joinRest(parts, i + 1, trailing), last, mustBeDir: last && trailing };
    }
    const type = node.mode & S.IFMT;
    if (type === S.IFLNK) {
      if (last && !trailing) {
        if ((flags & O.NOLINK) !== 0) return { kind: 'open', link: child, node, created: false, mustBeDir: false };
        if ((flags & O.NOFOLLOW) !== 0) return 'ELOOP';
      }
      if (++links > MAX_SYMLINKS) return 'ELOOP';
      const step = followSymlink(node.symlink, parts.slice(i + 1), trailing);
      if (typeof step === 'string') return step;
      if (step.kind === 'magical') return { kind: 'retry', retry: 'magical', retryName: step.retryName, port: undefined };
      parts = step.parts;
      trailing = step.trailing;
      i = 0;
      continue;
    }
    if (type === S.IFDIR) {
      dir = child;
      i++;
      continue;
    }
    if (!last || trailing) return 'ENOTDIR';
    return { kind: 'open', link: child, node, created: false, mustBeDir: false };
  }
  return { kind: 'open', link: dir, node: dir.node, created: false, mustBeDir: trailing };
}

/** Join a translator's retry name and the rest of the path after its node. */
function joinRetry(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return a.endsWith('/') ? `${a}${b}` : `${a}/${b}`;
}

/** The dir.lookup handler of a filesystem. */
export function lookupHandler(fs: Filesystem): Handler<LookupSpec, ProtidData> {
  return (ctx, { name, flags, mode }) => {
    const po = ctx.data.po!;
    const user = ctx.data.user;
    const bad = badOpenFlags(flags);
    if (bad !== null) return failWith(bad);
    // Every lookup may answer a new cap: refused at the client's bound before anything is made.
    const no = admitOpen(fs, ctx.client);
    if (no !== null) return failWith(no);
    const w = walk(fs, po, user, name, flags, mode);
    if (typeof w === 'string') return failWith(w);
    if (w.kind === 'translator') {
      // A translator already running: fetch its root on this worker thread, as long as
      // the pool keeps a worker free (a translator may call back into this server).
      const act = fs.store.peek(w.link.node)?.trans?.active ?? null;
      const live = act !== null && !isDead(fs, act);
      if (live) {
        // A root kept for this user: answered at once, without calling the translator.
        const kept = keptReply(fs, act, po, user, w, flags);
        if (kept !== null) return kept;
      }
      const b = fs.bucket;
      const spare = b.idleWorkers > 0 || b.workers < b.maxWorkers - 1;
      if (live && ctx.sys !== null && spare) {
        return crossInThread(fs, ctx, po, user, w, name, flags, mode);
      }
      const d = ctx.defer();
      void enterTranslator(fs, ctx, po, user, w, name, flags, mode).then((answer) => {
        if (typeof answer === 'string') failDeferred(d, answer, startErrorOf(fs, w.link));
        else if (!d.reply(answer) && answer.port !== undefined) fs.ops.delete(answer.port);
      });
      return d;
    }
    const r = w.kind === 'open' ? openWalked(fs, ctx, po, user, w, flags) : retryReply(fs, w);
    return typeof r === 'string' ? failWith(r) : r;
  };
}

type LookupReply = { retry: Retry; retryName: string; port?: number };

/** Why the translator on `link` failed to start, in words ('' when it did not fail to start). */
function startErrorOf(fs: Filesystem, link: MLink): string {
  return fs.store.peek(link.node)?.trans?.startError ?? '';
}

/** The flags a translator's root is opened with for walk `w` of a lookup with `flags`. */
function rootFlagsOf(w: Extract<Walked, { kind: 'translator' }>, flags: number): number {
  return w.last ? (flags & ~LOOKUP_ONLY) | (w.mustBeDir ? O.DIRECTORY : 0) : O.PATH;
}

/** The answer from a root kept for this crossing (root-cache.ts), or null: fetch one. */
function keptReply(
  fs: Filesystem,
  act: ActiveTranslator,
  start: PerOpen,
  user: User,
  w: Extract<Walked, { kind: 'translator' }>,
  flags: number,
): LookupReply | RpcFailure<never> | null {
  if (!mayKeep(rootFlagsOf(w, flags))) return null;
  if (w.rest.length > PATH_MAX) return null;
  const slot = copyKeptRoot(fs, act, user, w.dir, start.dotdot);
  return slot === 0 ? null : { retry: 'normal', retryName: w.rest, port: slot };
}

/** Enter an active translator in-thread; falls back to the general (async) path. */
function* crossInThread(
  fs: Filesystem,
  ctx: Rpc,
  start: PerOpen,
  user: User,
  w: Extract<Walked, { kind: 'translator' }>,
  name: string,
  flags: number,
  mode: number,
): SysGen<LookupReply | RpcFailure<never>> {
  const sys = ctx.sys!;
  const rootFlags = rootFlagsOf(w, flags);
  const r = yield* fetchActiveRoot(fs, w.link, w.dir, start, user, rootFlags, sys);
  if (r === NOT_ACTIVE) {
    const answer: LookupReply | ErrnoName = yield* sys.await(enterTranslator(fs, ctx, start, user, w, name, flags, mode));
    return typeof answer === 'string' ? failWith(answer, startErrorOf(fs, w.link)) : answer;
  }
  if (typeof r === 'string') return failWith(r);
  const retryName = joinRetry(r.retryName, w.rest);
  if (retryName.length > PATH_MAX) {
    fs.ops.delete(r.root);
    return failWith('ENAMETOOLONG');
  }
  return { retry: r.retry, retryName, port: r.root };
}

/** Open the node a walk ended at, for the caller of `ctx`. */
function openWalked(fs: Filesystem, ctx: Rpc, start: PerOpen, user: User, w: Extract<Walked, { kind: 'open' }>, flags: number): LookupReply | ErrnoName {
  const err = checkOpen(fs, user, w.node, flags, w.created, w.mustBeDir);
  if (err !== null) return err;
  const po = openChecked(fs, w.link, w.node, flags, w.created, start.dotdot);
  return { retry: 'normal', retryName: '', port: fs.giveProtid(ctx, po, user) };
}

/** The answer for a walk that ended in a retry (its port, if any, goes with it or is deleted). */
function retryReply(fs: Filesystem, w: Extract<Walked, { kind: 'retry' }>): LookupReply | ErrnoName {
  if (w.retryName.length > PATH_MAX) {
    if (w.port !== undefined) fs.ops.delete(w.port);
    return 'ENAMETOOLONG';
  }
  return w.port === undefined ? { retry: w.retry, retryName: w.retryName } : { retry: w.retry, retryName: w.retryName, port: w.port };
}

/**
 * The walk met a translator: fetch its root and answer it with the rest of the path.
 * When the translator vanished without a passive setting to restart, walk again (the
 * node is plain now).
 */
async function enterTranslator(
  fs: Filesystem,
  ctx: Rpc,
  start: PerOpen,
  user: User,
  first: Extract<Walked, { kind: 'translator' }>,
  name: string,
  flags: number,
  mode: number,
): Promise<LookupReply | ErrnoName> {
  let w: Walked | ErrnoName = first;
  for (let round = 0; round < 4; round++) {
    if (typeof w === 'string') return w;
    switch (w.kind) {
      case 'open':
        return ctx.cancelled ? 'EINTR' : openWalked(fs, ctx, start, user, w, flags);
      case 'retry':
        return retryReply(fs, w);
      case 'translator': {
        const rootFlags = rootFlagsOf(w, flags);
        const r = await fetchRoot(fs, w.link, w.dir, start, user, rootFlags);
        if (r === null) {
          w = walk(fs, start, user, name, flags, mode);
          continue;
        }
        if (typeof r === 'string') return r;
        const retryName = joinRetry(r.retryName, w.rest);
        if (retryName.length > PATH_MAX) {
          fs.ops.delete(r.root);
          return 'ENAMETOOLONG';
        }
        return { retry: r.retry, retryName, port: r.root };
      }
    }
  }
  return 'ELOOP';
}
