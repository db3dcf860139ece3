// The fs client: an object with Node's fs.promises calls that a program can be handed
// instead of `node:fs/promises`, working through the Hurd-style filesystem servers. Each
// call checks its arguments as Node does (rejecting, never throwing), then runs as one
// kernel thread of the client's task: path resolution (resolve.ts), the RPCs, and the
// deletion of every port it obtained. The functions are closures, not methods: programs
// may destructure them (`const { readFile } = fs`).

import { Buffer } from 'node:buffer';
import { constants as fsConstants } from 'node:fs';
import type { Kernel, Task } from '../../core/index.ts';
import { ACCESS, O, S, type StatRecord } from '../../protocol/fs.ts';
import {
  checkBoolean,
  checkEncoding,
  checkFlags,
  checkId,
  checkInteger,
  checkMode,
  checkOptions,
  checkPath,
  checkSmallMode,
  checkTime,
  checkWriteData,
  type Encoding,
  type PathLike,
  type WriteData,
} from './args.ts';
import {
  linkPath,
  mkdirOne,
  mkdirRecursive,
  readdirPath,
  removeTree,
  renamePath,
  rmdirPath,
  symlinkPath,
  unlinkPath,
} from './dir-ops.ts';
import { abortError, rmIsDirectory, invalidArgType, FsError } from './fs-error.ts';
import { collectChunks, FileHandle } from './file-handle.ts';
import { copyPath, openPath, readToEnd, writeAll } from './io-ops.ts';
import { accessPath, chmodPath, chownPath, readlinkPath, realpathOf, statfsPath, statPath, truncatePath, utimesPath } from './node-ops.ts';
import { lookupPath } from './resolve.ts';
import { checkCpOptions, cp as cpWith, type CpOptions } from './cp.ts';
import { Dir } from './dir-handle.ts';
import { Runner } from './runner.ts';
import { checkWatchOptions, watchPath, type WatchEvent, type WatchOptions } from './watch.ts';
import { Failure, section, type ClientState } from './session.ts';
import { BigIntStats, Dirent, StatFs, Stats } from './stats.ts';

/** Settings of a client. */
export interface FsClientOptions {
  /** Slot in `task` of the protid the client's root directory is (e.g. the fs server's install()). */
  readonly root: number;
  /** Slot in `task` of the working directory's protid (default: the root). */
  readonly cwd?: number;
  /**
   * The working directory's absolute name (default '/'): realpath of a relative path
   * starts from it, so give it with `cwd` (chdir keeps it up to date).
   */
  readonly cwdPath?: string;
  /** Slot in `task` of the client's auth handle, needed to follow REAUTH retries (null: none, REAUTH fails with EACCES). */
  readonly auth?: number | null;
  /** Bound of every RPC in ms (default 10,000; Infinity: none). */
  readonly timeout?: number;
  /** Lookup retries before ELOOP (default 40, as Linux's MAXSYMLINKS). */
  readonly maxRetries?: number;
  /** The umask applied to created files and directories (default 0o022). */
  readonly umask?: number;
  /** Slot in `task` of the notify service's root cap, for watch() (absent: watch fails with ENOSYS). */
  readonly notify?: number;
}

export const DEFAULT_TIMEOUT = 10_000;
export const DEFAULT_MAX_RETRIES = 40;
export const DEFAULT_UMASK = 0o022;

type EncOpts = { encoding?: BufferEncoding | null } | BufferEncoding | null | undefined;

