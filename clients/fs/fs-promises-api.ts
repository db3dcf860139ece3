// The part of Node's `fs.promises` a program can rely on when it is handed an fs client
// instead: the calls, their common overloads, and the shapes of Stats, Dirent and
// FileHandle. Node's own `node:fs/promises` and the fs client both fit it (the type
// checker holds them to it: test/clients/fs/api-types.test.ts), so code written
// against it runs on either; memfs's `promises` has the same calls at run time but looser
// declarations (cast it). Types only.

import type { Buffer } from 'node:buffer';
import type { Interface as ReadlineInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What Node takes as a path. */
export type PathLike = string | Buffer | URL;
/** A file mode: a number or an octal string. */
export type Mode = number | string;
/** An open flag: Node's strings ('r', 'w+', 'ax' ...) or O_* bits. */
export type OpenMode = number | string;
/** A time: seconds (number or numeric string) or a Date. */
export type TimeLike = number | string | Date;

/** The fields and tests of fs.Stats. */
export interface StatsLike {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}

/** fs.Dirent: a name and the type tests. */
export interface DirentLike {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}

/** Data writeFile accepts. */
export type WriteFileData = string | NodeJS.ArrayBufferView;

/** writeFile / appendFile options. */
export interface WriteFileOptions {
  encoding?: BufferEncoding | null;
  mode?: Mode;
  flag?: OpenMode;
}

/** The FileHandle calls. */
export interface FileHandleLike {
  readonly fd: number;
  read<T extends NodeJS.ArrayBufferView>(
    buffer: T,
    offset?: number | null,
    length?: number | null,
    position?: number | null,
  ): Promise<{ bytesRead: number; buffer: T }>;
  read<T extends NodeJS.ArrayBufferView = Buffer>(options?: {
    buffer?: T;
    offset?: number | null;
    length?: number | null;
    position?: number | null;
  }): Promise<{ bytesRead: number; buffer: T }>;
  write<T extends NodeJS.ArrayBufferView>(
    buffer: T,
    offset?: number | null,
    length?: number | null,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffer: T }>;
  write(data: string, position?: number | null, encoding?: BufferEncoding | null): Promise<{ bytesWritten: number; buffer: string }>;
  readFile(options?: { encoding?: null; flag?: OpenMode } | null): Promise<Buffer>;
  readFile(options: { encoding: BufferEncoding; flag?: OpenMode } | BufferEncoding): Promise<string>;
  writeFile(data: WriteFileData, options?: { encoding?: BufferEncoding | null } | BufferEncoding | null): Promise<void>;
  appendFile(data: WriteFileData, options?: { encoding?: BufferEncoding | null } | BufferEncoding | null): Promise<void>;
  stat(opts?: { bigint?: false }): Promise<StatsLike>;
  truncate(len?: number): Promise<void>;
  chmod(mode: Mode): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  utimes(atime: TimeLike, mtime: TimeLike): Promise<void>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
  readv(buffers: readonly NodeJS.ArrayBufferView[], position?: number | null): Promise<{ bytesRead: number; buffers: readonly NodeJS.ArrayBufferView[] }>;
  writev(buffers: readonly NodeJS.ArrayBufferView[], position?: number | null): Promise<{ bytesWritten: number; buffers: readonly NodeJS.ArrayBufferView[] }>;
  createReadStream(options?: { encoding?: BufferEncoding | null; autoClose?: boolean; start?: number; end?: number; highWaterMark?: number }): Readable;
  createWriteStream(options?: { encoding?: BufferEncoding | null; autoClose?: boolean; start?: number; highWaterMark?: number }): Writable;
  readLines(options?: { encoding?: BufferEncoding | null; start?: number; end?: number }): ReadlineInterface;
}

/** fs.Dir, as opendir gives it. */
export interface DirLike {
  readonly path: string;
  read(): Promise<DirentLike | null>;
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<DirentLike>;
}

/** fs.StatFs: the figures of a filesystem. */
export interface StatFsLike {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** cp's options. */
export interface CpOptionsLike {
  dereference?: boolean;
  errorOnExist?: boolean;
  filter?(source: string, destination: string): boolean | Promise<boolean>;
  force?: boolean;
  mode?: number;
  preserveTimestamps?: boolean;
  recursive?: boolean;
  verbatimSymlinks?: boolean;
}

/** The fs.promises calls. */
export interface FsPromisesApi {
  access(path: PathLike, mode?: number): Promise<void>;
  appendFile(path: PathLike | FileHandleLike, data: WriteFileData, options?: WriteFileOptions | BufferEncoding | null): Promise<void>;
  chmod(path: PathLike, mode: Mode): Promise<void>;
  chown(path: PathLike, uid: number, gid: number): Promise<void>;
  copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void>;
  lchown(path: PathLike, uid: number, gid: number): Promise<void>;
  link(existingPath: PathLike, newPath: PathLike): Promise<void>;
  lstat(path: PathLike, opts?: { bigint?: false }): Promise<StatsLike>;
  lutimes(path: PathLike, atime: TimeLike, mtime: TimeLike): Promise<void>;
  mkdir(path: PathLike, options: { recursive: true; mode?: Mode }): Promise<string | undefined>;
  mkdir(path: PathLike, options?: Mode | { recursive?: false; mode?: Mode } | null): Promise<void>;
  mkdtemp(prefix: string, options?: { encoding?: BufferEncoding | null } | BufferEncoding | null): Promise<string>;
  open(path: PathLike, flags?: OpenMode, mode?: Mode): Promise<FileHandleLike>;
  readdir(path: PathLike, options?: { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null): Promise<string[]>;
  readdir(path: PathLike, options: { encoding?: BufferEncoding | null; withFileTypes: true; recursive?: boolean }): Promise<DirentLike[]>;
  readFile(path: PathLike | FileHandleLike, options?: { encoding?: null; flag?: OpenMode } | null): Promise<Buffer>;
  readFile(path: PathLike | FileHandleLike, options: { encoding: BufferEncoding; flag?: OpenMode } | BufferEncoding): Promise<string>;
  readlink(path: PathLike, options?: { encoding?: BufferEncoding | null } | BufferEncoding | null): Promise<string>;
  realpath(path: PathLike, options?: { encoding?: BufferEncoding | null } | BufferEncoding | null): Promise<string>;
  rename(oldPath: PathLike, newPath: PathLike): Promise<void>;
  rm(path: PathLike, options?: { force?: boolean; recursive?: boolean; maxRetries?: number; retryDelay?: number }): Promise<void>;
  rmdir(path: PathLike, options?: { maxRetries?: number; recursive?: boolean; retryDelay?: number }): Promise<void>;
  stat(path: PathLike, opts?: { bigint?: false }): Promise<StatsLike>;
  symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void>;
  truncate(path: PathLike, len?: number): Promise<void>;
  unlink(path: PathLike): Promise<void>;
  utimes(path: PathLike, atime: TimeLike, mtime: TimeLike): Promise<void>;
  writeFile(path: PathLike | FileHandleLike, data: WriteFileData, options?: WriteFileOptions | BufferEncoding | null): Promise<void>;
  cp(source: string | URL, destination: string | URL, options?: CpOptionsLike): Promise<void>;
  statfs(path: PathLike, opts?: { bigint?: false }): Promise<StatFsLike>;
  opendir(path: PathLike, options?: { encoding?: BufferEncoding; bufferSize?: number; recursive?: boolean }): Promise<DirLike>;
  watch(
    filename: PathLike,
    options?: { persistent?: boolean; recursive?: boolean; encoding?: BufferEncoding; signal?: AbortSignal },
  ): AsyncIterable<{ eventType: string; filename: string | Buffer | null }>;
}
