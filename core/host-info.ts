// The host object: one kernel object per kernel whose caps let a task read the kernel's
// introspection snapshot (introspect.ts) through a syscall, as Mach's proc server reads
// every task through the privileged host port. Only host code (a composer) makes caps
// to it (grantHost); a holder may pass a copy on with fewer rights, as any cap. It never
// dies: its last cap going leaves it in place for the next grant.
//
// The syscall (Sys.kernelSnapshot, the same over an isolated task's ring) answers the
// snapshot as JSON text, at most `max` UTF-16 units (default and largest MAX_ITEM_LENGTH,
// what one typed item carries): all of it, or with SnapshotScope.Threads only the tasks
// and their threads. Infinite numbers (the root factory's limits, a thread
// without a deadline is already null) read back as null. Errors, with the thread's
// error detail set:
//   RangeError         the cap name is outside the cap space, or the snapshot is longer
//                      than `max` (argument 'max'; the message says its length)
//   InvalidCapability  the slot is empty, not a host cap, or the cap lacks Read
//   InvalidArgument    `max` is not an integer in 1..MAX_ITEM_LENGTH (argument 'max'), or
//                      `scope` is not a SnapshotScope (argument 'scope')

import { Cap } from './cspace.ts';
import { Status } from './errors.ts';
import { snapshot, threadInfo, type Snapshot, type TaskSnapshot } from './introspect.ts';
import { failure, lookup, type Result } from './invocations.ts';
import type { Kernel } from './kernel.ts';
import { KObject, Kind } from './kobject.ts';
import { MAX_ITEM_LENGTH } from './limits.ts';
import { Rights } from './rights.ts';
import type { Task } from './task.ts';
import type { Thread } from './thread.ts';

/** Largest snapshot text the syscall answers (UTF-16 units): one typed item. */
export const MAX_SNAPSHOT_LENGTH = MAX_ITEM_LENGTH;

/**
 * What kernelSnapshot answers: the whole snapshot, or only the tasks and their threads
 * (each task's caps and mappings and the lists of other objects left empty), whose size
 * does not grow with the caps any task holds.
 */
export const SnapshotScope = { All: 0, Threads: 1 } as const;

/** The kernel's host object. */
export class HostObject extends KObject {
  readonly kind = Kind.Host;
  /** It lives as long as its kernel: a later grant finds the same object. */
  override lastCapGone(): void {}
}

const hosts = new WeakMap<Kernel, HostObject>();

/** The host object of `k` (made, and registered for introspection, on first use). */
export function hostObject(k: Kernel): HostObject {
  let h = hosts.get(k);
  if (h === undefined) {
    h = new HostObject(k.allocId());
    k.adopt(h);
    hosts.set(k, h);
  }
  return h;
}

/**
 * Host side (a composer's power): put a cap to the host object in `task` (a free slot
 * unless `slot` is given; rights default to Read, which is all the object knows).
 * Returns the slot. Throws when the slot is taken or the task is dead.
 */
export function grantHost(k: Kernel, task: Task, opts: { slot?: number; rights?: number } = {}): number {
  if (!task.alive) throw new Error(`grantHost: task ${task.name} is dead`);
  const cs = task.cspace;
  const slot = opts.slot ?? cs.allocSlot();
  const st = cs.checkFree(slot);
  if (st !== Status.Ok) throw new Error(`grantHost: ${task.name}[${slot}] is not free (status ${st})`);
  cs.put(slot, new Cap(hostObject(k), (opts.rights ?? Rights.Read) & Rights.All, 0));
  return slot;
}

/** The syscall: the snapshot as JSON through the host cap in `slot` (see the file comment for errors). */
export function readSnapshot(k: Kernel, t: Thread, slot: number, max: number, scope: number = SnapshotScope.All): Result<string> {
  if (!Number.isInteger(max) || max < 1 || max > MAX_SNAPSHOT_LENGTH) return failure(t, Status.InvalidArgument, 'max');
  if (scope !== SnapshotScope.All && scope !== SnapshotScope.Threads) return failure(t, Status.InvalidArgument, 'scope');
  const c = lookup(t, slot, Kind.Host, Rights.Read);
  if (typeof c === 'number') return failure(t, c, 'host (host cap with Read)', slot);
  const text = JSON.stringify(scope === SnapshotScope.All ? snapshot(k) : threadsSnapshot(k));
  if (text.length > max) {
    const detail = { status: Status.RangeError, argument: 'max', message: `RangeError: the snapshot is ${text.length} units, longer than max ${max}` };
    t.utcb.error = detail;
    return { ok: false, status: Status.RangeError, detail };
  }
  return { ok: true, value: text };
}

/** The snapshot's tasks and threads only (SnapshotScope.Threads). */
function threadsSnapshot(k: Kernel): Snapshot {
  const tasks: TaskSnapshot[] = [];
  for (const task of k.tasks.values()) {
    tasks.push({ id: task.id, name: task.name, alive: task.alive, threads: [...task.threads].sort((a, b) => a.id - b.id).map(threadInfo), caps: [], mappings: [] });
  }
  return { time: k.clock.now(), counters: { ...k.counters }, tasks, endpoints: [], notifications: [], factories: [], dataspaces: [], memory: [] };
}
