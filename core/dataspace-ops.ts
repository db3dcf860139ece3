// Dataspace invocations and map items: create a dataspace against a factory's memory
// quota, map a cap into the caller's address space, unmap and revoke mappings, and the
// decode and landing of map/grant items in messages (DS1-DS6). Decode first, then act.

import { Cap } from './cspace.ts';
import {
  ADDRESS_SPACE_BYTES,
  attach,
  Dataspace,
  isPageAligned,
  MAX_DATASPACE_BYTES,
  Mapping,
  memEvent,
  MemView,
  revokeChildren,
  roundToPages,
  spaceOf,
  unmapTree,
  type MemAccount,
} from './dataspace.ts';
import { Status, statusName, type ErrorDetail } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { Rights } from './rights.ts';
import type { Task } from './task.ts';
import type { Thread } from './thread.ts';
import type { DecodeFault } from './transfer.ts';
import { MAP_ITEM } from './utcb.ts';

/** Where a map lands and what it may do; every field optional. */
export interface MapOptions {
  /** Offset in the dataspace, page-aligned (default 0). */
  readonly offset?: number;
  /** Bytes, a multiple of PAGE_SIZE (default: the rest of the dataspace). */
  readonly length?: number;
  /** Rights wanted, intersected with the cap's (DS2, R2; default all). */
  readonly rights?: number;
  /** Page-aligned address in the task's address space (default: the lowest free one). */
  readonly at?: number;
}

/** What a task may know of one of its mappings. */
export interface MappingInfo {
  readonly vaddr: number;
  readonly length: number;
  readonly offset: number;
  readonly dataspace: number;
  readonly rights: number;
  /** True for a mapping made from a cap; false for one received by IPC. */
  readonly root: boolean;
  /** Mappings derived from it (handed on by map items). */
  readonly children: number;
}

/** A failed memory operation: the status and which argument. */
export interface MemFailure {
  readonly status: number;
  readonly argument: string;
}

function fail(status: number, argument: string): MemFailure {
  return { status, argument };
}

/** Record a failure on a thread as its error detail and return the status. */
export function record(t: Thread, f: MemFailure): number {
  const detail: ErrorDetail = { status: f.status, argument: f.argument, message: `${statusName(f.status)}: ${f.argument}` };
  t.utcb.error = detail;
  return f.status;
}

/**
 * Create a dataspace of `bytes`, rounded up to pages, charged to `account` (DS1).
 * InvalidArgument (not a positive integer), RangeError (above MAX_DATASPACE_BYTES),
 * NotEnoughMemory (past the quota, or the host could not allocate it).
 */
export function makeDataspace(k: Kernel, account: MemAccount, bytes: number): Dataspace | number {
  if (!Number.isInteger(bytes) || bytes < 1) return Status.InvalidArgument;
  if (bytes > MAX_DATASPACE_BYTES) return Status.RangeError;
  const size = roundToPages(bytes);
  if (!account.chargeMem(size)) return Status.NotEnoughMemory;
  let ds: Dataspace;
  try {
    ds = new Dataspace(k.allocId(), size, k);
  } catch {
    account.refundMem(size);
    return Status.NotEnoughMemory;
  }
  ds.memAccount = account;
  k.adopt(ds);
  return ds;
}

/** The createDataspace invocation: a factory cap with Write, a free slot, a size (DS1). */
export function createDataspace(k: Kernel, t: Thread, factorySlot: number, dst: number, bytes: number): number {
  const cs = t.task.cspace;
  const fc = cs.get(factorySlot);
  if (fc === null) return record(t, fail(cs.missStatus(factorySlot, Status.InvalidCapability), 'factory'));
  if (fc.obj.kind !== Kind.Factory || (fc.rights & Rights.Write) === 0) return record(t, fail(Status.InvalidCapability, 'factory'));
  const free = cs.checkFree(dst);
  if (free !== Status.Ok) return record(t, fail(free, 'dst'));
  const ds = makeDataspace(k, fc.obj as unknown as MemAccount, bytes);
  if (typeof ds === 'number') return record(t, fail(ds, ds === Status.NotEnoughMemory ? 'factory memory quota' : 'bytes'));
  cs.put(dst, new Cap(ds, Rights.All, 0));
  return Status.Ok;
}

