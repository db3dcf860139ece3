// The worker side of an isolated task: loads the module that exports the thread's body,
// gives it a syscall interface with Sys's methods (WorkerSys) and drives it. Every
// syscall is a request on the ring (see ring.ts): the worker spins briefly for the
// response, then sleeps in Atomics.wait. The worker holds cap names, words and items;
// nothing of the kernel.

import { workerData } from 'node:worker_threads';
import type { ErrorDetail } from '../errors.ts';
import type { CapIdentity, Result, TaskInfo } from '../invocations.ts';
import { NEVER } from '../limits.ts';
import { Rights } from '../rights.ts';
import { Op, SYSCALL, type Continuation, type Syscall } from '../thread.ts';
import { MAP_ITEM, Utcb } from '../utcb.ts';
import { Q, R, Ring, RingOp, RingState, Spinner, STATE, type WorkerInit } from './ring.ts';

/** A token the driver handles itself: the body awaits a promise of its own. */
const AWAIT = Object.freeze({ await: true }) as unknown as Syscall;

/** Sys for a thread whose task is isolated in this worker: the same methods, over the ring. */
export class WorkerSys {
  readonly utcb = new Utcb();
  private readonly ring: Ring;
  private readonly i32: Int32Array;
  private readonly regs: Float64Array;
  /** The op of the IPC syscall the body just yielded. */
  private pending = 0;
  private sendTimeout = NEVER;
  private recvTimeout = NEVER;
  private a = [0, 0, 0, 0, 0];
  /** @internal The promise the body awaits. */
  awaited: PromiseLike<unknown> | null = null;
  private priorityNow: number;
  private readonly spinner: Spinner;

  constructor(
    private readonly init: WorkerInit,
  ) {
    this.ring = new Ring(init.sab);
    this.i32 = this.ring.i32;
    this.regs = this.ring.regs;
    this.priorityNow = init.priority;
    this.spinner = new Spinner(init.spinNs);
  }

  get kernel(): never {
    throw new Error('an isolated task holds no reference to the kernel');
  }
  get task(): never {
    throw new Error('an isolated task holds no reference to its task object');
  }
  get threadId(): number {
    return this.init.threadId;
  }
  get taskId(): number {
    return this.init.taskId;
  }
  get priority(): number {
    return this.priorityNow;
  }
  now(): number {
    return this.invoke(RingOp.Now);
  }

  // ---------------------------------------------------------------- IPC (yield these)

  private ipc(op: number, cap: number, label: number, length: number, caps: number, items: number): Syscall {
    this.pending = op;
    const a = this.a;
    a[0] = cap;
    a[1] = label;
    a[2] = length;
    a[3] = caps;
    a[4] = items;
    return SYSCALL;
  }
  send(cap: number, label: number, length = 0, caps = 0, items = 0, timeout = NEVER): Syscall {
    this.sendTimeout = timeout;
    return this.ipc(Op.Send, cap, label, length, caps, items);
  }
  nbsend(cap: number, label: number, length = 0, caps = 0, items = 0): Syscall {
    return this.ipc(Op.NBSend, cap, label, length, caps, items);
  }
  call(cap: number, label: number, length = 0, caps = 0, items = 0, sendTimeout = NEVER, recvTimeout = NEVER): Syscall {
    this.sendTimeout = sendTimeout;
    this.recvTimeout = recvTimeout;
    return this.ipc(Op.Call, cap, label, length, caps, items);
  }
  recv(cap: number, timeout = NEVER): Syscall {
    this.recvTimeout = timeout;
    return this.ipc(Op.Recv, cap, 0, 0, 0, 0);
  }
  nbrecv(cap: number): Syscall {
    return this.ipc(Op.NBRecv, cap, 0, 0, 0, 0);
  }
  reply(label: number, length = 0, caps = 0, items = 0): Syscall {
    return this.ipc(Op.Reply, 0, label, length, caps, items);
  }
  replyRecv(cap: number, label: number, length = 0, caps = 0, items = 0, timeout = NEVER): Syscall {
    this.recvTimeout = timeout;
    return this.ipc(Op.ReplyRecv, cap, label, length, caps, items);
  }
  signal(cap: number): Syscall {
    return this.ipc(Op.Signal, cap, 0, 0, 0, 0);
  }
  wait(cap: number, timeout = NEVER): Syscall {
    this.recvTimeout = timeout;
    return this.ipc(Op.Wait, cap, 0, 0, 0, 0);
  }
  poll(cap: number): Syscall {
    return this.ipc(Op.Poll, cap, 0, 0, 0, 0);
  }
  sleep(ms: number): Syscall {
    this.recvTimeout = ms;
    return this.ipc(Op.Sleep, 0, 0, 0, 0, 0);
  }
  yield(): Syscall {
    return this.ipc(Op.Yield, 0, 0, 0, 0, 0);
  }
  park(): Syscall {
    return this.ipc(Op.Park, 0, 0, 0, 0, 0);
  }
  /** Await a promise of this worker (its own event loop runs meanwhile); a rejection is thrown into the body. */
  *await<T>(p: PromiseLike<T>): Generator<Syscall, T, number> {
    this.awaited = p;
    yield AWAIT;
    const r = this.settled;
    this.settled = null;
    if (r === null) throw new Error('await resumed without a settled promise');
    if (r.failed) throw r.error;
    return r.value as T;
  }
  /** @internal What the awaited promise settled with. */
  settled: { value: unknown; error: unknown; failed: boolean } | null = null;

