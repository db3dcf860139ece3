// The message kernel: owns every object, the scheduler, the timers and the run loop,
// and is the host-side API (create tasks, spawn threads, exec, run, inspect).
//
// How it runs. Threads are generators. The run loop takes the highest-priority ready
// thread and resumes it; the body runs until it yields a syscall token; dispatch
// performs the syscall and answers which thread runs next: the same one (the call did
// not block), a partner it switches to directly (seL4's direct switch: the fast path and
// the slow path share the one policy below), or none (back to the run queues). Timers
// fire only between threads, on the clock the kernel was given, so virtual time makes
// every run deterministic.
//
// Switch policy (both paths, so they are observationally identical):
// - the current thread blocks and wakes W: W runs next if no ready thread has a higher
//   priority, otherwise W is queued and the highest-priority ready thread runs;
// - the current thread stays runnable and wakes W: if W has a higher priority (and no
//   ready thread outranks W) the current thread goes to the head of its run queue and W
//   runs; otherwise W is queued.

import { Cap, type CSpace } from './cspace.ts';
import { deleteCap, mintCap as mintInto } from './cap-ops.ts';
import { RealClock, VirtualClock, type Clock } from './clock.ts';
import { Endpoint, EpState, type EndpointHost } from './endpoint.ts';
import { RECV_PHASE, Status, statusName, type ErrorDetail } from './errors.ts';
import { Factory } from './factory.ts';
import { blockEvent, dispatch, ipcEvent } from './ipc.ts';
import { fastSignal, fastWait } from './fastsignal.ts';
import { Kind, type KObject } from './kobject.ts';
import {
  CAP_FACTORY,
  CAP_SELF,
  DEFAULT_CSPACE_SLOTS,
  DEFAULT_PRIORITY,
  FASTPATH_MRS,
  MAX_CSPACE_SLOTS,
  MAX_PRIORITY,
} from './limits.ts';
import { Notification, type NotificationHost } from './notification.ts';
import { Reply, type ReplyHost } from './reply.ts';
import { Rights } from './rights.ts';
import { RunQueues } from './scheduler.ts';
import { Sys } from './syscalls.ts';
import { Task } from './task.ts';
import { FaultKind, Op, SYSCALL, Thread, ThreadState, type ThreadBody } from './thread.ts';
import { TimerQueue } from './timers.ts';
import type { TraceEvent, Tracer } from './trace.ts';
import { type CapTransferHook } from './transfer.ts';
import type { Utcb } from './utcb.ts';
import { faultHandlerStatus, haltThread, raiseFault, stopForGood } from './fault.ts';
import { MemView, unmapTask } from './dataspace.ts';
import { makeDataspace, mapCap, type MapOptions } from './dataspace-ops.ts';

/** Kernel counters, readable at any time (introspection, benchmarks). */
export interface Counters {
  /** IPC syscalls completed by the fast path. */
  fastpath: number;
  /** IPC syscalls handled by the slow path. */
  slowpath: number;
  /** Messages delivered (sends, calls, replies, fault messages). */
  messages: number;
  /** Faults raised. */
  faults: number;
  /** Signals sent. */
  signals: number;
  /** Timeouts that fired. */
  timeouts: number;
  /** Direct switches from one thread to another. */
  switches: number;
}

export interface KernelOptions {
  /** Time source; default real time. Tests pass a VirtualClock. */
  clock?: Clock;
  /** Take the fast path when its conditions hold (default true). Off for equivalence tests. */
  fastpath?: boolean;
  tracer?: Tracer | null;
  /** Syscalls the automatic run loop performs before yielding to the host event loop. */
  sliceSteps?: number;
}

export interface TaskOptions {
  /** Size of the cap space (default 4096). */
  slots?: number;
  /** Give the task a factory with this quota in slot CAP_FACTORY (Infinity allowed). */
  quota?: number;
  /** Bytes of dataspaces that factory may create (default 0; Infinity allowed). Needs `quota`. */
  memQuota?: number;
}

export interface SpawnOptions {
  name?: string;
  priority?: number;
  /**
   * Cap name, in the thread's task, of its fault endpoint: an endpoint cap with Write
   * and Grant or GrantReply, or 0 for none (spawn throws on anything else, F1).
   */
  faultHandler?: number;
}

/**
 * Call a thread's body (on its first turn, or after a fault handler restarted it) and
 * keep what it returns: a generator, or a continuation.
 */
export function enter(t: Thread): void {
  const b = t.body(t.sys);
  if (typeof b === 'function') {
    t.step = b;
    t.gen = null;
  } else {
    t.gen = b as Generator<unknown, unknown, number>;
    t.step = null;
  }
}

/** A settled promise: `.then` on it queues a microtask (Kernel.kick). */
const SETTLED: Promise<void> = Promise.resolve();

// The run loop's constants and the dispatcher, bound locally (V8 does not constant-fold
// imported bindings; these are read on every thread switch).
const RUNNING = ThreadState.Running;
const READY = ThreadState.Ready;
const KILLED = ThreadState.Killed;
const TOKEN = SYSCALL;
const dispatchSyscall = dispatch;
const tryFastSignal = fastSignal;
const tryFastWait = fastWait;
const OP_NONE = Op.None;
const OP_CALL = Op.Call;
const OP_REPLY_RECV = Op.ReplyRecv;
const OP_SIGNAL = Op.Signal;
const OP_WAIT = Op.Wait;

// The IPC fast path, as seL4 takes it: call and replyRecv with a register-sized message
// (at most 4 words, no caps, no items), the partner already waiting, a valid cap with the
// needed rights, infinite timeouts, and no higher-priority thread ready. It copies the
// words and switches straight to the partner, skipping decode, cap transfer and the run
// queues. Anything else leaves it to the slow path (ipc.ts). The result must be
// indistinguishable from the slow path's: same words, badges, thread states and trace
// events; only counters.fastpath tells them apart (test/core/fastpath.test.ts).
//
// It is written out in runFrom, not called. As functions of their own (fastCall and
// fastReplyRecv, 641 and 658 bytes of bytecode) they were over V8's limit for inlining
// (460), so every switch paid a call, and V8's calling convention saves no registers
// across one. Written out, kernel.call.fast measured about 4 ns (8%) faster, pinned to one
// CPU and alternated with the old build. The constants it reads are bound here, locally:
// V8 does not constant-fold imported bindings (an imported one measured slower than the
// call it replaced).
const INF = Number.POSITIVE_INFINITY;
const OK = Status.Ok;
const ENDPOINT = Kind.Endpoint;
const EP_IDLE = EpState.Idle;
const EP_SEND = EpState.Send;
const EP_RECV = EpState.Recv;
const READ = Rights.Read;
const WRITE = Rights.Write;
const GRANT = Rights.Grant;
const CALL_RIGHTS = Rights.Grant | Rights.GrantReply;
const BLOCKED_REPLY = ThreadState.BlockedReply;
const BLOCKED_RECV = ThreadState.BlockedRecv;
const MAX_FAST_WORDS = FASTPATH_MRS;
const traceIpc = ipcEvent;
const traceBlock = blockEvent;

