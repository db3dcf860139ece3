// The last step of every open (dir.lookup reaching its node, fsys.getroot): check the
// open flags against the node's type, the user's permissions and the mount, honour
// O_TRUNC, then make the per-open. Shared by lookups and getroot, as libdiskfs's
// diskfs_access / diskfs_make_peropen pair.

import type { ErrnoName } from '../../libcap/index.ts';
import type { Filesystem } from './filesystem.ts';
import { ACCESS, O, S } from '../../protocol/fs.ts';
import type { MLink, MNode } from './node-store.ts';
import { accessWanted, badOpenFlags, canWrite, KEPT_MODES } from './open-flags.ts';
import type { DotDot } from './dotdot.ts';
import { PerOpen } from './peropen.ts';
import type { User } from './user.ts';

/** Why a node cannot be opened with `flags` by `user`; null when it can. `created`: made by this open. */
export function checkOpen(fs: Filesystem, user: User, node: MNode, flags: number, created: boolean, mustBeDir: boolean): ErrnoName | null {
  const bad = badOpenFlags(flags);
  if (bad !== null) return bad;
  const type = node.mode & S.IFMT;
  const isDir = type === S.IFDIR;
  if ((mustBeDir || (flags & O.DIRECTORY) !== 0) && !isDir) return 'ENOTDIR';
  const writes = canWrite(flags);
  const truncates = (flags & O.TRUNC) !== 0 && (flags & O.PATH) === 0;
  if (isDir && (writes || truncates || (flags & O.CREAT) !== 0)) return 'EISDIR';
  if (type === S.IFLNK && (writes || truncates)) return 'ELOOP';
  if ((writes || (truncates && type === S.IFREG)) && fs.readonly) return 'EROFS';
  if (!created) {
    let want = accessWanted(flags);
    if (truncates && type === S.IFREG) want |= ACCESS.W_OK;
    if (want !== 0 && !user.may(want, node.mode, node.uid, node.gid)) return 'EACCES';
  }
  return null;
}

/**
 * Open `link`'s node for `user` after checkOpen passed: truncate on O_TRUNC, and make
 * the per-open (inheriting `dotdot`, whose reference it takes).
 */
export function openChecked(fs: Filesystem, link: MLink, node: MNode, flags: number, created: boolean, dotdot: DotDot | null): PerOpen {
  if ((flags & O.TRUNC) !== 0 && (flags & O.PATH) === 0 && !created && (node.mode & S.IFMT) === S.IFREG && node.getSize() > 0) {
    node.truncate(0);
    fs.store.space.settle(node);
    fs.fileChanged(node);
  }
  return new PerOpen(fs.store, link, node, flags & KEPT_MODES, dotdot?.ref() ?? null);
}
