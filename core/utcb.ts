// The user thread control block (M2): message registers, buffer registers, and the
// thread control registers that report what the last receive got.

import type { MemView } from './dataspace.ts';
import type { ErrorDetail } from './errors.ts';
import { DEFAULT_ITEM_WINDOW, MAX_CAPS, MAX_ITEMS, MR_COUNT } from './limits.ts';

/** A typed item: a string or a byte buffer, copied into the receiver's buffer (M2). */
export type Item = string | Uint8Array;

/**
 * A map or grant item (DS3, L4's flexpage): a page-aligned range of the sender's
 * address space, mapped into the receiver's memory window with at most `rights`
 * (map), or the sender's whole mapping moved there (grant). Put it in a message with
 * `utcb.setMap(i, item)`; it counts as one of the message's items.
 */
export interface MapItem {
  readonly vaddr: number;
  readonly length: number;
  readonly rights: number;
  readonly grant: boolean;
}

/** The value of items[i] (sent) and itemsIn[i] (received) for a map item: an empty byte item. */
export const MAP_ITEM: Uint8Array = new Uint8Array(0);

/**
 * One thread's UTCB. A sender fills `mr`, `items`, `caps` and `grantMask` and names the
 * counts in the syscall; a receiver sets `buffers`, `stringWindow` and `recvSlots` before
 * receiving and reads `label`, `length`, `capCount`, `itemCount`, `badge`, `unwrapped`,
 * `itemsIn` and `truncated` after.
 */
export class Utcb {
  /** Message registers MR0..MR63; every word sent must be a uint32. */
  readonly mr = new Float64Array(MR_COUNT);

  // --- sending
  /** Typed items to send; the syscall says how many. */
  readonly items: (Item | null)[] = new Array<Item | null>(MAX_ITEMS).fill(null);
  /** Names of caps to transfer; the syscall says how many. */
  readonly caps: number[] = new Array<number>(MAX_CAPS).fill(0);
  /** Bit i set: transfer caps[i] by grant (move) instead of map (copy) (C5). */
  grantMask = 0;
  /** Map items: maps[i] is item i when items[i] is MAP_ITEM (set both with setMap). */
  readonly maps: (MapItem | null)[] = new Array<MapItem | null>(MAX_ITEMS).fill(null);
  /** @internal Map items the message being sent carries (set by decode). */
  sendMaps = 0;

  // --- buffer registers (receiving)
  /** Receive windows for byte items: item i is copied into buffers[i] when set. */
  readonly buffers: (Uint8Array | null)[] = new Array<Uint8Array | null>(MAX_ITEMS).fill(null);
  /** Longest string item (UTF-16 units) and byte item (when no buffer is set) accepted. */
  itemWindow = DEFAULT_ITEM_WINDOW;
  /** Slots of this thread's task where received caps land, in order (C3). */
  readonly recvSlots: number[] = new Array<number>(MAX_CAPS).fill(0);
  /**
   * Memory receive window (DS3): map and grant items land from this page-aligned address
   * on, in order, until `memWindowSize` bytes are used. Size 0: no window, nothing lands.
   */
  memWindowBase = 0;
  memWindowSize = 0;

  // --- what the last receive got (thread control registers)
  label = 0;
  length = 0;
  /** Cap items processed (transferred or unwrapped) (C3). */
  capCount = 0;
  itemCount = 0;
  /** Badge of the cap the sender used (B1); the notification word after wait/poll (N1). */
  badge = 0;
  /** Bit i set: cap item i was unwrapped; its badge is in unwrappedBadges[i] (C4). */
  unwrapped = 0;
  readonly unwrappedBadges: number[] = new Array<number>(MAX_CAPS).fill(0);
  /** Received typed items; byte items are views of the receive window or fresh copies. */
  readonly itemsIn: (Item | null)[] = new Array<Item | null>(MAX_ITEMS).fill(null);
  /** Bit i set: received item i was cut to the receive window (M3). */
  truncated = 0;
  /** Where itemsIn[i] is MAP_ITEM: a view of what landed, or null when nothing did (DS3). */
  readonly mapsIn: (MemView | null)[] = new Array<MemView | null>(MAX_ITEMS).fill(null);
  /** Bytes mapped by the map and grant items of the last message received (DS3). */
  mapped = 0;

  /** Detail of the last error status this thread got, or null. */
  error: ErrorDetail | null = null;

  /** Make item `i` a map or grant item (DS3). */
  setMap(i: number, item: MapItem): void {
    this.items[i] = MAP_ITEM;
    this.maps[i] = item;
  }

  /** Name where received map items may land: `size` bytes from `base` (both page-aligned). */
  setMemWindow(base: number, size: number): void {
    this.memWindowBase = base;
    this.memWindowSize = size;
  }
}
