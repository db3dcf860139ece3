// Factories (L1): kernel objects are created against a quota, and a sub-factory's quota
// is carved out of its parent's, so it can never exceed it (as L4Re's factory). Memory
// (dataspaces, DS1) is a second quota in bytes, carved out the same way.

import type { MemAccount } from './dataspace.ts';
import { KObject, Kind, type QuotaAccount } from './kobject.ts';

export class Factory extends KObject implements QuotaAccount, MemAccount {
  readonly kind = Kind.Factory;
  /** Units in use by live objects this factory created (sub-factories count their limit). */
  used = 0;
  /** Bytes of dataspaces this factory may hand out (0: none; Infinity for the root factory). */
  memLimit = 0;
  /** Bytes in use by live dataspaces (and the memory limits of live sub-factories). */
  memUsed = 0;

  constructor(
    id: number,
    /** Units this factory may hand out; Infinity for the root factory. */
    readonly limit: number,
    readonly parent: Factory | null,
  ) {
    super(id);
  }

  get remaining(): number {
    return this.limit - this.used;
  }

  /** Charge `units`; false (and nothing charged) when the quota would be exceeded. */
  charge(units: number): boolean {
    if (this.used + units > this.limit) return false;
    this.used += units;
    return true;
  }

  /** Give `units` back (see settle). */
  refund(units: number): void {
    settle(this, units, 0);
  }

  /** Charge `bytes` of memory; false (and nothing charged) past the memory quota. */
  chargeMem(bytes: number): boolean {
    if (this.memUsed + bytes > this.memLimit) return false;
    this.memUsed += bytes;
    return true;
  }

  /** Give `bytes` of memory back (see settle). */
  refundMem(bytes: number): void {
    settle(this, 0, bytes);
  }

  /** A sub-factory gives its limit back to its parent once its last cap and object are gone. */
  protected override onDestroy(): void {
    if (this.used === 0 && this.memUsed === 0) this.release();
  }

  private release(): void {
    const p = this.parent;
    if (p === null) return;
    const mem = this.memLimit;
    this.memLimit = 0;
    settle(p, this.limit, mem);
  }

  /** Destroy must not refund 1 unit like other objects: the parent was charged `limit`. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.account = null;
    this.onDestroy();
    const gone = this.onGone;
    this.onGone = null;
    if (gone !== null) gone(this);
  }
}

/**
 * Give `units` and `bytes` back to `start`. A destroyed sub-factory whose last object
 * and last byte just went gives its whole limit and memory limit back to its parent, and
 * so on up: a loop, not a recursion, so a chain of sub-factories of any depth is
 * released in constant stack.
 */
function settle(start: Factory, units: number, bytes: number): void {
  let f: Factory | null = start;
  let u = units;
  let b = bytes;
  while (f !== null) {
    f.used -= u;
    f.memUsed -= b;
    if (!f.destroyed || f.used !== 0 || f.memUsed !== 0) return;
    u = f.limit;
    b = f.memLimit;
    f.memLimit = 0;
    f = f.parent;
  }
}
