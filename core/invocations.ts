// Object invocations that never block: cap space operations, factory creation, task and
// thread control, notification binding, death watches and no-senders requests. Each
// looks up and checks every cap it names first, then acts (seL4's decode/invoke split).

import { Cap } from './cspace.ts';
import { mintCap, moveCap, deleteCap, revokeCap } from './cap-ops.ts';
import { Endpoint, EpState } from './endpoint.ts';
import { Status, statusName, type ErrorDetail } from './errors.ts';
import type { Factory } from './factory.ts';
import type { Kernel } from './kernel.ts';
import { Kind, type KindCode, KIND_NAMES } from './kobject.ts';
import { faultHandlerStatus } from './fault.ts';
import { DEFAULT_PRIORITY, MAX_CSPACE_SLOTS, MAX_PRIORITY } from './limits.ts';
import type { Notification } from './notification.ts';
import type { Reply } from './reply.ts';
import { Rights } from './rights.ts';
import type { Task } from './task.ts';
import { Op, type Thread, type ThreadBody } from './thread.ts';

/** Outcome of an invocation that produces a value (Genode's Attempt). */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly detail: ErrorDetail };

/** What the holder of a cap may know of it (seL4 would not even tell the badge). */
export interface CapIdentity {
  readonly kind: number;
  readonly rights: number;
  readonly badge: number;
  /** Kernel id of the object: two caps to one object have the same id. */
  readonly object: number;
  /**
   * An endpoint no cap with Read names any more (Decision 10), or a saved reply cap whose
   * caller no longer waits for it (it timed out, was cancelled or died: P2).
   */
  readonly dead: boolean;
  /**
   * The cap's serial number, unique for the kernel's life: a holder that keeps a cap
   * compares it to know the slot still holds that very cap (a revoked cap's slot may be
   * refilled by an unrelated one).
   */
  readonly serial: number;
}

export function identity(c: Cap): CapIdentity {
  const k = c.obj.kind;
  const dead = k === Kind.Endpoint ? (c.obj as Endpoint).dead : k === Kind.Reply && !(c.obj as Reply).live;
  return { kind: c.obj.kind, rights: c.rights, badge: c.badge, object: c.obj.id, dead, serial: c.serial };
}

/** Record the error on the thread and build the failed result. */
export function failure<T>(t: Thread, status: number, argument: string, slot?: number): Result<T> {
  const detail: ErrorDetail =
    slot === undefined
      ? { status, argument, message: `${statusName(status)}: ${argument}` }
      : { status, argument, slot, message: `${statusName(status)}: ${argument} (slot ${slot})` };
  t.utcb.error = detail;
  return { ok: false, status, detail };
}

/** Record an error on the thread and return its status. */
export function err(t: Thread, status: number, argument: string, slot?: number): number {
  return failure(t, status, argument, slot).ok ? Status.Ok : status;
}

/**
 * Look up a cap of `kind` with all of `rights` in the thread's space. Returns the cap,
 * or the status to answer: RangeError (bad name), InvalidCapability (empty, wrong kind,
 * missing rights).
 */
export function lookup(t: Thread, name: number, kind: KindCode, rights: number): Cap | number {
  const cs = t.task.cspace;
  const cap = cs.get(name);
  if (cap === null) return cs.missStatus(name, Status.InvalidCapability);
  if (cap.obj.kind !== kind || (cap.rights & rights) !== rights) return Status.InvalidCapability;
  return cap;
}

function need(t: Thread, name: number, kind: KindCode, rights: number, argument: string): Cap | number {
  const c = lookup(t, name, kind, rights);
  if (typeof c === 'number') return err(t, c, `${argument} (${KIND_NAMES[kind]} cap)`, name);
  return c;
}

// ------------------------------------------------------------------ cap space

export function mint(t: Thread, src: number, dst: number, rights: number, badge: number): number {
  const cs = t.task.cspace;
  const st = mintCap(cs, src, cs, dst, rights, badge);
  return st === Status.Ok ? st : err(t, st, 'mint', st === Status.FailedLookup ? src : dst);
}

export function move(t: Thread, src: number, dst: number): number {
  const cs = t.task.cspace;
  const st = moveCap(cs, src, cs, dst);
  return st === Status.Ok ? st : err(t, st, 'move', st === Status.FailedLookup ? src : dst);
}

/** Delete the cap in a slot; an empty slot is fine (seL4). */
export function remove(t: Thread, slot: number): number {
  const cs = t.task.cspace;
  if (!cs.inRange(slot) || slot === 0) return err(t, Status.RangeError, 'slot', slot);
  const cap = cs.get(slot);
  if (cap !== null) deleteCap(cap);
  return Status.Ok;
}

