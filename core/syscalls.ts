// The syscall interface a thread body is given. IPC operations store their arguments in
// the thread and return the syscall token, which the body yields:
//     const status = yield sys.call(server, OP_ADD, 2);
// The yield evaluates to the status; the reply is in sys.utcb. Object invocations that
// never block (cap ops, creation, control) are plain calls returning a status.

import { Status } from './errors.ts';
import * as inv from './invocations.ts';
import * as mem from './dataspace-ops.ts';
import { MemView } from './dataspace.ts';
import { identity, type CapIdentity } from './invocations.ts';
import { saveCaller } from './ipc.ts';
import type { Kernel } from './kernel.ts';
import type { Task } from './task.ts';
import { readSnapshot } from './host-info.ts';
import { Kind } from './kobject.ts';
import { DEFAULT_CSPACE_SLOTS, MAX_ITEM_LENGTH, NEVER } from './limits.ts';
import { Rights } from './rights.ts';
import { Op, SYSCALL, ThreadState, type Syscall, type Thread, type ThreadBody } from './thread.ts';
import type { Utcb } from './utcb.ts';

// Bound locally: every IPC method runs per message (V8 does not constant-fold imports).
const TOKEN = SYSCALL;
const FOREVER = NEVER;
const OP_SEND = Op.Send;
const OP_NBSEND = Op.NBSend;
const OP_CALL = Op.Call;
const OP_RECV = Op.Recv;
const OP_NBRECV = Op.NBRecv;
const OP_REPLY = Op.Reply;
const OP_REPLY_RECV = Op.ReplyRecv;
const OP_SIGNAL = Op.Signal;
const OP_WAIT = Op.Wait;
const OP_POLL = Op.Poll;

/** Generator helper type for code that performs syscalls: `yield*` it from a body. */
export type SysGen<R> = Generator<Syscall, R, number>;

export class Sys {
  /** The thread's UTCB: message registers, items, caps, and what the last receive got. */
  readonly utcb: Utcb;

  constructor(
    private readonly k: Kernel,
    private readonly t: Thread,
  ) {
    this.utcb = t.utcb;
  }

  /** The kernel, for libraries that need host calls on the thread's behalf (e.g. a cancel sent by another thread). */
  get kernel(): Kernel {
    return this.k;
  }

  /** The thread's task (host handle). */
  get task(): Task {
    return this.t.task;
  }

  /** This thread's kernel id (for naming it in protocols, e.g. cancellation). */
  get threadId(): number {
    return this.t.id;
  }
  get taskId(): number {
    return this.t.task.id;
  }
  get priority(): number {
    return this.t.prio;
  }
  /** Current kernel time in ms. */
  now(): number {
    return this.k.clock.now();
  }

  // ---------------------------------------------------------------- IPC (yield these)

  private ipc(op: number, cap: number, label: number, length: number, caps: number, items: number): Syscall {
    const t = this.t;
    t.op = op;
    t.a0 = cap;
    t.a1 = label;
    t.a2 = length;
    t.a3 = caps;
    t.a4 = items;
    return TOKEN;
  }

  /** A syscall that reads only its cap (signal, wait, poll): the message fields stay as they are. */
  private capOp(op: number, cap: number): Syscall {
    const t = this.t;
    t.op = op;
    t.a0 = cap;
    return TOKEN;
  }

  /**
   * Send `length` words (MR0..), `caps` caps (utcb.caps) and `items` items (utcb.items)
   * with `label`; block until a receiver takes it or `timeout` ends (T1). Never reports
   * delivery (E2); a bad cap is silent (E5).
   */
  send(cap: number, label: number, length = 0, caps = 0, items = 0, timeout = FOREVER): Syscall {
    this.t.sendTimeout = timeout;
    return this.ipc(OP_SEND, cap, label, length, caps, items);
  }

  /** Send only if a receiver is waiting; otherwise the message is dropped, silently (E2). */
  nbsend(cap: number, label: number, length = 0, caps = 0, items = 0): Syscall {
    return this.ipc(OP_NBSEND, cap, label, length, caps, items);
  }

