// An object shaped like `node:fs` over an fs client, for libraries that take Node's fs
// (fast-glob, glob, tinyglobby/fdir, ...): every promise call in its callback form
// (callbacks run on a later tick, as Node's), numeric descriptors for open/read/write/
// close and the f* calls, createReadStream / createWriteStream, watch as an FSWatcher,
// `promises` (the client itself), `constants` and the classes. The synchronous forms
// are there but throw ERR_METHOD_NOT_IMPLEMENTED: a call is IPC to servers that answer
// later, and blocking the host's only thread on them cannot be done (see
// docs/fs-client.md); a library must not fall back to the host's disk instead.

import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { constants } from 'node:fs';
import { checkPath } from './args.ts';
import { Dir } from './dir-handle.ts';
import { FileHandle } from './file-handle.ts';
import { ReadStream, WriteStream, type ReadStreamOptions, type WriteStreamOptions } from './file-streams.ts';
import type { FsClient } from './fs-client.ts';
import { FsError, invalidArgType } from './fs-error.ts';
import { BigIntStats, Dirent, StatFs, Stats } from './stats.ts';
import type { WatchEvent, WatchOptions } from './watch.ts';

// Callback-style functions take any arguments, as Node's do; the checks are Node's own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

/** The node:fs-shaped object (loosely typed: what libraries call at run time). */
export interface NodeFs {
  readonly promises: FsClient;
  readonly constants: typeof constants;
  readonly F_OK: number;
  readonly R_OK: number;
  readonly W_OK: number;
  readonly X_OK: number;
  readonly Stats: typeof Stats;
  readonly BigIntStats: typeof BigIntStats;
  readonly Dirent: typeof Dirent;
  readonly StatFs: typeof StatFs;
  readonly Dir: typeof Dir;
  readonly ReadStream: typeof ReadStream;
  readonly WriteStream: typeof WriteStream;
  readonly FSWatcher: typeof FSWatcher;
  createReadStream(path: string | Buffer | URL | null, options?: (ReadStreamOptions & { fd?: FileHandle | number }) | BufferEncoding): ReadStream;
  createWriteStream(path: string | Buffer | URL | null, options?: (WriteStreamOptions & { fd?: FileHandle | number }) | BufferEncoding): WriteStream;
  watch(filename: string | Buffer | URL, options?: WatchOptions | BufferEncoding | Fn, listener?: Fn): FSWatcher;
  readonly [name: string]: unknown;
}

/** The calls whose callback form is the promise's answer, as is. */
const PLAIN = [
  'access',
  'appendFile',
  'chmod',
  'chown',
  'copyFile',
  'cp',
  'lchown',
  'link',
  'lstat',
  'lutimes',
  'mkdir',
  'mkdtemp',
  'opendir',
  'readdir',
  'readFile',
  'readlink',
  'realpath',
  'rename',
  'rm',
  'rmdir',
  'stat',
  'statfs',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'writeFile',
] as const;

/** The synchronous names a library may look for; each throws ERR_METHOD_NOT_IMPLEMENTED. */
const SYNC = [
  ...PLAIN,
  'exists',
  'open',
  'close',
  'read',
  'write',
  'readv',
  'writev',
  'fstat',
  'ftruncate',
  'fsync',
  'fdatasync',
  'fchmod',
  'fchown',
  'futimes',
] as const;

/** Node's ERR_METHOD_NOT_IMPLEMENTED, for the synchronous forms. */
function notImplemented(name: string): Error {
  return Object.assign(new Error(`The ${name}() method is not implemented`), { code: 'ERR_METHOD_NOT_IMPLEMENTED' });
}

/** Arguments before the callback that are not optional, by call (2 when not listed, else 1). */
const REQUIRED: Readonly<Record<string, number>> = {
  appendFile: 2,
  chmod: 2,
  chown: 3,
  copyFile: 2,
  cp: 2,
  lchown: 3,
  link: 2,
  lutimes: 3,
  rename: 2,
  symlink: 2,
  utimes: 3,
  writeFile: 2,
};

/** Path arguments Node validates before anything else, by call (default: the first, 'path'). */
const PATH_NAMES: Readonly<Record<string, readonly string[]>> = {
  rename: ['oldPath', 'newPath'],
  link: ['existingPath', 'newPath'],
  copyFile: ['src', 'dest'],
  cp: ['src', 'dest'],
  symlink: ['target', 'path'],
  mkdtemp: ['prefix'],
};

