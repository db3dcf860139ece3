// The kernel side of isolated tasks: createIsolatedTask makes a task whose threads'
// bodies run in a Node worker thread (its own heap), loaded from a module.
//
// In the kernel the task is an ordinary task, and each of its threads an ordinary thread
// whose body is a proxy: it takes the worker's requests off that thread's ring (ring.ts)
// and performs them as that thread's syscalls, with the thread's own UTCB, so every syscall, error,
// timeout and the fast path behave as for an in-process task. Between requests the proxy
// waits on the ring: a bounded spin, then Atomics.waitAsync (the proxy thread is parked
// on the promise, so the kernel and the host event loop run meanwhile). A thread the
// worker starts (createThread) gets a new proxy and ring, posted on the task's
// MessagePort; a host-context proxy (`<task>.host`) takes invocations made outside any
// thread's turn. Every response rings the worker's doorbell.
//
// Death: a worker that throws, exits, runs out of memory (resourceLimits) or does not
// hand a request over for longer than the watchdog (default 5 s, while not awaiting a
// promise of its own) dies as a task: the kernel deletes it (its caps go, its callers get
// DeadPartner). Deleting the task (killTask, deleteTask) terminates the worker.

import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits, type WorkerOptions } from 'node:worker_threads';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { RECV_PHASE, Status } from '../errors.ts';
import { Kind } from '../kobject.ts';
import type { Notification } from '../notification.ts';
import { Rights } from '../rights.ts';
import type { Kernel } from '../kernel.ts';
import { Op, type Thread } from '../thread.ts';
import type { Sys } from '../syscalls.ts';
import type { Syscall } from '../thread.ts';
import type { Task } from '../task.ts';
import { spaceOf, type Mapping, type MemView } from '../dataspace.ts';
import type { MapOptions } from '../dataspace-ops.ts';
import { MAP_ITEM } from '../utcb.ts';
import { PROGRESS, Q, R, Ring, RingOp, RingState, Spinner, STATE, type MapWire, type NewThreadMessage, type WorkerInit } from './ring.ts';
import { WorkerSpaceHook, wireOf } from './shared-memory.ts';
import { adoptedWake, DEFAULT_DIRECT_LINKS, DEFAULT_DIRECT_LINKS_PER_CLIENT, directGone, directHost } from './direct.ts';
import type { Endpoint } from '../endpoint.ts';

/** Default watchdog: a worker that hands no request over for this long (ms) dies. */
export const DEFAULT_WATCHDOG_MS = 5000;
/** Default spin of the worker before Atomics.wait (ns). */
export const DEFAULT_WORKER_SPIN_NS = 50_000;
/**
 * Default spin of the kernel side before Atomics.waitAsync (ns): short, it holds the event
 * loop. A call between two isolated tasks has three threads taking part (two workers and
 * the main thread), so the kernel side spins only when the machine has a core for each:
 * on two cores a spinning main thread keeps a worker off its core and a call took 64 us
 * against 53 us without the spin (docs/isolation.md, "Figures and limits").
 */
export const DEFAULT_KERNEL_SPIN_NS = availableParallelism() >= 3 ? 20_000 : 0;

export interface IsolatedTaskOptions {
  /** The module the worker loads: a file path or URL (a .ts file works under tsx and vitest). */
  module: string | URL;
  /** The export that is the body (default 'default'). */
  export?: string;
  /**
   * JSON-cloneable argument for a body factory: when the export has `factory = true`
   * it is called with this argument and returns the body.
   */
  arg?: unknown;
  /** Cap space size, as createTask. */
  slots?: number;
  /** Give the task a factory with this quota in slot CAP_FACTORY, as createTask. */
  quota?: number;
  /** That factory's memory quota in bytes (dataspaces), as createTask (default 0). */
  memQuota?: number;
  priority?: number;
  /** Thread name (default `<task>.0`). */
  name?: string;
  /** Milliseconds a worker may run without handing a request over (default 5000; Infinity: off). */
  watchdogMs?: number;
  /** Worker heap limits (Node's resourceLimits); exceeding them kills the task. */
  resourceLimits?: ResourceLimits;
  /** Spin before sleeping, worker side and kernel side, in ns (defaults above; 0: sleep at once). */
  workerSpinNs?: number;
  kernelSpinNs?: number;
}