  /** Send and wait for the reply on a one-shot reply cap (P1); the reply lands in utcb. */
  call(cap: number, label: number, length = 0, caps = 0, items = 0, sendTimeout = FOREVER, recvTimeout = FOREVER): Syscall {
    const t = this.t;
    t.sendTimeout = sendTimeout;
    t.recvTimeout = recvTimeout;
    return this.ipc(OP_CALL, cap, label, length, caps, items);
  }

  /** Open wait on an endpoint; also returns a pending bound notification (N5). */
  recv(cap: number, timeout = FOREVER): Syscall {
    this.t.recvTimeout = timeout;
    return this.ipc(OP_RECV, cap, 0, 0, 0, 0);
  }

  /** recv with timeout 0: Timeout (receive phase) when nothing is there (E3). */
  nbrecv(cap: number): Syscall {
    return this.ipc(OP_NBRECV, cap, 0, 0, 0, 0);
  }

  /** Answer the pending caller; never blocks (P4); a no-op without one (P3). */
  reply(label: number, length = 0, caps = 0, items = 0): Syscall {
    return this.ipc(OP_REPLY, 0, label, length, caps, items);
  }

  /** Reply, then receive on `cap`, atomically (the server loop's one call). */
  replyRecv(cap: number, label: number, length = 0, caps = 0, items = 0, timeout = FOREVER): Syscall {
    this.t.recvTimeout = timeout;
    return this.ipc(OP_REPLY_RECV, cap, label, length, caps, items);
  }

  /** OR the cap's badge into the notification and wake the first waiter (N1). */
  signal(cap: number): Syscall {
    return this.capOp(OP_SIGNAL, cap);
  }

  /** Wait for a signal; the word lands in utcb.badge (N2). */
  wait(cap: number, timeout = FOREVER): Syscall {
    this.t.recvTimeout = timeout;
    return this.capOp(OP_WAIT, cap);
  }

  /** Take a pending word without blocking: Ok and the word, or Timeout (receive phase) and 0. */
  poll(cap: number): Syscall {
    return this.capOp(OP_POLL, cap);
  }

  /** Block for `ms`; returns Timeout (receive phase), or Cancelled if interrupted (T2). */
  sleep(ms: number): Syscall {
    this.t.recvTimeout = ms;
    return this.ipc(Op.Sleep, 0, 0, 0, 0, 0);
  }

  /** Let other ready threads of the same or higher priority run first. */
  yield(): Syscall {
    return this.ipc(Op.Yield, 0, 0, 0, 0, 0);
  }

  /** Wait until host code calls Kernel.unpark on this thread; evaluates to the status it passes. */
  park(): Syscall {
    return this.ipc(Op.Park, 0, 0, 0, 0, 0);
  }

  /**
   * Park this thread until a host promise settles (a device, in kernel terms). Use
   * `yield* sys.await(p)` to get the value; a rejection is thrown into the body.
   */
  *await<T>(p: PromiseLike<T>): SysGen<T> {
    this.t.hostPromise = p;
    const st: number = yield this.ipc(Op.HostWait, 0, 0, 0, 0, 0);
    if (st !== Status.Ok) throw new Error(`host wait interrupted: status ${st}`);
    if (this.t.hostFailed) throw this.t.hostError;
    return this.t.hostValue as T;
  }

  /**
   * @internal Park until `p` settles, as await does, but evaluate to the wake's status
   * instead of throwing: an isolated client's kernel thread, parked on its ring, may be
   * woken by the answer to a direct call the kernel adopted from it (direct.ts).
   */
  waitHost(p: PromiseLike<unknown>): Syscall {
    this.t.hostPromise = p;
    return this.ipc(Op.HostWait, 0, 0, 0, 0, 0);
  }

  // ---------------------------------------------------------------- reply caps

  /** Move the implicit reply cap into `slot`; answer later with send(slot, ...). */
  saveCaller(slot: number): number {
    const st = saveCaller(this.k, this.t, slot);
    return st === Status.Ok ? st : inv.err(this.t, st, 'saveCaller', slot);
  }

