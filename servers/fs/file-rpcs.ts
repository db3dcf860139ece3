// The file interface of a filesystem's protids (Hurd fs.defs file_*, as libdiskfs's
// file-*.c), except the translator calls (file-translator-rpcs.ts): attributes (owner,
// group, mode, times), truncation, readlink, access checks, statfs, change notification.
// Checks come first (read-only mount, then ownership or permission), then the change.

import type { SpecsOf } from '../../libcap/index.ts';
import type { HandlerSet } from './handler-set.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { NAME_MAX, S, ST, TMPFS_MAGIC, type File, type StatfsRecord } from '../../protocol/fs.ts';
import { isOffset } from './io-rpcs.ts';
import { canWrite } from './open-flags.ts';
import { BLKSIZE } from './stat-record.ts';
import { admitWatcher } from './client-limits.ts';

/** file.statfs's answer for this filesystem: its quota and usage in blocks, its i-nodes. */
export function statfsOf(fs: Filesystem): StatfsRecord {
  const space = fs.store.space;
  const { quota, maxFileSize, maxInodes } = space.limits;
  const blocks = Math.floor(quota / BLKSIZE);
  const bfree = Math.max(0, blocks - Math.ceil(space.used / BLKSIZE));
  return {
    type: TMPFS_MAGIC,
    bsize: BLKSIZE,
    blocks,
    bfree,
    bavail: bfree,
    files: maxInodes,
    ffree: Math.max(0, maxInodes - space.inodes),
    maxFileSize,
    namelen: NAME_MAX,
    flags: fs.readonly ? ST.RDONLY : 0,
  };
}

/** Ids a chown may name: -1 (unchanged) or a u32. */
function isId(n: number): boolean {
  return Number.isInteger(n) && n >= -1;
}

export function fileHandlers(fs: Filesystem): Omit<HandlerSet<SpecsOf<typeof File>, ProtidData>, 'getTranslator' | 'setTranslator' | 'getTranslatorCntl' | 'getControl' | 'translatorError'> {
  return {
    chmod(ctx, { mode }) {
      const node = ctx.data.po!.node;
      const user = ctx.data.user;
      if (fs.readonly) return ctx.fail('EROFS');
      if (!user.owns(node.uid)) return ctx.fail('EPERM');
      let perm = mode & 0o7777;
      // A non-root owner cannot make a file set-group-id to a group it is not in (Linux).
      if (!user.root && (perm & S.ISGID) !== 0 && !user.inGroup(node.gid) && (node.mode & S.IFMT) !== S.IFDIR) perm &= ~S.ISGID;
      node.mode = (node.mode & S.IFMT) | perm;
      node.ctime = new Date();
      fs.fileChanged(node);
      return {};
    },

    chown(ctx, { uid, gid }) {
      if (!isId(uid) || !isId(gid)) return ctx.fail('EINVAL');
      const node = ctx.data.po!.node;
      const user = ctx.data.user;
      if (fs.readonly) return ctx.fail('EROFS');
      if (!user.root) {
        // Only root gives a file away; the owner may change the group to one of its own.
        if (uid !== -1 && uid !== node.uid) return ctx.fail('EPERM');
        if (gid !== -1 && gid !== node.gid && !(user.owns(node.uid) && user.inGroup(gid))) return ctx.fail('EPERM');
        if ((uid !== -1 || gid !== -1) && !user.owns(node.uid)) return ctx.fail('EPERM');
      }
      if (uid !== -1) node.uid = uid;
      if (gid !== -1) node.gid = gid;
      // A change of owner by a non-root user drops set-user-id and set-group-id (Linux).
      if (!user.root && (node.mode & S.IFMT) === S.IFREG) node.mode &= ~(S.ISUID | S.ISGID);
      fs.fileChanged(node);
      return {};
    },

    utimes(ctx, { atimeMs, mtimeMs }) {
      if (!Number.isFinite(atimeMs) || !Number.isFinite(mtimeMs)) return ctx.fail('EINVAL');
      const node = ctx.data.po!.node;
      if (fs.readonly) return ctx.fail('EROFS');
      if (!ctx.data.user.owns(node.uid)) return ctx.fail('EPERM');
      node.atime = new Date(atimeMs);
      node.mtime = new Date(mtimeMs);
      fs.fileChanged(node);
      return {};
    },

    truncate(ctx, { size }) {
      const po = ctx.data.po!;
      const node = po.node;
      const type = node.mode & S.IFMT;
      if (type === S.IFDIR) return ctx.fail('EISDIR');
      if (type !== S.IFREG || !isOffset(size)) return ctx.fail('EINVAL');
      // Not open for writing: EINVAL, as Linux's ftruncate.
      if (!canWrite(po.flags)) return ctx.fail('EINVAL');
      if (fs.readonly) return ctx.fail('EROFS');
      if (size !== node.getSize()) {
        const room = fs.store.space.reserve(node, size);
        if (room !== null) return ctx.fail(room);
        node.truncate(size);
        fs.store.space.settle(node);
        fs.fileChanged(node);
      }
      return {};
    },

    sync() {
      return {};
    },

    readlink(ctx) {
      const node = ctx.data.po!.node;
      if ((node.mode & S.IFMT) !== S.IFLNK) return ctx.fail('EINVAL');
      return { target: node.symlink };
    },

    checkAccess(ctx) {
      const node = ctx.data.po!.node;
      return { allowed: ctx.data.user.allowed(node.mode, node.uid, node.gid) };
    },

    statfs() {
      return { stat: statfsOf(fs) };
    },

    noticeFileChanges(ctx, { sender }) {
      const no = admitWatcher(fs, ctx.client, sender);
      if (no !== null) return ctx.fail(no);
      const refused = fs.fileWatchers(ctx.data.po!.node).add(sender, ctx.client);
      if (refused !== null) return ctx.fail(refused);
      ctx.keep(sender);
      return {};
    },
  };
}
