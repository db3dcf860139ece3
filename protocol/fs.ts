// The filesystem interfaces, after the Hurd's io.defs, fs.defs (file_* and dir_*) and
// fsys.defs. A protid (a per-user capability on a per-open object) speaks io, file and
// dir at once (`Protid`); a filesystem's control port speaks fsys. Declared once here:
// the fs server, every translator and the client library derive from these.

import { combineInterfaces, defineInterface, t, type Infer } from '../libcap/index.ts';
import { IdsType } from './auth.ts';

/** Limits of names and paths, as Linux's NAME_MAX and PATH_MAX. */
export const NAME_MAX = 255;
export const PATH_MAX = 4096;
/** Largest read or write in one message (bigger transfers are split by the client). */
export const IO_MAX = 1 << 20;
/** Largest transfer buffer io.mapBuffer gives (1 MiB, as IO_MAX). */
export const IO_BUFFER_MAX = 1 << 20;

/** Open flags: the O_* values Node and Linux use, plus the Hurd's O_NOTRANS and O_NOLINK. */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  /** POSIX: fail with ELOOP if the last component is a symlink. */
  NOFOLLOW: 0o400000,
  /** Hurd: do not start or enter a translator on the last component. */
  NOTRANS: 0x10000000,
  /** Hurd: if the last component is a symlink, open the link itself. */
  NOLINK: 0x20000000,
  /**
   * Appended: open for stat, identity and lookups only (no read or write access, so no
   * read or write permission needed), as Linux's O_PATH and the Hurd's open flags 0.
   */
  PATH: 0o10000000,
} as const;

/** File type bits of a mode (S_IFMT) and permission bits, as Node's fs.constants. */
export const S = {
  IFMT: 0o170000,
  IFREG: 0o100000,
  IFDIR: 0o040000,
  IFLNK: 0o120000,
  IFCHR: 0o020000,
  IFBLK: 0o060000,
  IFIFO: 0o010000,
  IFSOCK: 0o140000,
  ISUID: 0o4000,
  ISGID: 0o2000,
  ISVTX: 0o1000,
} as const;

/** Access checks (file.checkAccess and access()): as Node's R_OK / W_OK / X_OK. */
export const ACCESS = { F_OK: 0, X_OK: 1, W_OK: 2, R_OK: 4 } as const;

export const NodeTypeType = t.enum('file', 'dir', 'symlink', 'chr', 'blk', 'fifo', 'socket', 'unknown');
export type NodeType = Infer<typeof NodeTypeType>;

/** io.stat's answer; times are milliseconds since the epoch (f64). */
export const StatType = t.record({
  dev: t.u32,
  ino: t.u32,
  mode: t.u32,
  nlink: t.u32,
  uid: t.u32,
  gid: t.u32,
  rdev: t.u32,
  size: t.f64,
  blksize: t.u32,
  blocks: t.f64,
  atimeMs: t.f64,
  mtimeMs: t.f64,
  ctimeMs: t.f64,
  birthtimeMs: t.f64,
});
export type StatRecord = Infer<typeof StatType>;

/**
 * file.statfs's answer, as the Hurd's fsys_statfsbuf and Node's fs.StatFs: the volume's
 * block size, its size and free space in blocks (from its quota and usage), its i-nodes
 * total and free; plus the largest file it takes and its longest name.
 */
export const StatfsType = t.record({
  /** Filesystem type (magic number, as Linux's f_type: TMPFS_MAGIC for the memfs volume). */
  type: t.u32,
  bsize: t.u32,
  blocks: t.f64,
  bfree: t.f64,
  /** Free blocks an unprivileged user may use. */
  bavail: t.f64,
  files: t.f64,
  ffree: t.f64,
  /** Largest file size in bytes (writes and truncations beyond answer EFBIG). */
  maxFileSize: t.f64,
  namelen: t.u32,
  /** ST_* flags (ST.RDONLY while mounted read-only). */
  flags: t.u32,
});
export type StatfsRecord = Infer<typeof StatfsType>;

/** statfs flags, as Linux's ST_RDONLY. */
export const ST = { RDONLY: 1 } as const;

/** Linux's f_type of tmpfs, which the memfs volume is to its users. */
export const TMPFS_MAGIC = 0x01021994;