/** The receiver's tag after a fast-path message, exactly as the slow path sets it. */
function putTag(ru: Utcb, label: number, len: number, badge: number): void {
  ru.label = label;
  ru.length = len;
  ru.badge = badge;
  // Items past itemCount are always null; clear the ones the last message left.
  const n = ru.itemCount;
  if (n !== 0) {
    for (let i = 0; i < n; i++) ru.itemsIn[i] = null;
    ru.itemCount = 0;
  }
  ru.capCount = 0;
  ru.unwrapped = 0;
  ru.truncated = 0;
}

/**
 * Called with every kernel created in this process (tools attach tracers this way, e.g.
 * `npm run trace -- script.ts`). Add and remove observers; nothing is observed by default.
 */
export const kernelObservers = new Set<(k: Kernel) => void>();

/** Thrown into exec promises whose thread was killed. */
export class ThreadKilledError extends Error {
  constructor(readonly thread: string) {
    super(`thread ${thread} was killed`);
    this.name = 'ThreadKilledError';
  }
}

export class Kernel implements EndpointHost, NotificationHost, ReplyHost {
  readonly clock: Clock;
  /** @internal Counter fields; read them through `counters`. */
  nFast = 0;
  /** @internal */ nSlow = 0;
  /** @internal Messages delivered by the slow path (the fast path's are nFast). */
  nMsgs = 0;
  /** @internal */ nFaults = 0;
  /** @internal */ nSignals = 0;
  /** @internal */ nTimeouts = 0;
  /** @internal */ nSwitches = 0;
  /** Attached tracer or null. Read on every event site: keep it a plain field. */
  tracer: Tracer | null;
  fastpathEnabled: boolean;

  /** @internal */ readonly runq = new RunQueues();
  /** @internal */ readonly timers = new TimerQueue();
  /** @internal */ callCounter = 0;
  /** @internal */ traceSeq = 0;
  /** @internal Non-zero while a task is being deleted: dropped replies report DeadPartner. */
  dyingTasks = 0;

  private nextId = 1;
  private readonly objects = new Map<number, KObject>();
  readonly tasks = new Map<number, Task>();
  readonly threads = new Set<Thread>();
  readonly rootFactory: Factory;
  private current: Thread | null = null;
  private running = false;
  private scheduled = false;
  private budget = 0;
  private paused = false;
  private readonly sliceSteps: number;
  /** Exec promises not yet settled: virtual time flows (autoAdvance) only while > 0. */
  private pendingExecs = 0;
  /** Threads parked on a host promise. */
  private hostWaits = 0;
  private hostTimer: ReturnType<typeof setTimeout> | null = null;
  private hostTimerAt = Number.POSITIVE_INFINITY;
  private advanceScheduled = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(opts: KernelOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.fastpathEnabled = opts.fastpath ?? true;
    this.tracer = opts.tracer ?? null;
    this.sliceSteps = opts.sliceSteps ?? 200_000;
    this.rootFactory = new Factory(this.allocId(), Number.POSITIVE_INFINITY, null);
    this.rootFactory.memLimit = Number.POSITIVE_INFINITY;
    this.register(this.rootFactory);
    for (const observe of kernelObservers) observe(this);
  }

  /** A snapshot of the counters. */
  get counters(): Counters {
    return {
      fastpath: this.nFast,
      slowpath: this.nSlow,
      messages: this.nMsgs + this.nFast,
      faults: this.nFaults,
      signals: this.nSignals,
      timeouts: this.nTimeouts,
      switches: this.nSwitches,
    };
  }

  // ------------------------------------------------------------------ objects

  /** @internal */
  allocId(): number {
    return this.nextId++;
  }

  private register(o: KObject): void {
    this.objects.set(o.id, o);
    o.onGone = (x) => this.objects.delete(x.id);
  }

  /** @internal Build an object of `kind` charged to `factory`; null when the quota is spent. */
  makeObject(factory: Factory, kind: typeof Kind.Endpoint | typeof Kind.Notification): Endpoint | Notification | null {
    if (!factory.charge(1)) return null;
    const o = kind === Kind.Endpoint ? new Endpoint(this.allocId(), this) : new Notification(this.allocId(), this);
    o.account = factory;
    this.register(o);
    return o;
  }

  /** @internal */
  makeFactory(parent: Factory, limit: number, memLimit = 0): Factory | null {
    if (!parent.charge(limit)) return null;
    if (memLimit > 0 && !parent.chargeMem(memLimit)) {
      parent.refund(limit);
      return null;
    }
    const f = new Factory(this.allocId(), limit, parent);
    f.memLimit = memLimit;
    this.register(f);
    return f;
  }

  /** @internal */
  makeReply(caller: Thread, seq: number, canGrant: boolean): Reply {
    const r = new Reply(this.allocId(), this, caller, seq, canGrant);
    this.register(r);
    return r;
  }

  /** @internal Create a task charged to `factory` (null when the quota is spent). */
  makeTask(factory: Factory, name: string, slots: number): Task | null {
    if (!factory.charge(1)) return null;
    const t = new Task(this.allocId(), name, slots);
    t.account = factory;
    this.register(t);
    this.tasks.set(t.id, t);
    t.cspace.put(CAP_SELF, new Cap(t, Rights.All, 0));
    return t;
  }

