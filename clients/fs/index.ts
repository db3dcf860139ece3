// The filesystem client library's public API: Hurd-style path resolution (lookup retries,
// reauthentication), an object with Node's fs.promises calls over the filesystem servers,
// a node:fs-shaped object over it, its in-thread form, and the translator tools
// (settrans, showtrans, fsysopts).

// The fs.promises-compatible client
export { createFsClient, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, DEFAULT_UMASK } from './fs-client.ts';
export type { FsClient, FsClientOptions } from './fs-client.ts';
export { FileHandle } from './file-handle.ts';
export type { FileReadOptions, FileReadResult, FileWriteResult } from './file-handle.ts';
export { Stats, BigIntStats, Dirent, StatFs } from './stats.ts';
export { Dir } from './dir-handle.ts';
export { ReadStream, WriteStream } from './file-streams.ts';
export type { ReadStreamOptions, WriteStreamOptions } from './file-streams.ts';
export type { CpOptions } from './cp.ts';
export { DEFAULT_WATCH_QUEUE } from './watch.ts';
export type { WatchEvent, WatchOptions } from './watch.ts';

// The node:fs-shaped object (callbacks, descriptors, streams) over a client
export { createNodeFs, FSWatcher } from './node-fs.ts';
export type { NodeFs } from './node-fs.ts';
export type { FsPromisesApi, FileHandleLike, StatsLike, DirentLike, PathLike, Mode, OpenMode, TimeLike, WriteFileData, WriteFileOptions } from './fs-promises-api.ts';

// Errors, as Node's
export { FsError, FileClosedError, FsSystemError, uvMessage, abortError } from './fs-error.ts';
export type { ArgError, ArgErrorCode } from './fs-error.ts';

// In-thread form and path resolution
export { ThreadFs } from './thread-fs.ts';
export type { FsResult } from './thread-fs.ts';
export { lookupPath, lookupAt, reauthenticate } from './resolve.ts';
export { Session, Failure } from './session.ts';
export type { ClientState } from './session.ts';

// Translator tools
export { settrans, showtrans, fsysopts, fsysoptsArgv } from './translator-tools.ts';
export type { SettransOptions } from './translator-tools.ts';