/**
 * Map the dataspace named by `capSlot` in `task` into the task's address space (DS2):
 * rights are the cap's intersected with `opts.rights`; Read maps read-only, Write
 * read-write. Errors: InvalidCapability (not a dataspace cap, or no Read or Write),
 * RangeError (bad slot, range past the dataspace, address past the address space),
 * InvalidArgument (unaligned offset, length or address; no access right left),
 * DeleteFirst (the address range is in use), NotEnoughMemory (no room: MAX_MAPPINGS or
 * no free range).
 */
export function mapCap(task: Task, capSlot: number, opts: MapOptions): MemView | MemFailure {
  const cs = task.cspace;
  const cap = cs.get(capSlot);
  if (cap === null) return fail(cs.missStatus(capSlot, Status.InvalidCapability), 'cap');
  if (cap.obj.kind !== Kind.Dataspace) return fail(Status.InvalidCapability, 'cap (dataspace cap)');
  const ds = cap.obj as Dataspace;
  const rights = cap.rights & (opts.rights ?? Rights.All) & (Rights.Read | Rights.Write | Rights.Grant);
  if ((cap.rights & (Rights.Read | Rights.Write)) === 0) return fail(Status.InvalidCapability, 'cap (no Read or Write)');
  if ((rights & (Rights.Read | Rights.Write)) === 0) return fail(Status.InvalidArgument, 'rights');
  const offset = opts.offset ?? 0;
  if (!isPageAligned(offset)) return fail(Status.InvalidArgument, 'offset');
  const length = opts.length ?? ds.size - offset;
  if (!isPageAligned(length) || length === 0) return fail(offset >= ds.size ? Status.RangeError : Status.InvalidArgument, 'length');
  if (offset + length > ds.size) return fail(Status.RangeError, 'offset + length');
  const space = spaceOf(task);
  let at = opts.at;
  if (at !== undefined) {
    if (!isPageAligned(at) || at === 0) return fail(Status.InvalidArgument, 'at');
    if (at + length > ADDRESS_SPACE_BYTES) return fail(Status.RangeError, 'at');
    if (!space.isFree(at, length)) return fail(Status.DeleteFirst, 'at');
  }
  if (space.full) return fail(Status.NotEnoughMemory, 'address space (mappings)');
  if (at === undefined) {
    at = space.place(length);
    if (at < 0) return fail(Status.NotEnoughMemory, 'address space');
  }
  const m = new Mapping(ds, space, at, offset, length, rights, cap);
  attach(m, null);
  if (ds.k.tracer !== null) memEvent(ds.k, 'map', m, -1, 'map');
  return new MemView(m);
}

/** The mapping of `task` that starts exactly at `vaddr`, or a failure. */
function mappingAt(task: Task, vaddr: number): Mapping | MemFailure {
  if (!isPageAligned(vaddr)) return fail(Status.InvalidArgument, 'vaddr');
  const m = spaceOf(task).find(vaddr);
  if (m === null || m.vaddr !== vaddr) return fail(Status.FailedLookup, 'vaddr');
  return m;
}

/** Unmap the task's mapping at `vaddr` and everything derived from it, in every task (DS4). */
export function unmapAt(task: Task, vaddr: number): number | MemFailure {
  const m = mappingAt(task, vaddr);
  if (!(m instanceof Mapping)) return m;
  unmapTree(m, 'unmap');
  return Status.Ok;
}

/** Take away every mapping derived from the task's mapping at `vaddr`; it stays (DS4). */
export function revokeAt(task: Task, vaddr: number): number | MemFailure {
  const m = mappingAt(task, vaddr);
  if (!(m instanceof Mapping)) return m;
  if (m.ds.k.tracer !== null) memEvent(m.ds.k, 'revoke', m, -1, 'revoke');
  revokeChildren(m);
  return Status.Ok;
}

/** A view of the task's mapping at `vaddr` (for instance one received by IPC). */
export function viewAt(task: Task, vaddr: number): MemView | MemFailure {
  const m = mappingAt(task, vaddr);
  return m instanceof Mapping ? new MemView(m) : m;
}

/** Every mapping of a task, by address. */
export function mappingsOf(task: Task): MappingInfo[] {
  return spaceOf(task).list.map((m) => ({
    vaddr: m.vaddr,
    length: m.length,
    offset: m.offset,
    dataspace: m.ds.id,
    rights: m.rights,
    root: m.parent === null,
    children: m.children.length,
  }));
}

// ------------------------------------------------------------------ map items (DS3)

/**
 * Validate map item `i` of the message `t` is about to send (C2: before anything is
 * delivered): a page-aligned range inside one live mapping of the sender, with the
 * Grant right (as for caps: a mapping without Grant cannot be handed on), rights a
 * uint32 leaving Read or Write, and for a grant the whole mapping.
 */
