// Operations on directories and the names in them, as kernel-thread generators: mkdir
// (and mkdir -p), rmdir, unlink, rename, symlink, link, readdir (and its recursive
// form) and rm's removal walk (Node's rimraf). Names a server cannot take (the root,
// a trailing slash on a non-directory) get Linux's answers here, where the path is
// still whole; everything else is the server's to judge.

import type { SysGen } from '../../core/index.ts';
import { O, Protid, S, type DirEntry, type NodeType, type StatRecord } from '../../protocol/fs.ts';
import { FsError } from './fs-error.ts';
import { failedWith, onPath, statPath } from './node-ops.ts';
import { nameTooLong, openParent, splitPath, type SplitPath } from './path-split.ts';
import { lookupAt, lookupPath } from './resolve.ts';
import { fail, Failure, section, type Session } from './session.ts';
import { nodeTypeOf } from './stats.ts';

const M = Protid.methods;

/** Run `body` with a port on the directory of `sp`; the port is deleted after. */
function* inParent<T>(s: Session, sp: SplitPath, body: (dir: number) => SysGen<T>): SysGen<T> {
  const dir = yield* openParent(s, sp);
  try {
    return yield* body(dir);
  } finally {
    s.drop(dir);
  }
}

/** The type of `name` in `dir` without following a symlink, or null when it does not exist. */
function* typeAt(s: Session, dir: number, name: string): SysGen<number | null> {
  let port: number;
  try {
    port = yield* lookupAt(s, dir, name, O.PATH | O.NOLINK, 0);
  } catch (e) {
    if (failedWith(e, 'ENOENT')) return null;
    throw e;
  }
  try {
    return (yield* s.call(port, M.stat, {})).stat.mode & S.IFMT;
  } finally {
    s.drop(port);
  }
}

/** mkdir (not recursive); `mode` already has the umask applied. */
export function* mkdirOne(s: Session, path: string, mode: number): SysGen<void> {
  const sp = splitPath(path);
  if (sp === null) fail('EEXIST');
  yield* inParent(s, sp, function* (dir) {
    yield* s.call(dir, M.mkdir, { name: sp.name, mode });
  });
}

/**
 * mkdir -p, as Node's recursive mkdir: create each missing directory along `path`;
 * answers the first one created (as a prefix of `path`), or undefined when all existed.
 * A non-directory in the way is ENOTDIR, or EEXIST when it is the last component.
 */
export function* mkdirRecursive(s: Session, path: string, mode: number): SysGen<string | undefined> {
  if (path === '') fail('ENOENT');
  // Usually everything exists already: one lookup settles it.
  try {
    const port = yield* lookupPath(s, path, O.PATH | O.DIRECTORY, 0);
    s.drop(port);
    return undefined;
  } catch (e) {
    if (!failedWith(e, 'ENOENT', 'ENOTDIR')) throw e;
  }
  const parts: { name: string; end: number }[] = [];
  for (let i = 0; i < path.length; ) {
    while (path.charCodeAt(i) === 0x2f) i++;
    const j = path.indexOf('/', i);
    const end = j < 0 ? path.length : j;
    if (end > i) parts.push({ name: path.slice(i, end), end });
    i = end;
  }
  let dir = path.charCodeAt(0) === 0x2f ? s.root : s.cwd;
  let first: string | undefined;
  try {
    for (let i = 0; i < parts.length; i++) {
      const { name, end } = parts[i]!;
      const last = i === parts.length - 1;
      if (nameTooLong(name)) fail('ENAMETOOLONG');
      const r = yield* s.attempt(dir, M.mkdir, { name, mode });
      if (r.ok) {
        first ??= path.slice(0, end);
        if (last) break;
      } else if (r.error !== 'EEXIST') fail(r.error);
      let next: number;
      try {
        next = yield* lookupAt(s, dir, name, O.PATH | O.DIRECTORY, 0);
      } catch (e) {
        if (failedWith(e, 'ENOTDIR') && last) fail('EEXIST');
        throw e;
      }
      s.drop(dir);
      dir = next;
    }
  } finally {
    s.drop(dir);
  }
  return first;
}

