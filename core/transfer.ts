// Message decode and transfer: validate a sender's whole message first (words, counts,
// items, caps: C2), then copy words directly and items indirectly into the receiver's
// UTCB and transfer or unwrap caps (C3, C4, C5). Cap failures at the receiver truncate
// silently (Decision 9); nothing here can fail halfway.

import { Cap } from './cspace.ts';
import { relocate } from './cap-ops.ts';
import type { Endpoint } from './endpoint.ts';
import { Status } from './errors.ts';
import { Kind } from './kobject.ts';
import { MAX_CAPS, MAX_ITEM_LENGTH, MAX_ITEMS, MR_COUNT } from './limits.ts';
import type { Thread } from './thread.ts';
import { MAP_ITEM, type Item } from './utcb.ts';
import { decodeMapItem, landMaps } from './dataspace-ops.ts';

// Enum members bound locally (V8 does not constant-fold imported bindings): read on
// every slow-path syscall.
const K_REPLY = Kind.Reply;
const FAILED_LOOKUP = Status.FailedLookup;
const ILLEGAL_OPERATION = Status.IllegalOperation;
const INVALID_ARGUMENT = Status.InvalidArgument;
const OK = Status.Ok;

/** Where decode found a problem, for the thread's error detail. */
export interface DecodeFault {
  status: number;
  argument: string;
  item?: number;
  slot?: number;
}

/** True when `w` is a valid word: an integer in 0..2^32-1. NaN, fractions, negatives fail. */
export function isWord(w: number): boolean {
  return w >>> 0 === w;
}

/** Clamp a count to 0..max; null when it is not a non-negative integer. */
function clampCount(n: number, max: number): number | null {
  if (!(n >>> 0 === n)) return null;
  return n > max ? max : n;
}

/**
 * Validate the message a thread is about to send: label a1, length a2, cap count a3,
 * item count a4 (clamped in place, M3 / C1), every word, every item, and every cap name
 * (C2), whether or not the caps will go: a message sent without Grant still fails on a
 * bad cap name, and only a good message has its caps dropped (R4). Returns null when
 * the message is good, otherwise what is wrong.
 */
export function decodeMessage(t: Thread): DecodeFault | null {
  if (!isWord(t.a1)) return { status: INVALID_ARGUMENT, argument: 'label' };
  const len = clampCount(t.a2, MR_COUNT);
  if (len === null) return { status: INVALID_ARGUMENT, argument: 'length' };
  const ncaps = clampCount(t.a3, MAX_CAPS);
  if (ncaps === null) return { status: INVALID_ARGUMENT, argument: 'caps' };
  const nitems = clampCount(t.a4, MAX_ITEMS);
  if (nitems === null) return { status: INVALID_ARGUMENT, argument: 'items' };
  t.a2 = len;
  t.a3 = ncaps;
  t.a4 = nitems;
  const u = t.utcb;
  const mr = u.mr;
  let maps = 0;
  for (let i = 0; i < len; i++) {
    if (!isWord(mr[i]!)) return { status: INVALID_ARGUMENT, argument: `mr[${i}]`, item: i };
  }
  for (let i = 0; i < nitems; i++) {
    const it = u.items[i];
    if (it === MAP_ITEM) {
      const bad = decodeMapItem(t, i);
      if (bad !== null) return bad;
      maps++;
      continue;
    }
    if (typeof it !== 'string' && !(it instanceof Uint8Array)) {
      return { status: INVALID_ARGUMENT, argument: `items[${i}]`, item: i };
    }
  }
  u.sendMaps = maps;
  const cs = t.task.cspace;
  for (let i = 0; i < ncaps; i++) {
    const name = u.caps[i]!;
    const c = cs.get(name);
    if (c === null) return { status: cs.missStatus(name, FAILED_LOOKUP), argument: `caps[${i}]`, item: i, slot: name };
    if (c.obj.kind === K_REPLY) return { status: ILLEGAL_OPERATION, argument: `caps[${i}]`, item: i, slot: name };
  }
  return null;
}

