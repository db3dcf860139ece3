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

  refund(units: number): void {
    this.used -= units;
    if (this.destroyed && this.used === 0 && this.memUsed === 0) this.release();
  }

  /** Charge `bytes` of memory; false (and nothing charged) past the memory quota. */
  chargeMem(bytes: number): boolean {
    if (this.memUsed + bytes > this.memLimit) return false;
    this.memUsed += bytes;
    return true;
  }

  refundMem(bytes: number): void {
    this.memUsed -= bytes;
    if (this.destroyed && this.used === 0 && this.memUsed === 0) this.release();
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
    if (mem > 0) p.refundMem(mem);
    p.refund(this.limit);
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
