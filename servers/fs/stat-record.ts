// Building io.stat answers: a node's type from its mode bits, and a whole stat record
// with defaults for what a synthesizing server (trivfs, netfs) does not track.

import { S, type NodeType, type StatRecord } from '../../protocol/fs.ts';

/** The readdir type of a mode. */
export function nodeTypeOf(mode: number): NodeType {
  switch (mode & S.IFMT) {
    case S.IFREG:
      return 'file';
    case S.IFDIR:
      return 'dir';
    case S.IFLNK:
      return 'symlink';
    case S.IFCHR:
      return 'chr';
    case S.IFBLK:
      return 'blk';
    case S.IFIFO:
      return 'fifo';
    case S.IFSOCK:
      return 'socket';
    default:
      return 'unknown';
  }
}

/** The S_IFMT bits of a type. */
export function modeOfType(type: NodeType): number {
  switch (type) {
    case 'file':
      return S.IFREG;
    case 'dir':
      return S.IFDIR;
    case 'symlink':
      return S.IFLNK;
    case 'chr':
      return S.IFCHR;
    case 'blk':
      return S.IFBLK;
    case 'fifo':
      return S.IFIFO;
    case 'socket':
      return S.IFSOCK;
    case 'unknown':
      return 0;
  }
}

/** Block size reported by every server here (memfs reports the same). */
export const BLKSIZE = 4096;

/** A stat record from the fields a server knows; the rest default (times to `now`). */
export function statRecord(f: Partial<StatRecord> & { mode: number; ino: number; dev: number }, now = 0): StatRecord {
  const size = f.size ?? 0;
  return {
    dev: f.dev,
    ino: f.ino,
    mode: f.mode,
    nlink: f.nlink ?? ((f.mode & S.IFMT) === S.IFDIR ? 2 : 1),
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    rdev: f.rdev ?? 0,
    size,
    blksize: f.blksize ?? BLKSIZE,
    blocks: f.blocks ?? Math.ceil(size / 512),
    atimeMs: f.atimeMs ?? now,
    mtimeMs: f.mtimeMs ?? now,
    ctimeMs: f.ctimeMs ?? now,
    birthtimeMs: f.birthtimeMs ?? now,
  };
}

let nextDev = 1;
/** A device number for a new filesystem instance (so identity() tells filesystems apart). */
export function allocDev(): number {
  return nextDev++;
}