  /** @internal Create a thread in `task`; it starts Ready. */
  makeThread(factory: Factory, task: Task, body: ThreadBody, name: string, prio: number): Thread | null {
    if (!factory.charge(1)) return null;
    const t = new Thread(this.allocId(), task, name, prio, body);
    t.account = factory;
    this.register(t);
    t.sys = new Sys(this, t);
    task.threads.add(t);
    this.threads.add(t);
    this.start(t);
    return t;
  }

  /** @internal Register an object built elsewhere (dataspaces) so it is found by id. */
  adopt(o: KObject): void {
    this.register(o);
  }

  /** The object with this id, if it still exists (introspection). */
  object(id: number): KObject | undefined {
    return this.objects.get(id);
  }

  /** Every live object (introspection). */
  allObjects(): IterableIterator<KObject> {
    return this.objects.values();
  }

  /** The thread running now, or null between threads / outside the kernel. */
  get currentThread(): Thread | null {
    return this.current;
  }

  // ------------------------------------------------------------------ host API

  /**
   * Create a task (the root task's power: host code composes systems with it). The
   * task gets its own task cap in CAP_SELF and, with `quota`, a factory in CAP_FACTORY.
   */
  createTask(name: string, opts: TaskOptions = {}): Task {
    const slots = opts.slots ?? DEFAULT_CSPACE_SLOTS;
    if (!Number.isInteger(slots) || slots < 8 || slots > MAX_CSPACE_SLOTS) {
      throw new RangeError(`cap space size must be an integer in 8..${MAX_CSPACE_SLOTS}`);
    }
    const task = this.makeTask(this.rootFactory, name, slots)!;
    if (opts.quota !== undefined) {
      const f = this.makeFactory(this.rootFactory, opts.quota, opts.memQuota ?? 0)!;
      task.cspace.put(CAP_FACTORY, new Cap(f, Rights.All, 0));
    }
    return task;
  }

  /** Start a thread in a task. It runs when the kernel runs (run(), advance(), exec()). */
  spawn(task: Task, body: ThreadBody, opts: SpawnOptions = {}): Thread {
    if (!task.alive) throw new Error(`task ${task.name} is dead`);
    const prio = opts.priority ?? DEFAULT_PRIORITY;
    if (!Number.isInteger(prio) || prio < 0 || prio > MAX_PRIORITY) {
      throw new RangeError(`priority must be an integer in 0..${MAX_PRIORITY}`);
    }
    // F1: a fault handler is an endpoint cap with Write and Grant or GrantReply.
    const fh = opts.faultHandler ?? 0;
    const fst = faultHandlerStatus(task.cspace, fh);
    if (fst !== Status.Ok) throw new Error(`fault handler ${task.name}[${fh}]: ${statusName(fst)}`);
    const t = this.makeThread(this.rootFactory, task, body, opts.name ?? `${task.name}.${task.threads.size}`, prio)!;
    t.faultSlot = fh;
    this.kick();
    return t;
  }

