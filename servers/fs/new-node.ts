// Who owns a node a user creates, and which mode bits it keeps: the user's first uid;
// the directory's group when the directory is set-group-id (and new directories inherit
// the bit), else the user's first gid; set-group-id dropped from a file whose group the
// (non-root) creator is not in, as Linux.

import type { ErrnoName } from '../../libcap/index.ts';
import type { Filesystem } from './filesystem.ts';
import { ACCESS, S } from '../../protocol/fs.ts';
import type { MLink } from './node-store.ts';
import type { User } from './user.ts';

/** Owner, group and permission bits of a node `user` creates in `dir`. */
export interface NewOwner {
  readonly uid: number;
  readonly gid: number;
  readonly perm: number;
}

/**
 * May `user` add an entry to `dir` (mounted writable, directory not removed, write and
 * search permission, an authenticated user, an i-node free: else ENOSPC)? Answers the new
 * node's owner, or the error.
 */
export function newOwner(fs: Filesystem, user: User, dir: MLink, mode: number, isDir: boolean): NewOwner | ErrnoName {
  if (fs.readonly) return 'EROFS';
  const d = dir.node;
  if (d.nlink === 0) return 'ENOENT';
  if (!user.may(ACCESS.W_OK | ACCESS.X_OK, d.mode, d.uid, d.gid)) return 'EACCES';
  const uid = user.uid;
  if (uid === undefined) return 'EACCES';
  const full = fs.store.space.canCreate();
  if (full !== null) return full;
  const sgidDir = (d.mode & S.ISGID) !== 0;
  const gid = sgidDir ? d.gid : (user.gid ?? d.gid);
  let perm = mode & 0o7777;
  if (isDir && sgidDir) perm |= S.ISGID;
  if (!isDir && (perm & S.ISGID) !== 0 && !user.root && !user.inGroup(gid)) perm &= ~S.ISGID;
  return { uid, gid, perm };
}