  /** @internal Perform the IPC syscall the body yielded: write the request, wait, read the response. */
  perform(): number {
    const op = this.pending;
    const regs = this.regs;
    const u = this.utcb;
    const a = this.a;
    regs[Q.op] = op;
    regs[Q.a0] = a[0]!;
    regs[Q.a1] = a[1]!;
    const length = a[2]!;
    regs[Q.a2] = length;
    regs[Q.a3] = a[3]!;
    const items = a[4]!;
    regs[Q.a4] = items;
    regs[Q.sendTimeout] = this.sendTimeout;
    regs[Q.recvTimeout] = this.recvTimeout;
    regs[Q.grantMask] = u.grantMask;
    regs[Q.itemWindow] = u.itemWindow;
    for (let i = 0; i < u.caps.length; i++) regs[Q.caps + i] = u.caps[i]!;
    for (let i = 0; i < u.recvSlots.length; i++) regs[Q.recvSlots + i] = u.recvSlots[i]!;
    for (let i = 0; i < u.buffers.length; i++) {
      const b = u.buffers[i];
      regs[Q.bufLens + i] = b === null || b === undefined ? -1 : b.length;
    }
    const n = length > 64 || length < 0 ? 0 : length;
    const mrs = this.ring.mrs;
    const mr = u.mr;
    for (let i = 0; i < n; i++) mrs[i] = mr[i]!;
    const cnt = items > 0 && items <= u.items.length ? items : 0;
    for (let i = 0; i < cnt; i++) {
      if (u.items[i] === MAP_ITEM) throw new Error('map and grant items do not cross into an isolated task');
    }
    this.ring.writeEntries(u.items, cnt);
    this.exchange();
    return this.readIpcResponse();
  }

  private readIpcResponse(): number {
    const regs = this.regs;
    const u = this.utcb;
    const st = regs[R.status]!;
    u.label = regs[R.label]!;
    const len = regs[R.length]!;
    u.length = len;
    u.capCount = regs[R.capCount]!;
    const ic = regs[R.itemCount]!;
    u.itemCount = ic;
    u.badge = regs[R.badge]!;
    u.unwrapped = regs[R.unwrapped]!;
    u.truncated = regs[R.truncated]!;
    for (let i = 0; i < u.unwrappedBadges.length; i++) u.unwrappedBadges[i] = regs[R.unwrappedBadges + i]!;
    const mrs = this.ring.mrs;
    const mr = u.mr;
    for (let i = 0; i < len; i++) mr[i] = mrs[i]!;
    const entries = regs[R.hasError] === 1 || ic > 0 ? this.ring.readEntries() : null;
    for (let i = 0; i < ic; i++) {
      const e = entries![i]!;
      const b = u.buffers[i];
      if (e instanceof Uint8Array && b !== null && b !== undefined) {
        b.set(e);
        u.itemsIn[i] = b.subarray(0, e.length);
      } else u.itemsIn[i] = e;
    }
    this.readError(entries, ic);
    return st;
  }