/** rmdir; the root answers EBUSY, as Linux. */
export function* rmdirPath(s: Session, path: string): SysGen<void> {
  const sp = splitPath(path);
  if (sp === null) fail('EBUSY');
  yield* inParent(s, sp, function* (dir) {
    yield* s.call(dir, M.rmdir, { name: sp.name });
  });
}

/**
 * unlink. With a trailing slash Linux refuses before looking further: ENOENT when the
 * name does not exist, EISDIR for a directory, ENOTDIR for anything else (a symlink to a
 * directory included).
 */
export function* unlinkPath(s: Session, path: string): SysGen<void> {
  const sp = splitPath(path);
  if (sp === null) fail('EISDIR');
  yield* inParent(s, sp, function* (dir) {
    if (sp.trailing) {
      const type = yield* typeAt(s, dir, sp.name);
      fail(type === null ? 'ENOENT' : type === S.IFDIR ? 'EISDIR' : 'ENOTDIR');
    }
    yield* s.call(dir, M.unlink, { name: sp.name });
  });
}

/**
 * rename within one server (EXDEV from the server otherwise). The root as either name
 * is EBUSY (the server judges "." and ".."); a trailing slash on either side requires
 * the source to be a directory (ENOTDIR), as Linux's renameat2. Both names in one
 * directory (the usual case) take one lookup.
 */
export function* renamePath(s: Session, from: string, to: string): SysGen<void> {
  const a = splitPath(from);
  const b = splitPath(to);
  if (a === null || b === null) fail('EBUSY');
  yield* inParent(s, a, function* (dirA) {
    if (b.parent === a.parent) {
      if (nameTooLong(b.name)) fail('ENAMETOOLONG');
      yield* renameIn(s, dirA, a, dirA, b);
      return;
    }
    yield* inParent(s, b, (dirB) => renameIn(s, dirA, a, dirB, b));
  });
}

/** The rename itself, both directories open. */
function* renameIn(s: Session, dirA: number, a: SplitPath, dirB: number, b: SplitPath): SysGen<void> {
  if (a.trailing || b.trailing) {
    const type = yield* typeAt(s, dirA, a.name);
    if (type === null) fail('ENOENT');
    if (type !== S.IFDIR) fail('ENOTDIR');
  }
  yield* s.call(dirA, M.rename, { oldName: a.name, newDir: dirB, newName: b.name, excl: false });
}

/** symlink `path` -> `target`. A trailing slash on `path`: EEXIST if it exists, else ENOENT. */
export function* symlinkPath(s: Session, target: string, path: string): SysGen<void> {
  if (target === '') fail('ENOENT');
  const sp = splitPath(path);
  if (sp === null) fail('EEXIST');
  yield* inParent(s, sp, function* (dir) {
    if (sp.trailing) fail((yield* typeAt(s, dir, sp.name)) === null ? 'ENOENT' : 'EEXIST');
    yield* s.call(dir, M.symlink, { name: sp.name, target });
  });
}

/** link: a new name `path` for the node `existing` names (not following a last symlink, as linkat). */
export function* linkPath(s: Session, existing: string, path: string): SysGen<void> {
  const sp = splitPath(path);
  yield* onPath(s, existing, O.PATH | O.NOLINK, function* (file) {
    if (sp === null) fail('EEXIST');
    yield* inParent(s, sp, function* (dir) {
      if (sp.trailing) fail((yield* typeAt(s, dir, sp.name)) === null ? 'ENOENT' : 'EEXIST');
      yield* s.call(dir, M.link, { file, name: sp.name, excl: true });
    });
  });
}

/** Entries per dir.readdir call. */
const READDIR_BATCH = 1024;

