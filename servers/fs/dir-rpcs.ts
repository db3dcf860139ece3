// The dir interface of a filesystem's protids besides lookup (Hurd fs.defs dir_*, as
// libdiskfs's dir-*.c): readdir, mkdir, rmdir, unlink, rename, link, symlink and change
// notification. Each validates the whole request first (names, the other protid of a
// rename or link, types, the read-only mount, permissions with the protid's ids, the
// sticky bit, translators attached) and only then changes the tree, so that a change
// never fails halfway. A rename or link naming a protid of another server answers EXDEV.
// Error precedence follows Linux where the two could differ.

import type { CapObject, ErrnoName, Rpc, SpecsOf } from '../../libcap/index.ts';
import { admitWatcher } from './client-limits.ts';
import { failWith } from './fail-with.ts';
import type { HandlerSet } from './handler-set.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { ACCESS, S, type Dir, type DirEntry } from '../../protocol/fs.ts';
import { newOwner } from './new-node.ts';
import { NodeStore, type MLink, type MNode } from './node-store.ts';
import { canRead } from './open-flags.ts';
import { checkName, isDots } from './path-name.ts';
import type { PerOpen } from './peropen.ts';
import { nodeTypeOf } from './stat-record.ts';
import type { User } from './user.ts';

/** Entries one readdir answers at most (the interface's array bound). */
export const READDIR_MAX = 1024;

type DirMethods = Omit<SpecsOf<typeof Dir>, 'lookup'>;

/** The sticky bit forbids removing or replacing others' entries (owner of dir or entry, or root, may). */
function stickyDenied(user: User, dir: MNode, node: MNode): boolean {
  return (dir.mode & S.ISVTX) !== 0 && !user.root && !user.uids.has(dir.uid) && !user.uids.has(node.uid);
}

function searchable(user: User, d: MNode): boolean {
  return user.may(ACCESS.X_OK, d.mode, d.uid, d.gid);
}

function writable(user: User, d: MNode): boolean {
  return user.may(ACCESS.W_OK | ACCESS.X_OK, d.mode, d.uid, d.gid);
}

function hasActiveTranslator(fs: Filesystem, node: MNode): boolean {
  const box = fs.store.peek(node)?.trans;
  return box != null && (box.active !== null || box.starting !== null);
}

/** The directory a protid names, or why it cannot be used as one. */
function dirOf(ctx: Rpc<ProtidData>): MLink | 'ENOTDIR' {
  const po = ctx.data.po!;
  return po.isDir ? po.link : 'ENOTDIR';
}

/**
 * The per-open of a protid of this filesystem named by a cap argument (rename's newDir,
 * link's file), or EXDEV when the cap is not one of ours.
 */
function ownProtid(fs: Filesystem, slot: number): PerOpen | 'EXDEV' {
  const r = fs.bucket.resolve(slot);
  if (r === null || r.object.cls !== (fs.protidClass as unknown)) return 'EXDEV';
  const po = (r.object as CapObject<ProtidData>).data.po;
  return po === null ? 'EXDEV' : po;
}

