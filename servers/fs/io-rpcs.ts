// The io interface of a filesystem's protids (Hurd io.defs, as libdiskfs's io-*.c):
// reading and writing through the per-open's offset (or an explicit one), seeking,
// stat, duplicating, open modes, identity, and restricting or renewing the ids a
// protid carries. Reauthentication is in reauthenticate.ts.

import type { SpecsOf } from '../../libcap/index.ts';
import type { HandlerSet } from './handler-set.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { IO_MAX, O, S, type Io, type StatRecord } from '../../protocol/fs.ts';
import type { MNode } from './node-store.ts';
import type { PerOpen } from './peropen.ts';
import { canRead, canWrite, KEPT_MODES, SETTABLE_MODES } from './open-flags.ts';
import { reauthenticate } from './reauthenticate.ts';
import { BLKSIZE } from './stat-record.ts';
import { admitOpen } from './client-limits.ts';

/** A file offset or size a client may name: a non-negative safe integer. */
export function isOffset(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** io.stat's record for a node of this filesystem (a symlink's size is its target's length, as Linux). */
export function statOf(fs: Filesystem, node: MNode): StatRecord {
  const size = (node.mode & S.IFMT) === S.IFLNK ? Buffer.byteLength(node.symlink, 'utf8') : node.getSize();
  return {
    dev: fs.dev,
    ino: node.ino,
    mode: node.mode,
    nlink: node.nlink,
    uid: node.uid,
    gid: node.gid,
    rdev: node.rdev,
    size,
    blksize: BLKSIZE,
    blocks: Math.ceil(size / 512),
    atimeMs: node.atime.getTime(),
    mtimeMs: node.mtime.getTime(),
    ctimeMs: node.ctime.getTime(),
    birthtimeMs: node.btime.getTime(),
  };
}

/**
 * io.read's checks: the open may read, the node is a regular file, the offset (or the
 * open's) is valid. The position to read at, or the errno.
 */
export function readPosition(po: PerOpen, offset: number | undefined): number | 'EBADF' | 'EISDIR' | 'EINVAL' {
  if (!canRead(po.flags)) return 'EBADF';
  const type = po.node.mode & S.IFMT;
  if (type === S.IFDIR) return 'EISDIR';
  if (type !== S.IFREG) return 'EINVAL';
  const at = offset ?? po.offset;
  return isOffset(at) ? at : 'EINVAL';
}

/**
 * io.write's checks: the open may write, the node is a regular file, the filesystem is
 * writable, the offset is valid (O_APPEND writes at the end whatever offset is named,
 * as Linux's pwrite does). The position to write at, or the errno.
 */
export function writePosition(fs: Filesystem, po: PerOpen, offset: number | undefined): number | 'EBADF' | 'EISDIR' | 'EINVAL' | 'EROFS' {
  if (!canWrite(po.flags)) return 'EBADF';
  const type = po.node.mode & S.IFMT;
  if (type === S.IFDIR) return 'EISDIR';
  if (type !== S.IFREG) return 'EINVAL';
  if (fs.readonly) return 'EROFS';
  const at = (po.flags & O.APPEND) !== 0 ? po.node.getSize() : (offset ?? po.offset);
  return isOffset(at) ? at : 'EINVAL';
}

/** Write `data` at `at` (checked by writePosition), counted against the volume first: null, or ENOSPC / EFBIG. */
export function writeAt(fs: Filesystem, po: PerOpen, at: number, data: Uint8Array): 'ENOSPC' | 'EFBIG' | null {
  if (data.length === 0) return null;
  const node = po.node;
  const room = fs.store.space.reserve(node, Math.max(node.getSize(), at + data.length), at);
  if (room !== null) return room;
  node.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0, data.length, at);
  fs.fileChanged(node);
  return null;
}

/** The io handlers but the transfer-buffer ones (io-buffer.ts). */
export function ioHandlers(fs: Filesystem): HandlerSet<Omit<SpecsOf<typeof Io>, 'mapBuffer' | 'readBuffer' | 'writeBuffer'>, ProtidData> {
  return {
    read(ctx, { amount, offset }) {
      const po = ctx.data.po!;
      const at = readPosition(po, offset);
      if (typeof at === 'string') return ctx.fail(at);
      const n = Math.max(0, Math.min(amount, IO_MAX, po.node.getSize() - at));
      const data = Buffer.alloc(n);
      if (n > 0) po.node.read(data, 0, n, at);
      if (offset === undefined) po.offset = at + n;
      return { data };
    },

    write(ctx, { data, offset }) {
      const po = ctx.data.po!;
      const at = writePosition(fs, po, offset);
      if (typeof at === 'string') return ctx.fail(at);
      const no = writeAt(fs, po, at, data);
      if (no !== null) return ctx.fail(no);
      if (offset === undefined) po.offset = at + data.length;
      return { amount: data.length };
    },

    seek(ctx, { offset, whence }) {
      const po = ctx.data.po!;
      const base = whence === 'set' ? 0 : whence === 'cur' ? po.offset : po.node.getSize();
      const to = base + offset;
      if (!isOffset(to)) return ctx.fail('EINVAL');
      po.offset = to;
      return { offset: to };
    },

    readable(ctx) {
      const po = ctx.data.po!;
      if ((po.node.mode & S.IFMT) !== S.IFREG) return { amount: 0 };
      return { amount: Math.max(0, po.node.getSize() - po.offset) };
    },

    stat(ctx) {
      return { stat: statOf(fs, ctx.data.po!.node) };
    },

    reauthenticate(ctx, { rendezvous }) {
      reauthenticate(ctx, rendezvous, {
        authSlot: fs.authSlot,
        timeout: fs.settings.reauthTimeout,
        bucket: fs.bucket,
        make: () => fs.newProtid(ctx.data.po!.ref(), ctx.data.user),
      });
    },

    duplicate(ctx) {
      const no = admitOpen(fs, ctx.client);
      if (no !== null) return ctx.fail(no);
      return { port: fs.giveProtid(ctx, ctx.data.po!.ref(), ctx.data.user) };
    },

    getOpenModes(ctx) {
      return { flags: ctx.data.po!.flags & KEPT_MODES };
    },

    setOpenModes(ctx, { flags }) {
      if ((flags & ~(SETTABLE_MODES | O.ACCMODE | O.PATH)) !== 0) return ctx.fail('EINVAL');
      const po = ctx.data.po!;
      po.flags = (po.flags & ~SETTABLE_MODES) | (flags & SETTABLE_MODES);
      return {};
    },

    identity(ctx) {
      return { dev: fs.dev, ino: ctx.data.po!.node.ino };
    },

    restrictAuth(ctx, { uids, gids }) {
      const no = admitOpen(fs, ctx.client);
      if (no !== null) return ctx.fail(no);
      const user = ctx.data.user.restrict(uids, gids);
      return { port: fs.giveProtid(ctx, ctx.data.po!.ref(), user) };
    },
  };
}