export const DirEntryType = t.record({ name: t.string(NAME_MAX), ino: t.u32, type: NodeTypeType });
export type DirEntry = Infer<typeof DirEntryType>;

/** How a lookup continues (dir_lookup's do_retry). */
export const RetryType = t.enum('normal', 'reauth', 'magical');
export type Retry = Infer<typeof RetryType>;

const name = t.string(NAME_MAX);
const path = t.string(PATH_MAX);

/** io: reading, writing and describing an open object (Hurd io.defs). Opcodes 1000-1099. */
export const Io = defineInterface('io', {
  read: {
    op: 1001,
    args: { amount: t.u32, offset: t.optional(t.f64) },
    reply: { data: t.bytes(IO_MAX) },
    errors: ['EBADF', 'EISDIR', 'EINVAL', 'EIO', 'ETIMEDOUT'],
    doc: 'Read up to `amount` bytes at the open\'s offset (advancing it), or at `offset` (pread). Empty at end of file.',
  },
  write: {
    op: 1002,
    args: { data: t.bytes(IO_MAX), offset: t.optional(t.f64) },
    reply: { amount: t.u32 },
    errors: ['EBADF', 'EISDIR', 'ENOSPC', 'EFBIG', 'EROFS', 'EIO'],
    doc: 'Write at the open\'s offset (or at the end with O_APPEND), or at `offset` (pwrite).',
  },
  seek: {
    op: 1003,
    args: { offset: t.f64, whence: t.enum('set', 'cur', 'end') },
    reply: { offset: t.f64 },
    errors: ['EINVAL', 'ESPIPE'],
  },
  readable: { op: 1004, reply: { amount: t.f64 }, doc: 'Bytes readable without blocking.' },
  stat: { op: 1005, reply: { stat: StatType }, errors: ['EIO'] },
  reauthenticate: {
    op: 1006,
    args: { rendezvous: t.cap() },
    oneway: true,
    doc: 'Start a reauthentication: the server meets auth on `rendezvous` and hands the caller, through auth, a new port carrying the caller\'s ids.',
  },
  duplicate: { op: 1007, reply: { port: t.cap() }, errors: ['EMFILE', 'ENOMEM'], doc: 'Another cap to the same open (shared offset). EMFILE at the caller\'s bound on caps of this server; ENOMEM when the server is short of cap slots.' },
  getOpenModes: { op: 1008, reply: { flags: t.u32 } },
  setOpenModes: { op: 1009, args: { flags: t.u32 }, errors: ['EINVAL'], doc: 'Set O_APPEND / O_NONBLOCK.' },
  identity: { op: 1010, reply: { dev: t.u32, ino: t.u32 } },
  restrictAuth: {
    op: 1011,
    args: { uids: t.array(t.u32, 256), gids: t.array(t.u32, 256) },
    reply: { port: t.cap() },
    errors: ['EMFILE', 'ENOMEM'],
    doc: 'A cap to the same open carrying only the given ids, of those this one holds.',
  },
  mapBuffer: {
    op: 1012,
    args: { size: t.u32 },
    reply: { buffer: t.cap(), size: t.u32 },
    errors: ['EBADF', 'EINVAL', 'ENOBUFS', 'ENOMEM', 'EOPNOTSUPP'],
    doc: 'A transfer dataspace for this protid (`size` rounded up to pages, at most IO_BUFFER_MAX), for readBuffer / writeBuffer: the cap to map. Asked again, the same buffer. EBADF on an O_PATH open; ENOBUFS past the caller\'s transfer-memory bound; ENOMEM when the server\'s memory quota is spent; EOPNOTSUPP from servers without the fast path (translators).',
  },
  readBuffer: {
    op: 1013,
    args: { amount: t.u32, offset: t.optional(t.f64) },
    reply: { amount: t.u32 },
    errors: ['EBADF', 'EISDIR', 'EINVAL', 'EOPNOTSUPP'],
    doc: 'As read, but the bytes land at the start of the transfer buffer (at most its size); the answer is how many. EINVAL without a buffer.',
  },
  writeBuffer: {
    op: 1014,
    args: { amount: t.u32, offset: t.optional(t.f64) },
    reply: { amount: t.u32 },
    errors: ['EBADF', 'EISDIR', 'EINVAL', 'ENOSPC', 'EFBIG', 'EROFS', 'EOPNOTSUPP'],
    doc: 'As write, of the first `amount` bytes of the transfer buffer. EINVAL without a buffer or past its size.',
  },
});