  /**
   * Run `body` as a new thread of `task` and resolve with what it returns (the
   * Promise-based facade for code outside kernel threads). A throw in the body rejects
   * the promise (no fault IPC); a killed thread rejects with ThreadKilledError.
   */
  exec<R>(task: Task, body: ThreadBody<R>, opts: SpawnOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const t = this.spawn(task, body as ThreadBody, { name: `${task.name}.exec`, ...opts });
      this.pendingExecs++;
      t.onExit = (value, error, failed) => {
        this.pendingExecs--;
        if (failed) reject(error);
        else resolve(value as R);
      };
    });
  }

  /** Create an endpoint and put a cap with all rights in `task` (a free slot unless named). */
  createEndpoint(task: Task, slot?: number): number {
    const ep = this.makeObject(this.rootFactory, Kind.Endpoint)!;
    return this.installNew(task, ep, slot);
  }

  /** Create a notification and put a cap with all rights in `task`. */
  createNotification(task: Task, slot?: number): number {
    const n = this.makeObject(this.rootFactory, Kind.Notification)!;
    return this.installNew(task, n, slot);
  }

  /** Create a dataspace of `bytes` (rounded up to pages) and put a cap with all rights in `task` (DS1). */
  createDataspace(task: Task, bytes: number, slot?: number): number {
    const ds = makeDataspace(this, this.rootFactory, bytes);
    if (typeof ds === 'number') throw new RangeError(`cannot create a dataspace of ${bytes} bytes: ${statusName(ds)}`);
    return this.installNew(task, ds, slot);
  }

  /**
   * Map the dataspace cap in `task[slot]` into the task's address space (DS2) and return
   * the view: the composer's API (throws on a bad request), as Sys.map is the thread's.
   */
  map(task: Task, slot: number, opts: MapOptions = {}): MemView {
    const v = mapCap(task, slot, opts);
    if (v instanceof MemView) return v;
    throw new Error(`map ${task.name}[${slot}]: ${statusName(v.status)}: ${v.argument}`);
  }

  private installNew(task: Task, obj: KObject, slot: number | undefined): number {
    const s = slot ?? task.cspace.allocSlot();
    const st = task.cspace.checkFree(s);
    if (st !== Status.Ok) {
      obj.destroy();
      throw new Error(`cannot install cap in ${task.name}[${s}]: ${statusName(st)}`);
    }
    task.cspace.put(s, new Cap(obj, Rights.All, 0));
    return s;
  }

  /**
   * Derive a cap from `from[slot]` into `to` (a free slot unless `dstSlot` is given),
   * with rights intersected (R2) and an optional badge (B1). Returns the new slot.
   * Throws on a bad request: this is the composer's API, not a client's.
   */
  grant(from: Task, slot: number, to: Task, opts: { rights?: number; badge?: number; slot?: number } = {}): number {
    const src = from.cspace.get(slot);
    if (src === null) throw new Error(`${from.name}[${slot}] is empty`);
    const dst = opts.slot ?? to.cspace.allocSlot();
    const st = this.mint(from.cspace, slot, to.cspace, dst, opts.rights ?? Rights.All, opts.badge ?? 0);
    if (st !== Status.Ok) throw new Error(`grant ${from.name}[${slot}] -> ${to.name}[${dst}]: ${statusName(st)}`);
    return dst;
  }

  /** @internal mint across spaces (shared by grant and the task-cap syscall). */
  mint(src: CSpace, srcSlot: number, dst: CSpace, dstSlot: number, rights: number, badge: number): number {
    return mintInto(src, srcSlot, dst, dstSlot, rights, badge);
  }

  /** Delete a task: kill its threads, delete its caps, tell its death watchers (D2). */
  deleteTask(task: Task): void {
    if (!task.alive) return;
    task.alive = false;
    this.dyingTasks++;
    const failures: unknown[] = [];
    try {
      for (const t of [...task.threads]) {
        try {
          this.killThread(t);
        } catch (e) {
          failures.push(e);
        }
      }
      for (const [, cap] of [...task.cspace.entries()]) {
        try {
          deleteCap(cap);
        } catch (e) {
          failures.push(e);
        }
      }
    } finally {
      this.dyingTasks--;
    }
    try {
      unmapTask(task);
    } catch (e) {
      failures.push(e);
    }
    const watchers = [...task.deathWatchers];
    task.deathWatchers.clear();
    for (const [n, badge] of watchers) this.signalFromKernel(n, badge);
    this.tasks.delete(task.id);
    // L1: give the task's unit back to its factory (caps naming it stay, and see it dead).
    task.destroy();
    this.kick();
    if (failures.length > 0) throw new AggregateError(failures, `deleting task ${task.name}`);
  }

  /** Attach (or with null detach) the tracer. */
  setTracer(tracer: Tracer | null): void {
    this.tracer = tracer;
    // Direct calls between isolated tasks pass no tracer: they end when one attaches.
    if (tracer !== null && this.directOff !== null) this.directOff();
  }

  /** @internal Set by core/isolate/direct.ts: ends every direct call path. */
  directOff: (() => void) | null = null;

  /** Current kernel time in ms. */
  now(): number {
    return this.clock.now();
  }

  // ------------------------------------------------------------------ running

  /**
   * Run every runnable thread until none is left (synchronously). Timers due on the
   * clock fire between threads. Returns when the kernel is idle.
   */
  run(): void {
    this.runLoop(Number.POSITIVE_INFINITY);
    this.afterRun();
  }

  /**
   * Virtual time only: move the clock forward by `ms`, firing every timer due on the way
   * in deadline order and running the threads each wakes.
   */
  advance(ms: number): void {
    const clock = this.clock;
    if (!(clock instanceof VirtualClock)) throw new Error('advance() needs a VirtualClock');
    if (!(ms >= 0)) throw new RangeError('advance() needs a non-negative time');
    const target = clock.now() + ms;
    this.runLoop(Number.POSITIVE_INFINITY);
    for (;;) {
      const next = this.timers.next();
      if (next > target) break;
      clock.set(next);
      this.runLoop(Number.POSITIVE_INFINITY);
    }
    clock.set(target);
    this.runLoop(Number.POSITIVE_INFINITY);
    this.afterRun();
  }

  /** Resolve once the kernel has nothing runnable (host microtasks get to run first). */
  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.kick();
    });
  }

  /** True when no thread is runnable. */
  get idle(): boolean {
    return this.runq.count === 0 && this.current === null;
  }

  /** @internal Make sure the run loop runs soon (after host code queued work). */
  kick(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // A reaction on a settled promise is a microtask in the same queue, in the same
    // order, as queueMicrotask's; Node's queueMicrotask also makes an async resource and
    // a bound function for every kick (one per call from host code).
    void SETTLED.then(this.autoRun);
  }

  private readonly autoRun = (): void => {
    this.scheduled = false;
    if (this.running || this.paused) return;
    const done = this.runLoop(this.sliceSteps);
    if (!done) {
      // Give the host event loop a turn, then continue.
      this.scheduled = true;
      setImmediate(this.autoRun);
      return;
    }
    this.afterRun();
  };

  /**
   * Stop running threads until resume() (a teaching and debugging aid: the live view's
   * pause). Host code may still queue work; nothing runs, and virtual time stands still.
   */
  pause(): void {
    this.paused = true;
  }

  /** Run again after pause(). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.kick();
  }

  /**
   * While paused: run `steps` thread steps (a step resumes one thread until its next
   * syscall), firing timers that are due; virtual time does not move. Answers how many
   * threads are still ready.
   */
  step(steps = 1): number {
    if (!this.paused) throw new Error('step() needs a paused kernel');
    if (!(steps >= 1)) throw new RangeError('step() needs at least one step');
    this.runLoop(steps);
    return this.runq.count;
  }

  /** Whether pause() is in force. */
  get isPaused(): boolean {
    return this.paused;
  }

  private afterRun(): void {
    if (this.runq.count !== 0) return;
    if (this.idleWaiters.length > 0) {
      const ws = this.idleWaiters.splice(0);
      for (const w of ws) w();
    }
    this.armHostTimer();
  }

  /** Real clock: wake the run loop at the next deadline. Virtual: maybe jump to it. */
  private armHostTimer(): void {
    const next = this.timers.next();
    if (next === Number.POSITIVE_INFINITY) return;
    const clock = this.clock;
    if (clock instanceof VirtualClock) {
      if (!clock.autoAdvance || this.pendingExecs === 0 || this.hostWaits !== 0 || this.advanceScheduled) return;
      this.advanceScheduled = true;
      setImmediate(() => {
        this.advanceScheduled = false;
        if (this.running || this.scheduled || this.paused || this.runq.count !== 0) return;
        if (this.pendingExecs === 0 || this.hostWaits !== 0) return;
        const t = this.timers.next();
        if (t === Number.POSITIVE_INFINITY) return;
        clock.set(t);
        this.kick();
      });
      return;
    }
    if (this.hostTimer !== null && this.hostTimerAt <= next) return;
    if (this.hostTimer !== null) clearTimeout(this.hostTimer);
    this.hostTimerAt = next;
    this.hostTimer = setTimeout(
      () => {
        this.hostTimer = null;
        this.hostTimerAt = Number.POSITIVE_INFINITY;
        this.kick();
      },
      Math.max(0, next - clock.now()),
    );
    // Pending kernel timers keep the process alive only while the host awaits the kernel.
    if (this.pendingExecs === 0) this.hostTimer.unref();
  }

  /** The scheduler loop. Returns false when the step budget ran out first. */
  private runLoop(steps: number): boolean {
    if (this.running) throw new Error('Kernel.run() re-entered from a kernel thread');
    this.running = true;
    this.budget = steps;
    try {
      for (;;) {
        this.fireTimers();
        const t = this.runq.pop();
        if (t === null) return true;
        this.runFrom(t);
        if (this.budget <= 0) return this.runq.count === 0 && this.timers.next() > this.clock.now();
      }
    } finally {
      this.running = false;
      this.current = null;
    }
  }

  /** Resume `first` and follow direct switches until no thread is chosen. */
  private runFrom(first: Thread): void {
    let cur: Thread | null = first;
    // The step budget is usually infinite: counting it down would keep a double in the
    // loop, which the JIT boxed on every step (a heap number allocated per switch). An
    // unlimited run counts nothing; a limited one counts a small integer.
    const limited = this.budget !== Number.POSITIVE_INFINITY;
    let budget = limited ? this.budget : 2;
    cur.state = RUNNING;
    while (cur !== null) {
      this.current = cur;
      let next: Thread | null;
      if (cur.restartSyscall) {
        cur.restartSyscall = false;
        next = dispatchSyscall(this, cur);
      } else {
        let value: unknown;
        let done = false;
        try {
          const step = cur.step;
          if (step !== null) {
            value = step(cur.result);
            done = value === null;
          } else {
            if (cur.gen === null) enter(cur);
            if (cur.step !== null) continue; // the body returned a continuation: run it
            const res = cur.gen!.next(cur.result);
            value = res.value;
            done = res.done === true;
          }
        } catch (e) {
          // A thread that deleted its own task is dead already: its throw is no fault.
          if (cur.state === KILLED) break;
          cur = this.threadThrew(cur, e);
          if (cur !== null) cur.state = RUNNING;
          continue;
        }
        if (cur.state === KILLED) break;
        if (done) {
          this.exitThread(cur, cur.step === null ? value : undefined);
          break;
        }
        if (value === TOKEN && cur.op !== 0) {
          // The fast paths (IPC: call, replyRecv; notifications: signal, wait) are tried
          // here, without the dispatch switch; each leaves `fast` undefined when the slow
          // path must run. The IPC ones are written out, not called (see "The IPC fast
          // path" above). `=== true`: a plain test of a boolean field compiles to a full
          // ToBoolean.
          const op = cur.op;
          let fast: Thread | null | undefined = undefined;
          if (this.fastpathEnabled === true) {
            if (op === OP_CALL) {
              fastCall: {
                const t = cur;
                const cap = t.cslots[t.a0];
                if (cap === undefined || cap === null) break fastCall;
                const ep = cap.obj as Endpoint;
                const rights = cap.rights;
                if (ep.kind !== ENDPOINT || ep.state !== EP_RECV) break fastCall;
                if ((rights & WRITE) === 0 || (rights & CALL_RIGHTS) === 0) break fastCall;
                if (t.sendTimeout !== INF || t.recvTimeout !== INF) break fastCall;
                const q = ep.queue;
                const r = q.head!;
                if (this.runq.count !== 0 && r.prio < this.runq.highest()) break fastCall;
                // Register-sized (label a1, length a2 <= 4, no caps a3, no items a4) and
                // every word a uint32, each read once and copied from its local below.
                const len = t.a2;
                if (t.a3 !== 0 || t.a4 !== 0 || t.a1 >>> 0 !== t.a1 || len >>> 0 !== len || len > MAX_FAST_WORDS) break fastCall;
                let w0 = 0;
                let w1 = 0;
                let w2 = 0;
                let w3 = 0;
                if (len !== 0) {
                  const smr = t.utcb.mr;
                  w0 = smr[0]!;
                  if (w0 >>> 0 !== w0) break fastCall;
                  if (len > 1) {
                    w1 = smr[1]!;
                    if (w1 >>> 0 !== w1) break fastCall;
                    if (len > 2) {
                      w2 = smr[2]!;
                      if (w2 >>> 0 !== w2) break fastCall;
                      if (len > 3) {
                        w3 = smr[3]!;
                        if (w3 >>> 0 !== w3) break fastCall;
                      }
                    }
                  }
                }
                // Taken: nothing below can fail.
                q.shift();
                if (q.length === 0) ep.state = EP_IDLE;
                if (r.deadline !== INF) this.timers.cancel(r);
                const badge = cap.badge;
                const ru = r.utcb;
                if (len !== 0) {
                  const rmr = ru.mr;
                  rmr[0] = w0;
                  if (len > 1) {
                    rmr[1] = w1;
                    if (len > 2) {
                      rmr[2] = w2;
                      if (len > 3) rmr[3] = w3;
                    }
                  }
                }
                putTag(ru, t.a1, len, badge);
                // What the slow path's deliver() leaves behind for a call; nothing else is read later.
                const id = ++this.callCounter;
                t.callSeq = id;
                r.replyTo = t;
                r.replySeq = id;
                r.replyCanGrant = r.recvCanGrant;
                t.state = BLOCKED_REPLY;
                r.blockedOn = null;
                r.result = OK;
                this.nFast++;
                if (this.tracer !== null) traceIpc(this, 'call', t, r, ep.id, badge, id);
                fast = r;
              }
            } else if (op === OP_REPLY_RECV) {
              fastReplyRecv: {
                const t = cur;
                const c = t.replyTo;
                if (c === null || c.state !== BLOCKED_REPLY || c.callSeq !== t.replySeq || c.inFault) break fastReplyRecv;
                if (t.recvTimeout !== INF) break fastReplyRecv;
                const cap = t.cslots[t.a0];
                if (cap === undefined || cap === null) break fastReplyRecv;
                const ep = cap.obj as Endpoint;
                if (ep.kind !== ENDPOINT || (cap.rights & READ) === 0 || ep.state === EP_SEND) break fastReplyRecv;
                const n = t.bound;
                if (n !== null && n.pending) break fastReplyRecv;
                if (this.runq.count !== 0 && c.prio < this.runq.highest()) break fastReplyRecv;
                // Register-sized, every word a uint32: as for a call.
                const len = t.a2;
                if (t.a3 !== 0 || t.a4 !== 0 || t.a1 >>> 0 !== t.a1 || len >>> 0 !== len || len > MAX_FAST_WORDS) break fastReplyRecv;
                let w0 = 0;
                let w1 = 0;
                let w2 = 0;
                let w3 = 0;
                if (len !== 0) {
                  const smr = t.utcb.mr;
                  w0 = smr[0]!;
                  if (w0 >>> 0 !== w0) break fastReplyRecv;
                  if (len > 1) {
                    w1 = smr[1]!;
                    if (w1 >>> 0 !== w1) break fastReplyRecv;
                    if (len > 2) {
                      w2 = smr[2]!;
                      if (w2 >>> 0 !== w2) break fastReplyRecv;
                      if (len > 3) {
                        w3 = smr[3]!;
                        if (w3 >>> 0 !== w3) break fastReplyRecv;
                      }
                    }
                  }
                }
                // Taken: nothing below can fail.
                if (c.deadline !== INF) this.timers.cancel(c);
                const cu = c.utcb;
                if (len !== 0) {
                  const cmr = cu.mr;
                  cmr[0] = w0;
                  if (len > 1) {
                    cmr[1] = w1;
                    if (len > 2) {
                      cmr[2] = w2;
                      if (len > 3) cmr[3] = w3;
                    }
                  }
                }
                putTag(cu, t.a1, len, 0);
                t.replyTo = null;
                this.nFast++;
                if (this.tracer !== null) traceIpc(this, 'reply', t, c, -1, 0, c.callSeq);
                t.recvCanGrant = (cap.rights & GRANT) !== 0;
                t.state = BLOCKED_RECV;
                t.blockedOn = ep;
                ep.queue.enqueue(t);
                ep.state = EP_RECV;
                if (this.tracer !== null) traceBlock(this, t, ep.id, 0);
                c.result = OK;
                fast = c;
              }
            } else if (op === OP_SIGNAL) fast = tryFastSignal(this, cur);
            else if (op === OP_WAIT) fast = tryFastWait(this, cur);
          }
          if (fast !== undefined) {
            cur.op = OP_NONE;
            next = fast;
          } else next = dispatchSyscall(this, cur);
        }
        else next = this.unknownSyscall(cur, value);
      }
      if (next === cur) {
        // The caller stays runnable: a thread it (or host code) woke may outrank it.
        if (this.runq.count !== 0 && this.runq.highest() > cur.prio) {
          cur.state = READY;
          this.runq.pushFront(cur);
          next = null;
        }
      } else if (next !== null) {
        this.nSwitches++;
        next.state = RUNNING;
      }
      if (next === null && this.timers.size === 0 && budget > 1) {
        // What the scheduler loop would do next (no timer can be due): run the highest
        // ready thread, without returning there first.
        next = this.runq.pop();
        if (next !== null) next.state = RUNNING;
      }
      if (limited && --budget <= 0) {
        if (next !== null) {
          next.state = READY;
          this.runq.pushFront(next);
        }
        break;
      }
      cur = next;
    }
    if (limited) this.budget = budget;
    this.current = null;
  }

  private fireTimers(): void {
    if (this.timers.size === 0) return;
    const now = this.clock.now();
    for (let t = this.timers.popDue(now); t !== null; t = this.timers.popDue(now)) this.timeout(t);
  }

  /** A thread's timer fired: undo its wait and make it ready with a Timeout status (T1). */
  private timeout(t: Thread): void {
    const phase = this.abandonWait(t);
    if (phase < 0) return;
    const status = Status.Timeout | phase;
    this.nTimeouts++;
    this.wakeEvent(t, status, 'timeout');
    this.makeReady(t, status);
  }

  /**
   * Undo an IPC wait or sleep: out of its queue, or its reply cap revoked (Decision 3,
   * P2). Returns the phase flag the interrupted syscall's status carries (0 for a send
   * not yet delivered, RECV_PHASE otherwise), or -1 when `t` is not in such a wait.
   */
  private abandonWait(t: Thread): number {
    switch (t.state) {
      case ThreadState.BlockedSend:
        this.unqueue(t);
        return 0;
      case ThreadState.BlockedRecv:
      case ThreadState.BlockedNotification:
        this.unqueue(t);
        return RECV_PHASE;
      case ThreadState.BlockedReply:
        t.callSeq = ++this.callCounter;
        return RECV_PHASE;
      case ThreadState.Sleeping:
        return RECV_PHASE;
      default:
        return -1;
    }
  }

  // ------------------------------------------------------------------ scheduling policy

  /** @internal Queue `t` as Ready with the status its syscall returns. */
  makeReady(t: Thread, status: number): void {
    t.result = status;
    t.state = READY;
    t.blockedOn = null;
    this.runq.push(t);
  }

  /** @internal The current thread blocked and woke `w`: run w now if nothing outranks it. */
  switchToWoken(w: Thread, status: number): Thread | null {
    w.result = status;
    w.blockedOn = null;
    if (this.runq.count === 0 || w.prio >= this.runq.highest()) {
      w.state = RUNNING;
      return w;
    }
    w.state = READY;
    this.runq.push(w);
    return null;
  }

  /**
   * @internal The current thread stays runnable and woke `w`: preempt only for a higher
   * priority, and never ahead of a ready thread that outranks `w` (one a plain invocation
   * such as resume made ready); the run loop then preempts the current thread for it.
   */
  wakeBeside(cur: Thread, w: Thread, status: number): Thread {
    w.result = status;
    w.blockedOn = null;
    if (w.prio > cur.prio && (this.runq.count === 0 || w.prio >= this.runq.highest())) {
      cur.state = READY;
      this.runq.pushFront(cur);
      w.state = RUNNING;
      return w;
    }
    w.state = READY;
    this.runq.push(w);
    return cur;
  }

  /** @internal Remove a blocked thread from its endpoint or notification queue. */
  unqueue(t: Thread): void {
    const q = t.queue;
    if (q === null) return;
    q.remove(t);
    const on = t.blockedOn;
    if (on instanceof Endpoint && on.queue.length === 0) on.state = EpState.Idle;
    t.blockedOn = null;
  }

  /** @internal Arm the thread's timer for a relative timeout (no-op for NEVER). */
  armTimeout(t: Thread, ms: number): void {
    if (ms !== Number.POSITIVE_INFINITY) this.timers.arm(t, this.clock.now() + ms);
  }

  /** @internal Record an error for the current syscall and keep running. */
  fail(t: Thread, status: number, argument: string, extra: Partial<ErrorDetail> = {}): Thread {
    t.result = status;
    t.utcb.error = { status, argument, message: `${statusName(status)}: ${argument}`, ...extra };
    return t;
  }

  // ------------------------------------------------------------------ thread lifecycle

  private start(t: Thread): void {
    // The body is entered by the run loop on the thread's first turn.
    t.result = 0;
    this.makeReady(t, 0);
    if (this.tracer !== null) this.threadEvent(t, 'start');
  }

  private threadThrew(t: Thread, e: unknown): Thread | null {
    if (t.onExit !== null) {
      this.finishThread(t, ThreadState.Exited, undefined, e, true);
      return null;
    }
    return raiseFault(this, t, FaultKind.UserException, e);
  }

  private unknownSyscall(t: Thread, value: unknown): Thread | null {
    if (t.onExit !== null) {
      const err = new TypeError(`thread ${t.name} yielded a value that is not a syscall: ${String(value)}`);
      this.finishThread(t, ThreadState.Exited, undefined, err, true);
      return null;
    }
    return raiseFault(this, t, FaultKind.UnknownSyscall, value);
  }

  private exitThread(t: Thread, value: unknown): void {
    this.finishThread(t, ThreadState.Exited, value, undefined, false);
  }

  /** Kill a thread (task deletion): out of every queue, partners released (D2). */
  killThread(t: Thread): void {
    if (!t.alive) return;
    this.detachThread(t);
    this.finishThread(t, ThreadState.Killed, undefined, new ThreadKilledError(t.name), true);
  }

  /**
   * Take a thread out of whatever it waits in, leaving its state for the caller to set.
   * Returns the status its interrupted syscall should report (Decision 5).
   * @internal
   */
  detachThread(t: Thread): number {
    this.timers.cancel(t);
    let status: number;
    if (t.state === ThreadState.Ready) {
      this.runq.remove(t);
      status = t.result;
      if (t.restartSyscall) {
        // A send released by cancelBadgedSends (B4) is still mid-IPC: cancel it rather
        // than re-issue it after a resume (Decision 5).
        t.restartSyscall = false;
        t.op = Op.None;
        status = Status.Cancelled;
      }
    } else if (t.state === ThreadState.HostWait) {
      t.hostGen++;
      this.hostWaits--;
      status = Status.Cancelled;
    } else {
      const phase = this.abandonWait(t);
      status = Status.Cancelled | (phase < 0 ? RECV_PHASE : phase);
    }
    t.blockedOn = null;
    return status;
  }

  private finishThread(t: Thread, state: number, value: unknown, error: unknown, failed: boolean): void {
    t.state = state;
    t.inFault = false;
    t.gen = null;
    t.step = null;
    t.exitValue = value;
    // A server that ends without answering must not strand its caller (Decision 4).
    this.abortCaller(t, this.dyingTasks > 0 ? Status.DeadPartner | RECV_PHASE : Status.Aborted | RECV_PHASE);
    const n = t.bound;
    if (n !== null) {
      n.boundThread = null;
      t.bound = null;
    }
    t.task.threads.delete(t);
    this.threads.delete(t);
    if (this.tracer !== null) this.threadEvent(t, state === ThreadState.Killed ? 'kill' : 'exit');
    t.destroy();
    const cb = t.onExit;
    t.onExit = null;
    if (cb !== null) cb(value, error, failed);
  }

  /**
   * @internal Fail the caller a server thread still owes a reply, if it still waits. A
   * caller that was itself waiting for its fault handler is stopped for good (F2), which
   * fails the caller it owed in turn, and so on down the chain: a loop, so a chain of
   * fault handlers of any length is released in constant stack.
   */
  abortCaller(server: Thread, status: number): void {
    let s = server;
    let st = status;
    for (;;) {
      const c = s.replyTo;
      s.replyTo = null;
      if (c === null || c.state !== ThreadState.BlockedReply || c.callSeq !== s.replySeq) return;
      if (!this.failOne(c, st)) return;
      s = c;
      st = Status.Aborted | RECV_PHASE;
    }
  }

  /** @internal A caller's reply will never come: wake it with `status`. */
  failCaller(c: Thread, status: number): void {
    if (this.failOne(c, status)) this.abortCaller(c, Status.Aborted | RECV_PHASE);
  }

  /** Wake one caller with `status`; true when it was in a fault call and is now stopped (F2). */
  private failOne(c: Thread, status: number): boolean {
    this.timers.cancel(c);
    c.callSeq = ++this.callCounter;
    c.savedReply = null;
    if (c.inFault) {
      haltThread(c);
      return true;
    }
    this.wakeEvent(c, status, (status & 0x3f) === Status.DeadPartner ? 'dead-partner' : 'aborted');
    this.makeReady(c, status);
    return false;
  }

  /**
   * Wake a thread parked with `sys.park()`; its park evaluates to `status`. False when
   * the thread is not parked. Host code hands work to pooled threads this way.
   */
  unpark(t: Thread, status: number = Status.Ok): boolean {
    if (t.state !== ThreadState.Parked) return false;
    this.makeReady(t, status);
    this.kick();
    return true;
  }

  /**
   * Host code is waiting on the kernel (like a pending exec): while any such wait is
   * held, virtual time may advance on its own when the kernel is idle. Pair with release.
   */
  retain(): void {
    this.pendingExecs++;
  }

  release(): void {
    this.pendingExecs--;
    if (this.pendingExecs === 0 && this.hostTimer !== null) this.hostTimer.unref();
  }

  /** Suspend a thread; its interrupted syscall returns Cancelled when resumed (Decision 5). */
  suspendThread(t: Thread): number {
    if (t.state === ThreadState.Suspended) return Status.Ok;
    if (!t.alive || t.state === ThreadState.Inactive || t.state === ThreadState.Faulted || t.inFault) {
      return Status.IllegalOperation;
    }
    if (t === this.current) return Status.IllegalOperation;
    // An isolated thread serving directly would go on answering outside the kernel.
    if (t.directEnd !== null) t.directEnd();
    t.suspendedResult = this.detachThread(t);
    t.state = ThreadState.Suspended;
    if (this.tracer !== null) this.threadEvent(t, 'suspend');
    return Status.Ok;
  }

  /** Resume a suspended thread. */
  resumeThread(t: Thread): number {
    if (t.state !== ThreadState.Suspended) return Status.IllegalOperation;
    this.makeReady(t, t.suspendedResult);
    if (this.tracer !== null) this.threadEvent(t, 'resume');
    this.kick();
    return Status.Ok;
  }

  /** Change a thread's priority, requeueing it where it waits (Decision 1). */
  setPriority(t: Thread, prio: number): number {
    if (!Number.isInteger(prio) || prio < 0 || prio > MAX_PRIORITY) return Status.RangeError;
    if (t.state === ThreadState.Ready) {
      this.runq.remove(t);
      t.prio = prio;
      this.runq.push(t);
    } else if (t.queue !== null) {
      const q = t.queue;
      q.remove(t);
      t.prio = prio;
      q.enqueue(t);
    } else t.prio = prio;
    return Status.Ok;
  }

  // ------------------------------------------------------------------ host waits

  /** @internal Park `t` until `p` settles. */
  hostWait(t: Thread, p: PromiseLike<unknown>): null {
    t.state = ThreadState.HostWait;
    const gen = ++t.hostGen;
    this.hostWaits++;
    t.hostFailed = false;
    Promise.resolve(p).then(
      (v) => this.hostSettled(t, gen, v, undefined, false),
      (e: unknown) => this.hostSettled(t, gen, undefined, e, true),
    );
    return null;
  }

  private hostSettled(t: Thread, gen: number, value: unknown, error: unknown, failed: boolean): void {
    if (t.hostGen !== gen || t.state !== ThreadState.HostWait) return;
    this.hostWaits--;
    t.hostValue = value;
    t.hostError = error;
    t.hostFailed = failed;
    this.makeReady(t, Status.Ok);
    this.kick();
  }

  // ------------------------------------------------------------------ deaths (object hosts)

  /** Decision 10 / D1: release every thread queued on a dead endpoint. */
  endpointDied(ep: Endpoint): void {
    for (let t = ep.queue.shift(); t !== null; t = ep.queue.shift()) {
      this.timers.cancel(t);
      t.blockedOn = null;
      const status = t.state === ThreadState.BlockedSend ? Status.DeadPartner : Status.DeadPartner | RECV_PHASE;
      if (t.inFault) {
        stopForGood(this, t);
        continue;
      }
      this.wakeEvent(t, status, 'dead-partner');
      this.makeReady(t, status);
    }
    ep.state = EpState.Idle;
    this.kick();
  }

  /** The last cap to a notification went: release its waiters, unbind its thread. */
  notificationDied(n: Notification): void {
    for (let t = n.waiters.shift(); t !== null; t = n.waiters.shift()) {
      this.timers.cancel(t);
      t.blockedOn = null;
      this.wakeEvent(t, Status.DeadPartner | RECV_PHASE, 'dead-partner');
      this.makeReady(t, Status.DeadPartner | RECV_PHASE);
    }
    const b = n.boundThread;
    if (b !== null) {
      b.bound = null;
      n.boundThread = null;
    }
    this.kick();
  }

  /** A saved reply cap was deleted unused: its caller must not wait forever (Decision 4). */
  replyDropped(r: Reply): void {
    const c = r.caller;
    r.caller = null;
    if (c === null || c.callSeq !== r.seq || c.savedReply !== r || c.state !== ThreadState.BlockedReply) return;
    this.failCaller(c, this.dyingTasks > 0 ? Status.DeadPartner | RECV_PHASE : Status.Aborted | RECV_PHASE);
    this.kick();
  }

  /**
   * Signal a notification (N1, N5): OR the badge in and wake the first waiter, or the
   * bound thread if it is blocked in recv. Returns the woken thread with its status
   * set, or null. The caller schedules it.
   * @internal
   */
  signalCore(n: Notification, badge: number, by: Thread | null): Thread | null {
    this.nSignals++;
    n.word = (n.word | badge) >>> 0;
    n.pending = true;
    let woke: Thread | null = n.waiters.shift();
    if (woke !== null) {
      woke.utcb.badge = n.consume();
      woke.result = Status.Ok;
    } else {
      const b = n.boundThread;
      if (b !== null && b.state === ThreadState.BlockedRecv) {
        this.unqueue(b);
        b.utcb.badge = n.consume();
        b.result = Status.Notification;
        woke = b;
      }
    }
    if (woke !== null) this.timers.cancel(woke);
    if (this.tracer !== null) this.signalEvent(n, badge, by, woke);
    return woke;
  }

  /** @internal The trace event of a signal by `by` (null: the kernel) that woke `woke`. */
  signalEvent(n: Notification, badge: number, by: Thread | null, woke: Thread | null): void {
    this.emit({
      type: 'signal',
      seq: 0,
      time: this.clock.now(),
      thread: by === null ? -1 : by.id,
      task: by === null ? -1 : by.task.id,
      notification: n.id,
      badge,
      woke: woke === null ? -1 : woke.id,
    });
  }

  /** Signal from the kernel itself (death watches, no-senders): the woken thread is queued. */
  signalFromKernel(n: Notification, badge: number): void {
    if (n.destroyed) return;
    const w = this.signalCore(n, badge, null);
    if (w !== null) this.makeReady(w, w.result);
    this.kick();
  }

  // ------------------------------------------------------------------ tracing

  /** @internal */
  emit(e: TraceEvent): void {
    (e as { seq: number }).seq = ++this.traceSeq;
    this.tracer!.event(e);
  }

  /** @internal */
  wakeEvent(t: Thread, status: number, reason: 'timeout' | 'cancelled' | 'aborted' | 'dead-partner'): void {
    if (this.tracer === null) return;
    this.emit({ type: 'wake', seq: 0, time: this.clock.now(), thread: t.id, task: t.task.id, status, reason });
  }

  /** @internal */
  threadEvent(t: Thread, event: 'start' | 'exit' | 'kill' | 'suspend' | 'resume' | 'restart'): void {
    this.emit({ type: 'thread', seq: 0, time: this.clock.now(), event, thread: t.id, task: t.task.id, name: t.name });
  }

  /** @internal The cap-transfer hook for transferMessage, or null without a tracer. */
  capHook(): CapTransferHook {
    if (this.tracer === null) return null;
    return (mode, from, to, cap, slot) =>
      this.emit({
        type: 'cap',
        seq: 0,
        time: this.clock.now(),
        mode,
        fromTask: from.task.id,
        toTask: to.task.id,
        object: cap.obj.id,
        badge: cap.badge,
        slot,
      });
  }
}
