// Capability spaces and the derivation tree: local integer names per task, caps with
// rights and badges, and mint / copy / move / delete / revoke (R2, B2, B3, D3).
//
// Every derived cap (mint, copy, a map transfer) is a child of its source; a move keeps
// the cap's place in the tree. Deleting a cap re-parents its children to its parent, so
// revoking an ancestor still reaches them. Revoke removes every descendant, not the cap
// itself. Operations decode and validate first, then mutate: nothing fails halfway.
// A client can grow the tree as deep and as wide as its cap spaces allow, so no walk
// here recurses and no deletion costs more than the smaller of two child sets.

import { Status } from './errors.ts';
import { Kind, type KObject } from './kobject.ts';
import { MAX_WORD } from './limits.ts';

/**
 * The children of one cap, in derivation order: a list their `fam` points at, so that
 * handing a whole set of children to another cap (when their parent is deleted) is a
 * splice plus, as union by size, moving only the smaller of the two sets.
 */
class Family {
  first: Cap | null = null;
  last: Cap | null = null;
  count = 0;

  /** The cap the members derive from; null once they have become roots. */
  constructor(public owner: Cap | null) {}

  /** Point every member at `to` (one loop over this family). */
  retarget(to: Family): void {
    for (let c = this.first; c !== null; c = c.nextSibling) c.fam = to;
  }
}

/** Serial numbers of caps: each cap the kernel makes gets the next one. */
let lastSerial = 0;

/** One capability: an object, rights, a badge, and its place in the derivation tree. */
export class Cap {
  /**
   * Unique for the kernel's life (never reused): tells the cap a holder kept in a slot
   * from another that later fills the same slot after the first was revoked.
   */
  readonly serial = ++lastSerial;
  cspace: CSpace | null = null;
  slot = 0;
  /** The family this cap is a child in (its parent's children), or null for a root. */
  fam: Family | null = null;
  /** This cap's own children, or null before its first child. */
  kids: Family | null = null;
  nextSibling: Cap | null = null;
  prevSibling: Cap | null = null;
  /** Called when the last cap derived from this one goes (no-senders), or null. */
  noSenders: ((cap: Cap) => void) | null = null;

  constructor(
    readonly obj: KObject,
    readonly rights: number,
    readonly badge: number,
  ) {}

  /** The cap this one derives from, or null for a root. */
  get parent(): Cap | null {
    const f = this.fam;
    return f === null ? null : f.owner;
  }

  /** The first cap derived from this one, or null. */
  get firstChild(): Cap | null {
    const f = this.kids;
    return f === null ? null : f.first;
  }

  /** Attach `child` as the last child of this cap (constant time). */
  addChild(child: Cap): void {
    let f = this.kids;
    if (f === null) f = this.kids = new Family(this);
    child.fam = f;
    child.nextSibling = null;
    const last = f.last;
    child.prevSibling = last;
    if (last === null) f.first = child;
    else last.nextSibling = child;
    f.last = child;
    f.count++;
  }

  /**
   * Detach from the tree; children move up to this cap's parent, in order, appended
   * after its own (or become roots). The two child lists are spliced and only the
   * smaller set of caps is re-pointed (union by size), so deleting a chain of caps above
   * a large fan of copies costs the chain, not chain x fan: no client can make a
   * deletion sequence quadratic.
   */
  unlink(): void {
    const pf = this.fam;
    let parent: Cap | null = null;
    if (pf !== null) {
      parent = pf.owner;
      if (this.prevSibling !== null) this.prevSibling.nextSibling = this.nextSibling;
      else pf.first = this.nextSibling;
      if (this.nextSibling !== null) this.nextSibling.prevSibling = this.prevSibling;
      else pf.last = this.prevSibling;
      pf.count--;
    }
    const kids = this.kids;
    if (kids !== null && kids.first !== null) {
      if (pf === null) kids.owner = null; // the children become roots
      else if (kids.count <= pf.count) {
        kids.retarget(pf);
        append(pf, kids);
      } else {
        // The parent's (fewer) children join this cap's list, ahead of it.
        pf.retarget(kids);
        prepend(kids, pf);
        kids.owner = parent;
        if (parent !== null) parent.kids = kids;
      }
    }
    this.kids = null;
    this.fam = null;
    this.prevSibling = null;
    this.nextSibling = null;
    this.noSenders = null;
    // The parent just lost its last derived cap: nobody holds a copy of it any more.
    if (parent !== null && parent.firstChild === null && parent.noSenders !== null) parent.noSenders(parent);
  }

  /** Number of caps derived directly from this one. */
  childCount(): number {
    const f = this.kids;
    return f === null ? 0 : f.count;
  }

  /**
   * Every descendant, deepest first (post-order), so deleting in this order never
   * re-parents. Iterative: the walk follows the tree's own links (first child, next
   * sibling, parent) with no stack, so a chain of any depth is walked in constant stack
   * (a client can derive a chain as deep as its cap spaces allow).
   */
  descendants(): Cap[] {
    const out: Cap[] = [];
    let c = this.firstChild;
    if (c === null) return out;
    while (c.firstChild !== null) c = c.firstChild;
    for (;;) {
      out.push(c);
      const next: Cap | null = c.nextSibling;
      if (next !== null) {
        c = next;
        while (c.firstChild !== null) c = c.firstChild;
      } else {
        c = c.parent!;
        if (c === this) return out;
      }
    }
  }
}

/** Move the members of `from` (already re-pointed) to the end of `to`; `from` is left empty. */
function append(to: Family, from: Family): void {
  const first = from.first!;
  const last = to.last;
  first.prevSibling = last;
  if (last === null) to.first = first;
  else last.nextSibling = first;
  to.last = from.last;
  to.count += from.count;
  from.first = from.last = null;
  from.count = 0;
}

/** Move the members of `from` (already re-pointed) to the front of `to`; `from` is left empty. */
function prepend(to: Family, from: Family): void {
  const last = from.last;
  if (last === null) return;
  const first = to.first!;
  last.nextSibling = first;
  first.prevSibling = last;
  to.first = from.first;
  to.count += from.count;
  from.first = from.last = null;
  from.count = 0;
}

/** Hooks the kernel installs so a cap space can report removals (for Decision 10 etc.). */
export interface CSpaceOwner {
  readonly id: number;
}

/**
 * The slots of a cap space set aside, as a flag per slot. A client reserves a slot for
 * each reply cap a call may answer and gives it back after: as a Set, the delete that
 * emptied it made V8 shrink (reallocate) its table on every such call, and the next
 * add grow it again.
 */
export class ReservedSlots {
  private flags = new Uint8Array(64);
  private n = 0;

  /** How many slots are set aside. */
  get size(): number {
    return this.n;
  }

  has(slot: number): boolean {
    return slot < this.flags.length && this.flags[slot] === 1;
  }

  add(slot: number): void {
    if (slot >= this.flags.length) {
      let len = this.flags.length;
      while (len <= slot) len *= 2;
      const grown = new Uint8Array(len);
      grown.set(this.flags);
      this.flags = grown;
    }
    if (this.flags[slot] === 0) {
      this.flags[slot] = 1;
      this.n++;
    }
  }

  delete(slot: number): void {
    if (this.has(slot)) {
      this.flags[slot] = 0;
      this.n--;
    }
  }
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
  readonly reserved = new ReservedSlots();

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