export function revoke(t: Thread, slot: number): number {
  const cs = t.task.cspace;
  const cap = cs.get(slot);
  if (cap === null) return err(t, cs.missStatus(slot, Status.FailedLookup), 'slot', slot);
  revokeCap(cap);
  return Status.Ok;
}

/**
 * B4: release every sender blocked on the endpoint with this cap's badge, fault messages
 * included; they retry when they next run, which fails if the cap they used was revoked
 * meanwhile (a faulting thread looks its handler up again and, finding none, stops for
 * good: F2). So after revoke and cancelBadgedSends no message carrying the badge is
 * received. Receivers and other badges are untouched.
 */
export function cancelBadgedSends(k: Kernel, t: Thread, slot: number): number {
  const cap = need(t, slot, Kind.Endpoint, Rights.None, 'cap');
  if (typeof cap === 'number') return cap;
  if (cap.badge === 0) return err(t, Status.IllegalOperation, 'cap is unbadged', slot);
  const ep = cap.obj as Endpoint;
  if (ep.state !== EpState.Send) return Status.Ok;
  for (let s = ep.queue.head; s !== null; ) {
    const next: Thread | null = s.qNext;
    if (s.sendBadge === cap.badge) {
      k.unqueue(s);
      k.timers.cancel(s);
      // Re-issue the interrupted syscall when it next runs (seL4 restarts it); a fault
      // message is rebuilt from the recorded fault and sent to the handler found then.
      s.op = s.inFault ? Op.Fault : s.sendIsCall ? Op.Call : Op.Send;
      s.restartSyscall = true;
      k.makeReady(s, Status.Ok);
    }
    s = next;
  }
  return Status.Ok;
}

// ------------------------------------------------------------------ factories

function newSlot(t: Thread, dst: number): number {
  const st = t.task.cspace.checkFree(dst);
  return st === Status.Ok ? st : err(t, st, 'dst', dst);
}

function factoryOf(t: Thread, slot: number): Factory | number {
  const c = need(t, slot, Kind.Factory, Rights.Write, 'factory');
  return typeof c === 'number' ? c : (c.obj as Factory);
}

export function createObject(
  k: Kernel,
  t: Thread,
  factorySlot: number,
  kind: typeof Kind.Endpoint | typeof Kind.Notification,
  dst: number,
): number {
  const f = factoryOf(t, factorySlot);
  if (typeof f === 'number') return f;
  const st = newSlot(t, dst);
  if (st !== Status.Ok) return st;
  const o = k.makeObject(f, kind);
  if (o === null) return err(t, Status.NotEnoughMemory, 'factory quota');
  t.task.cspace.put(dst, new Cap(o, Rights.All, 0));
  return Status.Ok;
}

export function createFactory(k: Kernel, t: Thread, factorySlot: number, dst: number, quota: number, memQuota = 0): number {
  const f = factoryOf(t, factorySlot);
  if (typeof f === 'number') return f;
  if (!Number.isInteger(quota) || quota < 1) return err(t, Status.InvalidArgument, 'quota');
  if (!Number.isInteger(memQuota) || memQuota < 0) return err(t, Status.InvalidArgument, 'memQuota');
  const st = newSlot(t, dst);
  if (st !== Status.Ok) return st;
  const sub = k.makeFactory(f, quota, memQuota);
  if (sub === null) return err(t, Status.NotEnoughMemory, 'factory quota');
  t.task.cspace.put(dst, new Cap(sub, Rights.All, 0));
  return Status.Ok;
}

export function createTask(k: Kernel, t: Thread, factorySlot: number, dst: number, name: string, slots: number): number {
  const f = factoryOf(t, factorySlot);
  if (typeof f === 'number') return f;
  if (typeof name !== 'string') return err(t, Status.InvalidArgument, 'name');
  if (!Number.isInteger(slots) || slots < 8 || slots > MAX_CSPACE_SLOTS) return err(t, Status.InvalidArgument, 'slots');
  const st = newSlot(t, dst);
  if (st !== Status.Ok) return st;
  const task = k.makeTask(f, name, slots);
  if (task === null) return err(t, Status.NotEnoughMemory, 'factory quota');
  t.task.cspace.put(dst, new Cap(task, Rights.All, 0));
  return Status.Ok;
}

export interface ThreadParams {
  name?: string;
  priority?: number;
  faultHandler?: number;
}

