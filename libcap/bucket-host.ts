// Where a bucket lives: the few things a Bucket needs from its task beyond its threads'
// syscalls. In a task of the kernel's own heap (kernelHost) they are host calls on the
// Kernel and the Task; in an isolated task (isolated-host.ts) every one of them is a
// syscall over the worker's rings, so a bucket runs unchanged in either, and nothing in
// a worker holds a reference to a kernel object.

import { HostSys, type CapOps, type Kernel, type Sys, type Task, type ThreadBody } from '../core/index.ts';

/** The cap operations a bucket performs between messages (HostSys's, in either kind of task). */
export interface BucketOps extends CapOps {
  cancelBadgedSends(slot: number): number;
  /** Signal a notification without blocking. */
  signal(slot: number): number;
  /** Delete the task named by a task cap with Write (the task server's kill, a translator an fs launched). */
  killTask(slot: number): number;
}

/** What a Bucket needs from the task it serves in. */
export interface BucketHost {
  /** The task's name (for thread names and messages). */
  readonly taskName: string;
  readonly ops: BucketOps;
  /** The kernel and task objects, when the bucket shares their heap (null in an isolated task). */
  readonly kernel: Kernel | null;
  readonly task: Task | null;
  /** A new endpoint / notification in a free slot of the task; returns the slot. */
  createEndpoint(): number;
  createNotification(): number;
  /** Start a thread of the task that the bucket's pool does not count (the manager). */
  spawn(body: ThreadBody, name: string, priority: number): void;
  /** Start a thread when the task has no factory to pay for it (in-process tasks only). */
  spawnUnpaid(body: ThreadBody, name: string, priority: number): void;
  /** The serial of the cap in `slot` (0 when empty): a slot's cap is the same while it is. */
  capSerial(slot: number): number;
  /** Whether `slot` is empty and reserved: a receive window the thread may keep. */
  windowKept(slot: number): boolean;
  /** Whether the endpoint in `slot` has badges in its no-senders queue (a cheap peek). */
  noSendersPending(endpointSlot: number): boolean;
  /**
   * The endpoint's no-senders queue itself, when the bucket shares the kernel's heap (read
   * on every request: a field load instead of a call); null in an isolated task.
   */
  noSendersQueue(endpointSlot: number): readonly number[] | null;
  /** Whether the task is alive. */
  alive(): boolean;
  /**
   * Wake the worker that serves the endpoint directly, if it waits in its receive outside
   * the kernel (an isolated task's, with its links open), as a message with `label` and
   * badge 0 would: true when it did (else a kick through the kernel reaches a waiting worker).
   */
  kickDirect(label: number): boolean;
  /** The kernel's clock (ms): host time in-process, a syscall in an isolated task. */
  now(): number;
  /** The op of the IPC syscall the thread of `sys` last yielded (Op.Call, Op.Send, ...). */
  opOf(sys: Sys): number;
}

/** A bucket in a task of this heap: host calls on the kernel and the task. */
export function kernelHost(kernel: Kernel, task: Task): BucketHost {
  const ops = new HostSys(kernel, task);
  const cs = task.cspace;
  let queue: readonly number[] | null = null;
  let queueSlot = -1;
  return {
    taskName: task.name,
    ops,
    kernel,
    task,
    createEndpoint: () => kernel.createEndpoint(task),
    createNotification: () => kernel.createNotification(task),
    spawn: (body, name, priority) => void kernel.spawn(task, body, { name, priority }),
    spawnUnpaid: (body, name, priority) => void kernel.spawn(task, body, { name, priority }),
    capSerial: (slot) => cs.get(slot)?.serial ?? 0,
    windowKept: (slot) => cs.get(slot) === null && cs.reserved.has(slot),
    noSendersPending(slot: number): boolean {
      if (queueSlot !== slot) {
        const id = ops.identify(slot);
        queue = id === null ? null : ((kernel.object(id.object) as unknown as { noSendersQueue?: readonly number[] }).noSendersQueue ?? null);
        queueSlot = slot;
      }
      return queue !== null && queue.length !== 0;
    },
    noSendersQueue(slot: number): readonly number[] | null {
      const id = ops.identify(slot);
      return id === null ? null : ((kernel.object(id.object) as unknown as { noSendersQueue?: readonly number[] }).noSendersQueue ?? null);
    },
    alive: () => task.alive,
    kickDirect: () => false,
    now: () => kernel.now(),
    opOf: (sys) => (sys as unknown as { t: { op: number } }).t.op,
  };
}
