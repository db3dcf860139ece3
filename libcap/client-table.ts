// Clients and capability entries, as libhurd-cap-server: one client record per client
// task per bucket, holding that client's entries. An entry names one object for one
// client; its badge is the handle (client id in the high 14 bits, entry index in the
// low 18), so the server learns the client from the badge, never from the message.
// Giving the same object to the same client twice yields the same entry (same badge).

import type { CapObject } from './cap-object.ts';
import type { LaneOp } from './cap-class.ts';
import { Inhibitable } from './inhibit.ts';
import { DEFAULT_LIMITS, limitErrno, type LimitErrnoOf, type LimitKind, type ResolvedLimits } from './limits.ts';
import type { Rpc } from './rpc.ts';

/** A badge (32 bits) holds a client id (up to 16,383 clients per bucket) and an entry index. */
export const ENTRY_BITS = 18;
export const MAX_CLIENTS = (1 << (32 - ENTRY_BITS)) - 1;
export const MAX_ENTRIES = (1 << ENTRY_BITS) - 1;
const ENTRY_MASK = (1 << ENTRY_BITS) - 1;

/** The badge naming entry `index` of client `clientId`. */
export function makeBadge(clientId: number, index: number): number {
  return (clientId * (1 << ENTRY_BITS) + index) >>> 0;
}
export function badgeClient(badge: number): number {
  return badge >>> ENTRY_BITS;
}
export function badgeEntry(badge: number): number {
  return badge & ENTRY_MASK;
}

/** One object held by one client: the server keeps the badged root cap it derives copies from. */
export class Entry {
  /** Revoked (or released): RPCs that wake up after this answer EBADF. */
  revoked = false;
  /** RPCs in flight through this entry (internal references). */
  rpcs = 0;

  constructor(
    readonly client: Client,
    readonly index: number,
    readonly badge: number,
    readonly object: CapObject,
    /** Slot of the badged root cap in the server's space. */
    readonly rootSlot: number,
  ) {
    this.lanes = object.cls.lanes;
  }

  /**
   * @internal The object's class's null-lane records by opcode (CapClass.lanes), held
   * here so that the worker's lane reaches them from the entry in one load rather than
   * through the object and its class.
   */
  readonly lanes: readonly (LaneOp | undefined)[];
}

/**
 * A client's accepted, unanswered RPCs. Usually one or two, so a small array with
 * swap-remove beats a Map (whose set/delete churn rehashes and allocates per RPC). The
 * array's length never shrinks (a count says how much is used): V8 trims an array's
 * store when pop() empties it, and the next push would allocate it again, per RPC.
 */
export class InflightList {
  private readonly items: (Rpc | undefined)[] = [];
  private n = 0;
  /**
   * @internal While a worker's null lane runs a handler that never sees its context
   * without one (worker.ts): what makes and adds that context. Every look at the list
   * calls it first, so nothing sees the RPC missing.
   */
  lazy: (() => void) | null = null;

  get size(): number {
    if (this.lazy !== null) this.settle();
    return this.n;
  }

  private settle(): void {
    const f = this.lazy!;
    this.lazy = null;
    f();
  }

