// A bucket in an isolated task: every host call of the bucket (bucket-host.ts) is a
// syscall over the worker's rings: on the ring of the thread running now, or on the
// host context's ring from a promise callback. Threads are paid for by the task's
// factory (CAP_FACTORY): an isolated server is created with a quota.

import { CAP_FACTORY, CAP_SELF, Status, type Sys, type ThreadBody } from '../core/index.ts';
import type { CapIdentity, Result, TaskInfo, ThreadParams } from '../core/invocations.ts';
import type { BodyFn, IsolatedWorker, WorkerSys } from '../core/isolate/worker-sys.ts';
import type { BucketHost, BucketOps } from './bucket-host.ts';

/** How many between-request peeks at the no-senders queue one crossing serves (see noSendersPending). */
const NOSENDERS_PEEK_EVERY = 16;
/** The least time between two such peeks (ms). */
const NOSENDERS_PEEK_MS = 10;

/** True when `sys` is a thread of an isolated task (a WorkerSys). */
export function isIsolatedSys(sys: unknown): boolean {
  return typeof sys === 'object' && sys !== null && typeof (sys as { worker?: unknown }).worker === 'object';
}

/** Cap operations routed to the running thread's ring, or the host context's. */
class WorkerOps implements BucketOps {
  constructor(private readonly w: IsolatedWorker) {}
  allocSlot(from?: number): number {
    return this.w.ops.allocSlot(from);
  }
  reserveSlot(): number {
    return this.w.ops.reserveSlot();
  }
  unreserveSlot(slot: number): void {
    this.w.ops.unreserveSlot(slot);
  }
  mint(src: number, dst: number, rights: number, badge = 0): number {
    return this.w.ops.mint(src, dst, rights, badge);
  }
  copy(src: number, dst: number): number {
    return this.w.ops.copy(src, dst);
  }
  move(src: number, dst: number): number {
    return this.w.ops.move(src, dst);
  }
  delete(slot: number): number {
    return this.w.ops.delete(slot);
  }
  revoke(slot: number): number {
    return this.w.ops.revoke(slot);
  }
  cancelBadgedSends(slot: number): number {
    return this.w.ops.cancelBadgedSends(slot);
  }
  identify(slot: number): CapIdentity | null {
    return this.w.ops.identify(slot);
  }
  installCap(task: number, src: number, dst: number, rights?: number, badge?: number): number {
    return this.w.ops.installCap(task, src, dst, rights, badge);
  }
  killTask(task: number): number {
    return this.w.ops.killTask(task);
  }
  watchTask(task: number, notification: number): number {
    return this.w.ops.watchTask(task, notification);
  }
  taskInfo(task: number): Result<TaskInfo> {
    return this.w.ops.taskInfo(task);
  }
  requestNoSenders(endpoint: number, notification: number): number {
    return this.w.ops.requestNoSenders(endpoint, notification);
  }
  nextNoSenders(endpoint: number): Result<number> {
    return this.w.ops.nextNoSenders(endpoint);
  }
  childCount(slot: number): Result<number> {
    return this.w.ops.childCount(slot);
  }
  createEndpoint(factory: number, dst: number): number {
    return this.w.ops.createEndpoint(factory, dst);
  }
  createNotification(factory: number, dst: number): number {
    return this.w.ops.createNotification(factory, dst);
  }
  /** Through the host context: its proxy runs at the task's priority, so a pool thread may equal it. */
  createThread(factory: number, task: number, dst: number, body: ThreadBody, params: ThreadParams = {}): number {
    const p: { name?: string; priority?: number } = {};
    if (params.name !== undefined) p.name = params.name;
    if (params.priority !== undefined) p.priority = params.priority;
    return this.w.host.createThread(factory, task, dst, body as unknown as BodyFn, p);
  }
  signal(slot: number): number {
    return this.w.ops.hostSignal(slot);
  }
}

/** The host of a bucket started by a thread of an isolated task (`sys` is its WorkerSys). */
export function isolatedHost(sys: Sys): BucketHost {
  const ws = sys as unknown as WorkerSys;
  const w = ws.worker;
  const ops = new WorkerOps(w);
  const info = ops.taskInfo(CAP_SELF);
  const taskName = info.ok ? info.value.name : `task${ws.taskId}`;
  let peeks = 0;
  let lastPeek = -Infinity;
  const newSlot = (what: string): number => {
    const s = ops.allocSlot();
    if (s === 0) throw new Error(`${taskName}: no free slot for ${what}`);
    return s;
  };
  const spawn = (body: ThreadBody, name: string, priority: number): void => {
    const slot = newSlot('a thread cap');
    const st = ops.createThread(CAP_FACTORY, CAP_SELF, slot, body, { name, priority });
    ops.delete(slot);
    if (st !== Status.Ok) throw new Error(`${taskName}: cannot start thread ${name} (status ${st}): an isolated bucket needs a factory with quota`);
  };
  return {
    taskName,
    ops,
    kernel: null,
    task: null,
    createEndpoint(): number {
      const s = newSlot('an endpoint');
      const st = ops.createEndpoint(CAP_FACTORY, s);
      if (st !== Status.Ok) throw new Error(`${taskName}: cannot create an endpoint (status ${st}): an isolated bucket needs a factory with quota`);
      return s;
    },
    createNotification(): number {
      const s = newSlot('a notification');
      const st = ops.createNotification(CAP_FACTORY, s);
      if (st !== Status.Ok) throw new Error(`${taskName}: cannot create a notification (status ${st})`);
      return s;
    },
    spawn,
    spawnUnpaid(): void {
      throw new Error(`${taskName}: an isolated task pays for its threads with its factory, and its quota is spent`);
    },
    capSerial: (slot) => ops.identify(slot)?.serial ?? 0,
    windowKept: (slot) => w.ops.slotReserved(slot),
    // Every request peeks in-process; here a peek is a crossing (tens of microseconds,
    // while a direct call takes one or two), so one in NOSENDERS_PEEK_EVERY asks, at most
    // once in NOSENDERS_PEEK_MS. The manager hears every no-senders anyway, by its
    // notification, and the worker's loop runs it beside the workers (it has no priorities).
    noSendersPending(slot: number): boolean {
      if (++peeks < NOSENDERS_PEEK_EVERY) return false;
      peeks = 0;
      const now = performance.now();
      if (now - lastPeek < NOSENDERS_PEEK_MS) return false;
      lastPeek = now;
      return w.ops.noSendersPending(slot);
    },
    noSendersQueue: () => null,
    alive: () => true,
    kickDirect: (label) => w.kickDirect(label),
    now: () => w.ops.now(),
    opOf: (s) => (s as unknown as WorkerSys).pendingOp,
  };
}