  private readError(entries: (string | Uint8Array | null)[] | null, at: number): void {
    const regs = this.regs;
    if (regs[R.hasError] !== 1) return;
    const e: { -readonly [K in keyof ErrorDetail]: ErrorDetail[K] } = {
      status: regs[R.errStatus]!,
      message: String(entries?.[at + 1] ?? ''),
    };
    const arg = entries?.[at];
    if (typeof arg === 'string') e.argument = arg;
    if (regs[R.errSlot] !== -1) e.slot = regs[R.errSlot]!;
    if (regs[R.errItem] !== -1) e.item = regs[R.errItem]!;
    this.utcb.error = e;
  }

  /** Hand the request over and wait for the response: spin, then sleep. */
  private exchange(): void {
    const i32 = this.i32;
    Atomics.store(i32, STATE, RingState.Req);
    Atomics.notify(i32, STATE);
    if (!this.spinner.spin(i32, RingState.Resp)) {
      while (Atomics.load(i32, STATE) !== RingState.Resp) Atomics.wait(i32, STATE, RingState.Req);
    }
    Atomics.store(i32, STATE, RingState.Run);
  }

  /** A non-blocking invocation: returns the status (the value, if any, is in regs[R.value]). */
  private invoke(op: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0): number {
    const regs = this.regs;
    regs[Q.op] = op;
    regs[Q.a0] = a0;
    regs[Q.a1] = a1;
    regs[Q.a2] = a2;
    regs[Q.a3] = a3;
    regs[Q.a4] = a4;
    this.exchange();
    if (regs[R.hasError] === 1) this.readError(this.ring.readEntries(), 0);
    return op === RingOp.Now || op === RingOp.AllocSlot || op === RingOp.ReserveSlot ? regs[R.value]! : regs[R.status]!;
  }

  private withString(s: string): void {
    this.ring.writeEntries([s], 1);
  }

  private result<T>(st: number, value: () => T): Result<T> {
    if (st === 0) return { ok: true, value: value() };
    return { ok: false, status: st, detail: this.utcb.error! } as Result<T>;
  }

  // ---------------------------------------------------------------- invocations

  saveCaller(slot: number): number {
    return this.invoke(RingOp.SaveCaller, slot);
  }
  get hasCaller(): boolean {
    this.invoke(RingOp.HasCaller);
    return this.regs[R.value] === 1;
  }
  allocSlot(from?: number): number {
    return this.invoke(RingOp.AllocSlot, from ?? -1);
  }
  reserveSlot(): number {
    return this.invoke(RingOp.ReserveSlot);
  }
  unreserveSlot(slot: number): void {
    this.invoke(RingOp.UnreserveSlot, slot);
  }
  mint(src: number, dst: number, rights: number, badge = 0): number {
    return this.invoke(RingOp.Mint, src, dst, rights, badge);
  }
  copy(src: number, dst: number): number {
    return this.invoke(RingOp.Mint, src, dst, Rights.All, 0);
  }
  move(src: number, dst: number): number {
    return this.invoke(RingOp.Move, src, dst);
  }
  delete(slot: number): number {
    return this.invoke(RingOp.Delete, slot);
  }
  revoke(slot: number): number {
    return this.invoke(RingOp.Revoke, slot);
  }
  cancelBadgedSends(slot: number): number {
    return this.invoke(RingOp.CancelBadgedSends, slot);
  }
  identify(slot: number): CapIdentity | null {
    this.invoke(RingOp.Identify, slot);
    const r = this.regs;
    if (r[R.value] !== 1) return null;
    const x = R.extra;
    return { kind: r[x]!, rights: r[x + 1]!, badge: r[x + 2]!, object: r[x + 3]!, dead: r[x + 4] === 1 };
  }
  createEndpoint(factory: number, dst: number): number {
    return this.invoke(RingOp.CreateEndpoint, factory, dst);
  }
  createNotification(factory: number, dst: number): number {
    return this.invoke(RingOp.CreateNotification, factory, dst);
  }
  createFactory(factory: number, dst: number, quota: number, memQuota = 0): number {
    return this.invoke(RingOp.CreateFactory, factory, dst, quota, memQuota);
  }
  createTask(factory: number, dst: number, name: string, slots = 4096): number {
    this.withString(name);
    return this.invoke(RingOp.CreateTask, factory, dst, slots);
  }
  createThread(): number {
    throw new Error('an isolated task cannot start threads: a body does not cross into the kernel');
  }
  installCap(task: number, src: number, dst: number, rights: number = Rights.All, badge = 0): number {
    return this.invoke(RingOp.InstallCap, task, src, dst, rights, badge);
  }
  killTask(task: number): number {
    return this.invoke(RingOp.KillTask, task);
  }
  watchTask(task: number, notification: number): number {
    return this.invoke(RingOp.WatchTask, task, notification);
  }
  taskInfo(task: number): Result<TaskInfo> {
    const st = this.invoke(RingOp.TaskInfo, task);
    return this.result(st, () => {
      const r = this.regs;
      const name = this.ring.readEntries()[0] as string;
      return { id: r[R.extra]!, name, alive: r[R.extra + 1] === 1, threads: r[R.extra + 2]! };
    });
  }
  suspend(thread: number): number {
    return this.invoke(RingOp.Suspend, thread);
  }
  resume(thread: number): number {
    return this.invoke(RingOp.Resume, thread);
  }
  setPriority(thread: number, priority: number): number {
    return this.invoke(RingOp.SetPriority, thread, priority);
  }
  setFaultHandler(thread: number, endpointSlot: number): number {
    return this.invoke(RingOp.SetFaultHandler, thread, endpointSlot);
  }
  setOwnFaultHandler(endpointSlot: number): number {
    return this.invoke(RingOp.SetOwnFaultHandler, endpointSlot);
  }
  bind(notification: number): number {
    return this.invoke(RingOp.Bind, notification);
  }
  bindThread(thread: number, notification: number): number {
    return this.invoke(RingOp.BindThread, thread, notification);
  }
  unbind(): number {
    return this.invoke(RingOp.Unbind);
  }
  requestNoSenders(endpoint: number, notification: number): number {
    return this.invoke(RingOp.RequestNoSenders, endpoint, notification);
  }
  nextNoSenders(endpoint: number): Result<number> {
    const st = this.invoke(RingOp.NextNoSenders, endpoint);
    return this.result(st, () => this.regs[R.value]!);
  }
  childCount(slot: number): Result<number> {
    const st = this.invoke(RingOp.ChildCount, slot);
    return this.result(st, () => this.regs[R.value]!);
  }

