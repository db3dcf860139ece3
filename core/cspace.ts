// Capability spaces and the derivation tree: local integer names per task, caps with
// rights and badges, and mint / copy / move / delete / revoke (R2, B2, B3, D3).
//
// Every derived cap (mint, copy, a map transfer) is a child of its source; a move keeps
// the cap's place in the tree. Deleting a cap re-parents its children to its parent, so
// revoking an ancestor still reaches them. Revoke removes every descendant, not the cap
// itself. Operations decode and validate first, then mutate: nothing fails halfway.

import { Status } from './errors.ts';
import { Kind, type KObject } from './kobject.ts';
import { MAX_WORD } from './limits.ts';

/** One capability: an object, rights, a badge, and its place in the derivation tree. */
export class Cap {
  cspace: CSpace | null = null;
  slot = 0;
  parent: Cap | null = null;
  firstChild: Cap | null = null;
  lastChild: Cap | null = null;
  /** Number of direct children. */
  children = 0;
  nextSibling: Cap | null = null;
  prevSibling: Cap | null = null;
  /** Called when the last cap derived from this one goes (no-senders), or null. */
  noSenders: ((cap: Cap) => void) | null = null;

  constructor(
    readonly obj: KObject,
    readonly rights: number,
    readonly badge: number,
  ) {}

  /** Attach `child` as the last child of this cap (constant time). */
  addChild(child: Cap): void {
    child.parent = this;
    child.nextSibling = null;
    const last = this.lastChild;
    child.prevSibling = last;
    if (last === null) this.firstChild = child;
    else last.nextSibling = child;
    this.lastChild = child;
    this.children++;
  }

  /** Detach from the tree; children move up to this cap's parent, in order, appended. */
  unlink(): void {
    const parent = this.parent;
    if (parent !== null) {
      if (this.prevSibling !== null) this.prevSibling.nextSibling = this.nextSibling;
      else parent.firstChild = this.nextSibling;
      if (this.nextSibling !== null) this.nextSibling.prevSibling = this.prevSibling;
      else parent.lastChild = this.prevSibling;
      parent.children--;
    }
    const first = this.firstChild;
    if (first !== null) {
      // Splice the whole child list onto the parent's (or make the children roots).
      for (let c: Cap | null = first; c !== null; c = c.nextSibling) c.parent = parent;
      if (parent !== null) {
        const last = parent.lastChild;
        first.prevSibling = last;
        if (last === null) parent.firstChild = first;
        else last.nextSibling = first;
        parent.lastChild = this.lastChild;
        parent.children += this.children;
      } else {
        for (let c: Cap | null = first; c !== null; ) {
          const next: Cap | null = c.nextSibling;
          c.prevSibling = null;
          c.nextSibling = null;
          c = next;
        }
      }
    }
    this.firstChild = null;
    this.lastChild = null;
    this.children = 0;
    this.parent = null;
    this.prevSibling = null;
    this.nextSibling = null;
    this.noSenders = null;
    // The parent just lost its last derived cap: nobody holds a copy of it any more.
    if (parent !== null && parent.firstChild === null && parent.noSenders !== null) parent.noSenders(parent);
  }

  /** Number of caps derived directly from this one. */
  childCount(): number {
    return this.children;
  }

  /** Every descendant, deepest first, so deleting in this order never re-parents. */
  descendants(): Cap[] {
    const out: Cap[] = [];
    const walk = (c: Cap): void => {
      for (let k = c.firstChild; k !== null; k = k.nextSibling) {
        walk(k);
        out.push(k);
      }
    };
    walk(this);
    return out;
  }
}

/** Hooks the kernel installs so a cap space can report removals (for Decision 10 etc.). */
export interface CSpaceOwner {
  readonly id: number;
}

/**
 * A task's capability space: slots 0..size-1, slot 0 never valid. Slots are allocated
 * lazily; `slots[name]` is `undefined` past the allocated part, `null` when empty.
 */
