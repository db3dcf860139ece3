// Dataspaces (DS1-DS7): kernel objects holding bytes, the per-task address spaces they
// are mapped into, the mapping tree that makes unmap and revoke recursive (L4's
// flexpages, L4Re's dataspaces), and the checked views tasks read and write through.
// Not the IPC path: map and grant items travel in dataspace-ops.ts and transfer.ts.
//
// Objects and states.
// - A Dataspace owns one ArrayBuffer of `size` bytes (a multiple of PAGE_SIZE), charged
//   to a factory's memory quota in bytes and refunded when its last cap goes (DS1, DS6).
//   Detaching it (moving its memory to a fresh ArrayBuffer object) is how the kernel
//   cuts every raw array handed out over it (see "raw arrays" below).
// - A Mapping is one range of a dataspace placed at a page-aligned address in one
//   task's AddressSpace, with rights (Read, Write, Grant) never above its source (DS2).
//   A root mapping was made by the task from a dataspace cap (`cap`); any other mapping
//   came by a map item in a message and is a child of the sender's mapping (DS4).
//   `live` goes false exactly once, when the mapping is unmapped; nothing revives it.
// - A MemView is how a task touches a mapping. Every access checks that the mapping is
//   live, that the range lies inside it and that the mapping has the right; otherwise
//   it throws a PageFault, which in a kernel thread becomes a fault message to the
//   thread's handler (F1, DS5). Views never expose the buffer.
//
// Unmapping. unmapTree(m) removes m's children first (deepest first), then m, from their
// address spaces. It runs when: the holder unmaps m; the holder revokes m (children
// only, L4's unmap without the "own" flag); the cap a root mapping came from is deleted
// (its subtree goes: every task that got the range through that cap loses it); a cap
// is revoked (each root mapping made through it loses its children, and the descendant
// caps' deletion takes their own mappings); a mapping is granted away (the sender's
// mapping object dies and a fresh one takes its place in the receiver); the task dies.
//
// Raw arrays. `MemView.raw()` hands out a Uint8Array over the buffer (Write mappings
// only: a typed array cannot be read-only). To revoke one for real, when a mapping
// whose view gave out a raw array is unmapped, the dataspace migrates: its memory moves
// to a fresh ArrayBuffer object (no copy) and the old object is detached, so every raw
// array over it (the revoked task's and everyone else's) reads undefined, drops writes
// and throws on bulk operations. Safe views follow the migration; other holders of raw
// arrays call raw() again.
//
// Shared dataspaces. The first time a task isolated in a worker gets a mapping of a
// dataspace (its AddressSpace has a SpaceHook), the dataspace is shared: its bytes move
// once (a copy) into a SharedArrayBuffer, the old ArrayBuffer is detached (cutting every
// raw array handed out so far), and from then on it stays there: in-process views and
// the workers' views reach the same memory. A SharedArrayBuffer cannot be detached, so
// raw arrays over a shared dataspace are not cut by unmap or revoke (docs/dataspaces.md);
// checked views are, in-process by `live`, in a worker by the mapping's live word, which
// the hook clears when the mapping goes.

import type { Cap } from './cspace.ts';
import type { Kernel } from './kernel.ts';
import { KObject, Kind } from './kobject.ts';
import { Rights } from './rights.ts';
import type { Task } from './task.ts';
import type { MemEvent } from './trace.ts';

/**
 * Move a buffer's memory to a fresh ArrayBuffer object and detach the old one, without
 * copying (structuredClone with transfer; Node 20 has no ArrayBuffer.prototype.transfer).
 * Every typed array over the old object then has length 0, reads undefined, drops
 * writes and throws on bulk operations.
 */
function detachInto(b: ArrayBuffer): ArrayBuffer {
  return structuredClone(b, { transfer: [b] });
}