  /** True when this thread holds an implicit reply cap whose caller still waits. */
  get hasCaller(): boolean {
    const c = this.t.replyTo;
    return c !== null && c.callSeq === this.t.replySeq && c.state === ThreadState.BlockedReply;
  }

  // ---------------------------------------------------------------- cap space

  /** A free slot in this task's cap space (at or above `from`), or 0 when it is full. */
  allocSlot(from?: number): number {
    return this.t.task.cspace.allocSlot(from);
  }

  /** Set aside a free slot as a receive window: allocSlot will not hand it out. */
  reserveSlot(): number {
    return this.t.task.cspace.reserveSlot();
  }

  unreserveSlot(slot: number): void {
    this.t.task.cspace.unreserveSlot(slot);
  }

  /** Derive a cap with rights `src.rights & rights` and a badge (B1, R2, B2). */
  mint(src: number, dst: number, rights: number, badge = 0): number {
    return inv.mint(this.t, src, dst, rights, badge);
  }

  /** Derive a copy with the same rights and badge. */
  copy(src: number, dst: number): number {
    return inv.mint(this.t, src, dst, Rights.All, 0);
  }

  move(src: number, dst: number): number {
    return inv.move(this.t, src, dst);
  }

  delete(slot: number): number {
    return inv.remove(this.t, slot);
  }

  /** Delete every cap derived from the one in `slot` (D3). */
  revoke(slot: number): number {
    return inv.revoke(this.t, slot);
  }

  /** Release senders blocked with this badged cap's badge (B4). */
  cancelBadgedSends(slot: number): number {
    return inv.cancelBadgedSends(this.k, this.t, slot);
  }

  /** What a slot holds: object kind and id, rights, badge, whether a dead endpoint; null when empty. */
  identify(slot: number): CapIdentity | null {
    const c = this.t.task.cspace.get(slot);
    return c === null ? null : identity(c);
  }

  // ---------------------------------------------------------------- memory (DS1-DS6)

  /** Create a dataspace of `bytes` (rounded up to pages) against the factory's memory quota (DS1). */
  createDataspace(factory: number, dst: number, bytes: number): number {
    return mem.createDataspace(this.k, this.t, factory, dst, bytes);
  }

  /** Map a dataspace cap into this task (DS2); the view checks every access. Errors as mapCap. */
  map(cap: number, opts: mem.MapOptions = {}): inv.Result<MemView> {
    const v = mem.mapCap(this.t.task, cap, opts);
    if (v instanceof MemView) return { ok: true, value: v };
    return memFailure(this.t, v);
  }

  /** Unmap this task's mapping at `vaddr` and every mapping derived from it, in every task (DS4). */
  unmap(vaddr: number): number {
    const st = mem.unmapAt(this.t.task, vaddr);
    return typeof st === 'number' ? st : mem.record(this.t, st);
  }

  /** Take away every mapping derived from this task's mapping at `vaddr`, keeping it (DS4). */
  revokeMapping(vaddr: number): number {
    const st = mem.revokeAt(this.t.task, vaddr);
    return typeof st === 'number' ? st : mem.record(this.t, st);
  }

  /** A view of this task's mapping at `vaddr`. */
  view(vaddr: number): inv.Result<MemView> {
    const v = mem.viewAt(this.t.task, vaddr);
    if (v instanceof MemView) return { ok: true, value: v };
    return memFailure(this.t, v);
  }

  /** This task's mappings, by address. */
  mappings(): mem.MappingInfo[] {
    return mem.mappingsOf(this.t.task);
  }

  // ---------------------------------------------------------------- factories (L1)

  createEndpoint(factory: number, dst: number): number {
    return inv.createObject(this.k, this.t, factory, Kind.Endpoint, dst);
  }

  createNotification(factory: number, dst: number): number {
    return inv.createObject(this.k, this.t, factory, Kind.Notification, dst);
  }

  /** A sub-factory whose quota (objects, and bytes of dataspaces) is carved out of this one's (L4Re). */
  createFactory(factory: number, dst: number, quota: number, memQuota = 0): number {
    return inv.createFactory(this.k, this.t, factory, dst, quota, memQuota);
  }