/** The fs client: Node's fs.promises calls plus the client's own (chdir, close). */
export interface FsClient {
  access(path: PathLike, mode?: number): Promise<void>;
  appendFile(path: PathLike | FileHandle, data: WriteData, options?: unknown): Promise<void>;
  chmod(path: PathLike, mode: number | string): Promise<void>;
  chown(path: PathLike, uid: number, gid: number): Promise<void>;
  copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void>;
  lchown(path: PathLike, uid: number, gid: number): Promise<void>;
  link(existingPath: PathLike, newPath: PathLike): Promise<void>;
  lstat(path: PathLike, opts: { bigint: true }): Promise<BigIntStats>;
  lstat(path: PathLike, opts?: { bigint?: false }): Promise<Stats>;
  lstat(path: PathLike, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  lutimes(path: PathLike, atime: number | string | Date, mtime: number | string | Date): Promise<void>;
  mkdir(path: PathLike, options: { recursive: true; mode?: number | string }): Promise<string | undefined>;
  mkdir(path: PathLike, options?: number | string | { recursive?: false; mode?: number | string } | null): Promise<void>;
  mkdir(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string } | null): Promise<string | undefined>;
  mkdtemp(prefix: string, options?: EncOpts): Promise<string>;
  mkdtemp(prefix: string, options: { encoding: 'buffer' } | 'buffer'): Promise<Buffer>;
  open(path: PathLike, flags?: string | number, mode?: number | string): Promise<FileHandle>;
  readdir(path: PathLike, options?: { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null): Promise<string[]>;
  readdir(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer'): Promise<Buffer[]>;
  readdir(path: PathLike, options: { encoding?: BufferEncoding | null; withFileTypes: true; recursive?: boolean }): Promise<Dirent[]>;
  readFile(path: PathLike | FileHandle, options?: { encoding?: null; flag?: string | number; signal?: AbortSignal } | null): Promise<Buffer>;
  readFile(path: PathLike | FileHandle, options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding): Promise<string>;
  readFile(path: PathLike | FileHandle, options?: unknown): Promise<string | Buffer>;
  readlink(path: PathLike, options?: EncOpts): Promise<string>;
  readlink(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Promise<Buffer>;
  realpath(path: PathLike, options?: EncOpts): Promise<string>;
  realpath(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Promise<Buffer>;
  rename(oldPath: PathLike, newPath: PathLike): Promise<void>;
  rm(path: PathLike, options?: { force?: boolean; recursive?: boolean; maxRetries?: number; retryDelay?: number }): Promise<void>;
  rmdir(path: PathLike, options?: { maxRetries?: number; recursive?: boolean; retryDelay?: number }): Promise<void>;
  stat(path: PathLike, opts: { bigint: true }): Promise<BigIntStats>;
  stat(path: PathLike, opts?: { bigint?: false }): Promise<Stats>;
  stat(path: PathLike, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void>;
  truncate(path: PathLike, len?: number): Promise<void>;
  unlink(path: PathLike): Promise<void>;
  utimes(path: PathLike, atime: number | string | Date, mtime: number | string | Date): Promise<void>;
  writeFile(path: PathLike | FileHandle, data: WriteData, options?: unknown): Promise<void>;
  cp(src: PathLike, dest: PathLike, options?: CpOptions): Promise<void>;
  statfs(path: PathLike, opts: { bigint: true }): Promise<StatFs<bigint>>;
  statfs(path: PathLike, opts?: { bigint?: false }): Promise<StatFs>;
  statfs(path: PathLike, opts?: { bigint?: boolean }): Promise<StatFs | StatFs<bigint>>;
  opendir(path: PathLike, options?: { encoding?: BufferEncoding | 'buffer' | null; bufferSize?: number; recursive?: boolean }): Promise<Dir>;
  watch(filename: PathLike, options?: WatchOptions | BufferEncoding): AsyncIterableIterator<WatchEvent>;
  readonly constants: typeof fsConstants;

  /**
   * A view of this client whose every operation (and every FileHandle, Dir and watch it
   * opens) is cancelled when `signal` aborts: the RPC in flight is cancelled and the
   * call rejects with Node's AbortError. Same root, working directory and ports.
   */
  withSignal(signal: AbortSignal): FsClient;

  /** Change the working directory (process.chdir for this client). */
  chdir(path: PathLike): Promise<void>;
  /** The working directory's name. */
  cwd(): string;
  /** Delete the ports the client made for itself (a working directory from chdir). */
  close(): void;
  /** @internal The runner (the kernel, task and settings the calls use). */
  readonly runner: Runner;
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (signal.aborted) throw abortError(signal);
  return signal;
}

/** A string answer in the asked encoding (a Buffer for 'buffer'). */
function encoded(s: string, enc: Encoding | null): string | Buffer {
  if (enc === null || enc === 'utf8' || enc === 'utf-8') return s;
  return enc === 'buffer' ? Buffer.from(s) : Buffer.from(s).toString(enc);
}

const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * A client for `task`, rooted at the protid in slot `opts.root`. The task's caps at
 * `root`, `cwd` and `auth` stay the caller's; every port an operation obtains is
 * deleted when it ends (a FileHandle's at close()).
 */
export function createFsClient(kernel: Kernel, task: Task, opts: FsClientOptions): FsClient {
  const state: ClientState = {
    root: opts.root,
    cwd: opts.cwd ?? opts.root,
    cwdPath: opts.cwdPath ?? '/',
    auth: opts.auth ?? null,
    timeout: opts.timeout ?? DEFAULT_TIMEOUT,
    maxRetries: opts.maxRetries ?? DEFAULT_MAX_RETRIES,
    umask: opts.umask ?? DEFAULT_UMASK,
  };
  return buildClient(new Runner(kernel, task, state), { ownCwd: 0, tempSeed: 0x9e3779b9 }, opts);
}

/** What every view of one client shares besides the runner's state. */
interface Shared {
  /** A cwd port made by chdir (ours to delete), or 0. */
  ownCwd: number;
  /** mkdtemp's xorshift32 state. */
  tempSeed: number;
}

/** The client's calls over `runner` (a view made by withSignal has its own runner). */
function buildClient(runner: Runner, shared: Shared, opts: FsClientOptions): FsClient {
  const state = runner.state;

  const stat = async (path: unknown, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats> => {
    const p = checkPath(path);
    const st = await runner.run((s) => statPath(s, p, true), 'stat', p);
    return opts?.bigint === true ? new BigIntStats(st) : new Stats(st);
  };

  const lstat = async (path: unknown, opts?: { bigint?: boolean }): Promise<Stats | BigIntStats> => {
    const p = checkPath(path);
    const st = await runner.run((s) => statPath(s, p, false), 'lstat', p);
    return opts?.bigint === true ? new BigIntStats(st) : new Stats(st);
  };

  const open = async (path: unknown, flags?: unknown, mode?: unknown): Promise<FileHandle> => {
    const p = checkPath(path);
    const f = checkFlags(flags, O.RDONLY);
    const m = checkMode(mode, 0o666);
    const port = await runner.run((s) => openPath(s, p, f, m), 'open', p);
    return new FileHandle(runner, port);
  };

  const readFile = async (path: unknown, options?: unknown): Promise<string | Buffer> => {
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, null);
    const signal = checkSignal(o.signal);
    if (path instanceof FileHandle) {
      return (await path.readFile(signal === undefined ? { encoding: enc === 'buffer' ? null : enc } : { encoding: enc === 'buffer' ? null : enc, signal })) as string | Buffer;
    }
    const p = checkPath(path);
    const flags = checkFlags(o.flag, O.RDONLY, 'flag');
    const data = await runner.run(function* (s) {
      const port = yield* section(openPath(s, p, flags, 0o666), 'open', p);
      try {
        return yield* section(readToEnd(s, port), 'read');
      } finally {
        s.drop(port);
      }
    }, 'open', p, undefined, signal);
    return enc === null || enc === 'buffer' ? data : data.toString(enc);
  };

  const writeOrAppend = async (path: unknown, data: unknown, options: unknown, defaultFlag: number): Promise<void> => {
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, 'utf8');
    const d = checkWriteData(data);
    const signal = checkSignal(o.signal);
    if (path instanceof FileHandle) {
      const e = enc === 'buffer' ? null : enc;
      await path.writeFile(d, signal === undefined ? { encoding: e } : { encoding: e, signal });
      return;
    }
    const p = checkPath(path);
    const flags = checkFlags(o.flag, defaultFlag, 'flag');
    const mode = checkMode(o.mode, 0o666);
    const chunks = await collectChunks(d, enc === null || enc === 'buffer' ? 'utf8' : enc);
    await runner.run(function* (s) {
      const port = yield* section(openPath(s, p, flags, mode), 'open', p);
      try {
        for (const c of chunks) yield* section(writeAll(s, port, c, undefined), 'write');
      } finally {
        s.drop(port);
      }
    }, 'open', p, undefined, signal);
  };

  const writeFile = (path: unknown, data: unknown, options?: unknown): Promise<void> =>
    writeOrAppend(path, data, options, O.WRONLY | O.CREAT | O.TRUNC);

  const appendFile = (path: unknown, data: unknown, options?: unknown): Promise<void> =>
    writeOrAppend(path, data, options, O.WRONLY | O.CREAT | O.APPEND);

  const mkdir = async (path: unknown, options?: unknown): Promise<string | undefined> => {
    const p = checkPath(path);
    let recursive = false;
    let mode = 0o777;
    if (typeof options === 'number' || typeof options === 'string') mode = checkMode(options, 0o777);
    else if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
      const o = options as { recursive?: unknown; mode?: unknown };
      recursive = checkBoolean(o.recursive, 'options.recursive', false);
      mode = checkMode(o.mode, 0o777);
    }
    const m = mode & ~state.umask & 0o7777;
    if (recursive) return runner.run((s) => mkdirRecursive(s, p, m), 'mkdir', p);
    await runner.run((s) => mkdirOne(s, p, m), 'mkdir', p);
    return undefined;
  };

  const readdir = async (path: unknown, options?: unknown): Promise<string[] | Buffer[] | Dirent<string | Buffer>[]> => {
    const p = checkPath(path);
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, 'utf8');
    const withFileTypes = checkBoolean(o.withFileTypes, 'options.withFileTypes', false);
    const recursive = checkBoolean(o.recursive, 'options.recursive', false);
    const found = await runner.run((s) => readdirPath(s, p, recursive), 'scandir', p);
    const name = (n: string): string | Buffer => (enc === 'buffer' ? Buffer.from(n) : encoded(n, enc));
    if (withFileTypes) return found.map((e) => new Dirent(name(e.name), e.type, e.parentPath));
    return found.map((e) => name(e.relative)) as string[] | Buffer[];
  };

  const rmdir = async (path: unknown, options?: unknown): Promise<void> => {
    const p = checkPath(path);
    const o = checkOptions(options);
    if (checkBoolean(o.recursive, 'options.recursive', false)) {
      // Deprecated in Node, kept: the rimraf walk without `force`.
      await runner.run(function* (s) {
        yield* section(statPath(s, p, false), 'lstat', p);
        yield* removeTree(s, p);
      }, 'rmdir', p);
      return;
    }
    await runner.run((s) => rmdirPath(s, p), 'rmdir', p);
  };

  const rm = async (path: unknown, options?: unknown): Promise<void> => {
    const p = checkPath(path);
    const o = checkOptions(options);
    const force = checkBoolean(o.force, 'options.force', false);
    const recursive = checkBoolean(o.recursive, 'options.recursive', false);
    if (o.maxRetries !== undefined) checkInteger(o.maxRetries, 'options.maxRetries', 0);
    if (o.retryDelay !== undefined) checkInteger(o.retryDelay, 'options.retryDelay', 0);
    await runner.run(function* (s) {
      let st: StatRecord;
      try {
        st = yield* statPath(s, p, false);
      } catch (e) {
        if (force && e instanceof Failure && e.code === 'ENOENT') return;
        if (e instanceof Failure) throw new FsError(e.code, 'lstat', p);
        throw e;
      }
      if ((st.mode & S.IFMT) === S.IFDIR && !recursive) throw rmIsDirectory(p);
      yield* removeTree(s, p);
    }, 'rm', p);
  };

  const unlink = async (path: unknown): Promise<void> => {
    const p = checkPath(path);
    await runner.run((s) => unlinkPath(s, p), 'unlink', p);
  };

  const rename = async (oldPath: unknown, newPath: unknown): Promise<void> => {
    const a = checkPath(oldPath, 'oldPath');
    const b = checkPath(newPath, 'newPath');
    await runner.run((s) => renamePath(s, a, b), 'rename', a, b);
  };

  const symlink = async (target: unknown, path: unknown, type?: unknown): Promise<void> => {
    const t = checkPath(target, 'target');
    const p = checkPath(path);
    if (type !== undefined && type !== null && typeof type !== 'string') throw invalidArgType('type', 'of type string', type);
    await runner.run((s) => symlinkPath(s, t, p), 'symlink', t, p);
  };

  const link = async (existingPath: unknown, newPath: unknown): Promise<void> => {
    const a = checkPath(existingPath, 'existingPath');
    const b = checkPath(newPath, 'newPath');
    await runner.run((s) => linkPath(s, a, b), 'link', a, b);
  };

  const readlink = async (path: unknown, options?: unknown): Promise<string | Buffer> => {
    const p = checkPath(path);
    const enc = checkEncoding(checkOptions(options).encoding, 'utf8');
    return encoded(await runner.run((s) => readlinkPath(s, p), 'readlink', p), enc);
  };

  const realpath = async (path: unknown, options?: unknown): Promise<string | Buffer> => {
    const p = checkPath(path);
    const enc = checkEncoding(checkOptions(options).encoding, 'utf8');
    return encoded(await runner.run((s) => realpathOf(s, p), 'realpath', p), enc);
  };

  const access = async (path: unknown, mode?: unknown): Promise<void> => {
    const p = checkPath(path);
    const m = checkSmallMode(mode, ACCESS.F_OK);
    await runner.run((s) => accessPath(s, p, m), 'access', p);
  };

  const chmod = async (path: unknown, mode: unknown): Promise<void> => {
    const p = checkPath(path);
    const m = checkMode(mode, Number.NaN);
    if (Number.isNaN(m)) throw invalidArgType('mode', 'of type number', mode);
    await runner.run((s) => chmodPath(s, p, m), 'chmod', p);
  };

  const chownWith = async (path: unknown, uid: unknown, gid: unknown, follow: boolean): Promise<void> => {
    const p = checkPath(path);
    const u = checkId(uid, 'uid');
    const g = checkId(gid, 'gid');
    await runner.run((s) => chownPath(s, p, u, g, follow), follow ? 'chown' : 'lchown', p);
  };

  const utimesWith = async (path: unknown, atime: unknown, mtime: unknown, follow: boolean): Promise<void> => {
    const p = checkPath(path);
    const a = checkTime(atime, 'atime');
    const m = checkTime(mtime, 'mtime');
    await runner.run((s) => utimesPath(s, p, a, m, follow), follow ? 'utime' : 'lutime', p);
  };

  const truncate = async (path: unknown, len?: unknown): Promise<void> => {
    const p = checkPath(path);
    const n = len === undefined || len === null ? 0 : Math.max(0, checkInteger(len, 'len'));
    await runner.run((s) => truncatePath(s, p, n), 'open', p);
  };

  const copyFile = async (src: unknown, dest: unknown, mode?: unknown): Promise<void> => {
    const a = checkPath(src, 'src');
    const b = checkPath(dest, 'dest');
    const m = checkSmallMode(mode, 0);
    await runner.run((s) => copyPath(s, a, b, m), 'copyfile', a, b);
  };

  const mkdtemp = async (prefix: unknown, options?: unknown): Promise<string | Buffer> => {
    const p = checkPath(prefix, 'prefix');
    const enc = checkEncoding(checkOptions(options).encoding, 'utf8');
    const mode = 0o700 & ~state.umask;
    for (let attempt = 0; ; attempt++) {
      let suffix = '';
      for (let i = 0; i < 6; i++) {
        // xorshift32: names are unpredictable enough to avoid clashes, and runs stay reproducible.
        shared.tempSeed ^= shared.tempSeed << 13;
        shared.tempSeed ^= shared.tempSeed >>> 17;
        shared.tempSeed ^= shared.tempSeed << 5;
        suffix += TEMP_CHARS[(shared.tempSeed >>> 0) % TEMP_CHARS.length];
      }
      const path = p + suffix;
      try {
        await runner.run((s) => mkdirOne(s, path, mode), 'mkdtemp', `${p}XXXXXX`);
        return encoded(path, enc);
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST' || attempt >= 100) throw e;
      }
    }
  };

  const opendir = async (path: unknown, options?: unknown): Promise<Dir> => {
    const p = checkPath(path);
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, 'utf8') ?? 'utf8';
    const bufferSize = o.bufferSize === undefined ? 32 : checkInteger(o.bufferSize, 'options.bufferSize', 1, 4294967295);
    const recursive = checkBoolean(o.recursive, 'options.recursive', false);
    const port = await runner.run((s) => lookupPath(s, p, O.RDONLY | O.DIRECTORY, 0), 'opendir', p);
    return new Dir(runner, port, p, { bufferSize, recursive, encoding: enc });
  };

  const cp = async (src: unknown, dest: unknown, options?: unknown): Promise<void> => {
    const a = checkPath(src, 'src');
    const b = checkPath(dest, 'dest');
    const o = checkCpOptions(options);
    await cpWith(
      {
        stat: (p, so) => stat(p, so),
        lstat: (p, so) => lstat(p, so),
        mkdir: (p, mo) => mkdir(p, mo),
        copyFile: (x, y, m) => copyFile(x, y, m),
        chmod: (p, m) => chmod(p, m),
        utimes: (p, at, mt) => utimesWith(p, at, mt, true),
        readlink: (p) => readlink(p),
        symlink: (t, p) => symlink(t, p),
        unlink: (p) => unlink(p),
        opendir: (p) => opendir(p),
        cwd: () => state.cwdPath,
      },
      a,
      b,
      o,
    );
  };

  const statfs = async (path: unknown, options?: unknown): Promise<StatFs | StatFs<bigint>> => {
    const p = checkPath(path);
    const bigint = checkBoolean(checkOptions(options).bigint, 'options.bigint', false);
    const r = await runner.run((s) => statfsPath(s, p), 'statfs', p);
    return bigint ? new StatFs<bigint>(r, true) : new StatFs<number>(r, false);
  };

  const watch = (filename: unknown, options?: unknown): AsyncIterableIterator<WatchEvent> => {
    // Node's watch is an async generator: even argument errors come at the first next().
    async function* run(): AsyncGenerator<WatchEvent, undefined, undefined> {
      const p = checkPath(filename, 'filename');
      const o = checkWatchOptions(options);
      return yield* watchPath(runner, opts.notify ?? null, p, o) as AsyncGenerator<WatchEvent, undefined, undefined>;
    }
    return run();
  };

  const chdir = async (path: unknown): Promise<void> => {
    const p = checkPath(path, 'directory');
    const [port, name] = await runner.run(function* (s) {
      const real = yield* realpathOf(s, p);
      const port = yield* lookupPath(s, real, O.PATH | O.DIRECTORY, 0);
      return [port, real] as const;
    }, 'chdir', p);
    const old = shared.ownCwd;
    shared.ownCwd = port;
    state.cwd = port;
    state.cwdPath = name;
    if (old !== 0) runner.retire(old);
  };

  const close = (): void => {
    if (shared.ownCwd === 0) return;
    const old = shared.ownCwd;
    shared.ownCwd = 0;
    state.cwd = opts.cwd ?? opts.root;
    state.cwdPath = opts.cwdPath ?? '/';
    runner.retire(old);
  };

  const client = {
    access,
    appendFile,
    chmod,
    chown: (path: unknown, uid: unknown, gid: unknown) => chownWith(path, uid, gid, true),
    copyFile,
    lchown: (path: unknown, uid: unknown, gid: unknown) => chownWith(path, uid, gid, false),
    link,
    lstat,
    lutimes: (path: unknown, atime: unknown, mtime: unknown) => utimesWith(path, atime, mtime, false),
    mkdir,
    mkdtemp,
    open,
    readdir,
    readFile,
    readlink,
    realpath,
    rename,
    rm,
    rmdir,
    stat,
    symlink,
    truncate,
    unlink,
    utimes: (path: unknown, atime: unknown, mtime: unknown) => utimesWith(path, atime, mtime, true),
    writeFile,
    cp,
    opendir,
    statfs,
    watch,
    constants: fsConstants,
    withSignal: (signal: unknown) => {
      if (!(signal instanceof AbortSignal)) throw invalidArgType('signal', 'an instance of AbortSignal', signal);
      return buildClient(runner.withSignal(signal), shared, opts);
    },
    chdir,
    cwd: () => state.cwdPath,
    close,
    runner,
  };
  return client as unknown as FsClient;
}

