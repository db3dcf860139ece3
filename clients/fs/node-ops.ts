// Operations on one node named by a path, as kernel-thread generators: stat, lstat,
// statfs, access, chmod, chown, utimes, readlink, truncate and realpath. Each opens the node
// (no data access unless it needs some), makes its call and deletes the port; failures
// are thrown as Failures for the caller to name (Session / section).

import type { SysGen } from '../../core/index.ts';
import { ACCESS, O, Protid, S, type StatfsRecord, type StatRecord } from '../../protocol/fs.ts';
import { lookupPath } from './resolve.ts';
import { fail, Failure, section, type Session } from './session.ts';

const M = Protid.methods;

/** Open `path` with `flags`, run `body` on the port, delete the port. */
export function* onPath<T>(s: Session, path: string, flags: number, body: (port: number) => SysGen<T>): SysGen<T> {
  const port = yield* lookupPath(s, path, flags, 0);
  try {
    return yield* body(port);
  } finally {
    s.drop(port);
  }
}

/** stat (follow = true) or lstat (false). Written out: the hottest path of the client. */
export function* statPath(s: Session, path: string, follow: boolean): SysGen<StatRecord> {
  const port = yield* lookupPath(s, path, follow ? O.PATH : O.PATH | O.NOLINK, 0);
  try {
    return (yield* s.call(port, M.stat, NO_ARGS)).stat;
  } finally {
    s.drop(port);
  }
}

const NO_ARGS = {};

/** statfs: the figures of the filesystem `path` is on (file.statfs on the node, following a symlink). */
export function* statfsPath(s: Session, path: string): SysGen<StatfsRecord> {
  return yield* onPath(s, path, O.PATH, function* (port) {
    return (yield* s.call(port, M.statfs, NO_ARGS)).stat;
  });
}

/** access: F_OK is existence; otherwise every bit asked must be among file.checkAccess's. */
export function* accessPath(s: Session, path: string, mode: number): SysGen<void> {
  yield* onPath(s, path, O.PATH, function* (port) {
    if (mode === ACCESS.F_OK) return;
    const { allowed } = yield* s.call(port, M.checkAccess, {});
    if ((mode & ~allowed & 7) !== 0) fail('EACCES');
  });
}

/** chmod / lchmod. */
export function* chmodPath(s: Session, path: string, mode: number, follow = true): SysGen<void> {
  yield* onPath(s, path, follow ? O.PATH : O.PATH | O.NOLINK, function* (port) {
    yield* s.call(port, M.chmod, { mode: mode & 0o7777 });
  });
}

/** chown / lchown; -1 leaves an id unchanged. */
export function* chownPath(s: Session, path: string, uid: number, gid: number, follow = true): SysGen<void> {
  yield* onPath(s, path, follow ? O.PATH : O.PATH | O.NOLINK, function* (port) {
    yield* s.call(port, M.chown, { uid: uid | 0, gid: gid | 0 });
  });
}

/** utimes / lutimes, times in ms. */
export function* utimesPath(s: Session, path: string, atimeMs: number, mtimeMs: number, follow = true): SysGen<void> {
  yield* onPath(s, path, follow ? O.PATH : O.PATH | O.NOLINK, function* (port) {
    yield* s.call(port, M.utimes, { atimeMs, mtimeMs });
  });
}

/** readlink: the target of the symlink `path` names (EINVAL for anything else). */
export function* readlinkPath(s: Session, path: string): SysGen<string> {
  return yield* onPath(s, path, O.PATH | O.NOLINK, function* (port) {
    return (yield* s.call(port, M.readlink, {})).target;
  });
}

/** truncate, as Node's: open 'r+' (errors named open, with the path), then ftruncate. */
export function* truncatePath(s: Session, path: string, size: number): SysGen<void> {
  const port = yield* section(lookupPath(s, path, O.RDWR, 0), 'open', path);
  try {
    yield* section(s.call(port, M.truncate, { size }), 'ftruncate');
  } finally {
    s.drop(port);
  }
}

/** Symlinks realpath follows before ELOOP (Linux's MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;

/**
 * realpath: the canonical absolute name of `path` in the client's tree, built component
 * by component as glibc's realpath does (lstat, readlink, splice): each prefix is looked
 * up with O_NOLINK; a symlink's target replaces it (from the root when absolute). The
 * prefix is always a physical path, so ".." pops a component.
 */
export function* realpathOf(s: Session, path: string): SysGen<string> {
  if (path === '') fail('ENOENT');
  const base = path.charCodeAt(0) === 0x2f ? '' : s.cwdPath;
  const todo = (base === '' ? path : `${base}/${path}`).split('/').reverse();
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const prefix = `/${[...done, c].join('/')}`;
    const st = yield* statPath(s, prefix, false);
    const type = st.mode & S.IFMT;
    if (type === S.IFLNK) {
      if (++links > MAX_SYMLINKS) fail('ELOOP');
      const target = yield* readlinkPath(s, prefix);
      if (target.charCodeAt(0) === 0x2f) done.length = 0;
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]!);
      continue;
    }
    // Anything after a non-directory ("f/", "f/.", "f/x") is ENOTDIR, as Linux answers.
    if (type !== S.IFDIR && todo.length > 0) fail('ENOTDIR');
    done.push(c);
  }
  return `/${done.join('/')}`;
}

/** True when `e` is a Failure with one of `codes`. */
export function failedWith(e: unknown, ...codes: string[]): e is Failure {
  return e instanceof Failure && codes.includes(e.code);
}