/** Page size: the unit of dataspace sizes, mapping offsets, lengths and addresses. */
export const PAGE_SIZE = 4096;
/** Largest dataspace in bytes (1 GiB). Larger requests answer RangeError. */
export const MAX_DATASPACE_BYTES = 1 << 30;
/** Size of every task's address space (4 GiB); address 0 (the first page) is never mapped. */
export const ADDRESS_SPACE_BYTES = 2 ** 32;
/** Most mappings one task may hold; past it map answers NotEnoughMemory, map items do not land. */
export const MAX_MAPPINGS = 4096;

/** Round a byte count up to whole pages. */
export function roundToPages(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
}

/** True for a non-negative integer multiple of PAGE_SIZE. */
export function isPageAligned(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n % PAGE_SIZE === 0;
}

/** An access through a view that did not succeed (DS5): in a kernel thread, a page fault. */
export class PageFault extends Error {
  constructor(
    /** Address in the task's address space (the view's base plus the offset). */
    readonly vaddr: number,
    readonly access: 'read' | 'write',
    /** unmapped: the mapping is gone; bounds: outside the mapping; rights: a write to a read-only mapping. */
    readonly reason: 'unmapped' | 'bounds' | 'rights',
  ) {
    super(`${access} at 0x${vaddr.toString(16)}: ${reason}`);
    this.name = 'PageFault';
  }
}

/** What a factory offers for memory: a byte quota (factory.ts implements it). */
export interface MemAccount {
  chargeMem(bytes: number): boolean;
  refundMem(bytes: number): void;
}

/** Why a mapping went, as trace events report it. */
export type UnmapCause = 'unmap' | 'revoke' | 'cap' | 'grant' | 'task' | 'dataspace';

/**
 * What an address space of an isolated task adds to mapping: told of every mapping
 * placed in it (it shares the dataspace and gives the mapping a live word the worker's
 * view checks) and of every mapping taken out (it clears that word).
 */
export interface SpaceHook {
  attached(m: Mapping): void;
  detached(m: Mapping): void;
}

export class Dataspace extends KObject {
  readonly kind = Kind.Dataspace;
  /** The bytes; replaced by a fresh object when the dataspace migrates; a SharedArrayBuffer once shared. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** View of all of `buffer` (length 0 if a raw holder detached the buffer by transferring it away). */
  u8: Uint8Array;
  /** Word view of all of `buffer`, for the atomic accessors (load32, store32). */
  i32: Int32Array;
  /** The bytes live in a SharedArrayBuffer that tasks in workers map (see "Shared dataspaces"). */
  shared = false;
  /** Root mappings by the cap they were made through. */
  readonly roots = new Map<Cap, Set<Mapping>>();
  /** Live mappings of this dataspace, in every task. */
  mappings = 0;
  /** A raw array over the current buffer is out (see the module comment). */
  rawOut = false;
  /** Times the bytes moved to a fresh buffer to cut raw arrays. */
  migrations = 0;
  /** The factory charged `size` bytes for this dataspace. */
  memAccount: MemAccount | null = null;