/** Observer of cap transfers, for tracing; null when no tracer is attached. */
export type CapTransferHook = ((mode: 'map' | 'grant' | 'unwrap', from: Thread, to: Thread, cap: Cap, slot: number) => void) | null;

/**
 * Copy a decoded message from `s` to `r`. `ep` is the endpoint it travels through (for
 * unwrapping, C4), or null for a reply. `canGrant` says whether caps go at all (R4, R5).
 */
export function transferMessage(
  s: Thread,
  r: Thread,
  ep: Endpoint | null,
  badge: number,
  canGrant: boolean,
  onCap: CapTransferHook,
): void {
  const su = s.utcb;
  const ru = r.utcb;
  const len = s.a2;
  const smr = su.mr;
  const rmr = ru.mr;
  for (let i = 0; i < len; i++) rmr[i] = smr[i]!;
  ru.label = s.a1;
  ru.length = len;
  ru.badge = badge;

  const nitems = s.a4;
  let truncated = 0;
  // Items past itemCount are always null: clear only the ones the last message left.
  for (let i = nitems; i < ru.itemCount; i++) ru.itemsIn[i] = null;
  for (let i = 0; i < nitems; i++) {
    const item = su.items[i] as Item;
    if (item === MAP_ITEM) {
      ru.itemsIn[i] = MAP_ITEM;
      continue;
    }
    if (typeof item === 'string') {
      const max = Math.min(ru.itemWindow, MAX_ITEM_LENGTH);
      if (item.length > max) {
        ru.itemsIn[i] = item.slice(0, max);
        truncated |= 1 << i;
      } else ru.itemsIn[i] = item;
    } else {
      const buf = ru.buffers[i] ?? null;
      const max = Math.min(buf === null ? ru.itemWindow : buf.length, MAX_ITEM_LENGTH);
      const n = item.length > max ? max : item.length;
      if (n < item.length) truncated |= 1 << i;
      if (buf !== null) {
        buf.set(n === item.length ? item : item.subarray(0, n));
        ru.itemsIn[i] = buf.subarray(0, n);
      } else ru.itemsIn[i] = item.slice(0, n);
    }
  }
  ru.itemCount = nitems;
  ru.truncated = truncated;
  ru.mapped = 0;
  if (su.sendMaps !== 0) landMaps(s, r, nitems, canGrant);

  ru.unwrapped = 0;
  let processed = 0;
  const ncaps = s.a3;
  if (ncaps > 0 && canGrant) {
    const scs = s.task.cspace;
    const rcs = r.task.cspace;
    let nextSlot = 0;
    for (let i = 0; i < ncaps; i++) {
      const cap = scs.get(su.caps[i]!);
      // Deleted while the sender was blocked, or a reply cap: stop here (Decision 9).
      if (cap === null || cap.obj.kind === K_REPLY) break;
      if (ep !== null && cap.obj === ep) {
        ru.unwrapped |= 1 << i;
        ru.unwrappedBadges[i] = cap.badge;
        processed++;
        if (onCap !== null) onCap('unwrap', s, r, cap, -1);
        continue;
      }
      if (nextSlot >= MAX_CAPS) break;
      const dst = ru.recvSlots[nextSlot++]!;
      if (rcs.checkFree(dst) !== OK) break;
      if ((su.grantMask & (1 << i)) !== 0) {
        relocate(cap, rcs, dst);
        if (onCap !== null) onCap('grant', s, r, cap, dst);
      } else {
        const copy = new Cap(cap.obj, cap.rights, cap.badge);
        cap.addChild(copy);
        rcs.put(dst, copy);
        if (onCap !== null) onCap('map', s, r, copy, dst);
      }
      processed++;
    }
  }
  ru.capCount = processed;
}