/** file: operations on the node behind an open (Hurd fs.defs file_*). Opcodes 1100-1199. */
export const File = defineInterface('file', {
  chmod: { op: 1101, args: { mode: t.u32 }, errors: ['EPERM', 'EROFS'] },
  chown: { op: 1102, args: { uid: t.i32, gid: t.i32 }, errors: ['EPERM', 'EROFS', 'EINVAL'], doc: '-1 leaves an id unchanged.' },
  utimes: { op: 1103, args: { atimeMs: t.f64, mtimeMs: t.f64 }, errors: ['EPERM', 'EACCES', 'EROFS'] },
  truncate: { op: 1104, args: { size: t.f64 }, errors: ['EINVAL', 'EISDIR', 'EACCES', 'EBADF', 'EROFS', 'EFBIG', 'ENOSPC'] },
  sync: { op: 1105 },
  readlink: { op: 1106, reply: { target: t.string(PATH_MAX) }, errors: ['EINVAL'], doc: 'The target of a symlink opened with O_NOLINK.' },
  checkAccess: { op: 1107, reply: { allowed: t.u32 }, doc: 'Which of R_OK, W_OK, X_OK the caller\'s ids have.' },
  getTranslator: {
    op: 1108,
    reply: { argv: t.array(t.string(PATH_MAX), 64) },
    errors: ['EINVAL'],
    doc: 'The passive translator setting (argv). EINVAL when there is none.',
  },
  setTranslator: {
    op: 1109,
    args: { passive: t.optional(t.array(t.string(PATH_MAX), 64)), active: t.optional(t.cap()), flags: t.u32 },
    errors: ['EPERM', 'EBUSY', 'EINVAL', 'ENXIO', 'EROFS'],
    doc: 'Set or clear (empty argv) the passive setting and/or attach an active translator (its fsys control cap). Flags: FS_TRANS.*.',
  },
  getTranslatorCntl: {
    op: 1110,
    reply: { control: t.cap() },
    errors: ['ENXIO', 'EPERM'],
    doc: 'The fsys control port of the active translator on this node (owner or root only).',
  },
  noticeFileChanges: {
    op: 1111,
    args: { sender: t.cap() },
    errors: ['EINVAL', 'EAGAIN', 'ENOMEM', 'EOPNOTSUPP'],
    doc: 'Post a "change" event to the notify sender cap whenever this file changes (first a sync from the notify service itself). EINVAL unless `sender` is a sender cap of the notify service this server was given (EOPNOTSUPP when it has none); EAGAIN at the caller\'s bound on watchers; ENOMEM when the server is short of cap slots.',
  },
  statfs: {
    op: 1112,
    reply: { stat: StatfsType },
    errors: ['EOPNOTSUPP'],
    doc: 'The figures of the filesystem this file is on (the Hurd\'s file_statfs): its quota and usage in blocks, i-nodes, largest file, read-only flag. EOPNOTSUPP from a translator that keeps none.',
  },
  getControl: {
    op: 1113,
    reply: { control: t.cap() },
    errors: ['EPERM'],
    doc: 'The fsys control port of the filesystem serving this file (the Hurd\'s file_getcontrol): root, or the user the filesystem runs as, only. fsysopts on any node, the root filesystem included.',
  },
  translatorError: {
    op: 1114,
    reply: { message: t.string(PATH_MAX) },
    doc: 'Why the last start of this node\'s passive translator failed, in words (the translator\'s own error text when it threw); empty when it did not fail.',
  },
});

/** Flags of file.setTranslator and fsys.goaway. */
export const FS_TRANS = {
  /** Replace an active translator already attached. */
  FORCE: 1,
  /** Fail with EBUSY if an active translator is attached. */
  EXCL: 2,
  /** Tell the old active translator to go away. */
  SET_GOAWAY: 4,
} as const;
export const FSYS_GOAWAY = {
  /** Go away even if in use. */
  FORCE: 1,
  /** Also remove the passive setting on the node. */
  NOWAIT: 2,
} as const;