/** Why an isolated task ended. */
export type IsolatedExit =
  | { readonly reason: 'returned' }
  | { readonly reason: 'killed' }
  | { readonly reason: 'threw'; readonly error: unknown }
  | { readonly reason: 'exited'; readonly code: number }
  | { readonly reason: 'watchdog' };

/** Host handle of an isolated task. */
export interface IsolatedTask {
  readonly task: Task;
  readonly thread: Thread;
  readonly worker: Worker;
  /** Settles when the worker is gone, with why. */
  readonly done: Promise<IsolatedExit>;
  /** Delete the task and end its worker. */
  kill(): Promise<IsolatedExit>;
}

/** Worker entry next to this file: .ts under a TypeScript loader, .js in the built package. */
function entryUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js', here);
}

/**
 * Start the worker on `entry`. A .ts entry (under tsx or vitest) needs a TypeScript
 * loader in the worker, and Node 20 does not apply an inherited `--import` loader to a
 * worker's entry: a two-line bootstrap registers tsx's loader, then imports the entry.
 */
function startWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(fileURLToPath(entry), options);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((a) => { a.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

function moduleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z]+:/i.test(m)) return m;
  return pathToFileURL(m).href;
}

/** The kernel side of one isolated task: what every proxy thread of it shares. */
interface Iso {
  readonly k: Kernel;
  readonly task: Task;
  readonly doorbell: Int32Array;
  readonly port: MessagePort;
  readonly watchdogMs: number;
  readonly spinNs: number;
  /** Proxies of the body threads (not the host context): the task lives while one does. */
  readonly bodies: Set<Thread>;
  die(why: IsolatedExit): void;
}

/**
 * Create a task whose thread runs in a worker thread, from `opts.module`'s export. The
 * task is a kernel task like any other: give it caps (kernel.grant, mint) before or after;
 * its body names them by slot. The thread starts at once. The body may start more
 * threads of the task (createThread with a factory cap): each gets its own ring and
 * proxy, its body stays in the worker.
 */
export function createIsolatedTask(k: Kernel, name: string, opts: IsolatedTaskOptions): IsolatedTask {
  const taskOpts: { slots?: number; quota?: number; memQuota?: number } = {};
  if (opts.slots !== undefined) taskOpts.slots = opts.slots;
  if (opts.quota !== undefined) taskOpts.quota = opts.quota;
  if (opts.memQuota !== undefined) taskOpts.memQuota = opts.memQuota;
  const task = k.createTask(name, taskOpts);
  const ring = Ring.create();
  // Idle until the worker has loaded the module: start-up is not a hang.
  Atomics.store(ring.i32, STATE, RingState.Idle);
  const hostRing = Ring.create();
  Atomics.store(hostRing.i32, STATE, RingState.Idle);
  const doorbell = new SharedArrayBuffer(4);
  const channel = new MessageChannel();
  let ending: IsolatedExit | null = null;
  let settle!: (e: IsolatedExit) => void;
  const done = new Promise<IsolatedExit>((r) => (settle = r));
  let workerGone = false;
  let worker: Worker | null = null;

  const iso: Iso = {
    k,
    task,
    doorbell: new Int32Array(doorbell),
    port: channel.port1,
    watchdogMs: opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
    spinNs: opts.kernelSpinNs ?? DEFAULT_KERNEL_SPIN_NS,
    bodies: new Set(),
    die(why: IsolatedExit): void {
      if (ending === null) ending = why;
      if (task.alive) k.deleteTask(task);
      if (worker !== null && !workerGone) void worker.terminate();
    },
  };
  channel.port1.unref();
  // Every mapping placed in the task shares its dataspace with the worker (shared-memory.ts).
  const hook = new WorkerSpaceHook(channel.port1);
  spaceOf(task).hook = hook;

  const prio = opts.priority !== undefined ? { priority: opts.priority } : {};
  const thread = spawnProxy(iso, ring, opts.name ?? `${name}.0`, prio, true);
  // The host context: invocations the worker makes outside a thread's turn (a promise
  // callback signalling a notification, starting a thread). Not a body: never counted.
  const host = k.spawn(task, proxyBody(iso, hostRing), { name: `${name}.host`, ...prio });

  const entry = entryUrl();
  const init: WorkerInit = {
    sab: ring.sab,
    module: moduleUrl(opts.module),
    exportName: opts.export ?? 'default',
    arg: opts.arg,
    taskId: task.id,
    threadId: thread.id,
    priority: thread.prio,
    spinNs: opts.workerSpinNs ?? DEFAULT_WORKER_SPIN_NS,
    doorbell,
    hostSab: hostRing.sab,
    port: channel.port2,
    mapWords: hook.sab,
  };
  worker = startWorker(entry, {
    workerData: init,
    transferList: [channel.port2],
    ...(opts.resourceLimits !== undefined ? { resourceLimits: opts.resourceLimits } : {}),
  });
  worker.on('error', (error) => iso.die({ reason: 'threw', error }));
  worker.on('exit', (code) => {
    workerGone = true;
    channel.port1.close();
    // A worker that ends with a body thread still running (process.exit, a crash) dies
    // as a task; one whose bodies all returned leaves the task, as an in-process task.
    if (iso.bodies.size > 0) iso.die({ reason: 'exited', code });
    else if (host.alive) k.killThread?.(host);
    settle(ending ?? (code === 0 ? { reason: 'returned' } : { reason: 'exited', code }));
  });

  return {
    task,
    thread,
    worker,
    done,
    kill(): Promise<IsolatedExit> {
      iso.die({ reason: 'killed' });
      return done;
    },
  };

  function spawnProxy(iso: Iso, r: Ring, threadName: string, p: { priority?: number }, first: boolean): Thread {
    const t = k.spawn(task, proxyBody(iso, r), { name: threadName, ...p });
    trackBody(iso, t, first);
    return t;
  }
}