export function decodeMapItem(t: Thread, i: number): DecodeFault | null {
  const it = t.utcb.maps[i];
  const argument = `items[${i}] (map item)`;
  if (it === null || it === undefined || typeof it !== 'object') return { status: Status.InvalidArgument, argument, item: i };
  const { vaddr, length, rights } = it;
  if (!isPageAligned(vaddr) || !isPageAligned(length) || length === 0 || !(rights >>> 0 === rights)) {
    return { status: Status.InvalidArgument, argument, item: i };
  }
  const m = spaceOf(t.task).find(vaddr);
  if (m === null) return { status: Status.FailedLookup, argument, item: i };
  if (vaddr + length > m.end) return { status: Status.RangeError, argument, item: i };
  if ((m.rights & Rights.Grant) === 0) return { status: Status.IllegalOperation, argument: `${argument}: mapping without Grant`, item: i };
  if (it.grant === true) {
    if (vaddr !== m.vaddr || length !== m.length) return { status: Status.InvalidArgument, argument: `${argument}: a grant moves a whole mapping`, item: i };
  } else if ((m.rights & rights & (Rights.Read | Rights.Write)) === 0) {
    return { status: Status.InvalidArgument, argument: `${argument}: rights`, item: i };
  }
  return null;
}

/**
 * Land the map and grant items of `s`'s message in `r`'s memory window (DS3, DS4):
 * in item order from the window's base, each clipped to what is left of the window (a
 * grant lands whole or not at all). Nothing lands without `canGrant` (R4), without a
 * valid window, on an occupied range, or when the sender's mapping went away while it
 * was blocked; the item's mapsIn entry is then null and no error is raised (C3).
 */
export function landMaps(s: Thread, r: Thread, nitems: number, canGrant: boolean): void {
  const su = s.utcb;
  const ru = r.utcb;
  let at = ru.memWindowBase;
  let left = ru.memWindowSize;
  if (!isPageAligned(at) || !isPageAligned(left) || at === 0) left = 0;
  let mapped = 0;
  const from = spaceOf(s.task);
  const to = spaceOf(r.task);
  for (let i = 0; i < nitems; i++) {
    if (su.items[i] !== MAP_ITEM) continue;
    ru.mapsIn[i] = null;
    const it = su.maps[i];
    if (!canGrant || it === null || it === undefined || left === 0 || to.full) continue;
    const src = from.find(it.vaddr);
    if (src === null || !src.live || it.vaddr + it.length > src.end) continue;
    if (it.grant) {
      if (src.vaddr !== it.vaddr || src.length !== it.length || src.length > left || !to.isFree(at, src.length)) continue;
      const moved = grantMapping(src, to, at, s.task.id);
      ru.mapsIn[i] = new MemView(moved);
      at += moved.length;
      left -= moved.length;
      mapped += moved.length;
      continue;
    }
    const n = Math.min(it.length, left);
    if (!to.isFree(at, n)) continue;
    const rights = src.rights & it.rights & (Rights.Read | Rights.Write | Rights.Grant);
    if ((rights & (Rights.Read | Rights.Write)) === 0) continue;
    const m = new Mapping(src.ds, to, at, src.offset + (it.vaddr - src.vaddr), n, rights, null);
    attach(m, src);
    if (m.ds.k.tracer !== null) memEvent(m.ds.k, 'map', m, s.task.id, 'map');
    ru.mapsIn[i] = new MemView(m);
    at += n;
    left -= n;
    mapped += n;
  }
  ru.mapped = mapped;
}

/**
 * Grant: the sender's mapping moves (DS4). Its mapping object dies (old views fault)
 * and a fresh one takes its place in the receiver, keeping its parent or root cap and
 * its children, so revoking above it still reaches it.
 */
function grantMapping(src: Mapping, to: ReturnType<typeof spaceOf>, at: number, fromTask: number): Mapping {
  const m = new Mapping(src.ds, to, at, src.offset, src.length, src.rights, src.cap);
  const children = src.children.splice(0);
  const parent = src.parent;
  const raw = src.raw;
  // Detach the old one alone (no children left to cascade to), then attach the new one.
  src.raw = false;
  unmapTree(src, 'grant');
  attach(m, parent);
  for (const c of children) {
    c.parent = m;
    m.children.push(c);
  }
  if (raw) src.ds.migrate();
  if (m.ds.k.tracer !== null) memEvent(m.ds.k, 'grant', m, fromTask, 'grant');
  return m;
}
