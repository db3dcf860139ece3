// cp as Node's fs.promises.cp does it (lib/internal/fs/cp), over the client's own calls:
// check both paths (same file, directory onto non-directory and back, a directory into
// itself, walking dest's parents), make dest's parent, then copy a file (copyFile, then
// the mode and, with preserveTimestamps, the times), a directory (mkdir, each entry in
// turn, then the mode) or a symlink (its target, made absolute unless verbatimSymlinks).
// Its own failures are Node's SystemErrors (ERR_FS_CP_*, ERR_FS_EISDIR).

import { posix } from 'node:path';
import type { ErrnoName } from '../../libcap/index.ts';
import type { Dir } from './dir-handle.ts';
import { FsSystemError, invalidArgType } from './fs-error.ts';
import type { BigIntStats, Stats } from './stats.ts';

/** The client calls cp is made of. */
export interface CpOps {
  stat(path: string, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  lstat(path: string, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  mkdir(path: string, opts?: { recursive?: boolean }): Promise<unknown>;
  copyFile(src: string, dest: string, mode?: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  readlink(path: string): Promise<string | Buffer>;
  symlink(target: string, path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  opendir(path: string): Promise<Dir>;
  /** The working directory relative paths start from. */
  cwd(): string;
}

/** cp's options. */
export interface CpOptions {
  dereference?: boolean;
  errorOnExist?: boolean;
  filter?: (src: string, dest: string) => boolean | Promise<boolean>;
  force?: boolean;
  mode?: number;
  preserveTimestamps?: boolean;
  recursive?: boolean;
  verbatimSymlinks?: boolean;
}

type Opts = Required<Omit<CpOptions, 'filter'>> & Pick<CpOptions, 'filter'>;

const PREFIX = {
  ERR_FS_CP_EINVAL: 'Invalid src or dest',
  ERR_FS_CP_DIR_TO_NON_DIR: 'Cannot overwrite non-directory with directory',
  ERR_FS_CP_NON_DIR_TO_DIR: 'Cannot overwrite directory with non-directory',
  ERR_FS_CP_EEXIST: 'Target already exists',
  ERR_FS_CP_SOCKET: 'Cannot copy a socket file',
  ERR_FS_CP_FIFO_PIPE: 'Cannot copy a FIFO pipe',
  ERR_FS_CP_UNKNOWN: 'Cannot copy an unknown file type',
  ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY: 'Cannot overwrite symlink in subdirectory of self',
  ERR_FS_EISDIR: 'Path is a directory',
} as const;

function cpError(code: keyof typeof PREFIX, errno: ErrnoName, message: string, path: string): FsSystemError {
  return new FsSystemError(code, PREFIX[code], errno, 'cp', path, message);
}

/** Node's validation of cp's options (ERR_INVALID_ARG_TYPE, ERR_INCOMPATIBLE_OPTION_PAIR). */
export function checkCpOptions(options: unknown): Opts {
  if (options !== undefined && options !== null && typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = (options ?? {}) as CpOptions;
  const bool = (name: keyof CpOptions, v: unknown, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw invalidArgType(`options.${name}`, 'of type boolean', v);
    return v;
  };
  const out: Opts = {
    dereference: bool('dereference', o.dereference, false),
    errorOnExist: bool('errorOnExist', o.errorOnExist, false),
    force: bool('force', o.force, true),
    mode: o.mode ?? 0,
    preserveTimestamps: bool('preserveTimestamps', o.preserveTimestamps, false),
    recursive: bool('recursive', o.recursive, false),
    verbatimSymlinks: bool('verbatimSymlinks', o.verbatimSymlinks, false),
  };
  if (o.filter !== undefined) {
    if (typeof o.filter !== 'function') throw invalidArgType('options.filter', 'of type function', o.filter);
    out.filter = o.filter;
  }
  if (out.dereference && out.verbatimSymlinks) {
    throw Object.assign(new TypeError('Option "dereference" cannot be used in combination with option "verbatimSymlinks"'), {
      code: 'ERR_INCOMPATIBLE_OPTION_PAIR',
    });
  }
  return out;
}

/** Copy `src` to `dest` as Node's fs.promises.cp. */
export async function cp(ops: CpOps, src: string, dest: string, opts: Opts): Promise<void> {
  const resolve = (p: string): string => posix.resolve(ops.cwd(), p);
  const segments = (p: string): string[] => resolve(p).split('/').filter(Boolean);
  const isSubdir = (a: string, b: string): boolean => {
    const bs = segments(b);
    return segments(a).every((c, i) => bs[i] === c);
  };
  const same = (a: Stats | BigIntStats, b: Stats | BigIntStats): boolean => a.ino === b.ino && a.dev === b.dev;
  const statOf = (p: string): Promise<Stats | BigIntStats> => (opts.dereference ? ops.stat(p, { bigint: true }) : ops.lstat(p, { bigint: true }));

  type Checked = { skipped: boolean; srcStat?: Stats | BigIntStats; destStat: Stats | BigIntStats | null };
  const checkPaths = async (s: string, d: string): Promise<Checked> => {
    if (opts.filter !== undefined && !(await opts.filter(s, d))) return { skipped: true, destStat: null };
    const [srcStat, destStat] = await Promise.all([
      statOf(s),
      statOf(d).catch((e: { code?: string }) => {
        if (e.code === 'ENOENT') return null;
        throw e;
      }),
    ]);
    if (destStat !== null) {
      if (same(srcStat, destStat)) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', 'src and dest cannot be the same', d);
      if (srcStat.isDirectory() && !destStat.isDirectory()) {
        throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'EISDIR', `cannot overwrite non-directory ${d} with directory ${s}`, d);
      }
      if (!srcStat.isDirectory() && destStat.isDirectory()) {
        throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'ENOTDIR', `cannot overwrite directory ${d} with non-directory ${s}`, d);
      }
    }
    if (srcStat.isDirectory() && isSubdir(s, d)) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', `cannot copy ${s} to a subdirectory of self ${d}`, d);
    return { skipped: false, srcStat, destStat };
  };

  const checkParentPaths = async (s: string, srcStat: Stats | BigIntStats, d: string): Promise<void> => {
    const srcParent = resolve(posix.dirname(s));
    const destParent = resolve(posix.dirname(d));
    if (destParent === srcParent || destParent === '/') return;
    let st: Stats | BigIntStats;
    try {
      st = await ops.stat(destParent, { bigint: true });
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return;
      throw e;
    }
    if (same(srcStat, st)) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', `cannot copy ${s} to a subdirectory of self ${d}`, d);
    await checkParentPaths(s, srcStat, destParent);
  };

  const copyFileAt = async (srcStat: Stats | BigIntStats, s: string, d: string): Promise<void> => {
    await ops.copyFile(s, d, opts.mode);
    const mode = Number(srcStat.mode);
    if (opts.preserveTimestamps) {
      // A read-only source: make the copy writable long enough to set its times.
      if ((mode & 0o200) === 0) await ops.chmod(d, mode | 0o200);
      const now = await ops.stat(s);
      await ops.utimes(d, now.atime, now.mtime);
    }
    await ops.chmod(d, mode);
  };

  const onFile = async (srcStat: Stats | BigIntStats, destStat: Stats | BigIntStats | null, s: string, d: string): Promise<void> => {
    if (destStat === null) return copyFileAt(srcStat, s, d);
    if (opts.force) {
      await ops.unlink(d);
      return copyFileAt(srcStat, s, d);
    }
    if (opts.errorOnExist) throw cpError('ERR_FS_CP_EEXIST', 'EEXIST', `${d} already exists`, d);
  };

  const copyDir = async (s: string, d: string): Promise<void> => {
    const dir = await ops.opendir(s);
    for await (const { name } of dir) {
      const si = posix.join(s, String(name));
      const di = posix.join(d, String(name));
      const { destStat, skipped } = await checkPaths(si, di);
      if (!skipped) await copyAny(destStat, si, di);
    }
  };

  const onDir = async (srcStat: Stats | BigIntStats, destStat: Stats | BigIntStats | null, s: string, d: string): Promise<void> => {
    if (destStat !== null) return copyDir(s, d);
    await ops.mkdir(d);
    await copyDir(s, d);
    await ops.chmod(d, Number(srcStat.mode));
  };

  const onLink = async (destStat: Stats | BigIntStats | null, s: string, d: string): Promise<void> => {
    let target = String(await ops.readlink(s));
    if (!opts.verbatimSymlinks && !posix.isAbsolute(target)) target = posix.resolve(resolve(posix.dirname(s)), target);
    if (destStat === null) return ops.symlink(target, d);
    let destTarget: string;
    try {
      destTarget = String(await ops.readlink(d));
    } catch (e) {
      if ((e as { code?: string }).code === 'EINVAL') return ops.symlink(target, d);
      throw e;
    }
    if (!posix.isAbsolute(destTarget)) destTarget = posix.resolve(resolve(posix.dirname(d)), destTarget);
    if (isSubdir(target, destTarget)) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', `cannot copy ${target} to a subdirectory of self ${destTarget}`, d);
    const st = await ops.stat(s);
    if (st.isDirectory() && isSubdir(destTarget, target)) {
      throw cpError('ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY', 'EINVAL', `cannot overwrite ${destTarget} with ${target}`, d);
    }
    await ops.unlink(d);
    await ops.symlink(target, d);
  };

  const copyAny = async (destStat: Stats | BigIntStats | null, s: string, d: string): Promise<void> => {
    const st = opts.dereference ? await ops.stat(s) : await ops.lstat(s);
    if (st.isDirectory()) {
      if (!opts.recursive) throw cpError('ERR_FS_EISDIR', 'EISDIR', `${s} is a directory (not copied)`, s);
      return onDir(st, destStat, s, d);
    }
    if (st.isFile() || st.isCharacterDevice() || st.isBlockDevice()) return onFile(st, destStat, s, d);
    if (st.isSymbolicLink()) return onLink(destStat, s, d);
    if (st.isSocket()) throw cpError('ERR_FS_CP_SOCKET', 'EINVAL', `cannot copy a socket file: ${d}`, d);
    if (st.isFIFO()) throw cpError('ERR_FS_CP_FIFO_PIPE', 'EINVAL', `cannot copy a FIFO pipe: ${d}`, d);
    throw cpError('ERR_FS_CP_UNKNOWN', 'EINVAL', `cannot copy an unknown file type: ${d}`, d);
  };

  const first = await checkPaths(src, dest);
  if (first.skipped) return;
  await checkParentPaths(src, first.srcStat!, dest);
  try {
    await ops.stat(posix.dirname(dest));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    await ops.mkdir(posix.dirname(dest), { recursive: true });
  }
  await copyAny(first.destStat, src, dest);
}
