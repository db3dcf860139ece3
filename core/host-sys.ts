// Non-blocking invocations performed by host code in a task's context: the powers of a
// root task over a task it composes, and what a library running in a task (libcap's
// bookkeeping) does to its own cap space between messages. Blocking IPC is not here:
// that needs a thread (Kernel.exec).

import { Status } from './errors.ts';
import { identity, type CapIdentity } from './invocations.ts';
import * as inv from './invocations.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { MAX_PRIORITY } from './limits.ts';
import type { Notification } from './notification.ts';
import { Rights } from './rights.ts';
import type { Task } from './task.ts';
import { Thread, type ThreadBody } from './thread.ts';

/** The cap operations a task can perform without blocking; Sys has the same methods. */
export interface CapOps {
  allocSlot(from?: number): number;
  reserveSlot(): number;
  unreserveSlot(slot: number): void;
  mint(src: number, dst: number, rights: number, badge?: number): number;
  copy(src: number, dst: number): number;
  move(src: number, dst: number): number;
  delete(slot: number): number;
  revoke(slot: number): number;
  identify(slot: number): CapIdentity | null;
  installCap(task: number, src: number, dst: number, rights?: number, badge?: number): number;
  watchTask(task: number, notification: number): number;
  taskInfo(task: number): inv.Result<inv.TaskInfo>;
  requestNoSenders(endpoint: number, notification: number): number;
  nextNoSenders(endpoint: number): inv.Result<number>;
  childCount(slot: number): inv.Result<number>;
  createEndpoint(factory: number, dst: number): number;
  createNotification(factory: number, dst: number): number;
  createThread(factory: number, task: number, dst: number, body: ThreadBody, params?: inv.ThreadParams): number;
}

/**
 * Host-side invocations in the context of `task`. Errors are statuses, as in a thread;
 * the last one's detail is in `lastError`.
 */
export class HostSys implements CapOps {
  /** Invocation context: a thread object that never runs, at the highest priority. */
  private readonly ctx: Thread;

  constructor(
    private readonly k: Kernel,
    readonly task: Task,
  ) {
    this.ctx = new Thread(k.allocId(), task, `${task.name}.host`, MAX_PRIORITY, hostBody);
  }

  get lastError(): inv.Result<never> | null {
    const e = this.ctx.utcb.error;
    return e === null ? null : { ok: false, status: e.status, detail: e };
  }

  allocSlot(from?: number): number {
    return this.task.cspace.allocSlot(from);
  }
  reserveSlot(): number {
    return this.task.cspace.reserveSlot();
  }
  unreserveSlot(slot: number): void {
    this.task.cspace.unreserveSlot(slot);
  }
  cancelBadgedSends(slot: number): number {
    return inv.cancelBadgedSends(this.k, this.ctx, slot);
  }
  mint(src: number, dst: number, rights: number, badge = 0): number {
    return inv.mint(this.ctx, src, dst, rights, badge);
  }
  copy(src: number, dst: number): number {
    return inv.mint(this.ctx, src, dst, Rights.All, 0);
  }
  move(src: number, dst: number): number {
    return inv.move(this.ctx, src, dst);
  }
  delete(slot: number): number {
    return inv.remove(this.ctx, slot);
  }
  revoke(slot: number): number {
    return inv.revoke(this.ctx, slot);
  }
  identify(slot: number): CapIdentity | null {
    const c = this.task.cspace.get(slot);
    return c === null ? null : identity(c);
  }
  installCap(task: number, src: number, dst: number, rights: number = Rights.All, badge = 0): number {
    return inv.installCap(this.ctx, task, src, dst, rights, badge);
  }
  watchTask(task: number, notification: number): number {
    return inv.watchTask(this.k, this.ctx, task, notification);
  }
  taskInfo(task: number): inv.Result<inv.TaskInfo> {
    return inv.taskInfo(this.ctx, task);
  }
  requestNoSenders(endpoint: number, notification: number): number {
    return inv.requestNoSenders(this.k, this.ctx, endpoint, notification);
  }
  nextNoSenders(endpoint: number): inv.Result<number> {
    return inv.nextNoSenders(this.ctx, endpoint);
  }
  childCount(slot: number): inv.Result<number> {
    return inv.childCount(this.ctx, slot);
  }
  createEndpoint(factory: number, dst: number): number {
    return inv.createObject(this.k, this.ctx, factory, Kind.Endpoint, dst);
  }
  createNotification(factory: number, dst: number): number {
    return inv.createObject(this.k, this.ctx, factory, Kind.Notification, dst);
  }
  createThread(factory: number, task: number, dst: number, body: ThreadBody, params: inv.ThreadParams = {}): number {
    return inv.createThread(this.k, this.ctx, factory, task, dst, body, params);
  }

  /** Signal a notification this task holds a cap with Write to (never blocks). */
  signal(slot: number): number {
    const c = inv.lookup(this.ctx, slot, Kind.Notification, Rights.Write);
    if (typeof c === 'number') return inv.err(this.ctx, c, 'notification', slot);
    this.k.signalFromKernel(c.obj as Notification, c.badge);
    return Status.Ok;
  }

  /** Delete the task named by a task cap with Write (as the killTask syscall). */
  killTask(task: number): number {
    return inv.killTask(this.k, this.ctx, task);
  }
}

function* hostBody(): Generator<never, void, number> {
  throw new Error('a host invocation context never runs');
}
