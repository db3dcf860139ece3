// Whether a cap still leads somewhere: its slot is occupied and, for an endpoint, some
// task can still receive on it (Decision 10: an endpoint with no Read cap left is dead,
// e.g. its server's task was deleted without ending its buckets). capIsLive is kernel
// introspection (host side); keptCapIsLive asks the holder's own identify, so it works in
// an isolated task too.

import { Kind, type CapOps, type Kernel, type Task } from '../../core/index.ts';

/**
 * True when `task[slot]` holds a cap whose object is still alive (an endpoint: not dead).
 * With `serial` (of the cap a server kept there), only that very cap counts: a kept cap
 * its origin revoked leaves the slot free, and whatever the server gets next may land in
 * it.
 */
export function capIsLive(kernel: Kernel, task: Task, slot: number, serial?: number): boolean {
  const cap = task.cspace.get(slot);
  if (cap === null || (serial !== undefined && cap.serial !== serial)) return false;
  if (cap.obj.kind !== Kind.Endpoint) return true;
  const obj = kernel.object(cap.obj.id) as { dead?: unknown } | undefined;
  return obj !== undefined && obj.dead !== true;
}

/**
 * The same question asked by the task that holds the cap, through its own `identify`
 * (in-process or over an isolated task's ring): the slot still holds the cap of serial
 * `serial`, and an endpoint is not dead.
 */
export function keptCapIsLive(ops: Pick<CapOps, 'identify'>, slot: number, serial: number): boolean {
  const id = ops.identify(slot);
  return id !== null && id.serial === serial && !(id.kind === Kind.Endpoint && id.dead);
}
