// The user thread control block (M2): message registers, buffer registers, and the
// thread control registers that report what the last receive got.

import type { ErrorDetail } from './errors.ts';
import { DEFAULT_ITEM_WINDOW, MAX_CAPS, MAX_ITEMS, MR_COUNT } from './limits.ts';

/** A typed item: a string or a byte buffer, copied into the receiver's buffer (M2). */
export type Item = string | Uint8Array;

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

  // --- buffer registers (receiving)
  /** Receive windows for byte items: item i is copied into buffers[i] when set. */
  readonly buffers: (Uint8Array | null)[] = new Array<Uint8Array | null>(MAX_ITEMS).fill(null);
  /** Longest string item (UTF-16 units) and byte item (when no buffer is set) accepted. */
  itemWindow = DEFAULT_ITEM_WINDOW;
  /** Slots of this thread's task where received caps land, in order (C3). */
  readonly recvSlots: number[] = new Array<number>(MAX_CAPS).fill(0);

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

  /** Detail of the last error status this thread got, or null. */
  error: ErrorDetail | null = null;
}