  /** The RPC from client thread `key`, if any. */
  get(key: number): Rpc | undefined {
    if (this.lazy !== null) this.settle();
    const a = this.items;
    for (let i = 0; i < this.n; i++) if (a[i]!.key === key) return a[i];
    return undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  add(rpc: Rpc): void {
    if (this.lazy !== null) this.settle();
    const a = this.items;
    if (this.n === a.length) a.push(rpc);
    else a[this.n] = rpc;
    this.n++;
  }

  remove(rpc: Rpc): void {
    const a = this.items;
    const last = this.n - 1;
    let i = last;
    while (i >= 0 && a[i] !== rpc) i--;
    if (i < 0) return;
    a[i] = a[last];
    a[last] = undefined;
    this.n = last;
  }

  values(): readonly Rpc[] {
    if (this.lazy !== null) this.settle();
    return this.items.slice(0, this.n) as Rpc[];
  }

  clear(): void {
    this.items.fill(undefined);
    this.n = 0;
  }
}

/** Tombstones kept per client for cancels that overtook their request. */
const MAX_TOMBSTONES = 64;

/**
 * One client of one bucket: its entries, its RPCs in flight, and what the server holds
 * on its behalf. Every kind is counted here and bounded by the bucket's limits (or a
 * class's, for RPCs on that class's objects): `count` (caps given), `inflight.size`
 * (RPCs), `deferred`, and the kinds servers charge through charge()/release().
 */
export class Client {
  readonly inh = new Inhibitable();
  /** Entries by index; index 0 is never used (badge 0 is unbadged). */
  readonly entries: (Entry | undefined)[] = [undefined];
  readonly byObject = new Map<CapObject, Entry>();
  /** Accepted RPCs not yet answered (each names its client thread by its cancel key). */
  readonly inflight = new InflightList();
  /** Cancels that arrived before the request they name: key -> sequence. */
  readonly tombstones = new Map<number, number>();
  dead = false;
  /** Slot (in the server's space) of a task cap naming the client task, or 0. */
  taskSlot = 0;
  /**
   * Serial of that task cap (KeptCap): whoever holds its original (the client itself, for
   * a cap from its CAP_SELF) may revoke it, and the slot then be refilled by another cap.
   */
  taskSerial = 0;
  taskId = -1;
  private readonly freeIndexes: number[] = [];
  /** Entries (capabilities) the client holds: charged as `caps`. */
  count = 0;
  /** RPCs of this client that deferred their answer and are not answered yet. */
  deferred = 0;
  /** Server-charged kinds (kept, watchers, waiters, bytes, ...): created on first charge. */
  private charged: Record<string, number> | null = null;

  constructor(
    readonly id: number,
    /** The bucket's limits (a class may set its own for RPCs on its objects). */
    readonly limits: ResolvedLimits = DEFAULT_LIMITS,
  ) {}

  /**
   * Charge `n` units of `kind` to this client: null when within its limit (the units
   * are now counted: release them with release()), else the errno the limit answers
   * (EMFILE, EAGAIN or EDQUOT; see limits.ts) and nothing is charged. `limits` may name
   * a stricter or looser set (a class's); the bucket's otherwise. A kind without a limit
   * anywhere is a server bug (throws).
   */
  charge<K extends LimitKind>(kind: K, n = 1, limits: { readonly [kind: string]: number | undefined } | null = null): LimitErrnoOf<K> | null {
    const max = limits?.[kind] ?? this.limits[kind];
    if (max === undefined) throw new TypeError(`charge: no limit is set for kind ${kind}`);
    const used = this.used(kind);
    if (used + n > max) return limitErrno(kind) as LimitErrnoOf<K>;
    this.adjust(kind, n);
    return null;
  }

  /** Give back `n` units of `kind` charged before (never below zero). */
  release(kind: LimitKind, n = 1): void {
    const used = this.used(kind);
    this.adjust(kind, -Math.min(n, used));
  }

  /** Units of `kind` counted against this client now. */
  used(kind: LimitKind): number {
    if (kind === 'caps') return this.count;
    if (kind === 'rpcs') return this.inflight.size;
    if (kind === 'deferred') return this.deferred;
    return this.charged?.[kind] ?? 0;
  }

  /** Everything counted against this client, by kind (for tools and tests). */
  usage(): Record<string, number> {
    return { caps: this.count, rpcs: this.inflight.size, deferred: this.deferred, ...this.charged };
  }

  private adjust(kind: LimitKind, n: number): void {
    if (kind === 'caps' || kind === 'rpcs' || kind === 'deferred') throw new TypeError(`charge: ${kind} is counted by the library`);
    const c = (this.charged ??= {});
    c[kind] = (c[kind] ?? 0) + n;
  }

  /** A free entry index, or 0 when the client has MAX_ENTRIES. */
  allocIndex(): number {
    const i = this.freeIndexes.pop();
    if (i !== undefined) return i;
    if (this.entries.length > MAX_ENTRIES) return 0;
    this.entries.push(undefined);
    return this.entries.length - 1;
  }

  add(e: Entry): void {
    this.entries[e.index] = e;
    this.byObject.set(e.object, e);
    this.count++;
  }

  remove(e: Entry): void {
    if (this.entries[e.index] !== e) return;
    this.entries[e.index] = undefined;
    this.byObject.delete(e.object);
    this.freeIndexes.push(e.index);
    this.count--;
  }

  tombstone(key: number, seq: number): void {
    if (this.tombstones.size >= MAX_TOMBSTONES && !this.tombstones.has(key)) {
      const oldest = this.tombstones.keys().next();
      if (oldest.done !== true) this.tombstones.delete(oldest.value);
    }
    this.tombstones.set(key, seq);
  }
}
