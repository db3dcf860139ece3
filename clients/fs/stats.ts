// Stats, BigIntStats and Dirent as Node's fs gives them, built from the filesystem
// interface's StatRecord and DirEntry (io.stat, dir.readdir). Stats and Dirent sit on
// Node's own prototypes, so `instanceof fs.Stats` / `fs.Dirent` hold as they do for
// Node's (BigIntStats, like Node's, is not an fs.Stats).

import { Dirent as NodeDirent, Stats as NodeStats } from 'node:fs';
import type { DirEntry, NodeType, StatfsRecord, StatRecord } from '../../protocol/fs.ts';
import { S } from '../../protocol/fs.ts';

function isType(mode: number | bigint, type: number): boolean {
  return (Number(mode) & S.IFMT) === type;
}

/** The type tests every Stats form shares. */
abstract class StatsBase<N extends number | bigint> {
  abstract readonly mode: N;
  isFile(): boolean {
    return isType(this.mode, S.IFREG);
  }
  isDirectory(): boolean {
    return isType(this.mode, S.IFDIR);
  }
  isSymbolicLink(): boolean {
    return isType(this.mode, S.IFLNK);
  }
  isBlockDevice(): boolean {
    return isType(this.mode, S.IFBLK);
  }
  isCharacterDevice(): boolean {
    return isType(this.mode, S.IFCHR);
  }
  isFIFO(): boolean {
    return isType(this.mode, S.IFIFO);
  }
  isSocket(): boolean {
    return isType(this.mode, S.IFSOCK);
  }
}

/** fs.Stats: the fields in Node's order, times as ms numbers and Dates. */
export class Stats extends StatsBase<number> {
  readonly dev: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly blksize: number;
  readonly ino: number;
  readonly size: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly birthtimeMs: number;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
  readonly birthtime: Date;

  constructor(r: StatRecord) {
    super();
    this.dev = r.dev;
    this.mode = r.mode;
    this.nlink = r.nlink;
    this.uid = r.uid;
    this.gid = r.gid;
    this.rdev = r.rdev;
    this.blksize = r.blksize;
    this.ino = r.ino;
    this.size = r.size;
    this.blocks = r.blocks;
    this.atimeMs = r.atimeMs;
    this.mtimeMs = r.mtimeMs;
    this.ctimeMs = r.ctimeMs;
    this.birthtimeMs = r.birthtimeMs;
    this.atime = new Date(r.atimeMs);
    this.mtime = new Date(r.mtimeMs);
    this.ctime = new Date(r.ctimeMs);
    this.birthtime = new Date(r.birthtimeMs);
  }
}

// Stats.prototype -> (the type tests, copied) -> fs.Stats.prototype: instanceof fs.Stats
// holds, and our type tests and fields shadow Node's.
{
  const tests = Object.create(NodeStats.prototype) as object;
  for (const key of Object.getOwnPropertyNames(StatsBase.prototype)) {
    if (key !== 'constructor') Object.defineProperty(tests, key, Object.getOwnPropertyDescriptor(StatsBase.prototype, key)!);
  }
  Object.setPrototypeOf(Stats.prototype, tests);
}

const NS_PER_MS = 1_000_000n;

function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** fs.BigIntStats ({ bigint: true }): every number a bigint, plus the *Ns times. */
export class BigIntStats extends StatsBase<bigint> {
  readonly dev: bigint;
  readonly mode: bigint;
  readonly nlink: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly rdev: bigint;
  readonly blksize: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly blocks: bigint;
  readonly atimeMs: bigint;
  readonly mtimeMs: bigint;
  readonly ctimeMs: bigint;
  readonly birthtimeMs: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
  readonly birthtime: Date;

  constructor(r: StatRecord) {
    super();
    this.dev = BigInt(r.dev);
    this.mode = BigInt(r.mode);
    this.nlink = BigInt(r.nlink);
    this.uid = BigInt(r.uid);
    this.gid = BigInt(r.gid);
    this.rdev = BigInt(r.rdev);
    this.blksize = BigInt(r.blksize);
    this.ino = BigInt(r.ino);
    this.size = BigInt(r.size);
    this.blocks = BigInt(r.blocks);
    this.atimeMs = BigInt(Math.floor(r.atimeMs));
    this.mtimeMs = BigInt(Math.floor(r.mtimeMs));
    this.ctimeMs = BigInt(Math.floor(r.ctimeMs));
    this.birthtimeMs = BigInt(Math.floor(r.birthtimeMs));
    this.atimeNs = msToNs(r.atimeMs);
    this.mtimeNs = msToNs(r.mtimeMs);
    this.ctimeNs = msToNs(r.ctimeMs);
    this.birthtimeNs = msToNs(r.birthtimeMs);
    this.atime = new Date(r.atimeMs);
    this.mtime = new Date(r.mtimeMs);
    this.ctime = new Date(r.ctimeMs);
    this.birthtime = new Date(r.birthtimeMs);
  }
}

const TYPE_BITS: Readonly<Record<NodeType, number>> = {
  file: S.IFREG,
  dir: S.IFDIR,
  symlink: S.IFLNK,
  chr: S.IFCHR,
  blk: S.IFBLK,
  fifo: S.IFIFO,
  socket: S.IFSOCK,
  unknown: 0,
};

/** The node type of a mode's S_IFMT bits. */
export function nodeTypeOf(mode: number): NodeType {
  for (const [type, bits] of Object.entries(TYPE_BITS)) if (bits !== 0 && (mode & S.IFMT) === bits) return type as NodeType;
  return 'unknown';
}

/** fs.Dirent: `name`, `parentPath` (and its older alias `path`) and the type tests. */
export class Dirent<Name extends string | Buffer = string> {
  readonly #type: number;
  constructor(
    readonly name: Name,
    type: NodeType,
    readonly parentPath: string,
    readonly path: string = parentPath,
  ) {
    this.#type = TYPE_BITS[type];
  }
  isFile(): boolean {
    return this.#type === S.IFREG;
  }
  isDirectory(): boolean {
    return this.#type === S.IFDIR;
  }
  isSymbolicLink(): boolean {
    return this.#type === S.IFLNK;
  }
  isBlockDevice(): boolean {
    return this.#type === S.IFBLK;
  }
  isCharacterDevice(): boolean {
    return this.#type === S.IFCHR;
  }
  isFIFO(): boolean {
    return this.#type === S.IFIFO;
  }
  isSocket(): boolean {
    return this.#type === S.IFSOCK;
  }
}

// instanceof fs.Dirent holds; every method Node's Dirent has is our own.
Object.setPrototypeOf(Dirent.prototype, NodeDirent.prototype);

/** A Dirent for a directory entry read from a server. */
export function direntOf<N extends string | Buffer>(e: DirEntry, name: N, parentPath: string): Dirent<N> {
  return new Dirent(name, e.type, parentPath);
}

/** fs.StatFs, as statfs gives it: the volume's figures (numbers, or bigints with { bigint: true }). */
export class StatFs<N extends number | bigint = number> {
  readonly type: N;
  readonly bsize: N;
  readonly blocks: N;
  readonly bfree: N;
  readonly bavail: N;
  readonly files: N;
  readonly ffree: N;

  constructor(r: StatfsRecord, bigint: boolean) {
    const v = (x: number): N => (bigint ? BigInt(x) : x) as N;
    this.type = v(r.type);
    this.bsize = v(r.bsize);
    this.blocks = v(r.blocks);
    this.bfree = v(r.bfree);
    this.bavail = v(r.bavail);
    this.files = v(r.files);
    this.ffree = v(r.ffree);
  }
}