/** Count a body thread's proxy; a proxy that fails (killed, threw) ends the worker. */
function trackBody(iso: Iso, t: Thread, _first: boolean): void {
  iso.bodies.add(t);
  t.onExit = (_v, error, failed) => {
    iso.bodies.delete(t);
    directGone(iso.k, t, !iso.task.alive);
    if (failed) {
      const why: IsolatedExit =
        error instanceof Error && error.name === 'ThreadKilledError' ? { reason: 'killed' } : { reason: 'threw', error };
      iso.die(why);
    }
  };
}

/** The body of a kernel-side proxy thread: perform the worker's requests on `ring` as its syscalls. */
function proxyBody(iso: Iso, ring: Ring) {
  const { k, watchdogMs, spinNs } = iso;
  const die = (why: IsolatedExit): void => iso.die(why);
  const bell = iso.doorbell;
  return function* proxy(sys: Sys): Generator<Syscall, void, number> {
    const i32 = ring.i32;
    const regs = ring.regs;
    const u = sys.utcb;
    const t = (sys as unknown as { t: Thread }).t;
    const ownBuffers: (Uint8Array | null)[] = [null, null, null, null];
    let lastHandOver = performance.now();
    let seenProgress = 0;
    const spinner = new Spinner(spinNs);
    /** The status of the direct call the kernel adopted from this thread and answered, until collected (-1: none). */
    let adopted = -1;
    for (;;) {
      // ---- wait for a request: spin briefly, then waitAsync (the kernel runs meanwhile).
      // (A ring marked idle, the host context's or a body awaiting its own promise, is
      // not spun on: nothing is coming soon.)
      const now = Atomics.load(i32, STATE);
      if (now !== RingState.Req && (now === RingState.Idle || !spinner.spin(i32, RingState.Req))) {
        for (;;) {
          const cur = Atomics.load(i32, STATE);
          if (cur === RingState.Req) break;
          const idle = cur === RingState.Idle;
          if (idle) lastHandOver = performance.now();
          // Direct calls made or answered since the last look are progress too.
          const progress = Atomics.load(i32, PROGRESS);
          if (progress !== seenProgress) {
            seenProgress = progress;
            lastHandOver = performance.now();
          }
          const left = idle ? Infinity : watchdogMs - (performance.now() - lastHandOver);
          if (left <= 0) {
            // Die as a task from outside this thread's turn (deleteTask kills it, so a
            // caller it owes a reply gets DeadPartner, as for any dying task).
            setImmediate(() => die({ reason: 'watchdog' }));
            for (;;) yield sys.park();
          }
          const w = waitAsync(i32, STATE, cur, left);
          if (w.async) {
            const st = yield sys.waitHost(w.value);
            // The wake may answer a direct call the kernel adopted from this client (direct.ts).
            if (adoptedWake(k, t)) adopted = st;
          }
        }
      }
      // ---- perform it (taken: the worker may run its other threads now).
      Atomics.store(i32, STATE, RingState.Taken);
      Atomics.notify(i32, STATE);
      const op = regs[Q.op]!;
      if (op !== RingOp.AwaitAdopted) adopted = -1;
      if (op < RingOp.Exit) {
        const cap = regs[Q.a0]!;
        const label = regs[Q.a1]!;
        const length = regs[Q.a2]!;
        const ncaps = regs[Q.a3]!;
        const nitems = regs[Q.a4]!;
        const n = length > 0 && length <= 64 ? length : 0;
        const mr = u.mr;
        const mrs = ring.mrs;
        for (let i = 0; i < n; i++) mr[i] = mrs[i]!;
        u.grantMask = regs[Q.grantMask]!;
        u.itemWindow = regs[Q.itemWindow]!;
        for (let i = 0; i < u.caps.length; i++) u.caps[i] = regs[Q.caps + i]!;
        for (let i = 0; i < u.recvSlots.length; i++) u.recvSlots[i] = regs[Q.recvSlots + i]!;
        for (let i = 0; i < u.buffers.length; i++) {
          const len = regs[Q.bufLens + i]!;
          if (len < 0) u.buffers[i] = null;
          else {
            let b = ownBuffers[i] ?? null;
            if (b === null || b.length !== len) ownBuffers[i] = b = new Uint8Array(len);
            u.buffers[i] = b;
          }
        }
        u.memWindowBase = regs[Q.memBase]!;
        u.memWindowSize = regs[Q.memSize]!;
        if (nitems > 0) {
          const es = ring.readEntries();
          for (let i = 0; i < es.length; i++) {
            const e = es[i]!;
            u.items[i] = e;
            if (e === MAP_ITEM) {
              const w = ring.maps[i];
              u.maps[i] = w === null || w === undefined ? null : { vaddr: w.vaddr, length: w.length, rights: w.rights, grant: w.grant };
            }
          }
        }
        u.error = null;
        const sendTimeout = regs[Q.sendTimeout]!;
        const recvTimeout = regs[Q.recvTimeout]!;
        let st: number;
        switch (op) {
          case Op.Send:
            st = yield sys.send(cap, label, length, ncaps, nitems, sendTimeout);
            break;
          case Op.NBSend:
            st = yield sys.nbsend(cap, label, length, ncaps, nitems);
            break;
          case Op.Call:
            st = yield sys.call(cap, label, length, ncaps, nitems, sendTimeout, recvTimeout);
            break;
          case Op.Recv:
            st = yield sys.recv(cap, recvTimeout);
            break;
          case Op.NBRecv:
            st = yield sys.nbrecv(cap);
            break;
          case Op.Reply:
            st = yield sys.reply(label, length, ncaps, nitems);
            break;
          case Op.ReplyRecv:
            st = yield sys.replyRecv(cap, label, length, ncaps, nitems, recvTimeout);
            break;
          case Op.Signal:
            st = yield sys.signal(cap);
            break;
          case Op.Wait:
            st = yield sys.wait(cap, recvTimeout);
            break;
          case Op.Poll:
            st = yield sys.poll(cap);
            break;
          case Op.Sleep:
            st = yield sys.sleep(recvTimeout);
            break;
          case Op.Yield:
            st = yield sys.yield();
            break;
          case Op.Park:
            st = yield sys.park();
            break;
          default:
            st = Status.InvalidArgument;
        }
        for (let i = 0; i < nitems; i++) u.items[i] = null;
        writeIpcResponse(ring, u, st);
        // A call that went through to an endpoint a thread serves directly: the kernel
        // may give the caller a link for its next calls through this slot (direct.ts).
        if (op === Op.Call && st === Status.Ok && iso.bodies.size === 1) {
          const c = t.task.cspace.get(cap);
          if (c !== null && c.obj.kind === Kind.Endpoint && (c.obj as Endpoint).direct !== null && directHost(k).link(t, iso.port, cap, DEFAULT_DIRECT_LINKS_PER_CLIENT)) {
            regs[R.newLink] = 1;
          }
        }
      } else if (op === RingOp.Exit) {
        regs[R.status] = Status.Ok;
        regs[R.hasError] = 0;
        // This thread ends: forget it before the worker can see the answer and exit.
        iso.bodies.delete(t);
        handOver(i32, bell);
        return;
      } else if (op === RingOp.AwaitAdopted) {
        // The answer the adopted call got is in the UTCB already (direct.ts, adopt).
        if (adopted === -1) {
          u.length = 0;
          u.capCount = 0;
          // Items past itemCount are always null (the kernel clears only the ones it counts).
          for (let i = 0; i < u.itemCount; i++) u.itemsIn[i] = null;
          u.itemCount = 0;
          u.error = { status: Status.Aborted | RECV_PHASE, argument: 'caller', message: 'no direct call of this thread was handed to the kernel' };
        }
        writeIpcResponse(ring, u, adopted === -1 ? Status.Aborted | RECV_PHASE : adopted);
        adopted = -1;
      } else {
        u.error = null;
        invoke(iso, sys, t, ring, op);
      }
      regs[R.hasCaller] = sys.hasCaller ? 1 : 0;
      handOver(i32, bell);
      lastHandOver = performance.now();
    }
  };
}