  createTask(factory: number, dst: number, name: string, slots = DEFAULT_CSPACE_SLOTS): number {
    return inv.createTask(this.k, this.t, factory, dst, name, slots);
  }

  /** Start a thread in the task named by `task`; its priority cannot exceed the caller's. */
  createThread(factory: number, task: number, dst: number, body: ThreadBody, params: inv.ThreadParams = {}): number {
    return inv.createThread(this.k, this.t, factory, task, dst, body, params);
  }

  // ---------------------------------------------------------------- tasks

  /** Mint a cap from this task's space into the task named by `task` (Write). */
  installCap(task: number, src: number, dst: number, rights: number = Rights.All, badge = 0): number {
    return inv.installCap(this.t, task, src, dst, rights, badge);
  }

  killTask(task: number): number {
    return inv.killTask(this.k, this.t, task);
  }

  watchTask(task: number, notification: number): number {
    return inv.watchTask(this.k, this.t, task, notification);
  }

  taskInfo(task: number): inv.Result<inv.TaskInfo> {
    return inv.taskInfo(this.t, task);
  }

  /**
   * The kernel's introspection snapshot as JSON text, through a host cap with Read
   * (core/host-info.ts: errors, `max`, at most MAX_ITEM_LENGTH units, and `scope`,
   * SnapshotScope.All by default or Threads).
   */
  kernelSnapshot(host: number, max: number = MAX_ITEM_LENGTH, scope = 0): inv.Result<string> {
    return readSnapshot(this.k, this.t, host, max, scope);
  }

  // ---------------------------------------------------------------- threads

  suspend(thread: number): number {
    return inv.suspend(this.k, this.t, thread);
  }
  resume(thread: number): number {
    return inv.resume(this.k, this.t, thread);
  }
  setPriority(thread: number, priority: number): number {
    return inv.setPriority(this.k, this.t, thread, priority);
  }
  setFaultHandler(thread: number, endpointSlot: number): number {
    return inv.setFaultHandler(this.t, thread, endpointSlot);
  }
  /**
   * Set this thread's own fault endpoint (a cap name in its task; 0 clears it). Same
   * checks and errors as setFaultHandler: an endpoint cap with Write and Grant or
   * GrantReply, else InvalidCapability (RangeError for a bad name).
   */
  setOwnFaultHandler(endpointSlot: number): number {
    return inv.setOwnFaultHandler(this.t, endpointSlot);
  }

  /**
   * Serve the endpoint in `slot` directly. For a thread of a task isolated in a worker
   * (core/isolate/direct.ts) calls from other isolated tasks then skip the main thread;
   * in-process every call already goes straight from thread to thread, so this only
   * checks the cap: Ok, or InvalidCapability unless an endpoint cap with Read. (`spinNs`
   * is the isolated server's: how long its receive looks at its links before sleeping.)
   */
  serveDirect(slot: number, _opts: { spinNs?: number } = {}): number {
    const c = inv.lookup(this.t, slot, Kind.Endpoint, Rights.Read);
    return typeof c === 'number' ? inv.err(this.t, c, 'endpoint (endpoint cap)', slot) : Status.Ok;
  }

  /** Bind a notification to this thread (N5, N6). */
  bind(notification: number): number {
    return inv.bind(this.t, this.t, notification);
  }
  bindThread(thread: number, notification: number): number {
    return inv.bindThread(this.t, thread, notification);
  }
  unbind(): number {
    return inv.unbind(this.t);
  }

  // ---------------------------------------------------------------- no-senders

  /** Watch a badged endpoint cap: signalled when the last cap derived from it goes. */
  requestNoSenders(endpoint: number, notification: number): number {
    return inv.requestNoSenders(this.k, this.t, endpoint, notification);
  }
  nextNoSenders(endpoint: number): inv.Result<number> {
    return inv.nextNoSenders(this.t, endpoint);
  }
  childCount(slot: number): inv.Result<number> {
    return inv.childCount(this.t, slot);
  }
}

function memFailure<T>(t: Thread, f: mem.MemFailure): inv.Result<T> {
  return inv.failure(t, f.status, f.argument);
}
