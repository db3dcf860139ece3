// The worker side of an isolated task: WorkerSys, a thread's syscall interface with Sys's
// methods over its ring (ring.ts), and the worker's scheduler, which drives the task's
// threads. One thread runs its syscalls synchronously (spin, then Atomics.wait on the
// response). With several threads (createThread) or a body awaiting a promise, each IPC
// request is posted and the thread blocks; the worker runs its other threads, and when
// none can run it waits on the doorbell every response rings: a bounded spin, then
// Atomics.wait (one thread, nothing awaited) or Atomics.waitAsync (its event loop runs
// meanwhile: promise callbacks, timers). Each blocking request is taken by the kernel
// before another thread runs, so the task's syscalls reach the kernel in program order
// (libcap's bucket counts a worker idle before its receive reaches the kernel). (A
// synchronous Atomics.wait in slices, with an event-loop turn between them, was measured
// against waitAsync for a bucket in a worker and was not faster.) Invocations made outside any thread's turn go
// through the host context's ring. The worker holds cap names, words and items; nothing
// of the kernel.

import { receiveMessageOnPort } from 'node:worker_threads';
import { RECV_PHASE, Status, type ErrorDetail } from '../errors.ts';
import type { CapIdentity, Result, TaskInfo } from '../invocations.ts';
import { DEFAULT_PRIORITY, MAX_ITEM_LENGTH, MR_COUNT, NEVER } from '../limits.ts';
import { Rights } from '../rights.ts';
import { Op, SYSCALL, type Continuation, type Syscall } from '../thread.ts';
import type { MemView } from '../dataspace.ts';
import type { MapOptions, MappingInfo } from '../dataspace-ops.ts';
import { MAP_ITEM, Utcb } from '../utcb.ts';
import { PROGRESS, Q, R, Ring, RingOp, RingState, Spinner, STATE, type DataspaceMessage, type MapWire, type NewThreadMessage, type WorkerInit } from './ring.ts';
import { WorkerMemory, type WorkerMemView } from './worker-mem.ts';
import {
  C_LABEL,
  C_LEN,
  C_MR,
  C_REQ,
  C_SLEEP,
  DEFAULT_DIRECT_SPIN_NS,
  EPOCH_BITS,
  H_GONE,
  K_ACK,
  K_TAKEN,
  REFUSED,
  RETRY_LEFT,
  S_ALIVE,
  S_ANS,
  S_FLAG,
  S_GEN,
  S_LABEL,
  S_LEN,
  S_MR,
  S_OPEN,
  S_STATUS,
  ServeFlag,
  ADOPTED,
  type DirectMessage,
} from './direct.ts';

/** What one thread's WorkerSys is made from. */
export interface ThreadInit {
  readonly sab: SharedArrayBuffer;
  readonly taskId: number;
  readonly threadId: number;
  readonly priority: number;
  readonly spinNs: number;
}

/** Parameters of createThread in a worker (as the kernel's ThreadParams, without fault handlers). */
export interface ThreadParams {
  name?: string;
  priority?: number;
}

/** direct(): the syscall goes through the kernel. */
export const NO_DIRECT = -1;
/**
 * direct(): the serving thread of a worker running several threads waits in its receive
 * with its links open; the worker's loop looks at them between its other threads
 * (pollDirect) and, after the thread's look, sends the receive to the kernel.
 */
export const PARK_DIRECT = -2;

/** A link as its server's worker keeps it: the badge is the kernel's word, not the link's. */
interface ServerLink {
  readonly index: number;
  /** The kernel's id of the link (adopt names it). */
  readonly id: number;
  /** The link's words. */
  readonly i32: Int32Array;
  readonly badge: number;
  /** The client's request word last looked at. */
  seen: number;
  /** A request accepted while closing, served before the server sleeps (NONE: none). */
  accepted: number;
}

/** A client's link: its view and its request sequence number. */
interface ClientLink {
  readonly i32: Int32Array;
  seq: number;
}

/** No request (ServerLink.accepted): request words always carry an odd epoch in their low bits. */
const NONE = 0;

/** The endpoint this worker's thread serves directly, and its links. */
interface Serving {
  readonly slot: number;
  /** The thread that serves (the one that called serveDirect). */
  owner: WorkerSys | null;
  /** When its receive started looking at the links (performance.now(), ms), parked in a worker running several threads. */
  parkedAt: number;
  readonly srv: Int32Array;
  readonly list: ServerLink[];
  /** The kernel's link generation last taken off the port. */
  gen: number;
  /** Where the next scan starts (round robin over the links). */
  rr: number;
  /** How long a receive looks at the links before it sleeps in the kernel (ns), adapting between the two bounds. */
  spinNs: number;
  minSpinNs: number;
  maxSpinNs: number;
  /** When the links last closed (performance.now(), ms; -1: never). */
  closedAt: number;
  /** The open epoch: odd while the links are open. */
  epoch: number;
}

/**
 * The serving thread receives again after its look ended and it went to the kernel
 * (where a call came, or a kick, or a timeout): if soon after the links closed, the look
 * was too short for the callers (double it); if after longer than the most, the server
 * was idle (halve it).
 */
function adaptSpin(sv: Serving): void {
  if (sv.closedAt < 0 || sv.list.length === 0) return;
  const gapNs = (performance.now() - sv.closedAt) * 1e6;
  if (gapNs < sv.maxSpinNs) sv.spinNs = Math.min(sv.maxSpinNs, sv.spinNs * 2);
  else sv.spinNs = Math.max(sv.minSpinNs, sv.spinNs / 2);
  sv.closedAt = -1;
}

/** A message of words only landed in `u` (its words are in u.mr): label, length, badge, and nothing else. */
function wordsReceived(u: Utcb, label: number, length: number, badge: number): void {
  u.label = label;
  u.length = length;
  u.badge = badge;
  u.capCount = 0;
  u.itemCount = 0;
  u.unwrapped = 0;
  u.truncated = 0;
  u.mapped = 0;
}

/** Index of the first of `n` registers that is not a word (uint32, as the kernel's decode asks), or -1. */
function firstNonWord(mr: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++) if (mr[i]! >>> 0 !== mr[i]) return i;
  return -1;
}

/** A receive buffer as the kernel's request carries it: its length, -1 for none. */
function bufferWindow(b: Uint8Array | null | undefined): number {
  return b === null || b === undefined ? -1 : b.length;
}

function isOpen(sv: Serving): boolean {
  return (sv.epoch & 1) === 1;
}

