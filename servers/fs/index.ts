// The filesystem's public API: the interfaces (io, file, dir as one protid; fsys), the
// server over memfs with its translator machinery, and the libraries translators are
// written with (trivfs for one node, netfs for a tree) and their building blocks.

// Interfaces
export {
  Io,
  File,
  Dir,
  Fsys,
  Protid,
  O,
  S,
  ACCESS,
  FS_TRANS,
  FSYS_GOAWAY,
  NAME_MAX,
  PATH_MAX,
  IO_MAX,
  StatType,
  StatfsType,
  ST,
  TMPFS_MAGIC,
  DirEntryType,
  RetryType,
  NodeTypeType,
} from '../../protocol/fs.ts';
export type { StatRecord, StatfsRecord, DirEntry, Retry, NodeType, ProtidInterface } from '../../protocol/fs.ts';

// The filesystem server
export { fsServer, DEFAULT_VOLUME_QUOTA, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_INODES } from './fs-server.ts';
export type { FsServerOptions, FsInstance } from './fs-server.ts';
export type { Filesystem, FsSettings, ProtidData, ControlData } from './filesystem.ts';
export { MAX_SYMLINKS } from './dir-lookup.ts';
export { KEPT_ROOTS_PER_TRANSLATOR, forgetKeptRoots } from './root-cache.ts';
export { TRANSFER_POOL_BYTES, forgetTransferPools } from './io-buffer.ts';

// Translators: what the server starts, and where it finds them
export { TranslatorRegistry } from './translator.ts';
export type { TranslatorEnv, TranslatorFactory, TranslatorInstance } from './translator.ts';

// Libraries for writing translators
export { trivfs, TRIVFS_INO } from './trivfs.ts';
export type { Trivfs, TrivfsSpec, TrivfsProtid, TrivfsOpen, TrivfsControl } from './trivfs.ts';
export { netfs, NetfsOpen } from './netfs.ts';
export type { Netfs, NetfsNode, NetfsSpec, NetfsProtid, NetfsControl, MaybePromise } from './netfs.ts';
export { readFrom, writeInto, resized, DEFAULT_MAX_CONTENT } from './bytes-io.ts';
export type { OffsetOpen } from './bytes-io.ts';

// Building blocks (for translators that override getroot, lookup or open checks)
export { User, NOBODY, idsOf, copyIds } from './user.ts';
export { DotDot } from './dotdot.ts';
export { failWith, failDeferred } from './fail-with.ts';
export { protidHandlers } from './handler-set.ts';
export type { HandlerSet, ProtidHandlerSet } from './handler-set.ts';
export { statRecord, nodeTypeOf, modeOfType, allocDev, BLKSIZE } from './stat-record.ts';
export { splitPath, joinRest, checkName, isDots, nameBytes } from './path-name.ts';
export type { SplitPath } from './path-name.ts';
export { canRead, canWrite, accessWanted, badOpenFlags, SETTABLE_MODES, KEPT_MODES } from './open-flags.ts';
export { reauthenticate } from './reauthenticate.ts';
export type { ReauthContext } from './reauthenticate.ts';