  /** @internal Tell the kernel side the body ended (its thread exits; the task stays). */
  exit(): void {
    this.invoke(RingOp.Exit);
  }

  /** @internal Mark the worker as waiting on its own event loop (not hung). */
  idle(on: boolean): void {
    Atomics.store(this.i32, STATE, on ? RingState.Idle : RingState.Run);
  }
}

type BodyFn = (sys: WorkerSys) => Generator<unknown, unknown, number> | Continuation;

/** Drive a body: run it synchronously until it awaits a promise of its own. */
async function drive(sys: WorkerSys, body: BodyFn): Promise<void> {
  const b = body(sys);
  if (typeof b === 'function') {
    let st = 0;
    for (;;) {
      const tok = b(st);
      if (tok === null) break;
      if (tok !== SYSCALL) throw new TypeError(`isolated thread yielded a value that is not a syscall: ${String(tok)}`);
      st = sys.perform();
    }
  } else {
    let r = b.next(0);
    while (r.done !== true) {
      const tok = r.value;
      if (tok === SYSCALL) r = b.next(sys.perform());
      else if (tok === AWAIT) {
        sys.idle(true);
        try {
          sys.settled = { value: await sys.awaited, error: undefined, failed: false };
        } catch (e) {
          sys.settled = { value: undefined, error: e, failed: true };
        }
        sys.idle(false);
        sys.awaited = null;
        r = b.next(0);
      } else throw new TypeError(`isolated thread yielded a value that is not a syscall: ${String(tok)}`);
    }
  }
  sys.exit();
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const mod = (await import(init.module)) as Record<string, unknown>;
  const exp = mod[init.exportName];
  if (typeof exp !== 'function') throw new TypeError(`${init.module} has no function export '${init.exportName}'`);
  // A body factory (declared with `isolatedBody.factory = true`) is called with the
  // argument first and returns the body; otherwise the export is the body.
  const body = ((exp as { factory?: boolean }).factory === true ? (exp as (a: unknown) => BodyFn)(init.arg) : exp) as BodyFn;
  const sys = new WorkerSys(init);
  sys.idle(false);
  await drive(sys, body);
}

await main();