export function createThread(
  k: Kernel,
  t: Thread,
  factorySlot: number,
  taskSlot: number,
  dst: number,
  body: ThreadBody,
  params: ThreadParams,
): number {
  const f = factoryOf(t, factorySlot);
  if (typeof f === 'number') return f;
  const tc = need(t, taskSlot, Kind.Task, Rights.Write, 'task');
  if (typeof tc === 'number') return tc;
  const task = tc.obj as Task;
  if (!task.alive) return err(t, Status.IllegalOperation, 'task is dead', taskSlot);
  if (typeof body !== 'function') return err(t, Status.InvalidArgument, 'body');
  const prio = params.priority ?? Math.min(DEFAULT_PRIORITY, t.prio);
  if (!Number.isInteger(prio) || prio < 0 || prio > MAX_PRIORITY) return err(t, Status.RangeError, 'priority');
  // As seL4's maximum controlled priority: no thread creates one that outranks it.
  if (prio > t.prio) return err(t, Status.IllegalOperation, 'priority above the creator');
  const fh = params.faultHandler ?? 0;
  const fst = faultHandlerStatus(task.cspace, fh);
  if (fst !== Status.Ok) return err(t, fst, 'fault handler', fh);
  const st = newSlot(t, dst);
  if (st !== Status.Ok) return st;
  const th = k.makeThread(f, task, body, params.name ?? `${task.name}.${task.threads.size}`, prio);
  if (th === null) return err(t, Status.NotEnoughMemory, 'factory quota');
  th.faultSlot = fh;
  t.task.cspace.put(dst, new Cap(th, Rights.All, 0));
  return Status.Ok;
}

// ------------------------------------------------------------------ tasks

/** Mint a cap from the caller's space into another task's space (task cap with Write). */
export function installCap(
  t: Thread,
  taskSlot: number,
  src: number,
  dst: number,
  rights: number,
  badge: number,
): number {
  const tc = need(t, taskSlot, Kind.Task, Rights.Write, 'task');
  if (typeof tc === 'number') return tc;
  const task = tc.obj as Task;
  if (!task.alive) return err(t, Status.IllegalOperation, 'task is dead', taskSlot);
  const st = mintCap(t.task.cspace, src, task.cspace, dst, rights, badge);
  return st === Status.Ok ? st : err(t, st, 'install', st === Status.FailedLookup ? src : dst);
}

export function killTask(k: Kernel, t: Thread, taskSlot: number): number {
  const tc = need(t, taskSlot, Kind.Task, Rights.Write, 'task');
  if (typeof tc === 'number') return tc;
  k.deleteTask(tc.obj as Task);
  return Status.Ok;
}

/**
 * Signal `notifSlot` (with its badge) when the task dies; at once if it is dead. Watching
 * through the same notification again ORs the badge into its one entry: the death is
 * one signal carrying every badge (N3 would merge them anyway). Entries of destroyed
 * notifications are dropped as the list grows, so the kernel keeps at most about twice
 * as many entries as live notifications watch the task: repeated watches cannot grow
 * kernel memory without bound.
 */
export function watchTask(k: Kernel, t: Thread, taskSlot: number, notifSlot: number): number {
  const tc = need(t, taskSlot, Kind.Task, Rights.Read, 'task');
  if (typeof tc === 'number') return tc;
  const nc = need(t, notifSlot, Kind.Notification, Rights.Write, 'notification');
  if (typeof nc === 'number') return nc;
  const task = tc.obj as Task;
  const n = nc.obj as Notification;
  if (!task.alive) {
    k.signalFromKernel(n, nc.badge);
    return Status.Ok;
  }
  const ws = task.deathWatchers;
  ws.set(n, ((ws.get(n) ?? 0) | nc.badge) >>> 0);
  if (ws.size >= task.pruneWatchersAt) {
    for (const w of ws.keys()) if (w.destroyed) ws.delete(w);
    task.pruneWatchersAt = Math.max(16, 2 * ws.size);
  }
  return Status.Ok;
}

export interface TaskInfo {
  readonly id: number;
  readonly name: string;
  readonly alive: boolean;
  readonly threads: number;
}

export function taskInfo(t: Thread, taskSlot: number): Result<TaskInfo> {
  const c = lookup(t, taskSlot, Kind.Task, Rights.Read);
  if (typeof c === 'number') return failure(t, c, 'task', taskSlot);
  const task = c.obj as Task;
  return { ok: true, value: { id: task.id, name: task.name, alive: task.alive, threads: task.threads.size } };
}

// ------------------------------------------------------------------ threads

function threadOf(t: Thread, slot: number): Thread | number {
  const c = need(t, slot, Kind.Thread, Rights.Write, 'thread');
  return typeof c === 'number' ? c : (c.obj as Thread);
}

export function suspend(k: Kernel, t: Thread, slot: number): number {
  const th = threadOf(t, slot);
  if (typeof th === 'number') return th;
  const st = k.suspendThread(th);
  return st === Status.Ok ? st : err(t, st, 'thread state', slot);
}

export function resume(k: Kernel, t: Thread, slot: number): number {
  const th = threadOf(t, slot);
  if (typeof th === 'number') return th;
  const st = k.resumeThread(th);
  return st === Status.Ok ? st : err(t, st, 'thread is not suspended', slot);
}