/** Atomics.waitAsync (ES2024; Node 16+), typed here since the project's lib is ES2023. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

function handOver(i32: Int32Array, bell: Int32Array): void {
  Atomics.store(i32, STATE, RingState.Resp);
  Atomics.notify(i32, STATE);
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}

function writeIpcResponse(ring: Ring, u: Sys['utcb'], st: number): void {
  const regs = ring.regs;
  regs[R.status] = st;
  regs[R.label] = u.label;
  const len = u.length;
  regs[R.length] = len;
  regs[R.capCount] = u.capCount;
  const ic = u.itemCount;
  regs[R.itemCount] = ic;
  regs[R.badge] = u.badge;
  regs[R.unwrapped] = u.unwrapped;
  regs[R.truncated] = u.truncated;
  for (let i = 0; i < u.unwrappedBadges.length; i++) regs[R.unwrappedBadges + i] = u.unwrappedBadges[i]!;
  const mrs = ring.mrs;
  const mr = u.mr;
  for (let i = 0; i < len; i++) mrs[i] = mr[i]!;
  regs[R.mapped] = u.mapped;
  regs[R.newLink] = 0;
  writeError(ring, u, ic > 0 ? u.itemsIn : [], ic, ic > 0 ? mapWires(u) : undefined);
}

/** The map items received, as they cross (undefined when there are none). */
function mapWires(u: Sys['utcb']): (MapWire | null)[] | undefined {
  let out: (MapWire | null)[] | undefined;
  for (let i = 0; i < u.itemCount; i++) {
    if (u.itemsIn[i] !== MAP_ITEM) continue;
    out ??= [];
    const v = u.mapsIn[i];
    out[i] = v === null || v === undefined ? null : wireOf(v.m);
  }
  return out;
}