  constructor(
    id: number,
    /** Size in bytes, a multiple of PAGE_SIZE. */
    readonly size: number,
    readonly k: Kernel,
  ) {
    super(id);
    this.buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** The cap is gone (deleted or revoked): every mapping made through it goes, with its subtree. */
  override onCapRemoved(cap: Cap): void {
    const set = this.roots.get(cap);
    if (set === undefined) return;
    this.roots.delete(cap);
    for (const m of [...set]) unmapTree(m, 'cap');
  }

  /** The cap is revoked (D3): mappings made through it stay, the ones derived from them go. */
  override onRevoke(cap: Cap): void {
    const set = this.roots.get(cap);
    if (set === undefined) return;
    for (const m of set) {
      if (this.k.tracer !== null) memEvent(this.k, 'revoke', m, -1, 'revoke');
      revokeChildren(m);
    }
  }

  /** DS6: the last cap went; every mapping is gone by now. Cut raw arrays, refund the quota. */
  protected override onDestroy(): void {
    for (const set of this.roots.values()) for (const m of [...set]) unmapTree(m, 'dataspace');
    this.roots.clear();
    // A SharedArrayBuffer cannot be detached: workers that saw it keep it until they drop it.
    if (!this.shared) detachInto(this.buffer as ArrayBuffer);
    this.u8 = new Uint8Array(0);
    this.i32 = new Int32Array(0);
    const acc = this.memAccount;
    this.memAccount = null;
    if (acc !== null) acc.refundMem(this.size);
  }

  /**
   * A raw holder detached the buffer (it may, holding Write: it transferred it away):
   * give the dataspace fresh zeroed memory, as if the holder had written zeros.
   */
  heal(): void {
    if (this.destroyed || this.buffer.byteLength === this.size) return;
    this.buffer = new ArrayBuffer(this.size);
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /**
   * Move the memory to a fresh ArrayBuffer object and detach the old one: every raw
   * array dies. A shared dataspace cannot migrate (a SharedArrayBuffer cannot be
   * detached): nothing happens, its raw arrays stay (docs/dataspaces.md).
   */
  migrate(): void {
    if (this.destroyed || this.shared) return;
    this.heal();
    this.buffer = detachInto(this.buffer as ArrayBuffer);
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.rawOut = false;
    this.migrations++;
    this.migrated('revoke');
  }

  /**
   * Move the bytes into a SharedArrayBuffer (a copy, once) so tasks in workers can map
   * them; the old ArrayBuffer is detached, so raw arrays handed out before are cut (their
   * holders call raw() again and get arrays over the shared memory). Idempotent.
   */
  share(): void {
    if (this.destroyed || this.shared) return;
    this.heal();
    const sab = new SharedArrayBuffer(this.size);
    const u8 = new Uint8Array(sab);
    u8.set(this.u8);
    detachInto(this.buffer as ArrayBuffer);
    this.buffer = sab;
    this.u8 = u8;
    this.i32 = new Int32Array(sab);
    this.shared = true;
    this.rawOut = false;
    this.migrations++;
    this.migrated('share');
  }

  private migrated(cause: 'revoke' | 'share'): void {
    if (this.k.tracer !== null) {
      this.k.emit({
        type: 'mem',
        seq: 0,
        time: this.k.clock.now(),
        op: 'migrate',
        task: -1,
        fromTask: -1,
        dataspace: this.id,
        vaddr: 0,
        offset: 0,
        length: this.size,
        rights: 0,
        cause,
      });
    }
  }
}

/** Rights that let a view read: Read, or Write (a writable mapping is readable too). */
const READABLE = Rights.Read | Rights.Write;

/** One range of a dataspace placed in one task's address space. */
export class Mapping {
  live = true;
  parent: Mapping | null = null;
  readonly children: Mapping[] = [];
  /** A view of this mapping handed out a raw array. */
  raw = false;
  /** In an isolated task's space: index of the mapping's live word (-1: none), and its value while live. */
  word = -1;
  gen = 0;
  /**
   * How far a read (readLimit) or a write (writeLimit) may reach: the length while the
   * mapping is live and has the right, else -1. A view's check is one compare with it.
   */
  readLimit: number;
  writeLimit: number;

  constructor(
    readonly ds: Dataspace,
    readonly space: AddressSpace,
    readonly vaddr: number,
    /** Offset of the range in the dataspace. */
    readonly offset: number,
    readonly length: number,
    readonly rights: number,
    /** The cap a root mapping was made through; null for a mapping that came by IPC. */
    readonly cap: Cap | null,
  ) {
    this.readLimit = (rights & READABLE) !== 0 ? length : -1;
    this.writeLimit = (rights & Rights.Write) !== 0 ? length : -1;
  }

  get end(): number {
    return this.vaddr + this.length;
  }
}

/**
 * A task's address space: page-aligned mappings sorted by address, none overlapping.
 * Kept beside the task (not in it) so the kernel's Task stays as it is.
 */
export class AddressSpace {
  readonly list: Mapping[] = [];
  /** Set for a task isolated in a worker (core/isolate): told of every mapping placed and taken. */
  hook: SpaceHook | null = null;

  constructor(readonly task: Task) {}

  /** Index of the first mapping ending above `vaddr`. */
  private lowerBound(vaddr: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.end <= vaddr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The mapping containing `vaddr`, or null. */
  find(vaddr: number): Mapping | null {
    const m = this.list[this.lowerBound(vaddr)];
    return m !== undefined && m.vaddr <= vaddr ? m : null;
  }

  /** True when [vaddr, vaddr+length) is inside the address space and overlaps no mapping. */
  isFree(vaddr: number, length: number): boolean {
    if (vaddr < PAGE_SIZE || vaddr + length > ADDRESS_SPACE_BYTES) return false;
    const m = this.list[this.lowerBound(vaddr)];
    return m === undefined || m.vaddr >= vaddr + length;
  }

  /** The lowest free page-aligned address for `length` bytes, or -1. */
  place(length: number): number {
    let at = PAGE_SIZE;
    for (const m of this.list) {
      if (m.vaddr - at >= length) return at;
      at = Math.max(at, m.end);
    }
    return at + length <= ADDRESS_SPACE_BYTES ? at : -1;
  }

  get full(): boolean {
    return this.list.length >= MAX_MAPPINGS;
  }

  insert(m: Mapping): void {
    this.list.splice(this.lowerBound(m.vaddr), 0, m);
  }

  remove(m: Mapping): void {
    const i = this.list.indexOf(m);
    if (i >= 0) this.list.splice(i, 1);
  }
}

const spaces = new WeakMap<Task, AddressSpace>();

/** The address space of a task (created empty on first use). */
export function spaceOf(task: Task): AddressSpace {
  let s = spaces.get(task);
  if (s === undefined) {
    s = new AddressSpace(task);
    spaces.set(task, s);
  }
  return s;
}

/** Place a new mapping: into its space, under its parent or its cap's roots. */
export function attach(m: Mapping, parent: Mapping | null): void {
  if (m.space.hook !== null) m.space.hook.attached(m);
  m.space.insert(m);
  m.ds.mappings++;
  if (parent !== null) {
    m.parent = parent;
    parent.children.push(m);
  } else if (m.cap !== null) {
    let set = m.ds.roots.get(m.cap);
    if (set === undefined) {
      set = new Set();
      m.ds.roots.set(m.cap, set);
    }
    set.add(m);
  }
}

/** Take one mapping out of its space and the tree (its children must be gone). */
function detach(m: Mapping): void {
  m.live = false;
  m.readLimit = -1;
  m.writeLimit = -1;
  if (m.word >= 0) m.space.hook?.detached(m);
  m.space.remove(m);
  m.ds.mappings--;
  const p = m.parent;
  if (p !== null) {
    const i = p.children.indexOf(m);
    if (i >= 0) p.children.splice(i, 1);
    m.parent = null;
  } else if (m.cap !== null) {
    const set = m.ds.roots.get(m.cap);
    if (set !== undefined) {
      set.delete(m);
      if (set.size === 0) m.ds.roots.delete(m.cap);
    }
  }
}

/** Remove `m` and everything derived from it, in every task (DS4). */
export function unmapTree(m: Mapping, cause: UnmapCause): void {
  if (!m.live) return;
  let raw = false;
  const walk = (x: Mapping): void => {
    for (const c of [...x.children]) walk(c);
    if (x.raw) raw = true;
    detach(x);
    if (x.ds.k.tracer !== null) memEvent(x.ds.k, 'unmap', x, -1, cause);
  };
  walk(m);
  if (raw && m.ds.rawOut) m.ds.migrate();
}

/** Remove everything derived from `m`, keeping `m` (L4's unmap of a flexpage without "own"). */
export function revokeChildren(m: Mapping): void {
  for (const c of [...m.children]) unmapTree(c, 'revoke');
}

/** Task deletion: every mapping the task holds goes, with what was derived from it. */
export function unmapTask(task: Task): void {
  const s = spaces.get(task);
  if (s === undefined) return;
  for (const m of [...s.list]) unmapTree(m, 'task');
}

/** Emit a mem trace event for `m` (callers check that a tracer is attached). */
export function memEvent(k: Kernel, op: MemEvent['op'], m: Mapping, fromTask: number, cause: MemEvent['cause']): void {
  k.emit({
    type: 'mem',
    seq: 0,
    time: k.clock.now(),
    op,
    task: m.space.task.id,
    fromTask,
    dataspace: m.ds.id,
    vaddr: m.vaddr,
    offset: m.offset,
    length: m.length,
    rights: m.rights,
    cause,
  });
}

/** Words in an Int32Array are in the platform's byte order; a dataspace's are little-endian. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * @internal The little-endian unsigned word at byte `a` of `u8` (`i32` over the same
 * buffer from byte 0): one word load when aligned on a little-endian platform, else bytes.
 */
export function wordAt(u8: Uint8Array, i32: Int32Array, a: number): number {
  if (LITTLE_ENDIAN && (a & 3) === 0) return i32[a >> 2]! >>> 0;
  return (u8[a]! | (u8[a + 1]! << 8) | (u8[a + 2]! << 16) | (u8[a + 3]! << 24)) >>> 0;
}

/**
 * A task's access to one mapping: byte, word and bulk reads and writes, each checked
 * against the mapping (live, in range, rights). A failed check throws PageFault (DS5).
 * Offsets are relative to the mapping's start. Words are little-endian.
 */
export class MemView {
  constructor(
    /** @internal */ readonly m: Mapping,
  ) {}

  /** Address of the mapping in its task's address space. */
  get vaddr(): number {
    return this.m.vaddr;
  }
  get length(): number {
    return this.m.length;
  }
  get rights(): number {
    return this.m.rights;
  }
  /** Kernel id of the dataspace. */
  get dataspace(): number {
    return this.m.ds.id;
  }
  /** False once the mapping was unmapped, revoked, granted away or its dataspace deleted. */
  get live(): boolean {
    return this.m.live;
  }
  get writable(): boolean {
    return (this.m.rights & Rights.Write) !== 0;
  }

  /** Check an access of `n` bytes at `off`; returns the offset in the dataspace. */
  private at(off: number, n: number, write: boolean): number {
    const m = this.m;
    // The common case in one test; everything unusual goes to fault().
    if (off >= 0 && off + n <= (write ? m.writeLimit : m.readLimit) && Number.isInteger(off)) {
      const ds = m.ds;
      if (ds.u8.length !== ds.size) ds.heal();
      return m.offset + off;
    }
    throw this.fault(off, n, write);
  }

  /**
   * The check of a word read (getUint32, load32) without the heal: a buffer a raw holder
   * detached reads as zeros through those two (a detached Int32Array reads undefined,
   * made 0 by `>>> 0`), which is what healing it would give; the next write heals it.
   */
  private wordRead(off: number): number {
    const m = this.m;
    if (off >= 0 && off + 4 <= m.readLimit && Number.isInteger(off)) return m.offset + off;
    throw this.fault(off, 4, false);
  }

  private fault(off: number, n: number, write: boolean): PageFault {
    const m = this.m;
    const access = write ? 'write' : 'read';
    const at = m.vaddr + (Number.isFinite(off) ? off : 0);
    if (!m.live) return new PageFault(at, access, 'unmapped');
    if (!(Number.isInteger(off) && off >= 0 && off + n <= m.length)) return new PageFault(at, access, 'bounds');
    return new PageFault(at, access, 'rights');
  }

  getUint8(off: number): number {
    const a = this.at(off, 1, false); // first: the check may replace the buffer
    return this.m.ds.u8[a]!;
  }
  setUint8(off: number, v: number): void {
    const a = this.at(off, 1, true);
    this.m.ds.u8[a] = v;
  }
  getUint32(off: number): number {
    const a = this.wordRead(off);
    const ds = this.m.ds;
    return wordAt(ds.u8, ds.i32, a);
  }
  setUint32(off: number, v: number): void {
    const a = this.at(off, 4, true);
    const b = this.m.ds.u8;
    b[a] = v;
    b[a + 1] = v >>> 8;
    b[a + 2] = v >>> 16;
    b[a + 3] = v >>> 24;
  }

  /**
   * Atomic load of the unsigned 32-bit word at `off` (a multiple of 4; RangeError
   * otherwise): pairs with store32 of a peer running in parallel (a task in a worker),
   * so what the peer wrote before its store32 is visible after this load sees it.
   */
  load32(off: number): number {
    const a = this.wordRead(off);
    if ((a & 3) !== 0) throw new RangeError('load32: offset not a multiple of 4');
    // Memory no other thread can see needs no atomic access (and a plain one is cheaper).
    const ds = this.m.ds;
    return (ds.shared ? Atomics.load(ds.i32, a >> 2) : ds.i32[a >> 2]!) >>> 0;
  }

  /** Atomic store of a 32-bit word at `off` (a multiple of 4): publishes what was written before it. */
  store32(off: number, v: number): void {
    const a = this.at(off, 4, true);
    if ((a & 3) !== 0) throw new RangeError('store32: offset not a multiple of 4');
    const ds = this.m.ds;
    if (ds.shared) Atomics.store(ds.i32, a >> 2, v | 0);
    else ds.i32[a >> 2] = v;
  }

  /** Copy `n` bytes at `off` into `dst` at `dstOff` (default: fill dst). */
  read(off: number, dst: Uint8Array, dstOff = 0, n = dst.length - dstOff): void {
    const a = this.at(off, n, false);
    if (!(Number.isInteger(dstOff) && dstOff >= 0 && n >= 0 && dstOff + n <= dst.length)) throw new RangeError('destination range');
    dst.set(this.m.ds.u8.subarray(a, a + n), dstOff);
  }

  /** A fresh copy of `n` bytes at `off`. */
  bytes(off: number, n: number): Uint8Array {
    const a = this.at(off, n, false);
    return this.m.ds.u8.slice(a, a + n);
  }

  /** Copy `src` into the mapping at `off`. */
  write(off: number, src: Uint8Array): void {
    const a = this.at(off, src.length, true);
    this.m.ds.u8.set(src, a);
  }

  /** Fill `n` bytes at `off` with `v`. */
  fill(off: number, n: number, v: number): void {
    const a = this.at(off, n, true);
    this.m.ds.u8.fill(v, a, a + n);
  }

  /**
   * The escape hatch: a Uint8Array over the mapping's bytes, zero cost per access and
   * unchecked. Only for a live mapping with Write (a typed array cannot be read-only):
   * PageFault otherwise. Unmapping or revoking this mapping (or deleting the dataspace)
   * cuts it: the dataspace migrates and every raw array over the old buffer object
   * reads undefined, drops writes, and throws on bulk operations; raw arrays of other live
   * mappings of the same dataspace die too, and their holders call raw() again. Not so
   * for a shared dataspace (one a task in a worker mapped): its raw arrays are never cut.
   */
  raw(): Uint8Array {
    const m = this.m;
    if (!m.live) throw new PageFault(m.vaddr, 'write', 'unmapped');
    if ((m.rights & Rights.Write) === 0) throw new PageFault(m.vaddr, 'write', 'rights');
    const ds = m.ds;
    ds.heal();
    m.raw = true;
    ds.rawOut = true;
    return new Uint8Array(ds.buffer, m.offset, m.length);
  }
}

/**
 * What every view of a mapping offers, in-process (MemView) or in a worker
 * (core/isolate's WorkerMemView): code written against it runs in both.
 */
export type MemAccess = Omit<MemView, 'm'>;