export class CSpace {
  /** Indexed by cap name. Read directly by the fast path. */
  slots: (Cap | null)[];
  /** Lowest slot that may be free; a hint for `allocSlot`. */
  private freeHint: number;
  /** Free slots set aside (receive windows) that allocSlot must not hand out. */
  readonly reserved = new Set<number>();

  constructor(
    readonly owner: CSpaceOwner,
    readonly size: number,
    firstFree: number,
  ) {
    this.slots = new Array<Cap | null>(Math.min(size, 64)).fill(null);
    this.freeHint = firstFree;
  }

  /** True when `name` is an integer naming a slot of this space (slot 0 included). */
  inRange(name: number): boolean {
    return Number.isInteger(name) && name >= 0 && name < this.size;
  }

  /** The cap in a slot, or null (empty or out of range). */
  get(name: number): Cap | null {
    const c = this.slots[name];
    return c === undefined ? null : c;
  }

  /** Status for a name that did not yield a cap: RangeError or the given empty-slot code. */
  missStatus(name: number, emptyCode: number): number {
    return this.inRange(name) && name !== 0 ? emptyCode : Status.RangeError;
  }

  /** Status if `name` cannot receive a cap: Ok, RangeError, or DeleteFirst. */
  checkFree(name: number): number {
    if (!this.inRange(name) || name === 0) return Status.RangeError;
    return this.get(name) === null ? Status.Ok : Status.DeleteFirst;
  }

  /** A free, unreserved slot at or above `from`, or 0 when the space is full. */
  allocSlot(from = this.freeHint): number {
    for (let i = Math.max(from, 1); i < this.size; i++) {
      if (this.get(i) === null && !this.reserved.has(i)) {
        if (from === this.freeHint) this.freeHint = i + 1;
        return i;
      }
    }
    return 0;
  }

  /** Set aside a free slot (a receive window) so allocSlot skips it; 0 when full. */
  reserveSlot(): number {
    const s = this.allocSlot();
    if (s !== 0) this.reserved.add(s);
    return s;
  }

  /** Give a reserved slot back to allocSlot. */
  unreserveSlot(slot: number): void {
    this.reserved.delete(slot);
  }

  /** Store a new cap in a slot the caller checked is free; counts it on its object. */
  put(name: number, cap: Cap): void {
    this.place(name, cap);
    cap.obj.capCount++;
    cap.obj.onCapAdded(cap);
  }

  /** Store an existing cap (one being moved) in a free slot; counts do not change. */
  place(name: number, cap: Cap): void {
    if (name >= this.slots.length) {
      // Grow by doubling with explicit nulls, keeping the array packed for the fast path.
      let n = this.slots.length;
      while (n <= name) n *= 2;
      n = Math.min(n, this.size);
      while (this.slots.length < n) this.slots.push(null);
    }
    cap.cspace = this;
    cap.slot = name;
    this.slots[name] = cap;
  }

  /** Take a cap out of its slot without touching the tree (used by move and delete). */
  take(name: number): Cap | null {
    const cap = this.get(name);
    if (cap === null) return null;
    this.slots[name] = null;
    if (name < this.freeHint) this.freeHint = name;
    cap.cspace = null;
    return cap;
  }

  /** Every occupied slot, in order. */
  *entries(): IterableIterator<[number, Cap]> {
    for (let i = 0; i < this.slots.length; i++) {
      const c = this.slots[i];
      if (c !== null && c !== undefined) yield [i, c];
    }
  }
}

/** True for kinds whose caps carry badges (B1). */
export function isBadgeable(obj: KObject): boolean {
  return obj.kind === Kind.Endpoint || obj.kind === Kind.Notification || obj.kind === Kind.Dataspace;
}

/** True when `badge` is a valid badge word. */
export function isValidBadge(badge: unknown): badge is number {
  return typeof badge === 'number' && Number.isInteger(badge) && badge >= 0 && badge <= MAX_WORD;
}