/** A mapping's description in the response registers (map, view). */
function writeWire(r: Float64Array, m: Mapping): void {
  const w = wireOf(m);
  const x = R.extra;
  r[x] = w.vaddr;
  r[x + 1] = w.length;
  r[x + 2] = w.offset;
  r[x + 3] = w.dataspace;
  r[x + 4] = w.rights;
  r[x + 5] = w.word;
  r[x + 6] = w.gen;
}

/** Error detail after `n` entries (argument and message as strings), or only the entries. */
function writeError(
  ring: Ring,
  u: Sys['utcb'],
  entries: readonly (string | Uint8Array | null)[],
  n: number,
  maps?: readonly (MapWire | null)[],
): void {
  const regs = ring.regs;
  const e = u.error;
  if (e === null) {
    regs[R.hasError] = 0;
    if (n > 0) ring.writeEntries(entries, n, maps);
    return;
  }
  regs[R.hasError] = 1;
  regs[R.errStatus] = e.status;
  regs[R.errSlot] = e.slot ?? -1;
  regs[R.errItem] = e.item ?? -1;
  const all = entries.slice(0, n);
  all.push(e.argument ?? null, e.message);
  ring.writeEntries(all, n + 2, maps);
}

/** A non-blocking invocation, performed with the proxy thread's Sys. */
function invoke(iso: Iso, sys: Sys, t: Thread, ring: Ring, op: number): void {
  const k = iso.k;
  const r = ring.regs;
  const a0 = r[Q.a0]!;
  const a1 = r[Q.a1]!;
  const a2 = r[Q.a2]!;
  const a3 = r[Q.a3]!;
  const a4 = r[Q.a4]!;
  let st: number = Status.Ok;
  let value = 0;
  let extra: string | null = null;
  switch (op) {
    case RingOp.AllocSlot:
      value = a0 < 0 ? sys.allocSlot() : sys.allocSlot(a0);
      break;
    case RingOp.ReserveSlot:
      value = sys.reserveSlot();
      break;
    case RingOp.UnreserveSlot:
      sys.unreserveSlot(a0);
      break;
    case RingOp.Now:
      value = k.clock.now();
      break;
    case RingOp.Mint:
      st = sys.mint(a0, a1, a2, a3);
      break;
    case RingOp.Move:
      st = sys.move(a0, a1);
      break;
    case RingOp.ServeDirect:
      st = directHost(k).serve(t, iso.port, a0, DEFAULT_DIRECT_LINKS);
      break;
    case RingOp.StopDirect:
      directHost(k).stop(t);
      break;
    case RingOp.AdoptDirect:
      st = directHost(k).adopt(t, a0, a1, a2);
      break;
    case RingOp.Delete:
      st = sys.delete(a0);
      break;
    case RingOp.Revoke:
      st = sys.revoke(a0);
      break;
    case RingOp.CancelBadgedSends:
      st = sys.cancelBadgedSends(a0);
      break;
    case RingOp.Identify: {
      const id = sys.identify(a0);
      value = id === null ? 0 : 1;
      if (id !== null) {
        const x = R.extra;
        r[x] = id.kind;
        r[x + 1] = id.rights;
        r[x + 2] = id.badge;
        r[x + 3] = id.object;
        r[x + 4] = id.dead ? 1 : 0;
        r[x + 5] = id.serial;
      }
      break;
    }
    case RingOp.CreateThread: {
      // a0 factory, a1 task (must be this task), a2 dst slot, a3 priority (-1: default); name in the item area.
      const name = String(ring.readEntries()[0] ?? '');
      const id = sys.identify(a1);
      if (id === null || id.kind !== Kind.Task || id.object !== t.task.id) {
        st = Status.InvalidArgument;
        t.utcb.error = { status: st, argument: 'task', slot: a1, message: 'an isolated task starts threads only in itself' };
        break;
      }
      const nr = Ring.create();
      const params: { name?: string; priority?: number } = {};
      if (name !== '') params.name = name;
      if (a3 >= 0) params.priority = a3;
      st = sys.createThread(a0, a1, a2, proxyBody(iso, nr), params);
      if (st !== Status.Ok) break;
      const tid = sys.identify(a2)!.object;
      const th = k.object(tid) as unknown as Thread;
      trackBody(iso, th, false);
      const msg: NewThreadMessage = { sab: nr.sab, threadId: tid };
      // Posted before the answer: the worker takes it synchronously (receiveMessageOnPort).
      iso.port.postMessage(msg);
      value = tid;
      break;
    }
    case RingOp.HostSignal: {
      const id = sys.identify(a0);
      const c = id !== null && id.kind === Kind.Notification ? t.task.cspace.get(a0) : null;
      if (c === null || (c.rights & Rights.Write) === 0) {
        st = Status.InvalidCapability;
        t.utcb.error = { status: st, argument: 'notification', slot: a0, message: 'not a notification cap with Write' };
      } else k.signalFromKernel(c.obj as Notification, c.badge);
      break;
    }
    case RingOp.SlotReserved: {
      const cs = t.task.cspace;
      value = cs.get(a0) === null && cs.reserved.has(a0) ? 1 : 0;
      break;
    }
    case RingOp.NoSendersPending: {
      const id = sys.identify(a0);
      const ep = id !== null && id.kind === Kind.Endpoint ? (k.object(id.object) as unknown as { noSendersQueue?: readonly number[] }) : undefined;
      value = ep?.noSendersQueue !== undefined && ep.noSendersQueue.length !== 0 ? 1 : 0;
      break;
    }
    case RingOp.CreateDataspace:
      st = sys.createDataspace(a0, a1, a2);
      break;
    case RingOp.Map: {
      // Which options were given: a bit each in Q.memBase (offset, length, rights, at).
      const given = r[Q.memBase]!;
      const opts: { -readonly [K in keyof MapOptions]: MapOptions[K] } = {};
      if (given & 1) opts.offset = a1;
      if (given & 2) opts.length = a2;
      if (given & 4) opts.rights = a3;
      if (given & 8) opts.at = a4;
      const v = sys.map(a0, opts);
      if (v.ok) writeWire(r, (v.value as MemView).m);
      else st = v.status;
      break;
    }
    case RingOp.View: {
      const v = sys.view(a0);
      if (v.ok) writeWire(r, (v.value as MemView).m);
      else st = v.status;
      break;
    }
    case RingOp.Unmap:
      st = sys.unmap(a0);
      break;
    case RingOp.RevokeMapping:
      st = sys.revokeMapping(a0);
      break;
    case RingOp.Mappings:
      extra = JSON.stringify(sys.mappings());
      break;
    case RingOp.SaveCaller:
      st = sys.saveCaller(a0);
      break;
    case RingOp.HasCaller:
      value = sys.hasCaller ? 1 : 0;
      break;
    case RingOp.CreateEndpoint:
      st = sys.createEndpoint(a0, a1);
      break;
    case RingOp.CreateNotification:
      st = sys.createNotification(a0, a1);
      break;
    case RingOp.CreateFactory:
      st = sys.createFactory(a0, a1, a2, a3);
      break;
    case RingOp.CreateTask:
      st = sys.createTask(a0, a1, String(ring.readEntries()[0] ?? ''), a2);
      break;
    case RingOp.InstallCap:
      st = sys.installCap(a0, a1, a2, a3, a4);
      break;
    case RingOp.KillTask:
      st = sys.killTask(a0);
      break;
    case RingOp.WatchTask:
      st = sys.watchTask(a0, a1);
      break;
    case RingOp.TaskInfo: {
      const ti = sys.taskInfo(a0);
      if (ti.ok) {
        r[R.extra] = ti.value.id;
        r[R.extra + 1] = ti.value.alive ? 1 : 0;
        r[R.extra + 2] = ti.value.threads;
        extra = ti.value.name;
      } else st = ti.status;
      break;
    }
    case RingOp.KernelSnapshot: {
      const x = sys.kernelSnapshot(a0, a1, a2);
      if (x.ok) extra = x.value;
      else st = x.status;
      break;
    }
    case RingOp.Suspend:
      st = sys.suspend(a0);
      break;
    case RingOp.Resume:
      st = sys.resume(a0);
      break;
    case RingOp.SetPriority:
      st = sys.setPriority(a0, a1);
      break;
    case RingOp.SetFaultHandler:
      st = sys.setFaultHandler(a0, a1);
      break;
    case RingOp.SetOwnFaultHandler:
      st = sys.setOwnFaultHandler(a0);
      break;
    case RingOp.Bind:
      st = sys.bind(a0);
      break;
    case RingOp.BindThread:
      st = sys.bindThread(a0, a1);
      break;
    case RingOp.Unbind:
      st = sys.unbind();
      break;
    case RingOp.RequestNoSenders:
      st = sys.requestNoSenders(a0, a1);
      break;
    case RingOp.NextNoSenders: {
      const x = sys.nextNoSenders(a0);
      if (x.ok) value = x.value;
      else st = x.status;
      break;
    }
    case RingOp.ChildCount: {
      const x = sys.childCount(a0);
      if (x.ok) value = x.value;
      else st = x.status;
      break;
    }
    default:
      st = Status.InvalidArgument;
      t.utcb.error = { status: st, argument: 'op', message: `unknown isolated syscall ${op}` };
  }
  r[R.status] = st;
  r[R.value] = value;
  if (extra !== null) {
    r[R.hasError] = 0;
    ring.writeEntries([extra], 1);
  } else writeError(ring, sys.utcb, [], 0);
}