export function dirHandlers(fs: Filesystem): HandlerSet<DirMethods, ProtidData> {
  const store = fs.store;

  /** Checks of unlink and rmdir up to the type of the entry. */
  function removable(ctx: Rpc<ProtidData>, name: string): { dir: MLink; link: MLink } | ErrnoName {
    const dir = dirOf(ctx);
    if (typeof dir === 'string') return dir;
    const user = ctx.data.user;
    if (!searchable(user, dir.node)) return 'EACCES';
    const link = store.child(dir, name);
    if (link === undefined) return 'ENOENT';
    if (fs.readonly) return 'EROFS';
    if (!writable(user, dir.node)) return 'EACCES';
    if (stickyDenied(user, dir.node, link.node)) return 'EPERM';
    return { dir, link };
  }

  return {
    readdir(ctx, { offset, max }) {
      const dir = dirOf(ctx);
      if (typeof dir === 'string') return failWith(dir);
      if (!canRead(ctx.data.po!.flags)) return ctx.fail('EBADF');
      const names = store.names(dir);
      const n = Math.min(max === 0 ? READDIR_MAX : max, READDIR_MAX);
      const entries: DirEntry[] = [];
      for (let i = offset; i < names.length && entries.length < n; i++) {
        const name = names[i]!;
        const node = store.child(dir, name)!.node;
        entries.push({ name, ino: node.ino, type: nodeTypeOf(node.mode) });
      }
      const next = offset + entries.length;
      return { entries, next, eof: next >= names.length };
    },

    mkdir(ctx, { name, mode }) {
      const dir = dirOf(ctx);
      if (typeof dir === 'string') return failWith(dir);
      const bad = checkName(name);
      if (bad !== null) return failWith(bad);
      const user = ctx.data.user;
      if (!searchable(user, dir.node)) return ctx.fail('EACCES');
      if (isDots(name) || store.child(dir, name) !== undefined) return ctx.fail('EEXIST');
      const owner = newOwner(fs, user, dir, mode, true);
      if (typeof owner === 'string') return failWith(owner);
      store.createDir(dir, name, owner.perm, owner.uid, owner.gid);
      fs.dirChanged(dir.node, 'add', name);
      return {};
    },

    rmdir(ctx, { name }) {
      const bad = checkName(name);
      if (bad !== null) return failWith(bad);
      if (name === '.') return failWith(dirOf(ctx) === 'ENOTDIR' ? 'ENOTDIR' : 'EINVAL');
      if (name === '..') return failWith(dirOf(ctx) === 'ENOTDIR' ? 'ENOTDIR' : 'ENOTEMPTY');
      const r = removable(ctx, name);
      if (typeof r === 'string') return failWith(r);
      const node = r.link.node;
      if (!NodeStore.isDir(node)) return ctx.fail('ENOTDIR');
      if (hasActiveTranslator(fs, node)) return ctx.fail('EBUSY');
      if (!store.isEmpty(r.link)) return ctx.fail('ENOTEMPTY');
      store.removeEntry(r.dir, r.link);
      fs.dirChanged(r.dir.node, 'remove', name);
      return {};
    },

    unlink(ctx, { name }) {
      const bad = checkName(name);
      if (bad !== null) return failWith(bad);
      if (isDots(name)) return failWith(dirOf(ctx) === 'ENOTDIR' ? 'ENOTDIR' : 'EISDIR');
      const r = removable(ctx, name);
      if (typeof r === 'string') return failWith(r);
      const node = r.link.node;
      // Directories are removed with rmdir: EISDIR, as Linux (POSIX also allows EPERM, memfs's answer).
      if (NodeStore.isDir(node)) return ctx.fail('EISDIR');
      if (hasActiveTranslator(fs, node)) return ctx.fail('EBUSY');
      store.removeEntry(r.dir, r.link);
      fs.dirChanged(r.dir.node, 'remove', name);
      fs.fileChanged(node);
      return {};
    },

    rename(ctx, { oldName, newDir, newName, excl }) {
      const from = dirOf(ctx);
      if (typeof from === 'string') return failWith(from);
      const badOld = checkName(oldName);
      if (badOld !== null) return failWith(badOld);
      const badNew = checkName(newName);
      if (badNew !== null) return failWith(badNew);
      const toPo = ownProtid(fs, newDir);
      if (typeof toPo === 'string') return failWith(toPo);
      if (!toPo.isDir) return ctx.fail('ENOTDIR');
      const to = toPo.link;
      // "." and ".." cannot be renamed or replaced (Linux: EBUSY; EEXIST when not replacing).
      if (isDots(oldName)) return ctx.fail('EBUSY');
      if (isDots(newName)) return ctx.fail(excl ? 'EEXIST' : 'EBUSY');
      const user = ctx.data.user;
      if (!searchable(user, from.node) || !searchable(user, to.node)) return ctx.fail('EACCES');
      const src = store.child(from, oldName);
      if (src === undefined) return ctx.fail('ENOENT');
      if (NodeStore.removed(to)) return ctx.fail('ENOENT');
      const dst = store.child(to, newName);
      if (dst !== undefined && excl) return ctx.fail('EEXIST');
      if (fs.readonly) return ctx.fail('EROFS');
      if (!writable(user, from.node) || !writable(user, to.node)) return ctx.fail('EACCES');
      // The same node under both names: nothing to do (POSIX).
      if (dst !== undefined && dst.node === src.node) return {};
      if (stickyDenied(user, from.node, src.node)) return ctx.fail('EPERM');
      if (dst !== undefined && stickyDenied(user, to.node, dst.node)) return ctx.fail('EPERM');
      const srcIsDir = NodeStore.isDir(src.node);
      if (srcIsDir) {
        if (store.within(src, to)) return ctx.fail('EINVAL');
        // Moving a directory to a new parent rewrites its "..": it must be writable too.
        if (from !== to && !user.may(ACCESS.W_OK, src.node.mode, src.node.uid, src.node.gid)) return ctx.fail('EACCES');
      }
      if (dst !== undefined) {
        const dstIsDir = NodeStore.isDir(dst.node);
        if (srcIsDir && !dstIsDir) return ctx.fail('ENOTDIR');
        if (!srcIsDir && dstIsDir) return ctx.fail('EISDIR');
        if (dstIsDir && !store.isEmpty(dst)) return ctx.fail('ENOTEMPTY');
        if (hasActiveTranslator(fs, dst.node)) return ctx.fail('EBUSY');
      }
      if (hasActiveTranslator(fs, src.node)) return ctx.fail('EBUSY');
      const replaced = dst?.node;
      store.move(from, src, to, newName, dst);
      fs.dirChanged(from.node, 'remove', oldName);
      fs.dirChanged(to.node, dst === undefined ? 'add' : 'change', newName);
      if (replaced !== undefined) fs.fileChanged(replaced);
      return {};
    },

    link(ctx, { file, name, excl }) {
      const dir = dirOf(ctx);
      if (typeof dir === 'string') return failWith(dir);
      const bad = checkName(name);
      if (bad !== null) return failWith(bad);
      const target = ownProtid(fs, file);
      if (typeof target === 'string') return failWith(target);
      const node = target.node;
      if (NodeStore.isDir(node)) return ctx.fail('EPERM');
      if (isDots(name)) return ctx.fail('EEXIST');
      const user = ctx.data.user;
      if (!searchable(user, dir.node)) return ctx.fail('EACCES');
      if (node.nlink === 0 || NodeStore.removed(dir)) return ctx.fail('ENOENT');
      const existing = store.child(dir, name);
      if (existing !== undefined && (excl || NodeStore.isDir(existing.node))) return ctx.fail('EEXIST');
      if (fs.readonly) return ctx.fail('EROFS');
      if (!writable(user, dir.node)) return ctx.fail('EACCES');
      if (existing !== undefined) {
        if (existing.node === node) return {};
        if (stickyDenied(user, dir.node, existing.node)) return ctx.fail('EPERM');
        if (hasActiveTranslator(fs, existing.node)) return ctx.fail('EBUSY');
        store.removeEntry(dir, existing);
      }
      store.addLink(dir, name, node);
      fs.dirChanged(dir.node, existing === undefined ? 'add' : 'change', name);
      fs.fileChanged(node);
      return {};
    },

    symlink(ctx, { name, target }) {
      const dir = dirOf(ctx);
      if (typeof dir === 'string') return failWith(dir);
      const bad = checkName(name);
      if (bad !== null) return failWith(bad);
      if (target === '') return ctx.fail('ENOENT');
      if (target.includes('\0')) return ctx.fail('EINVAL');
      const user = ctx.data.user;
      if (!searchable(user, dir.node)) return ctx.fail('EACCES');
      if (isDots(name) || store.child(dir, name) !== undefined) return ctx.fail('EEXIST');
      const owner = newOwner(fs, user, dir, 0o777, false);
      if (typeof owner === 'string') return failWith(owner);
      store.createSymlink(dir, name, target, owner.uid, owner.gid);
      fs.dirChanged(dir.node, 'add', name);
      return {};
    },

    noticeDirChanges(ctx, { sender }) {
      const dir = dirOf(ctx);
      if (typeof dir === 'string') return failWith(dir);
      const no = admitWatcher(fs, ctx.client, sender);
      if (no !== null) return ctx.fail(no);
      const refused = fs.dirWatchers(dir.node).add(sender, ctx.client);
      if (refused !== null) return ctx.fail(refused);
      ctx.keep(sender);
      return {};
    },
  };
}