/** Every entry of the directory open on `port` but "." and "..". */
export function* readAllEntries(s: Session, port: number): SysGen<DirEntry[]> {
  const out: DirEntry[] = [];
  let offset = 0;
  for (;;) {
    const r = yield* s.call(port, M.readdir, { offset, max: READDIR_BATCH });
    for (const e of r.entries) if (e.name !== '.' && e.name !== '..') out.push(e);
    if (r.eof || r.entries.length === 0) return out;
    offset = r.next;
  }
}

/** An entry found by readdir, with the directory (as the caller named it) it is in. */
export interface FoundEntry {
  readonly name: string;
  readonly type: NodeType;
  /** The directory's path, as given plus the names walked below it. */
  readonly parentPath: string;
  /** The name relative to the directory readdir was asked for ("b/c" in recursive mode). */
  readonly relative: string;
}

/**
 * readdir of `path`; with `recursive`, every directory below too (not through symlinks),
 * breadth first, as Node. An entry of unknown type is lstat'ed to learn it.
 */
export function* readdirPath(s: Session, path: string, recursive: boolean): SysGen<FoundEntry[]> {
  const top = yield* lookupPath(s, path, O.RDONLY | O.DIRECTORY, 0);
  const out: FoundEntry[] = [];
  const queue: { port: number; parentPath: string; prefix: string }[] = [{ port: top, parentPath: path, prefix: '' }];
  try {
    while (queue.length > 0) {
      const d = queue[0]!;
      const entries = yield* readAllEntries(s, d.port);
      for (const e of entries) {
        let type = e.type;
        if (type === 'unknown' && recursive) {
          const port = yield* lookupAt(s, d.port, e.name, O.PATH | O.NOLINK, 0);
          try {
            type = nodeTypeOf((yield* s.call(port, M.stat, {})).stat.mode);
          } finally {
            s.drop(port);
          }
        }
        const relative = d.prefix + e.name;
        out.push({ name: e.name, type, parentPath: d.parentPath, relative });
        if (recursive && type === 'dir') {
          const port = yield* lookupAt(s, d.port, e.name, O.RDONLY | O.DIRECTORY, 0);
          queue.push({ port, parentPath: joinPath(d.parentPath, e.name), prefix: `${relative}/` });
        }
      }
      queue.shift();
      s.drop(d.port);
    }
  } finally {
    for (const d of queue) s.drop(d.port);
  }
  return out;
}

/** `dir` + '/' + `name`, without doubling a slash. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/**
 * The removal walk of rm({ recursive: true }), as Node's rimraf: lstat, then unlink a
 * non-directory or rmdir a directory, emptying it first when rmdir says it is not
 * empty. A name that vanished meanwhile is fine. Errors are named as Node's (lstat,
 * unlink, rmdir, scandir, with the path of the entry).
 */
export function* removeTree(s: Session, path: string): SysGen<void> {
  let st: StatRecord;
  try {
    st = yield* section(statPath(s, path, false), 'lstat', path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return;
    throw e;
  }
  if ((st.mode & S.IFMT) !== S.IFDIR) {
    const r = yield* tryStep(unlinkPath(s, path), 'unlink', path);
    if (r === 'EISDIR') yield* removeDir(s, path);
    return;
  }
  yield* removeDir(s, path);
}

function* removeDir(s: Session, path: string): SysGen<void> {
  const r = yield* tryStep(rmdirPath(s, path), 'rmdir', path, ['ENOTEMPTY', 'EEXIST', 'EPERM']);
  if (r === null) return;
  const entries = yield* section(readdirPath(s, path, false), 'scandir', path);
  for (const e of entries) yield* removeTree(s, joinPath(path, e.name));
  yield* section(rmdirPath(s, path), 'rmdir', path);
}

/**
 * Run one removal step: null when it worked or the name was gone (ENOENT); the error
 * name when it is one of `pass` (the caller goes on); otherwise Node's error.
 */
function* tryStep(g: SysGen<void>, syscall: string, path: string, pass: readonly string[] = ['EISDIR']): SysGen<string | null> {
  try {
    yield* g;
    return null;
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    if (e.code === 'ENOENT') return null;
    if (pass.includes(e.code)) return e.code;
    throw new FsError(e.code, syscall, path);
  }
}
