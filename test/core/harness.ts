// Shared helpers for the kernel tests: a kernel on virtual time, a tracer, and readers of
// thread states, endpoint queues and cap spaces through the public introspection API.

import { expect } from 'vitest';
import {
  Kernel,
  RecordingTracer,
  snapshot,
  threadInfo,
  VirtualClock,
  type CapInfo,
  type EndpointInfo,
  type NotificationInfo,
  type Snapshot,
  type Task,
  type Thread,
} from '../../core/index.ts';

export interface Rig {
  k: Kernel;
  tr: RecordingTracer;
}

/** A kernel on a fresh VirtualClock with a recording tracer attached. */
export function rig(opts: { fastpath?: boolean; autoAdvance?: boolean } = {}): Rig {
  const tr = new RecordingTracer();
  const k = new Kernel({ clock: new VirtualClock(opts.autoAdvance ?? true), fastpath: opts.fastpath ?? true, tracer: tr });
  return { k, tr };
}

/** A kernel on virtual time without a tracer. */
export function kernel(opts: { fastpath?: boolean } = {}): Kernel {
  return new Kernel({ clock: new VirtualClock(), fastpath: opts.fastpath ?? true });
}

/** A server task with an endpoint, and a client task holding a cap to it. */
export interface ClientServer {
  k: Kernel;
  srv: Task;
  cli: Task;
  /** The endpoint's slot in the server. */
  ep: number;
  /** The client's cap to it (slot in the client). */
  cep: number;
}

/** A kernel with a server and a client whose cap to the server's endpoint has `rights` and `badge`. */
export function clientServer(rights: number, badge = 0): ClientServer {
  const k = kernel();
  const srv = k.createTask('srv');
  const cli = k.createTask('cli');
  const ep = k.createEndpoint(srv);
  const cep = k.grant(srv, ep, cli, badge === 0 ? { rights } : { rights, badge });
  return { k, srv, cli, ep, cep };
}

/** The state name of a thread as introspection reports it ("blocked-recv", ...). */
export function stateOf(t: Thread): string {
  return threadInfo(t).state;
}

/** The object id behind a task's cap slot (throws when the slot is empty: a test bug). */
export function objectOf(task: Task, slot: number): number {
  const c = task.cspace.get(slot);
  if (c === null) throw new Error(`test bug: ${task.name}[${slot}] is empty`);
  return c.obj.id;
}

/** The introspection record of the endpoint a task's slot names. */
export function endpoint(k: Kernel, task: Task, slot: number): EndpointInfo {
  const id = objectOf(task, slot);
  const e = snapshot(k).endpoints.find((x) => x.id === id);
  if (e === undefined) throw new Error(`test bug: object ${id} is not a live endpoint`);
  return e;
}

/** The introspection record of the notification a task's slot names. */
export function notification(k: Kernel, task: Task, slot: number): NotificationInfo {
  const id = objectOf(task, slot);
  const n = snapshot(k).notifications.find((x) => x.id === id);
  if (n === undefined) throw new Error(`test bug: object ${id} is not a live notification`);
  return n;
}

/** The caps of a task as introspection lists them. */
export function capsOf(k: Kernel, task: Task): CapInfo[] {
  const t = snapshot(k).tasks.find((x) => x.id === task.id);
  return t === undefined ? [] : t.caps;
}

/** The cap in one slot of a task, or undefined. */
export function capAt(k: Kernel, task: Task, slot: number): CapInfo | undefined {
  return capsOf(k, task).find((c) => c.slot === slot);
}

/** The kernel's observable state without counters: tasks, threads, caps, queues, factories. */
export function stateWithoutCounters(k: Kernel): Omit<Snapshot, 'counters'> {
  const { counters: _counters, ...rest } = snapshot(k);
  return rest;
}

/**
 * Check the queue invariants introspection can see: an idle endpoint has an empty queue;
 * a "send" queue holds only blocked senders and a "recv" queue only blocked receivers
 * (E1); notification waiters are blocked on it; a bound thread names its notification.
 * Returns the list of violations (empty when all hold).
 */
export function invariantViolations(k: Kernel): string[] {
  const s = snapshot(k);
  const threads = new Map(s.tasks.flatMap((t) => t.threads).map((t) => [t.id, t]));
  const bad: string[] = [];
  for (const e of s.endpoints) {
    if ((e.state === 'idle') !== (e.queue.length === 0)) bad.push(`endpoint ${e.id}: state ${e.state} with ${e.queue.length} queued`);
    const want = e.state === 'send' ? 'blocked-send' : 'blocked-recv';
    for (const id of e.queue) {
      const t = threads.get(id);
      if (t === undefined) bad.push(`endpoint ${e.id}: queued thread ${id} is gone`);
      else if (!t.state.includes(want) || t.blockedOnId !== e.id) bad.push(`endpoint ${e.id}: thread ${id} is ${t.state} on ${t.blockedOnId}`);
    }
  }
  for (const n of s.notifications) {
    for (const id of n.waiters) {
      const t = threads.get(id);
      if (t === undefined || t.state !== 'blocked-notification' || t.blockedOnId !== n.id) bad.push(`notification ${n.id}: waiter ${id} is ${t?.state}`);
    }
    if (n.bound !== null && threads.get(n.bound)?.bound !== n.id) bad.push(`notification ${n.id}: bound thread ${n.bound} disagrees`);
  }
  for (const t of threads.values()) {
    if (t.state === 'blocked-send' || t.state === 'blocked-recv') {
      const e = s.endpoints.find((x) => x.id === t.blockedOnId);
      if (e === undefined || !e.queue.includes(t.id)) bad.push(`thread ${t.id}: ${t.state} but not queued on ${t.blockedOnId}`);
    }
    if (t.state === 'running') bad.push(`thread ${t.id}: running outside the run loop`);
  }
  return bad;
}

/**
 * Run `run` on a kernel with the fast paths off and on (each with a recording tracer) and
 * require the same observations: results, invariants on both, the state apart from the
 * counters, and the same non-empty trace. Answers both rigs for checks of the counters.
 */
export async function runBothPaths(run: (k: Kernel) => unknown): Promise<{ slow: Rig; fast: Rig }> {
  const slow = rig({ fastpath: false });
  const fast = rig({ fastpath: true });
  const rs = await run(slow.k);
  const rf = await run(fast.k);
  expect(rf).toEqual(rs);
  expect(invariantViolations(slow.k)).toEqual([]);
  expect(invariantViolations(fast.k)).toEqual([]);
  expect(stateWithoutCounters(fast.k)).toEqual(stateWithoutCounters(slow.k));
  expect(fast.tr.events.length).toBeGreaterThan(0);
  expect(fast.tr.events).toEqual(slow.tr.events);
  return { slow, fast };
}
