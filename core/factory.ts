// Factories (L1): kernel objects are created against a quota, and a sub-factory's quota
// is carved out of its parent's, so it can never exceed it (as L4Re's factory).

import { KObject, Kind, type QuotaAccount } from './kobject.ts';

export class Factory extends KObject implements QuotaAccount {
  readonly kind = Kind.Factory;
  /** Units in use by live objects this factory created (sub-factories count their limit). */
  used = 0;

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

  /**
   * Give `units` back. A destroyed sub-factory whose last object just went gives its
   * whole limit back to its parent, and so on up: a loop, not a recursion, so a chain of
   * sub-factories of any depth is released in constant stack.
   */
  refund(units: number): void {
    let f: Factory | null = this;
    let u = units;
    while (f !== null) {
      f.used -= u;
      if (!f.destroyed || f.used !== 0) return;
      u = f.limit;
      f = f.parent;
    }
  }

  /** A sub-factory gives its limit back to its parent once its last cap and object are gone. */
  protected override onDestroy(): void {
    if (this.used === 0) this.release();
  }

  private release(): void {
    const p = this.parent;
    if (p !== null) p.refund(this.limit);
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
