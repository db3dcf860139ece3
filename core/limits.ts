// Fixed sizes of messages and cap spaces, as the contract's M2, M3 and C1 name them.

/** Message registers per UTCB (L4: 64). */
export const MR_COUNT = 64;
/** Words that fit the fast path (seL4: 4). */
export const FASTPATH_MRS = 4;
/** Caps one message carries (C1, seL4: 3). More are clamped silently. */
export const MAX_CAPS = 3;
/** Typed string/byte items one message carries. More are clamped silently. */
export const MAX_ITEMS = 4;
/** Largest typed item in bytes (or UTF-16 units for strings); longer ones are cut (M3). */
export const MAX_ITEM_LENGTH = 1 << 20;
/** Default receive window per item when the receiver set none. */
export const DEFAULT_ITEM_WINDOW = 1 << 20;
/** Default and largest cap space size. */
export const DEFAULT_CSPACE_SLOTS = 4096;
export const MAX_CSPACE_SLOTS = 1 << 20;
/** Largest word and badge (words are uint32). */
export const MAX_WORD = 0xffffffff;
/** Priorities: 0 (lowest) .. 255 (highest), as seL4. */
export const MAX_PRIORITY = 255;
export const DEFAULT_PRIORITY = 100;

/** Well-known slots in every task's cap space. Slot 0 is never valid (the null cap). */
export const CAP_NULL = 0;
/** The task's own task cap. */
export const CAP_SELF = 1;
/** The task's factory, if it was given one. */
export const CAP_FACTORY = 2;
/** The first slot free for the task's own use. */
export const CAP_FIRST_FREE = 3;

/** Timeout meaning "wait forever". Timeouts are 0, NEVER, or a finite relative time in ms. */
export const NEVER = Number.POSITIVE_INFINITY;

/** True for a valid timeout: 0, NEVER, or a finite non-negative number of milliseconds. */
export function isValidTimeout(t: unknown): t is number {
  return typeof t === 'number' && t >= 0 && !Number.isNaN(t);
}