/**
 * The callback: the last argument, as Node finds it after the required ones; a missing
 * or non-function one is Node's ERR_INVALID_ARG_TYPE, thrown (as Node throws it).
 */
function takeCallback(args: unknown[], required = 1): Fn {
  const cb = args.length > required ? args.pop() : undefined;
  if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
  return cb as Fn;
}

/** Settle `p` into `cb` on a later tick (a throw in `cb` is the program's, not a rejection). */
function settle<T>(p: Promise<T>, cb: Fn, spread?: (v: T) => unknown[]): void {
  p.then(
    (v) => process.nextTick(() => (spread === undefined ? cb(null, v) : cb(null, ...spread(v)))),
    (e: unknown) => process.nextTick(() => cb(e)),
  );
}

/** fs.FSWatcher: 'change' (eventType, filename), 'error' and 'close' over the client's watch. */
export class FSWatcher extends EventEmitter {
  readonly #ac = new AbortController();
  #closed = false;

  /** @internal Made by watch(). */
  constructor(events: (signal: AbortSignal) => AsyncIterable<WatchEvent<string | Buffer>>) {
    super();
    void (async () => {
      try {
        for await (const e of events(this.#ac.signal)) this.emit('change', e.eventType, e.filename);
      } catch (e) {
        if (!this.#closed) this.emit('error', e);
      } finally {
        if (!this.#closed) this.close();
      }
    })();
  }

  /** Stop watching; 'close' follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ac.abort();
    process.nextTick(() => this.emit('close'));
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

/** A node:fs-shaped object over `client` (its descriptors are its own). */
export function createNodeFs(client: FsClient): NodeFs {
  const fds = new Map<number, FileHandle>();
  const handle = (fd: unknown, syscall: string): FileHandle => {
    if (fd instanceof FileHandle) return fd;
    if (typeof fd !== 'number') throw invalidArgType('fd', 'of type number', fd);
    const h = fds.get(fd);
    if (h === undefined) throw new FsError('EBADF', syscall);
    return h;
  };
  /** A path argument or a descriptor (readFile, writeFile, appendFile take both). */
  const pathOrHandle = (p: unknown, syscall: string): unknown => (typeof p === 'number' ? handle(p, syscall) : p);
  const c = client as unknown as Record<string, Fn>;
  const out: Record<string, unknown> = {
    promises: client,
    constants,
    F_OK: constants.F_OK,
    R_OK: constants.R_OK,
    W_OK: constants.W_OK,
    X_OK: constants.X_OK,
    Stats,
    BigIntStats,
    Dirent,
    StatFs,
    Dir,
    ReadStream,
    WriteStream,
    FSWatcher,
  };

  for (const name of PLAIN) {
    out[name] = (...args: unknown[]): void => {
      const cb = takeCallback(args, REQUIRED[name] ?? 1);
      // Node throws a bad path at once (the other arguments' errors reach the callback here).
      (PATH_NAMES[name] ?? ['path']).forEach((argName, i) => {
        const isFd = i === 0 && typeof args[0] === 'number' && (name === 'readFile' || name === 'writeFile' || name === 'appendFile');
        if (!isFd) checkPath(args[i], argName);
      });
      if (name === 'readFile' || name === 'writeFile' || name === 'appendFile') args[0] = pathOrHandle(args[0], name === 'readFile' ? 'read' : 'write');
      settle(Promise.resolve().then(() => c[name]!(...args)), cb);
    };
  }
  (out.realpath as Record<string, unknown>).native = out.realpath;

  out.exists = (path: unknown, cb: unknown): void => {
    if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
    client.access(path as string).then(
      () => process.nextTick(cb as Fn, true),
      () => process.nextTick(cb as Fn, false),
    );
  };

  const open = async (path: unknown, flags?: unknown, mode?: unknown): Promise<number> => {
    const h = await client.open(path as string, flags as string, mode as number);
    fds.set(h.fd, h);
    return h.fd;
  };
  out.open = (...args: unknown[]): void => {
    const cb = takeCallback(args);
    settle(open(args[0], args[1], args[2]), cb);
  };
  out.close = (fd: unknown, cb?: unknown): void => {
    if (typeof fd !== 'number') throw invalidArgType('fd', 'of type number', fd);
    const closing = Promise.resolve().then(() => {
      const h = handle(fd, 'close');
      fds.delete(h.fd);
      return h.close();
    });
    settle(closing, typeof cb === 'function' ? (cb as Fn) : () => {});
  };
  out.read = (fd: unknown, ...args: unknown[]): void => {
    const cb = takeCallback(args, 0);
    settle(
      Promise.resolve().then(() => (handle(fd, 'read').read as Fn)(...args) as Promise<{ bytesRead: number; buffer: unknown }>),
      cb,
      (r) => [r.bytesRead, r.buffer],
    );
  };
  out.write = (fd: unknown, ...args: unknown[]): void => {
    const cb = takeCallback(args, 1);
    settle(
      Promise.resolve().then(() => (handle(fd, 'write').write as Fn)(...args) as Promise<{ bytesWritten: number; buffer: unknown }>),
      cb,
      (r) => [r.bytesWritten, r.buffer],
    );
  };
  out.readv = (fd: unknown, ...args: unknown[]): void => {
    const cb = takeCallback(args, 1);
    settle(
      Promise.resolve().then(() => (handle(fd, 'read').readv as Fn)(...args) as Promise<{ bytesRead: number; buffers: unknown }>),
      cb,
      (r) => [r.bytesRead, r.buffers],
    );
  };
  out.writev = (fd: unknown, ...args: unknown[]): void => {
    const cb = takeCallback(args, 1);
    settle(
      Promise.resolve().then(() => (handle(fd, 'write').writev as Fn)(...args) as Promise<{ bytesWritten: number; buffers: unknown }>),
      cb,
      (r) => [r.bytesWritten, r.buffers],
    );
  };
  const onHandle = (name: string, syscall: string, method: keyof FileHandle, required = 0): void => {
    out[name] = (fd: unknown, ...args: unknown[]): void => {
      const cb = takeCallback(args, required);
      settle(
        Promise.resolve().then(() => (handle(fd, syscall)[method] as Fn)(...args)),
        cb,
      );
    };
  };
  onHandle('fstat', 'fstat', 'stat');
  onHandle('ftruncate', 'ftruncate', 'truncate');
  onHandle('fsync', 'fsync', 'sync');
  onHandle('fdatasync', 'fdatasync', 'datasync');
  onHandle('fchmod', 'fchmod', 'chmod', 1);
  onHandle('fchown', 'fchown', 'chown', 2);
  onHandle('futimes', 'futime', 'utimes', 2);

  const streamOptions = <O extends { fd?: FileHandle | number }>(options: O | BufferEncoding | undefined, syscall: string): O & { fd?: FileHandle } => {
    const o = (typeof options === 'string' ? { encoding: options } : { ...(options ?? {}) }) as O;
    if (o.fd !== undefined) return { ...o, fd: handle(o.fd, syscall) };
    return o as O & { fd?: FileHandle };
  };
  const opener = (path: string, flags: string | number, mode: number): Promise<FileHandle> => client.open(path, flags, mode);
  out.createReadStream = (path: unknown, options?: ReadStreamOptions | BufferEncoding): ReadStream => {
    const o = streamOptions(options, 'read');
    return new ReadStream(o.fd === undefined ? checkPath(path) : null, { ...o, opener });
  };
  out.createWriteStream = (path: unknown, options?: WriteStreamOptions | BufferEncoding): WriteStream => {
    const o = streamOptions(options, 'write');
    return new WriteStream(o.fd === undefined ? checkPath(path) : null, { ...o, opener });
  };

  out.watch = (filename: unknown, options?: unknown, listener?: unknown): FSWatcher => {
    if (typeof options === 'function') {
      listener = options;
      options = undefined;
    }
    const o = (typeof options === 'string' ? { encoding: options } : (options ?? {})) as WatchOptions;
    const w = new FSWatcher((signal) => client.watch(filename as string, { ...o, signal }) as AsyncIterable<WatchEvent<string | Buffer>>);
    if (typeof listener === 'function') w.on('change', listener as Fn);
    return w;
  };

  for (const name of SYNC) {
    const sync = `${name}Sync`;
    out[sync] = (): never => {
      throw notImplemented(sync);
    };
  }
  return out as NodeFs;
}
