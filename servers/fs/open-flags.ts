// Open flags as a server reads them: the access an open asks for, which modes an open
// may change later, and the combinations refused as malformed. Unknown bits are
// ignored, as Linux's open() ignores them.

import type { ErrnoName } from '../../libcap/index.ts';
import { ACCESS, O } from '../../protocol/fs.ts';

/** Flags io.setOpenModes may change (Hurd: O_APPEND, O_NONBLOCK and friends). */
export const SETTABLE_MODES = O.APPEND | O.NONBLOCK;

/** Flags an open keeps (what io.getOpenModes reports): the access mode and the settable modes. */
export const KEPT_MODES = O.ACCMODE | O.PATH | SETTABLE_MODES;

/** True when an open with `flags` may read (O_RDONLY or O_RDWR, not O_PATH). */
export function canRead(flags: number): boolean {
  if ((flags & O.PATH) !== 0) return false;
  const a = flags & O.ACCMODE;
  return a === O.RDONLY || a === O.RDWR;
}

/** True when an open with `flags` may write (O_WRONLY or O_RDWR). */
export function canWrite(flags: number): boolean {
  if ((flags & O.PATH) !== 0) return false;
  const a = flags & O.ACCMODE;
  return a === O.WRONLY || a === O.RDWR;
}

/** The permission bits (ACCESS.*) an open with `flags` needs on the node. */
export function accessWanted(flags: number): number {
  return (canRead(flags) ? ACCESS.R_OK : 0) | (canWrite(flags) ? ACCESS.W_OK : 0);
}

/**
 * Refuse malformed open flags: access mode 3 (neither read, write nor both), O_PATH
 * with write access, creation or truncation, O_CREAT with O_DIRECTORY. Null when fine.
 */
export function badOpenFlags(flags: number): ErrnoName | null {
  if ((flags & O.ACCMODE) === O.ACCMODE) return 'EINVAL';
  if ((flags & O.PATH) !== 0 && (flags & (O.ACCMODE | O.CREAT | O.TRUNC)) !== 0) return 'EINVAL';
  if ((flags & O.CREAT) !== 0 && (flags & O.DIRECTORY) !== 0) return 'EINVAL';
  return null;
}