/** Open every link: a new odd epoch in each (once per stretch of direct serving, not per call). */
function openAll(sv: Serving): void {
  sv.epoch = (sv.epoch + 1) | 0;
  for (const l of sv.list) Atomics.store(l.i32, S_OPEN, sv.epoch);
}

/**
 * Close every link (an even epoch), then read each request word once more: a request of
 * the epoch closed is accepted (recorded in K_TAKEN, served before sleeping), and the
 * close is acknowledged (K_ACK), so a client that posted as the epoch closed learns which.
 */
function closeLinks(sv: Serving): void {
  const closed = sv.epoch;
  sv.epoch = (sv.epoch + 1) | 0;
  const tag = closed & EPOCH_BITS;
  for (const l of sv.list) {
    const w = l.i32;
    Atomics.store(w, S_OPEN, sv.epoch);
    const req = Atomics.load(w, C_REQ);
    // A request of the epoch closed is the server's: taken or refused already, or
    // accepted now (new since the last look).
    const ours = (req & EPOCH_BITS) === tag;
    if (req !== l.seen) {
      l.seen = req;
      if (ours) l.accepted = req;
    }
    w[K_TAKEN] = ours ? req : NONE;
    Atomics.store(w, K_ACK, closed);
    Atomics.notify(w, K_ACK);
  }
}

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
  /** Whether the thread holds an implicit reply cap (every response says). */
  private caller = false;
  /** The direct caller this thread took from a link and has not answered (direct.ts), and its request word. */
  private directCaller: ServerLink | null = null;
  private directSeq = 0;
  /** The receive windows the kernel last got (noteWindows). */
  private readonly sentWindows: number[] = [];

  constructor(
    private readonly init: ThreadInit,
    /** @internal The worker's scheduler (starts threads, routes host invocations). */
    readonly worker: IsolatedWorker,
    /** The host context's ring: idle between invocations (never a hang). */
    private readonly hostContext = false,
  ) {
    this.ring = new Ring(init.sab);
    this.i32 = this.ring.i32;
    this.regs = this.ring.regs;
    this.priorityNow = init.priority;
    this.spinner = new Spinner(init.spinNs);
  }

  /** @internal The ring's words (the state word is STATE). */
  get ringState(): Int32Array {
    return this.i32;
  }

  /** The op of the IPC syscall last yielded (libcap's workers look at it: call or send). */
  get pendingOp(): number {
    return this.pending;
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
    this.write();
    this.exchange();
    return this.readIpcResponse();
  }

  /** @internal Write the request of the IPC syscall the body yielded. */
  write(): void {
    const op = this.pending;
    const regs = this.regs;
    const u = this.utcb;
    const a = this.a;
    // A send through a saved reply cap uses it up (a send anywhere else leaves no entry to drop).
    if (op === Op.Send || op === Op.NBSend) this.worker.savedReplies.delete(a[0]!);
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
    for (let i = 0; i < u.buffers.length; i++) regs[Q.bufLens + i] = bufferWindow(u.buffers[i]);
    const n = length > 64 || length < 0 ? 0 : length;
    const mrs = this.ring.mrs;
    const mr = u.mr;
    for (let i = 0; i < n; i++) mrs[i] = mr[i]!;
    regs[Q.memBase] = u.memWindowBase;
    regs[Q.memSize] = u.memWindowSize;
    this.noteWindows();
    const cnt = items > 0 && items <= u.items.length ? items : 0;
    let maps: (MapWire | null)[] | undefined;
    for (let i = 0; i < cnt; i++) {
      if (u.items[i] !== MAP_ITEM) continue;
      const m = u.maps[i];
      maps ??= [];
      maps[i] =
        m === null || m === undefined || typeof m !== 'object'
          ? null
          : { vaddr: m.vaddr, length: m.length, rights: m.rights, grant: m.grant === true, offset: 0, dataspace: 0, word: 0, gen: 0 };
    }
    this.ring.writeEntries(u.items, cnt, maps);
  }

  /**
   * The receive windows as the kernel got them with the last request (noteWindows): a
   * direct call needs them unchanged since (windowsCurrent), as the kernel delivers an
   * answer it adopted (adopt) into them.
   */
  private noteWindows(): void {
    const u = this.utcb;
    const w = this.sentWindows;
    let n = 0;
    for (let i = 0; i < u.recvSlots.length; i++) w[n++] = u.recvSlots[i]!;
    for (let i = 0; i < u.buffers.length; i++) w[n++] = bufferWindow(u.buffers[i]);
    w[n++] = u.itemWindow;
    w[n++] = u.memWindowBase;
    w[n] = u.memWindowSize;
  }

  private windowsCurrent(): boolean {
    const u = this.utcb;
    const w = this.sentWindows;
    let n = 0;
    for (let i = 0; i < u.recvSlots.length; i++) if (w[n++] !== u.recvSlots[i]) return false;
    for (let i = 0; i < u.buffers.length; i++) if (w[n++] !== bufferWindow(u.buffers[i])) return false;
    return w[n++] === u.itemWindow && w[n++] === u.memWindowBase && w[n] === u.memWindowSize;
  }

  /** @internal Hand the written request over. */
  post(): void {
    const i32 = this.i32;
    Atomics.store(i32, STATE, RingState.Req);
    Atomics.notify(i32, STATE);
  }

  /**
   * @internal Wait until the kernel has taken the posted request (or answered it): a
   * worker with several threads runs another only then, so the task's syscalls reach
   * the kernel in the order its threads made them.
   */
  waitTaken(): void {
    const i32 = this.i32;
    if (Atomics.load(i32, STATE) !== RingState.Req) return;
    if (this.spinner.spinWhileState(i32, RingState.Req)) return;
    while (Atomics.load(i32, STATE) === RingState.Req) Atomics.wait(i32, STATE, RingState.Req);
  }

  /** @internal True when the response to the posted request is there. */
  get answered(): boolean {
    return Atomics.load(this.i32, STATE) === RingState.Resp;
  }

  /** @internal Take the response of the posted request. */
  take(): number {
    Atomics.store(this.i32, STATE, RingState.Run);
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
    this.caller = regs[R.hasCaller] === 1;
    // The kernel gave this call's cap slot a direct link: it is on the port already.
    if (regs[R.newLink] === 1) this.worker.drainPort();
    for (let i = 0; i < u.unwrappedBadges.length; i++) u.unwrappedBadges[i] = regs[R.unwrappedBadges + i]!;
    const mrs = this.ring.mrs;
    const mr = u.mr;
    for (let i = 0; i < len; i++) mr[i] = mrs[i]!;
    const entries = regs[R.hasError] === 1 || ic > 0 ? this.ring.readEntries() : null;
    u.mapped = regs[R.mapped]!;
    for (let i = 0; i < ic; i++) {
      const e = entries![i]!;
      const b = u.buffers[i];
      if (e === MAP_ITEM) {
        u.itemsIn[i] = MAP_ITEM;
        const w = this.ring.maps[i];
        u.mapsIn[i] = w === null || w === undefined ? null : (this.worker.memory.view(w) as unknown as MemView);
      } else if (e instanceof Uint8Array && b !== null && b !== undefined) {
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
      for (let cur = Atomics.load(i32, STATE); cur !== RingState.Resp; cur = Atomics.load(i32, STATE)) Atomics.wait(i32, STATE, cur);
    }
    Atomics.store(i32, STATE, this.hostContext ? RingState.Idle : RingState.Run);
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
    this.caller = regs[R.hasCaller] === 1;
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

  // ---------------------------------------------------------------- direct calls (direct.ts)

  /**
   * Serve the endpoint in `slot` directly: calls from isolated tasks through caps to it
   * reach this thread's recv and replyRecv on `slot` without the main thread, once the
   * kernel has given each caller a link (after a first call through the kernel). A call
   * taken that way and answered with words goes back through the link; saveCaller on
   * it, or an answer with caps or items, hands it to the kernel first (adopt). The
   * task's other threads receive through the kernel. Ok, or InvalidCapability (not an
   * endpoint cap with Read), IllegalOperation (already served directly, a bound
   * notification). How long a receive looks at the links before it sleeps in the kernel
   * adapts between the worker's spin (50 us) and DEFAULT_DIRECT_SPIN_NS (1 ms): it
   * doubles when the thread receives again soon after its look ended (a caller a little
   * late paid a kernel round trip, tens of microseconds), and halves when it slept in
   * the kernel longer than the most. `spinNs` fixes it instead. A call that comes later goes through the
   * kernel, and the next ones through the link again.
   */
  serveDirect(slot: number, opts: { spinNs?: number } = {}): number {
    const st = this.invoke(RingOp.ServeDirect, slot);
    if (st === Status.Ok) {
      this.worker.drainPort();
      const sv = this.worker.serving;
      if (sv !== null) {
        sv.owner = this;
        sv.maxSpinNs = opts.spinNs ?? DEFAULT_DIRECT_SPIN_NS;
        sv.minSpinNs = opts.spinNs ?? Math.min(this.init.spinNs, sv.maxSpinNs);
        sv.spinNs = sv.minSpinNs;
      }
    }
    return st;
  }

  /**
   * Stop serving directly (starting a thread, the body ending, the kernel's Stop): close
   * the links; requests accepted at the close are refused (their clients call through
   * the kernel).
   */
  private stopServing(): void {
    const sv = this.worker.serving;
    if (sv === null) return;
    if (isOpen(sv)) closeLinks(sv);
    this.worker.serving = null;
    for (const l of sv.list) {
      if (l.accepted !== NONE) this.answer(l, l.accepted, REFUSED);
      l.accepted = NONE;
    }
    if (Atomics.load(sv.srv, S_FLAG) !== ServeFlag.Stop) this.invoke(RingOp.StopDirect);
  }

  /** @internal The body ended: answer the direct caller it holds (Decision 4) and stop serving. */
  endDirect(): void {
    const c = this.directCaller;
    if (c !== null) this.answer(c, this.directSeq, Status.Aborted | RECV_PHASE);
    this.directCaller = null;
    if (this.worker.serving?.owner === this) this.stopServing();
  }

  /**
   * @internal Perform the IPC syscall the body yielded without the kernel if a link can
   * carry it: a call through a linked slot, or (serving directly) a receive that finds a
   * request on a link, and the reply to a call taken from one. Returns its status, or
   * NO_DIRECT to go through the kernel with the syscall as it now stands (a replyRecv
   * whose reply went through a link continues as a recv).
   */
  direct(single: boolean): number {
    const op = this.pending;
    if (op === Op.Call) return single && this.worker.clientLinks.size !== 0 ? this.directCall() : NO_DIRECT;
    if (op !== Op.Reply && op !== Op.ReplyRecv && op !== Op.Recv && op !== Op.NBRecv) return NO_DIRECT;
    const sv = this.worker.serving;
    if (this.directCaller === null && sv === null) return NO_DIRECT;
    const a = this.a;
    const served = sv !== null && sv.owner === this && a[0] === sv.slot && op !== Op.Reply;
    if (op === Op.Reply || op === Op.ReplyRecv) {
      if (this.directCaller !== null) {
        // NO_DIRECT: the answer carries caps or items, so the call was handed to the
        // kernel (adopt) and is answered there like one taken through it (below).
        const st = this.answerDirect(a[1]!, a[2]!, a[3]!, a[4]!);
        if (st !== NO_DIRECT) {
          if (op === Op.Reply || st !== Status.Ok) return st;
          this.pending = Op.Recv;
        } else if (op === Op.Reply) return NO_DIRECT;
      }
      if (this.pending !== Op.Recv && this.caller) {
        // A caller taken through the kernel is answered there: the whole replyRecv, or,
        // serving, the reply alone (it never blocks), the links opened first so that a
        // linked caller answered through the kernel finds its link open (else, with two
        // callers, each one's call through the kernel would close the links to the other).
        if (!served) {
          if (op === Op.Reply && sv !== null && sv.owner === this) this.openLinks(sv);
          return NO_DIRECT;
        }
        this.openLinks(sv);
        this.pending = Op.Reply;
        const st = this.perform();
        this.pending = Op.Recv;
        if (st !== Status.Ok) return st;
      }
    }
    // The receive phase. Receiving again without answering fails the caller (Decision 4).
    if (this.directCaller !== null) {
      this.answer(this.directCaller, this.directSeq, Status.Aborted | RECV_PHASE);
      this.directCaller = null;
    }
    if (!served || this.caller) return NO_DIRECT;
    if (op === Op.NBRecv || this.recvTimeout <= 0) return this.takeDirect(sv, 0) ? Status.Ok : NO_DIRECT;
    // Back from the kernel since the last look ended: was the look long enough?
    if (sv.closedAt >= 0) adaptSpin(sv);
    if (single) {
      // The clock only for a receive with a timeout to spend: a read costs 60-70 ns on the
      // VM, on every call's path (takeDirect times its look from its own first read).
      if (this.recvTimeout !== NEVER) sv.parkedAt = performance.now();
      if (this.takeDirect(sv, this.lookNs(sv))) return Status.Ok;
      this.spendTimeout(sv);
      return NO_DIRECT;
    }
    sv.parkedAt = performance.now();
    // Several threads: one look, then wait with the links open while the worker runs the
    // others and looks at them in between (pollDirect); the thread's look ends in the kernel.
    const st = this.pollDirect();
    return st === PARK_DIRECT || st === Status.Ok ? st : NO_DIRECT;
  }

  /** How long the receive looks at its links (ns): the serving look, within its own timeout. */
  private lookNs(sv: Serving): number {
    return this.recvTimeout === NEVER ? sv.spinNs : Math.min(sv.spinNs, this.recvTimeout * 1e6);
  }

  /** @internal The look at the links ended without a request: the kernel's receive waits what is left of the timeout. */
  spendTimeout(sv: Serving | null = this.worker.serving): void {
    if (this.recvTimeout === NEVER || sv === null) return;
    this.recvTimeout = Math.max(0, this.recvTimeout - (performance.now() - sv.parkedAt));
  }

  /**
   * @internal The serving thread waits parked in its receive (PARK_DIRECT): look at its
   * links once. Ok (a request is in the UTCB), PARK_DIRECT (nothing yet), or NO_DIRECT
   * (a sender waits in the kernel, serving ended, or `end`: the look is over; the links
   * are closed and the receive goes to the kernel).
   */
  pollDirect(end = false): number {
    const sv = this.worker.serving;
    if (sv === null || sv.owner !== this) return NO_DIRECT;
    this.newLinks(sv);
    const list = sv.list;
    const n = list.length;
    for (let i = 0; i < n; i++) if (list[i]!.accepted !== NONE && this.takeAccepted(sv, list[i]!)) return Status.Ok;
    if (n !== 0 && Atomics.load(sv.srv, S_FLAG) === ServeFlag.None && !end) {
      if (!isOpen(sv)) openAll(sv);
      if (this.scan(sv)) return Status.Ok;
      if (Atomics.load(sv.srv, S_FLAG) === ServeFlag.None) {
        this.progress(); // looking at its links for callers: not hung
        return PARK_DIRECT;
      }
    }
    return this.closeDirect(sv) ? Status.Ok : NO_DIRECT;
  }

  /** @internal The receive of this parked thread answers a kick from its own task (IsolatedWorker.kickDirect). */
  kicked(label: number): void {
    wordsReceived(this.utcb, label, 0, 0);
  }

  /** @internal When the parked serving thread's look ends (performance.now(), ms). */
  get parkedUntil(): number {
    const sv = this.worker.serving;
    return sv === null ? 0 : sv.parkedAt + this.lookNs(sv) / 1e6;
  }

  /**
   * @internal The serving thread makes a syscall through the kernel other than its
   * served receive that may block (a call of its handler, a receive elsewhere, a send to
   * an endpoint): close its links so no caller waits behind it, and refuse the requests
   * accepted at the close (untaken, their callers call through the kernel, where another
   * thread may take them). Syscalls that never block leave them open: reply, nbsend,
   * signal, poll, yield, nbrecv, and a send through a reply cap saved in this task.
   */
  leaveLinks(): void {
    const sv = this.worker.serving;
    if (sv === null || sv.owner !== this || !isOpen(sv)) return;
    const op = this.pending;
    if (op === Op.Reply || op === Op.NBSend || op === Op.Signal || op === Op.Poll || op === Op.Yield || op === Op.NBRecv) return;
    if (op === Op.Send && this.worker.savedReplies.has(this.a[0]!)) return;
    closeLinks(sv);
    for (const l of sv.list) {
      if (l.accepted !== NONE) this.answer(l, l.accepted, REFUSED);
      l.accepted = NONE;
    }
  }

  /** A call through a linked slot: its status and answer, or NO_DIRECT (the kernel takes it). */
  private directCall(): number {
    const a = this.a;
    const links = this.worker.clientLinks;
    const slot = a[0]!;
    const link = links.get(slot);
    if (link === undefined) return NO_DIRECT;
    const label = a[1]!;
    const len = a[2]!;
    // Words only, no timeouts, a message the kernel would take as it is; else the kernel.
    if (a[3] !== 0 || a[4] !== 0 || this.sendTimeout !== NEVER || this.recvTimeout !== NEVER) return NO_DIRECT;
    if (label >>> 0 !== label || len >>> 0 !== len || len > MR_COUNT) return NO_DIRECT;
    const mr = this.utcb.mr;
    if (firstNonWord(mr, len) >= 0 || !this.windowsCurrent()) return NO_DIRECT;
    const w = link.i32;
    if (Atomics.load(w, H_GONE) !== 0) {
      links.delete(slot);
      return NO_DIRECT;
    }
    const epoch = Atomics.load(w, S_OPEN);
    if ((epoch & 1) === 0) return NO_DIRECT; // closed: the server sleeps in the kernel
    // The words, then the request (tagged with the epoch seen open), published last.
    w[C_LABEL] = label;
    w[C_LEN] = len;
    for (let i = 0; i < len; i++) w[C_MR + i] = mr[i]!;
    link.seq = (link.seq + 1) & 0x7fffff;
    const req = (link.seq << 8) | (epoch & EPOCH_BITS);
    Atomics.store(w, C_REQ, req);
    if (Atomics.load(w, S_OPEN) !== epoch && !this.acceptedAtClose(w, epoch, req)) return NO_DIRECT;
    // Wait for the answer: spin, then sleep on the answer word.
    for (;;) {
      const ans = Atomics.load(w, S_ANS);
      if (ans === req) break;
      const gone = Atomics.load(w, H_GONE);
      if (gone > 0) {
        links.delete(slot);
        return gone;
      }
      if (gone === RETRY_LEFT) {
        links.delete(slot);
        return NO_DIRECT;
      }
      if (this.spinner.spinWhileState(w, ans, S_ANS)) continue;
      Atomics.store(w, C_SLEEP, 1);
      if (Atomics.load(w, S_ANS) === ans && Atomics.load(w, H_GONE) === 0) {
        // Not a hang: the watchdog waits for this like for a body's own promise.
        this.idle(true);
        Atomics.wait(w, S_ANS, ans);
        this.idle(false);
      }
      Atomics.store(w, C_SLEEP, 0);
    }
    const st = w[S_STATUS]!;
    this.progress();
    if (st === REFUSED) return NO_DIRECT; // the cap went: the kernel answers for the slot now
    if (st === ADOPTED) return this.awaitAdopted(slot);
    if (st === Status.Ok) {
      const n = w[S_LEN]!;
      for (let i = 0; i < n; i++) mr[i] = w[S_MR + i]! >>> 0;
      wordsReceived(this.utcb, w[S_LABEL]! >>> 0, n, 0);
    }
    return st;
  }

  /**
   * The server handed this call to the kernel (ADOPTED): this thread's kernel thread
   * waits there for the reply; collect it as a call's response.
   */
  private awaitAdopted(slot: number): number {
    const regs = this.regs;
    regs[Q.op] = RingOp.AwaitAdopted;
    regs[Q.a0] = slot;
    this.exchange();
    return this.readIpcResponse();
  }

  /**
   * The server closed the epoch the request was tagged with while it was posted: wait for
   * its close record (a few instructions away, unless the server died) and say whether
   * it accepted the request (else the request is void and the kernel takes the call).
   */
  private acceptedAtClose(w: Int32Array, epoch: number, req: number): boolean {
    for (;;) {
      const ack = Atomics.load(w, K_ACK);
      if (ack === epoch) return w[K_TAKEN] === req;
      // A later close (this side was slow to look): a request the server took or accepted
      // was answered before it closed again, so unanswered means void.
      if (((ack - epoch) | 0) > 0) return Atomics.load(w, S_ANS) === req;
      // A dead worker acknowledges nothing: the wait for the answer reports its death.
      if (Atomics.load(w, H_GONE) > 0) return true;
      Atomics.wait(w, K_ACK, ack, 1);
    }
  }

  /**
   * Answer the direct caller with words: Ok, or InvalidArgument (the caller still waits).
   * An answer with caps or items hands the call to the kernel (adopt) and returns
   * NO_DIRECT: the kernel takes the reply as for any caller.
   */
  private answerDirect(label: number, length: number, caps: number, items: number): number {
    const l = this.directCaller!;
    const u = this.utcb;
    if (caps !== 0 || items !== 0) return this.adopt() ? NO_DIRECT : Status.Ok;
    let bad: string | null = null;
    if (label >>> 0 !== label) bad = 'label';
    else if (length >>> 0 !== length) bad = 'length';
    const len = length > MR_COUNT ? MR_COUNT : length;
    const nonWord = bad === null ? firstNonWord(u.mr, len) : -1;
    if (nonWord >= 0) bad = `mr[${nonWord}]`;
    if (bad !== null) {
      const st = Status.InvalidArgument;
      u.error = { status: st, argument: bad, message: `${bad} is not a word` };
      return st;
    }
    const w = l.i32;
    w[S_LABEL] = label;
    w[S_LEN] = len;
    for (let i = 0; i < len; i++) w[S_MR + i] = u.mr[i]!;
    this.directCaller = null;
    this.answer(l, this.directSeq, Status.Ok);
    return Status.Ok;
  }

  /** Publish the answer to request `req` on `l` (`status`; for Ok the words are written). */
  private answer(l: ServerLink, req: number, status: number): void {
    const w = l.i32;
    w[S_STATUS] = status;
    Atomics.store(w, S_ANS, req);
    if (Atomics.load(w, C_SLEEP) === 1) Atomics.notify(w, S_ANS);
  }

  /**
   * The receive on the directly served endpoint: open the links, look for a request for
   * up to `spinNs`, then close them all (requests of the closed epoch are accepted and
   * served first). True when a request was taken into the UTCB; false to receive
   * through the kernel (also when a sender waits there, or serving ended).
   */
  private takeDirect(sv: Serving, spinNs: number): boolean {
    const srv = sv.srv;
    this.newLinks(sv);
    if (Atomics.load(srv, S_FLAG) === ServeFlag.Stop) {
      this.stopServing();
      return false;
    }
    const list = sv.list;
    const n = list.length;
    for (let i = 0; i < n; i++) if (list[i]!.accepted !== NONE && this.takeAccepted(sv, list[i]!)) return true;
    if (n === 0) {
      // No link yet: closed, so one the kernel makes while this thread sleeps there starts closed.
      if (isOpen(sv)) sv.epoch = (sv.epoch + 1) | 0;
      return false;
    }
    if (!isOpen(sv)) openAll(sv);
    let until = -1;
    for (let round = 0; ; round++) {
      if (this.scan(sv)) return true;
      if (Atomics.load(srv, S_FLAG) !== ServeFlag.None || spinNs === 0) break;
      if ((round & 63) === 63) {
        const now = performance.now();
        if (until < 0) until = now + spinNs / 1e6;
        else if (now > until) break;
        this.progress(); // looking at its links for callers: not hung
      }
    }
    return this.closeDirect(sv);
  }

  /** One look at every open link, round robin: true when a request was taken into the UTCB. */
  private scan(sv: Serving): boolean {
    const list = sv.list;
    const n = list.length;
    const tag = sv.epoch & EPOCH_BITS;
    for (let j = 0; j < n; j++) {
      const i = sv.rr + j < n ? sv.rr + j : sv.rr + j - n;
      const l = list[i]!;
      const req = Atomics.load(l.i32, C_REQ);
      if (req === l.seen) continue;
      l.seen = req;
      if ((req & EPOCH_BITS) === tag && this.takeLink(sv, l, req)) {
        sv.rr = i + 1 < n ? i + 1 : 0;
        return true;
      }
    }
    return false;
  }

  /**
   * Close every link before sleeping in the kernel: true when a request that came
   * meanwhile was taken (it is served first); false to receive through the kernel.
   */
  private closeDirect(sv: Serving): boolean {
    const srv = sv.srv;
    const list = sv.list;
    if (isOpen(sv)) closeLinks(sv);
    sv.closedAt = performance.now();
    for (let i = 0; i < list.length; i++) if (list[i]!.accepted !== NONE && this.takeAccepted(sv, list[i]!)) return true;
    if (Atomics.load(srv, S_FLAG) === ServeFlag.Stop) this.stopServing();
    else Atomics.compareExchange(srv, S_FLAG, ServeFlag.Kernel, ServeFlag.None);
    return false;
  }

  private takeAccepted(sv: Serving, l: ServerLink): boolean {
    const req = l.accepted;
    l.accepted = NONE;
    return this.takeLink(sv, l, req);
  }

  /** Take the links the kernel posted since the last look. */
  private newLinks(sv: Serving): void {
    const gen = Atomics.load(sv.srv, S_GEN);
    if (gen === sv.gen) return;
    sv.gen = gen;
    this.worker.drainPort();
  }

  /** Open the links (before a reply through the kernel). */
  private openLinks(sv: Serving): void {
    this.newLinks(sv);
    if (Atomics.load(sv.srv, S_FLAG) !== ServeFlag.Stop && !isOpen(sv)) openAll(sv);
  }

  /**
   * Take request `req` on `l` into the UTCB. The kernel took the link away (its alive
   * word), or the client wrote what the kernel would not take: refused, and its client
   * calls through the kernel.
   */
  private takeLink(sv: Serving, l: ServerLink, req: number): boolean {
    const w = l.i32;
    const label = w[C_LABEL]! >>> 0;
    const len = w[C_LEN]!;
    let ok = Atomics.load(sv.srv, S_ALIVE + l.index) === 1 && len >= 0 && len <= MR_COUNT;
    const u = this.utcb;
    const mr = u.mr;
    for (let i = 0; ok && i < len; i++) mr[i] = w[C_MR + i]! >>> 0;
    if (!ok) {
      this.answer(l, req, REFUSED);
      return false;
    }
    wordsReceived(u, label, len, l.badge);
    this.directCaller = l;
    this.directSeq = req;
    this.progress();
    return true;
  }

  /** Count a direct call for the watchdog (a plain store: only the kernel side reads it, now and then). */
  private progress(): void {
    const i32 = this.i32;
    i32[PROGRESS] = (i32[PROGRESS]! + 1) | 0;
  }

  // ---------------------------------------------------------------- invocations

  saveCaller(slot: number): number {
    // A direct caller is handed to the kernel first: saved there like any other.
    if (this.directCaller !== null && !this.adopt()) {
      const st = Status.FailedLookup;
      this.utcb.error = { status: st, argument: 'caller', slot, message: 'the direct caller went before it could be saved' };
      return st;
    }
    const st = this.invoke(RingOp.SaveCaller, slot);
    if (st === Status.Ok) this.worker.savedReplies.add(slot);
    return st;
  }

  /**
   * Hand the direct caller to the kernel (direct.ts, adopt): the kernel makes the
   * client's thread wait there for a reply, as if its call had come through the kernel,
   * and this thread holds the implicit reply cap for it; then the link tells the client
   * to collect its answer from the kernel. True when it did; false when the kernel could
   * not (the link or the client went): the call is answered Aborted (receive phase).
   */
  private adopt(): boolean {
    const l = this.directCaller!;
    const req = this.directSeq;
    this.directCaller = null;
    const st = this.invoke(RingOp.AdoptDirect, l.id, l.index, req);
    this.answer(l, req, st === Status.Ok ? ADOPTED : Status.Aborted | RECV_PHASE);
    return st === Status.Ok;
  }
  get hasCaller(): boolean {
    return this.caller || this.directCaller !== null;
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
    this.worker.savedReplies.delete(src);
    return this.invoke(RingOp.Move, src, dst);
  }
  delete(slot: number): number {
    this.worker.savedReplies.delete(slot);
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
    return { kind: r[x]!, rights: r[x + 1]!, badge: r[x + 2]!, object: r[x + 3]!, dead: r[x + 4] === 1, serial: r[x + 5]! };
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
  /**
   * Start another thread of this task (`task` must name this task; a factory pays for
   * it). Its body runs in this worker; the kernel gets a proxy thread and a new ring.
   */
  createThread(factory: number, task: number, dst: number, body: BodyFn, params: ThreadParams = {}): number {
    this.withString(params.name ?? '');
    const st = this.invoke(RingOp.CreateThread, factory, task, dst, params.priority ?? -1);
    if (st !== 0) return st;
    this.worker.adopt(body, params.priority ?? Math.min(DEFAULT_PRIORITY, this.priorityNow));
    return st;
  }
  // ---------------------------------------------------------------- memory (DS1-DS6)

  /** Create a dataspace of `bytes` (rounded up to pages) against the factory's memory quota (DS1). */
  createDataspace(factory: number, dst: number, bytes: number): number {
    return this.invoke(RingOp.CreateDataspace, factory, dst, bytes);
  }
  /**
   * Map a dataspace cap into this task (DS2): the kernel places the mapping and the view
   * reaches the dataspace's shared memory directly, each access checked (worker-mem.ts).
   */
  map(cap: number, opts: MapOptions = {}): Result<WorkerMemView> {
    const given = (opts.offset !== undefined ? 1 : 0) | (opts.length !== undefined ? 2 : 0) | (opts.rights !== undefined ? 4 : 0) | (opts.at !== undefined ? 8 : 0);
    this.regs[Q.memBase] = given;
    const st = this.invoke(RingOp.Map, cap, opts.offset ?? 0, opts.length ?? 0, opts.rights ?? 0, opts.at ?? 0);
    return this.result(st, () => this.worker.memory.view(this.wireInRegs()));
  }
  /** Unmap this task's mapping at `vaddr` and every mapping derived from it, in every task (DS4). */
  unmap(vaddr: number): number {
    return this.invoke(RingOp.Unmap, vaddr);
  }
  /** Take away every mapping derived from this task's mapping at `vaddr`, keeping it (DS4). */
  revokeMapping(vaddr: number): number {
    return this.invoke(RingOp.RevokeMapping, vaddr);
  }
  /** A view of this task's mapping at `vaddr` (for instance one received by IPC). */
  view(vaddr: number): Result<WorkerMemView> {
    const st = this.invoke(RingOp.View, vaddr);
    return this.result(st, () => this.worker.memory.view(this.wireInRegs()));
  }
  /** This task's mappings, by address. */
  mappings(): MappingInfo[] {
    this.invoke(RingOp.Mappings);
    return JSON.parse(String(this.ring.readEntries()[0] ?? '[]')) as MappingInfo[];
  }

  private wireInRegs(): MapWire {
    const r = this.regs;
    const x = R.extra;
    return {
      vaddr: r[x]!,
      length: r[x + 1]!,
      offset: r[x + 2]!,
      dataspace: r[x + 3]!,
      rights: r[x + 4]!,
      grant: false,
      word: r[x + 5]!,
      gen: r[x + 6]!,
    };
  }

  /** Signal a notification without blocking (HostSys.signal: host code, e.g. a promise callback). */
  hostSignal(slot: number): number {
    return this.invoke(RingOp.HostSignal, slot);
  }
  /** Whether `slot` is empty and reserved (a receive window that can be kept). */
  slotReserved(slot: number): boolean {
    this.invoke(RingOp.SlotReserved, slot);
    return this.regs[R.value] === 1;
  }
  /** Whether the endpoint in `slot` has badges in its no-senders queue. */
  noSendersPending(slot: number): boolean {
    this.invoke(RingOp.NoSendersPending, slot);
    return this.regs[R.value] === 1;
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
  kernelSnapshot(host: number, max: number = MAX_ITEM_LENGTH, scope = 0): Result<string> {
    const st = this.invoke(RingOp.KernelSnapshot, host, max, scope);
    return this.result(st, () => String(this.ring.readEntries()[0] ?? ''));
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

  /** @internal Mark the thread as waiting on the worker's own event loop (not hung). */
  idle(on: boolean): void {
    Atomics.store(this.i32, STATE, on ? RingState.Idle : RingState.Run);
  }
}


/** A body, as the kernel takes it: a generator function or a continuation factory. */
export type BodyFn = (sys: WorkerSys) => Generator<unknown, unknown, number> | Continuation;

const READY = 0;
const BLOCKED = 1;
const AWAITING = 2;
/** The serving thread waits in its receive with its links open (PARK_DIRECT). */
const PARKED = 3;

/** One thread of the task in this worker. */
interface WThread {
  readonly sys: WorkerSys;
  gen: Generator<unknown, unknown, number> | null;
  cont: Continuation | null;
  body: BodyFn | null;
  state: number;
  status: number;
}

/** Atomics.waitAsync (ES2024; Node 16+), typed here since the project's lib is ES2023. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** What the kernel posts on the worker's port. */
type PortMessage = NewThreadMessage | DataspaceMessage | DirectMessage;

/** The scheduler of an isolated task's worker. */
export class IsolatedWorker {
  private readonly threads: WThread[] = [];
  /** The thread running now (its ring carries host invocations), or null. */
  private current: WThread | null = null;
  /** Invocations outside any thread's turn. */
  readonly host: WorkerSys;
  private readonly bell: Int32Array;
  private readonly spinner: Spinner;
  private wake: (() => void) | null = null;
  /** The memory of the dataspaces this task mapped (posted by the kernel on the port). */
  readonly memory: WorkerMemory;
  /** Rings of threads the kernel created, taken off the port, not yet adopted. */
  private readonly newThreads: NewThreadMessage[] = [];
  /** Direct-call links of this worker's thread as a client, by cap slot (direct.ts). */
  readonly clientLinks = new Map<number, ClientLink>();
  /** The endpoint its thread serves directly, or null. */
  serving: Serving | null = null;
  /**
   * Slots where this task's threads saved a caller (saveCaller) and have not sent, moved
   * or deleted it since: a send there never blocks (WorkerSys.leaveLinks).
   */
  readonly savedReplies = new Set<number>();
  /** The serving thread, parked in its receive with its links open, or null. */
  private parked: WThread | null = null;

  constructor(private readonly init: WorkerInit) {
    this.memory = new WorkerMemory(init.mapWords, () => this.drainPort());
    // Messages also come while the body awaits (a dataspace to forget, above all): take
    // them then too. Unref'd: the port alone does not keep the worker alive.
    init.port.on('message', (msg: PortMessage) => this.take(msg));
    init.port.unref();
    this.bell = new Int32Array(init.doorbell);
    this.spinner = new Spinner(init.spinNs);
    this.host = new WorkerSys({ sab: init.hostSab, taskId: init.taskId, threadId: 0, priority: init.priority, spinNs: init.spinNs }, this, true);
  }

  /** The WorkerSys that carries a host invocation now: the running thread's, else the host context's. */
  get ops(): WorkerSys {
    return this.current?.sys ?? this.host;
  }

  /** Start the first thread (its ring is the one the worker was created with). */
  first(body: BodyFn): void {
    const i = this.init;
    const sys = new WorkerSys({ sab: i.sab, taskId: i.taskId, threadId: i.threadId, priority: i.priority, spinNs: i.spinNs }, this);
    sys.idle(false); // the module is loaded: from now on the watchdog counts
    this.push(sys, body);
  }

  /** @internal A thread the kernel just created (createThread): take its ring from the port. */
  adopt(body: BodyFn, priority: number): void {
    this.drainPort();
    const msg = this.newThreads.shift();
    if (msg === undefined) throw new Error('createThread: the kernel sent no ring');
    Atomics.store(new Int32Array(msg.sab, 0, 1), STATE, RingState.Run);
    this.push(new WorkerSys({ sab: msg.sab, taskId: this.init.taskId, threadId: msg.threadId, priority, spinNs: this.init.spinNs }, this), body);
  }

  /** @internal Take every message the kernel posted (it posts before answering): rings, dataspaces' memory, links. */
  drainPort(): void {
    for (;;) {
      const m = receiveMessageOnPort(this.init.port);
      if (m === undefined) return;
      this.take(m.message as PortMessage);
    }
  }

  /** One message of the kernel, taken off the port by drainPort or by the port's listener. */
  private take(msg: PortMessage): void {
    if ('direct' in msg) this.link(msg);
    else if (!('dataspace' in msg)) this.newThreads.push(msg);
    else if ('forget' in msg) this.memory.forget(msg.dataspace);
    else this.memory.add(msg.dataspace, msg.memory);
  }

  /** A direct-call message of the kernel (direct.ts). */
  private link(msg: DirectMessage): void {
    switch (msg.direct) {
      case 'serve': {
        const srv = new Int32Array(msg.srv);
        const spin = this.init.spinNs;
        this.serving = { slot: msg.slot, owner: null, parkedAt: 0, srv, list: [], gen: Atomics.load(srv, S_GEN), rr: 0, spinNs: spin, minSpinNs: spin, maxSpinNs: spin, closedAt: -1, epoch: 0 };
        break;
      }
      case 'link': {
        const sv = this.serving;
        if (sv === null) break;
        const i32 = new Int32Array(msg.sab);
        // The request word as it stands is not a request (the client posts only on an open
        // link): read it first, then open the link if the others are open. (Read after
        // opening, a request posted in between would count as seen and never be taken.)
        sv.list.push({ index: msg.index, id: msg.id, i32, badge: msg.badge, seen: Atomics.load(i32, C_REQ), accepted: NONE });
        if (isOpen(sv)) Atomics.store(i32, S_OPEN, sv.epoch);
        break;
      }
      case 'unlink': {
        const sv = this.serving;
        if (sv === null) break;
        const i = sv.list.findIndex((l) => l.index === msg.index);
        if (i >= 0) sv.list.splice(i, 1);
        sv.rr = 0;
        break;
      }
      case 'client':
        this.clientLinks.set(msg.slot, { i32: new Int32Array(msg.sab), seq: 0 });
        break;
    }
  }

  private push(sys: WorkerSys, body: BodyFn): void {
    this.threads.push({ sys, gen: null, cont: null, body, state: READY, status: 0 });
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  }

  /** Run one thread until it blocks in a syscall, awaits, or ends; false when it ended. */
  private step(t: WThread): boolean {
    this.current = t;
    try {
      for (;;) {
        let tok: unknown;
        if (t.body !== null) {
          const b = t.body(t.sys);
          t.body = null;
          if (typeof b === 'function') t.cont = b;
          else t.gen = b;
        }
        if (t.cont !== null) {
          tok = t.cont(t.status);
          if (tok === null) return this.end(t);
        } else {
          const r = t.gen!.next(t.status);
          if (r.done === true) return this.end(t);
          tok = r.value;
        }
        if (tok === SYSCALL) {
          const single = this.threads.length === 1;
          const sv = this.serving;
          if (single || t.sys.hasCaller || (sv !== null && sv.owner === t.sys)) {
            // A link may carry it (direct.ts): no kernel, no main thread.
            const st = t.sys.direct(single);
            if (st === PARK_DIRECT) {
              t.state = PARKED;
              this.parked = t;
              return true;
            }
            if (st !== NO_DIRECT) {
              t.status = st;
              continue;
            }
          }
          t.sys.leaveLinks();
          if (!single) {
            this.toKernel(t);
            return true;
          }
          // One thread: rendezvous at once, synchronously (the fastest hand-off).
          t.sys.write();
          t.sys.post();
          this.waitOne(t.sys);
          t.status = t.sys.take();
          continue;
        }
        if (tok === AWAIT) {
          const sys = t.sys;
          t.state = AWAITING;
          sys.idle(true);
          const done = (s: { value: unknown; error: unknown; failed: boolean }): void => {
            sys.idle(false);
            sys.awaited = null;
            sys.settled = s;
            t.status = 0;
            t.state = READY;
            this.poke();
          };
          Promise.resolve(sys.awaited).then(
            (value) => done({ value, error: undefined, failed: false }),
            (error: unknown) => done({ value: undefined, error, failed: true }),
          );
          return true;
        }
        throw new TypeError(`isolated thread yielded a value that is not a syscall: ${String(tok)}`);
      }
    } finally {
      this.current = null;
    }
  }

  /**
   * @internal Another thread of this task wakes the serving thread parked in its receive
   * (a bucket's manager kicking an idle worker toward queued work): the receive answers
   * Ok with `label`, badge 0 and no words, as a kick message through the kernel would.
   * False when no thread is parked (it waits in the kernel, or is busy).
   */
  kickDirect(label: number): boolean {
    const p = this.parked;
    if (p === null) return false;
    this.parked = null;
    p.sys.kicked(label);
    p.status = Status.Ok;
    p.state = READY;
    this.poke();
    return true;
  }

  /** Post `t`'s syscall to the kernel; it runs again when the answer comes. */
  private toKernel(t: WThread): void {
    t.sys.write();
    t.sys.post();
    t.sys.waitTaken();
    t.state = BLOCKED;
  }

  /** Look at the parked serving thread's links (`end`: its look is over). */
  private lookParked(t: WThread, end: boolean): void {
    const st = t.sys.pollDirect(end);
    if (st === PARK_DIRECT) return;
    this.parked = null;
    if (st === NO_DIRECT) {
      t.sys.spendTimeout();
      this.toKernel(t);
    } else {
      t.status = st;
      t.state = READY;
    }
  }

  /** Nothing else can run: look at the parked thread's links until its look ends or another thread's answer comes. */
  private spinParked(t: WThread, seen: number): void {
    const bell = this.bell;
    const until = t.sys.parkedUntil;
    for (let round = 0; ; round++) {
      if (Atomics.load(bell, 0) !== seen) return;
      this.lookParked(t, false);
      if (t.state !== PARKED) return;
      if ((round & 15) === 15 && performance.now() > until) {
        this.lookParked(t, true);
        return;
      }
    }
  }

  private end(t: WThread): boolean {
    t.sys.endDirect();
    t.sys.exit();
    const i = this.threads.indexOf(t);
    if (i >= 0) this.threads.splice(i, 1);
    return false;
  }

  /** The one thread waits for its response: spin, then Atomics.wait on the doorbell. */
  private waitOne(sys: WorkerSys): void {
    const bell = this.bell;
    for (;;) {
      const seen = Atomics.load(bell, 0);
      if (sys.answered) return;
      if (this.spinner.spin(sys.ringState, RingState.Resp)) return;
      Atomics.wait(bell, 0, seen);
    }
  }

  /** Drive every thread until none is left. */
  async run(): Promise<void> {
    const bell = this.bell;
    // A pending Atomics.waitAsync does not keep a worker's event loop alive: this does,
    // while a thread is left.
    const alive = setInterval(() => {}, 1 << 30);
    try {
      await this.loop(bell);
    } finally {
      clearInterval(alive);
      this.init.port.close();
    }
  }

  private async loop(bell: Int32Array): Promise<void> {
    while (this.threads.length > 0) {
      const seen = Atomics.load(bell, 0);
      let progressed = false;
      // A copy: a step may start threads (they run in the next round) or end one.
      for (const t of this.threads.slice()) {
        if (t.state === BLOCKED && t.sys.answered) {
          t.status = t.sys.take();
          t.state = READY;
        } else if (t.state === PARKED) this.lookParked(t, false);
        if (t.state === READY) {
          progressed = true;
          this.step(t);
        }
      }
      if (progressed || this.threads.length === 0) continue;
      if (this.parked !== null) {
        this.spinParked(this.parked, seen);
        continue;
      }
      // Nothing can run: wait for a response (the doorbell) or a promise of a body.
      if (this.spinBell(seen)) continue;
      const awaiting = this.threads.some((t) => t.state === AWAITING);
      if (this.threads.length === 1 && !awaiting) {
        Atomics.wait(bell, 0, seen);
        continue;
      }
      const w = waitAsync(bell, 0, seen);
      if (!w.async) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void w.value.then(() => this.poke());
      });
    }
  }

  /** Spin a bounded time for the doorbell to move from `seen`. */
  private spinBell(seen: number): boolean {
    return this.spinner.spinWhile(this.bell, seen);
  }
}
