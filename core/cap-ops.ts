// Cap space operations: mint, copy, move, delete, revoke. Decode first, then perform,
// as seL4's CNode invocations: each returns a status and either fully happens or not.

import { Cap, type CSpace, isBadgeable, isValidBadge } from './cspace.ts';
import { Status } from './errors.ts';
import { Kind } from './kobject.ts';

/** Remove a cap from its slot and the tree; destroys the object when it was the last cap. */
export function deleteCap(cap: Cap): void {
  const cs = cap.cspace;
  if (cs === null) return;
  cap.unlink();
  cs.take(cap.slot);
  const obj = cap.obj;
  obj.capCount--;
  obj.onCapRemoved(cap);
  if (obj.capCount === 0) obj.lastCapGone();
}

/** Delete every descendant of a cap (D3, B3), deepest first. The cap itself stays. */
export function revokeCap(cap: Cap): void {
  for (const d of cap.descendants()) deleteCap(d);
  cap.obj.onRevoke(cap);
}

/**
 * Derive a new cap from `src` into `dst[dstSlot]` with rights `src.rights & rights`
 * (R2, silently intersected) and `badge` (B1; 0 keeps the source's badge). A badged cap
 * cannot be rebadged (B2); reply caps cannot be copied (P2).
 * Errors: FailedLookup (empty source), RangeError / DeleteFirst (destination),
 * IllegalOperation (rebadge, reply cap), InvalidArgument (rights or badge not a uint32,
 * badge on a kind without badges).
 */
export function mintCap(
  srcSpace: CSpace,
  srcSlot: number,
  dstSpace: CSpace,
  dstSlot: number,
  rights: number,
  badge: number,
): number {
  const src = srcSpace.get(srcSlot);
  if (src === null) return srcSpace.missStatus(srcSlot, Status.FailedLookup);
  const free = dstSpace.checkFree(dstSlot);
  if (free !== Status.Ok) return free;
  // Rights are a word like any other argument: a uint32 (R2 then intersects its bits).
  if (!(rights >>> 0 === rights)) return Status.InvalidArgument;
  if (!isValidBadge(badge)) return Status.InvalidArgument;
  if (src.obj.kind === Kind.Reply) return Status.IllegalOperation;
  let newBadge = src.badge;
  if (badge !== 0) {
    if (!isBadgeable(src.obj)) return Status.InvalidArgument;
    if (src.badge !== 0 && src.badge !== badge) return Status.IllegalOperation;
    newBadge = badge;
  }
  const cap = new Cap(src.obj, src.rights & rights, newBadge);
  src.addChild(cap);
  dstSpace.put(dstSlot, cap);
  return Status.Ok;
}

/** Move the cap in `srcSlot` to `dstSlot`, keeping its place in the derivation tree. */
export function moveCap(srcSpace: CSpace, srcSlot: number, dstSpace: CSpace, dstSlot: number): number {
  const src = srcSpace.get(srcSlot);
  if (src === null) return srcSpace.missStatus(srcSlot, Status.FailedLookup);
  if (srcSpace === dstSpace && srcSlot === dstSlot) return Status.Ok;
  const free = dstSpace.checkFree(dstSlot);
  if (free !== Status.Ok) return free;
  relocate(src, dstSpace, dstSlot);
  return Status.Ok;
}

/** Move a cap to another slot (possibly in another space); counts do not change. */
export function relocate(cap: Cap, dstSpace: CSpace, dstSlot: number): void {
  const from = cap.cspace;
  if (from !== null) from.take(cap.slot);
  dstSpace.place(dstSlot, cap);
  cap.obj.onCapMoved(cap);
}
