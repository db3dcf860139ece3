// What ".." at a filesystem's root leads to: the cap a parent passed to fsys.getroot (an
// unauthenticated port on the directory holding the translated node, as the Hurd's
// root_parent). Per-opens made by lookups share it, so the last one to go deletes it.
// It is kept with its serial (libcap's KeptCap): the parent may revoke it, and the slot
// may then be refilled by another client's cap, which ".." must never hand out.

import type { BucketOps } from '../../libcap/bucket-host.ts';
import { keptCap, releaseKept, stillKept, type KeptCap } from '../../libcap/kept-cap.ts';
import { Status } from '../../core/index.ts';

/** DotDot caps each server space holds (counted against its slot reserve). */
const held = new WeakMap<BucketOps, number>();

/** How many ".." caps the server whose cap operations are `ops` holds now. */
export function dotdotsHeld(ops: BucketOps): number {
  return held.get(ops) ?? 0;
}

/** A reference-counted cap slot in a server's own space. */
export class DotDot {
  private refs = 1;
  /** The cap kept: its slot and serial (serial 0 when the slot was empty already). */
  private readonly kept: KeptCap;

  constructor(
    private readonly ops: BucketOps,
    /** The slot holding the cap (owned by this holder while it holds the cap kept). */
    readonly slot: number,
  ) {
    this.kept = keptCap(ops, slot) ?? { slot, serial: 0 };
    held.set(ops, dotdotsHeld(ops) + 1);
  }

  /** Whether the slot still holds the cap kept (false once its giver revoked it). */
  get alive(): boolean {
    return stillKept(this.ops, this.kept);
  }

  /** Take another reference (a new per-open shares it). */
  ref(): this {
    if (this.refs <= 0) throw new Error('dotdot used after release');
    this.refs++;
    return this;
  }

  /** Drop a reference; the last one deletes the cap (never another cap refilling its slot). */
  unref(): void {
    if (this.refs <= 0) throw new Error('dotdot released twice');
    if (--this.refs > 0) return;
    releaseKept(this.ops, this.kept);
    held.set(this.ops, dotdotsHeld(this.ops) - 1);
  }

  /**
   * A fresh copy of the cap in a new slot, for a reply that moves it to the client (a
   * lookup answering REAUTH); 0 when the server's cap space is full or the cap is gone
   * (revoked by its giver, even when its slot holds another cap by now).
   */
  copy(): number {
    if (!this.alive) return 0;
    const s = this.ops.allocSlot();
    if (s === 0) return 0;
    if (this.ops.copy(this.kept.slot, s) !== Status.Ok) {
      this.ops.delete(s);
      return 0;
    }
    return s;
  }
}
