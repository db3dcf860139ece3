// What ".." at a filesystem's root leads to: the cap a parent passed to fsys.getroot (an
// unauthenticated port on the directory holding the translated node, as the Hurd's
// root_parent). Per-opens made by lookups share it, so the last one to go deletes it.

import type { BucketOps } from '../../libcap/bucket-host.ts';
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

  constructor(
    private readonly ops: BucketOps,
    /** The slot holding the cap (owned by this holder). */
    readonly slot: number,
  ) {
    held.set(ops, dotdotsHeld(ops) + 1);
  }

  /** Take another reference (a new per-open shares it). */
  ref(): this {
    if (this.refs <= 0) throw new Error('dotdot used after release');
    this.refs++;
    return this;
  }

  /** Drop a reference; the last one deletes the cap. */
  unref(): void {
    if (this.refs <= 0) throw new Error('dotdot released twice');
    if (--this.refs > 0) return;
    this.ops.delete(this.slot);
    held.set(this.ops, dotdotsHeld(this.ops) - 1);
  }

  /**
   * A fresh copy of the cap in a new slot, for a reply that moves it to the client (a
   * lookup answering REAUTH); 0 when the server's cap space is full or the cap is gone.
   */
  copy(): number {
    const s = this.ops.allocSlot();
    if (s === 0) return 0;
    if (this.ops.copy(this.slot, s) !== Status.Ok) {
      this.ops.delete(s);
      return 0;
    }
    return s;
  }
}
