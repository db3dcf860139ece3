// A cap a server kept from a message, named by its slot and the cap's serial number: the
// client that sent it can revoke it from under the server, and the slot may then be
// refilled by an unrelated cap, so a kept cap is used and deleted only while it is there.

import type { HostSys } from '../core/index.ts';

/** A cap kept in `slot`: the very cap whose serial number was seen there. */
export interface KeptCap {
  readonly slot: number;
  readonly serial: number;
}

/** The cap now in `slot`, to keep; null when the slot is empty. */
export function keptCap(ops: Pick<HostSys, 'identify'>, slot: number): KeptCap | null {
  const id = ops.identify(slot);
  return id === null ? null : { slot, serial: id.serial };
}

/** True while the slot still holds the kept cap (false once revoked, even if refilled). */
export function stillKept(ops: Pick<HostSys, 'identify'>, k: KeptCap): boolean {
  return ops.identify(k.slot)?.serial === k.serial;
}

/** Delete the kept cap if it is still there; a slot refilled by another cap is left alone. */
export function releaseKept(ops: Pick<HostSys, 'identify' | 'delete'>, k: KeptCap): void {
  if (stillKept(ops, k)) ops.delete(k.slot);
}