export function setPriority(k: Kernel, t: Thread, slot: number, prio: number): number {
  const th = threadOf(t, slot);
  if (typeof th === 'number') return th;
  if (!Number.isInteger(prio) || prio < 0 || prio > MAX_PRIORITY) return err(t, Status.RangeError, 'priority');
  if (prio > t.prio) return err(t, Status.IllegalOperation, 'priority above the caller');
  return k.setPriority(th, prio);
}

/**
 * Name the fault endpoint of a thread: `epSlot` is a cap name in the thread's own task,
 * looked up again at each fault. It must hold an endpoint cap with Write and Grant or
 * GrantReply, since a fault is a call (F1, R3; seL4 asks the same); 0 clears it.
 * Errors: RangeError (not a slot name), InvalidCapability (empty, not an endpoint, or
 * lacking Write or both reply rights).
 */
export function setFaultHandler(t: Thread, slot: number, epSlot: number): number {
  const th = threadOf(t, slot);
  if (typeof th === 'number') return th;
  return nameFaultHandler(t, th, epSlot);
}

/** setFaultHandler for the calling thread itself (no thread cap needed). */
export function setOwnFaultHandler(t: Thread, epSlot: number): number {
  return nameFaultHandler(t, t, epSlot);
}

function nameFaultHandler(t: Thread, th: Thread, epSlot: number): number {
  const st = faultHandlerStatus(th.task.cspace, epSlot);
  if (st !== Status.Ok) return err(t, st, 'fault endpoint', epSlot);
  th.faultSlot = epSlot;
  return Status.Ok;
}

/** N6: bind a notification to a thread; both must be free. */
export function bind(t: Thread, target: Thread, notifSlot: number): number {
  const nc = need(t, notifSlot, Kind.Notification, Rights.Read, 'notification');
  if (typeof nc === 'number') return nc;
  const n = nc.obj as Notification;
  if (target.bound !== null) return err(t, Status.IllegalOperation, 'thread already bound');
  if (n.boundThread !== null) return err(t, Status.IllegalOperation, 'notification already bound');
  if (n.waiters.length !== 0) return err(t, Status.IllegalOperation, 'notification has waiters');
  target.bound = n;
  n.boundThread = target;
  // A thread serving directly spins outside the kernel, where a signal would not reach it.
  if (target.directEnd !== null) target.directEnd();
  return Status.Ok;
}

export function bindThread(t: Thread, slot: number, notifSlot: number): number {
  const th = threadOf(t, slot);
  if (typeof th === 'number') return th;
  return bind(t, th, notifSlot);
}

export function unbind(target: Thread): number {
  const n = target.bound;
  if (n === null) return Status.IllegalOperation;
  n.boundThread = null;
  target.bound = null;
  return Status.Ok;
}

// ------------------------------------------------------------------ no-senders

/**
 * Watch the endpoint cap in `capSlot` (Mach's no-senders, on the derivation tree): when
 * the last cap derived from it goes (deleted, revoked, or its holder died), its badge is
 * queued on the endpoint and `notifSlot` is signalled with that cap's badge. Read the
 * queue with nextNoSenders. `notifSlot` 0 cancels the watch.
 */
export function requestNoSenders(k: Kernel, t: Thread, capSlot: number, notifSlot: number): number {
  const ec = need(t, capSlot, Kind.Endpoint, Rights.None, 'endpoint');
  if (typeof ec === 'number') return ec;
  if (notifSlot === 0) {
    ec.noSenders = null;
    return Status.Ok;
  }
  const nc = need(t, notifSlot, Kind.Notification, Rights.Write, 'notification');
  if (typeof nc === 'number') return nc;
  const n = nc.obj as Notification;
  const ep = ec.obj as Endpoint;
  const signalBadge = nc.badge;
  ec.noSenders = (c) => {
    ep.noSendersQueue.push(c.badge);
    k.signalFromKernel(n, signalBadge);
  };
  return Status.Ok;
}

/** The next badge queued by a no-senders watch on this endpoint (cap with Read), or 0. */
export function nextNoSenders(t: Thread, epSlot: number): Result<number> {
  const c = lookup(t, epSlot, Kind.Endpoint, Rights.Read);
  if (typeof c === 'number') return failure(t, c, 'endpoint', epSlot);
  return { ok: true, value: (c.obj as Endpoint).noSendersQueue.shift() ?? 0 };
}

/** Number of caps derived directly from the cap in `slot` (copies handed out). */
export function childCount(t: Thread, slot: number): Result<number> {
  const cs = t.task.cspace;
  const c = cs.get(slot);
  if (c === null) return failure(t, cs.missStatus(slot, Status.FailedLookup), 'slot', slot);
  return { ok: true, value: c.childCount() };
}