/** dir: lookups and directory changes (Hurd fs.defs dir_*). Opcodes 1200-1299. */
export const Dir = defineInterface('dir', {
  lookup: {
    op: 1201,
    args: { name: path, flags: t.u32, mode: t.u32 },
    reply: { retry: RetryType, retryName: path, port: t.optional(t.cap('grant')) },
    errors: ['ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP', 'EEXIST', 'EISDIR', 'ENAMETOOLONG', 'EROFS', 'ETIMEDOUT', 'EIO', 'ENXIO', 'ENOSPC', 'EMFILE', 'ENOMEM'],
    doc: 'Walk `name` (several components) from this directory: answers the opened node (retry normal, empty retryName), or where to continue (a translator\'s root with the rest of the path; reauth with the parent for ".." at a root; magical "/..." for an absolute symlink).',
  },
  readdir: {
    op: 1202,
    args: { offset: t.u32, max: t.u32 },
    reply: { entries: t.array(DirEntryType, 1024), next: t.u32, eof: t.bool },
    errors: ['ENOTDIR', 'EACCES'],
  },
  mkdir: { op: 1203, args: { name, mode: t.u32 }, errors: ['EEXIST', 'ENOENT', 'ENOTDIR', 'EACCES', 'EROFS', 'ENAMETOOLONG', 'ENOSPC'] },
  rmdir: { op: 1204, args: { name }, errors: ['ENOENT', 'ENOTDIR', 'ENOTEMPTY', 'EACCES', 'EBUSY', 'EROFS', 'EINVAL', 'EPERM', 'ENAMETOOLONG'] },
  unlink: { op: 1205, args: { name }, errors: ['ENOENT', 'EISDIR', 'EACCES', 'EBUSY', 'EROFS', 'EPERM', 'ENOTDIR', 'ENAMETOOLONG'] },
  rename: {
    op: 1206,
    args: { oldName: name, newDir: t.cap(), newName: name, excl: t.bool },
    errors: ['EXDEV', 'ENOENT', 'EEXIST', 'ENOTEMPTY', 'EISDIR', 'ENOTDIR', 'EACCES', 'EINVAL', 'EBUSY', 'EROFS', 'EPERM', 'ENAMETOOLONG'],
    doc: 'Rename within this filesystem; EXDEV when newDir belongs to another server.',
  },
  link: {
    op: 1207,
    args: { file: t.cap(), name, excl: t.bool },
    errors: ['EXDEV', 'EEXIST', 'EPERM', 'EACCES', 'EROFS', 'ENOENT', 'ENOTDIR', 'ENAMETOOLONG'],
  },
  symlink: { op: 1208, args: { name, target: path }, errors: ['EEXIST', 'EACCES', 'EROFS', 'ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ENOSPC'] },
  noticeDirChanges: {
    op: 1209,
    args: { sender: t.cap() },
    errors: ['ENOTDIR', 'EINVAL', 'EAGAIN', 'ENOMEM', 'EOPNOTSUPP'],
    doc: 'Post "add", "remove", "change" events (data: the entry name) to the notify sender cap.',
  },
});

/** A protid: one cap speaking io, file and dir. */
export const Protid = combineInterfaces('protid', [Io, File, Dir] as const);

/** fsys: a filesystem's control port (Hurd fsys.defs). Opcodes 1300-1399. */
export const Fsys = defineInterface('fsys', {
  getroot: {
    op: 1301,
    args: { dotdot: t.optional(t.cap()), ids: IdsType, flags: t.u32 },
    reply: { retry: RetryType, retryName: path, root: t.cap('grant') },
    errors: ['EACCES', 'EIO', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENOMEM'],
    doc: 'The root of this filesystem, opened with `flags` for a user with `ids` (the parent passes the user\'s ids); `dotdot` is what ".." at the root leads to.',
  },
  goaway: { op: 1302, args: { flags: t.u32 }, errors: ['EBUSY'], doc: 'Stop serving; EBUSY while in use unless FSYS_GOAWAY.FORCE.' },
  getOptions: {
    op: 1303,
    reply: { options: t.array(t.string(PATH_MAX), 64), program: t.optional(t.string(PATH_MAX)) },
    doc: "The translator's options; `program` names it (its argv[0], as the Hurd's fsys_get_options puts the program name first).",
  },
  setOptions: { op: 1304, args: { options: t.array(t.string(PATH_MAX), 64) }, errors: ['EINVAL', 'EBUSY'] },
  syncfs: { op: 1305 },
});

export type ProtidInterface = typeof Protid;
