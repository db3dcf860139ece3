// The worker side of dataspaces: the memory of each dataspace the task maps (a
// SharedArrayBuffer the kernel posted on the task's port) and WorkerMemView, the checked
// view a body in a worker reads and writes through. It has MemView's methods and
// checks, and one more: every access first reads the mapping's live word (Atomics.load)
// in the task's word array, which the kernel clears when the mapping goes (unmap,
// revoke, ...), so an access checked after that throws the same PageFault ('unmapped')
// as in-process. raw() gives an unchecked array over the shared memory, which nothing
// can take back (docs/dataspaces.md): the checked view is the default.

import { PageFault, wordAt, type MemAccess } from '../dataspace.ts';
import { Rights } from '../rights.ts';
import type { MapWire } from './ring.ts';

const READABLE = Rights.Read | Rights.Write;

/** The memory of one dataspace, as the worker holds it. */
interface DsMemory {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
}

/** The dataspaces' memory a worker was sent, and its task's live words. */
export class WorkerMemory {
  private readonly spaces = new Map<number, DsMemory>();
  readonly words: Int32Array;

  constructor(
    mapWords: SharedArrayBuffer,
    /** Takes every message waiting on the task's port (they include dataspaces' memory). */
    private readonly drain: () => void,
  ) {
    this.words = new Int32Array(mapWords);
  }

  /** The kernel sent a dataspace's memory. */
  add(id: number, memory: SharedArrayBuffer): void {
    this.spaces.set(id, { u8: new Uint8Array(memory), i32: new Int32Array(memory) });
  }

  /** The task's last mapping of a dataspace went: drop its memory (views made before keep theirs, dead). */
  forget(id: number): void {
    this.spaces.delete(id);
  }

  /** How many dataspaces' memory the worker holds in this table. */
  get held(): number {
    this.drain();
    return this.spaces.size;
  }

  /** A view of a mapping the kernel described. */
  view(w: MapWire): WorkerMemView {
    let mem = this.spaces.get(w.dataspace);
    if (mem === undefined) {
      this.drain();
      mem = this.spaces.get(w.dataspace);
      if (mem === undefined) throw new Error(`the kernel sent no memory for dataspace ${w.dataspace}`);
    }
    return new WorkerMemView(mem, this.words, w);
  }
}

/**
 * A task's access, in a worker, to one of its mappings: the same methods and checks as
 * MemView (live, in range, rights; PageFault otherwise), liveness read from shared memory.
 */
export class WorkerMemView implements MemAccess {
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly off0: number;
  private readonly len: number;
  private readonly r: number;
  private readonly word: number;
  private readonly gen: number;

  constructor(
    mem: DsMemory,
    private readonly words: Int32Array,
    private readonly w: MapWire,
  ) {
    this.u8 = mem.u8;
    this.i32 = mem.i32;
    this.off0 = w.offset;
    this.len = w.length;
    this.r = w.rights;
    this.word = w.word;
    this.gen = w.gen;
  }

  get vaddr(): number {
    return this.w.vaddr;
  }
  get length(): number {
    return this.len;
  }
  get rights(): number {
    return this.r;
  }
  get dataspace(): number {
    return this.w.dataspace;
  }
  /** False once the kernel took the mapping away (read from the live word). */
  get live(): boolean {
    return Atomics.load(this.words, this.word) === this.gen;
  }
  get writable(): boolean {
    return (this.r & Rights.Write) !== 0;
  }

  private at(off: number, n: number, write: boolean): number {
    if (
      Atomics.load(this.words, this.word) === this.gen &&
      off >= 0 &&
      off + n <= this.len &&
      (this.r & (write ? Rights.Write : READABLE)) !== 0 &&
      Number.isInteger(off)
    ) {
      return this.off0 + off;
    }
    throw this.fault(off, n, write);
  }

  private fault(off: number, n: number, write: boolean): PageFault {
    const access = write ? 'write' : 'read';
    const at = this.w.vaddr + (Number.isFinite(off) ? off : 0);
    if (!this.live) return new PageFault(at, access, 'unmapped');
    if (!(Number.isInteger(off) && off >= 0 && off + n <= this.len)) return new PageFault(at, access, 'bounds');
    return new PageFault(at, access, 'rights');
  }

  getUint8(off: number): number {
    return this.u8[this.at(off, 1, false)]!;
  }
  setUint8(off: number, v: number): void {
    this.u8[this.at(off, 1, true)] = v;
  }
  getUint32(off: number): number {
    return wordAt(this.u8, this.i32, this.at(off, 4, false));
  }
  setUint32(off: number, v: number): void {
    const a = this.at(off, 4, true);
    const b = this.u8;
    b[a] = v;
    b[a + 1] = v >>> 8;
    b[a + 2] = v >>> 16;
    b[a + 3] = v >>> 24;
  }
  /** Atomic load of the unsigned 32-bit word at `off` (a multiple of 4). */
  load32(off: number): number {
    const a = this.at(off, 4, false);
    if ((a & 3) !== 0) throw new RangeError('load32: offset not a multiple of 4');
    return Atomics.load(this.i32, a >> 2) >>> 0;
  }
  /** Atomic store of a 32-bit word at `off` (a multiple of 4): publishes what was written before it. */
  store32(off: number, v: number): void {
    const a = this.at(off, 4, true);
    if ((a & 3) !== 0) throw new RangeError('store32: offset not a multiple of 4');
    Atomics.store(this.i32, a >> 2, v | 0);
  }
  read(off: number, dst: Uint8Array, dstOff = 0, n = dst.length - dstOff): void {
    const a = this.at(off, n, false);
    if (!(Number.isInteger(dstOff) && dstOff >= 0 && n >= 0 && dstOff + n <= dst.length)) throw new RangeError('destination range');
    dst.set(this.u8.subarray(a, a + n), dstOff);
  }
  bytes(off: number, n: number): Uint8Array {
    const a = this.at(off, n, false);
    return this.u8.slice(a, a + n);
  }
  write(off: number, src: Uint8Array): void {
    const a = this.at(off, src.length, true);
    this.u8.set(src, a);
  }
  fill(off: number, n: number, v: number): void {
    const a = this.at(off, n, true);
    this.u8.fill(v, a, a + n);
  }
  /**
   * An unchecked Uint8Array over the mapping's shared memory (Write mappings only). It
   * is NOT cut by unmap or revoke: a SharedArrayBuffer cannot be detached and this
   * worker keeps it. Use it only for memory the task may keep (docs/dataspaces.md).
   */
  raw(): Uint8Array {
    if (!this.live) throw new PageFault(this.w.vaddr, 'write', 'unmapped');
    if ((this.r & Rights.Write) === 0) throw new PageFault(this.w.vaddr, 'write', 'rights');
    return new Uint8Array(this.u8.buffer, this.off0, this.len);
  }
}
