// Buckets, as libhurd-cap-server's: a set of objects served together on one receive
// endpoint by a bounded pool of worker threads, with the client table, the RPCs in
// flight, inhibition, deferred replies, no-senders and client-death handling.
//
// Message path. Idle workers wait on the endpoint at the bucket's priority; the manager
// waits on it one priority lower, so the kernel hands a request to a waiting worker
// whenever there is one (and the fast path applies). When every worker is busy the
// manager takes the request (the always-available receive path), saves its reply cap
// and queues it; a finishing worker takes queued work before it waits again, and the
// manager starts a worker while the pool is below its maximum. A capped pool therefore
// never stops receiving: cancels and inhibition still get through, and requests wait in
// the queue instead of creating threads without bound (libports' thread storms).
//
// Life of an RPC: accept (decode the badge and arguments, validate) -> parked (a level
// is inhibited) or pending (no worker) or running -> answered at once, deferred
// (answered later through its saved reply cap), or cancelled (EINTR). Internal
// references: an RPC in flight holds its entry and a reference on its object.
//
// The manager is bound to a notification: no-senders (a client dropped its last copy of
// a cap), client-task death, and wake-ups from host code (deferred completions, parked
// RPCs released by resume) arrive there.

import {
  CAP_FACTORY,
  CAP_SELF,
  DEFAULT_PRIORITY,
  Kind,
  Rights,
  Status,
  type Kernel,
  type Sys,
  type Task,
  type ThreadBody,
  type Utcb,
} from '../core/index.ts';
import { kernelHost, type BucketHost, type BucketOps } from './bucket-host.ts';
import { isIsolatedSys, isolatedHost } from './isolated-host.ts';
import type { AllocArgOf, AnyClass, CapClass, DataOf } from './cap-class.ts';
import { CapObject } from './cap-object.ts';
import { badgeClient, badgeEntry, Client, Entry, makeBadge, MAX_CLIENTS } from './client-table.ts';
import { ERRNO, type ErrnoName } from './errno.ts';
import { keptCap, releaseKept, stillKept } from './kept-cap.ts';
import { resolveLimits, ResourceError, type ClientLimits, type LimitErrno, type ResolvedLimits } from './limits.ts';
import { drainingLevels, Inhibitable, InhibitState, pausedLevels } from './inhibit.ts';
import { HEADER_WORDS, LABEL_CANCEL, methodOf } from './interface.ts';
import type { MethodDef, MethodSpecs } from './interface.ts';
import { registerBucket } from './registry.ts';
import { resolveSessionOptions, takeWindow, type ResolvedSessionOptions, type SessionOptions } from './session-server.ts';
import { NO_FIELDS, type Cursor } from './codec.ts';
import { Deferred, DEFERRED, Rpc, RpcFailure, RpcState } from './rpc.ts';
import { managerBody } from './manager.ts';
import { workerBody } from './worker.ts';

/**
 * @internal The workers' null lane (worker.ts) on (the default) or off for buckets
 * started from now on: off, every request goes the general way. The equivalence tests
 * turn it off to compare the two ways (test/libcap/lane.test.ts).
 */
export const nullLane = { on: true };

// Bound locally: read on every request (V8 does not constant-fold imported bindings).
const SERVING = InhibitState.Serving;
const ENDED = InhibitState.Ended;
const RUNNING = RpcState.Running;
const DEFERRED_STATE = RpcState.Deferred;
const DONE = RpcState.Done;
const PARKED = RpcState.Parked;
const PENDING = RpcState.Pending;
const HEADER = HEADER_WORDS;
const CANCEL_LABEL = LABEL_CANCEL;
const methodFor = methodOf;

export interface BucketOptions {
  /** Name for threads and traces (default: the task's name). */
  name?: string;
  /** Largest number of worker threads serving at once (default 8): the soft maximum. */
  maxWorkers?: number;
  /**
   * The hard ceiling (default 4 x maxWorkers): workers blocked in an outgoing call from
   * their handler (a nested call through ctx.sys) do not count against maxWorkers, so a
   * callback into this bucket is served while they wait; the pool grows for that up to
   * this many threads.
   */
  hardMaxWorkers?: number;
  /** Workers kept even when idle (default 1). */
  minWorkers?: number;
  /** Idle workers above the minimum exit after this many ms (default 10,000). */
  workerTimeout?: number;
  /** End the bucket after this many idle ms with no caps outstanding (default: never). */
  globalTimeout?: number;
  /** Priority of the workers (default 100); the manager runs one below. */
  priority?: number;
  /** Rights of the caps clients get (default Call + Grant). */
  clientRights?: number;
  /**
   * What one client may make the bucket hold (see limits.ts for the kinds, defaults and
   * errnos); given kinds replace the defaults, server-defined kinds are added.
   */
  limits?: ClientLimits;
  /**
   * Serve sessions: clients may open calls through shared memory on the caps this bucket
   * gives (session.ts; `true` for the defaults). Default off: an open is answered ENOSYS.
   */
  sessions?: SessionOptions | boolean;
  /**
   * In an isolated task, serve calls of isolated clients worker to worker (serveDirect;
   * docs/isolation.md, "Direct calls"): one worker thread takes them from its links, the
   * others receive through the kernel. Default true; no effect in a task of the kernel's
   * heap, where calls already go thread to thread. `{ spinNs }` fixes how long the
   * serving worker's receive looks at its links before it sleeps in the kernel (serveDirect).
   */
  direct?: boolean | { spinNs?: number };
}

/** Bits of the manager's notification. */
export const MGR_NOSENDERS = 1;
export const MGR_DEATH = 2;
export const MGR_WAKE = 4;

/** What to do with a message a thread just received. */
export type Accepted = Rpc | number | null;

/** A deferred answer ready to be sent through a saved reply cap. */
interface Completion {
  rpc: Rpc;
  value: unknown;
}

const DEFAULT_WORKER_TIMEOUT = 10_000;

export class Bucket {
  readonly name: string;
  readonly inh = new Inhibitable();
  /** Host-side invocations in the server task (the library's own bookkeeping). */
  readonly ops: BucketOps;
  /** The receive endpoint (unbadged, all rights) and the manager's notification. */
  readonly ep: number;
  readonly notif: number;
  private readonly nsCap: number;
  private readonly deathCap: number;
  private readonly wakeCap: number;
  readonly endpointId: number;
  /**
   * The endpoint's queue of badges whose caps all went (in-process; null in an isolated
   * task, where the host peeks). Workers look between requests and release entries
   * themselves: the manager runs below the workers, so a client calling in a loop would
   * otherwise starve no-senders processing.
   */
  private readonly noSendersQueue: readonly number[] | null;

  readonly maxWorkers: number;
  readonly hardMaxWorkers: number;
  readonly minWorkers: number;
  readonly workerTimeout: number;
  readonly globalTimeout: number;
  readonly priority: number;
  readonly clientRights: number;
  /** Per-client limits (defaults with BucketOptions.limits over them). */
  readonly limits: ResolvedLimits;
  /** How sessions are served (null: not at all). */
  readonly sessions: ResolvedSessionOptions | null;
  /** Whether a worker serves the endpoint directly (BucketOptions.direct, isolated tasks only), and its serveDirect options. */
  private readonly direct: { spinNs?: number } | null;
  /** @internal A worker serves the endpoint directly now. */
  directServed = false;
  /**
   * @internal Where the next session open's ring lands in the server task (the memory
   * window every worker sets before it receives; 0 without sessions).
   */
  sessionWindow = 0;

  private readonly clients: (Client | undefined)[] = [undefined];
  private readonly freeClientIds: number[] = [];
  private readonly byTask = new Map<number, Client>();
  /** Root slot -> entry, so roots are never granted away. */
  private readonly roots = new Map<number, Entry>();

  /** @internal Accepted RPCs waiting for a worker. */
  readonly pending: Rpc[] = [];
  /** @internal RPCs waiting for inhibition to lift. */
  readonly parked: Rpc[] = [];
  /** @internal Deferred answers waiting to be sent. */
  readonly completions: Completion[] = [];
  /**
   * @internal A finished RPC whose handler never saw it, for the next argument-less
   * request to reuse (acceptRequest, and the worker's null lane).
   */
  spare: Rpc | null = null;
  /** @internal Kick messages the manager still has to send to idle workers. */
  kicks = 0;

  workers = 0;
  idleWorkers = 0;
  /** @internal Workers blocked in an outgoing call (send or call) of their handler. */
  lent = 0;
  /** @internal Workers started that have not yet looked for work. */
  starting = 0;
  /** Entries (capabilities) held by clients. */
  outstanding = 0;
  /** Counters for stats() and benchmarks. */
  served = 0;
  /**
   * @internal Whether the workers serve null requests in their lane (worker.ts), as
   * nullLane.on was when the bucket started, and how many they served there.
   */
  readonly lane = nullLane.on;
  laneServed = 0;
  private endWaiters: (() => void)[] = [];
  private readonly endHooks: (() => void)[] = [];
  private managerDone = false;
  /** @internal The manager should finish (bucket ended and flushed). */
  finishing = false;

  private constructor(
    /** Where the bucket lives: its task's host calls (in-process or over an isolated task's rings). */
    readonly host: BucketHost,
    opts: BucketOptions,
  ) {
    this.name = opts.name ?? host.taskName;
    this.maxWorkers = Math.max(1, opts.maxWorkers ?? 8);
    this.hardMaxWorkers = Math.max(this.maxWorkers, opts.hardMaxWorkers ?? 4 * this.maxWorkers);
    this.minWorkers = Math.min(this.maxWorkers, Math.max(0, opts.minWorkers ?? 1));
    this.workerTimeout = opts.workerTimeout ?? DEFAULT_WORKER_TIMEOUT;
    this.globalTimeout = opts.globalTimeout ?? Number.POSITIVE_INFINITY;
    this.priority = Math.max(1, opts.priority ?? DEFAULT_PRIORITY);
    this.clientRights = opts.clientRights ?? Rights.CallGrant;
    this.limits = resolveLimits(opts.limits, `bucket ${this.name}`);
    this.sessions = resolveSessionOptions(opts.sessions);
    const direct = opts.direct ?? true;
    this.direct = direct === false || host.kernel !== null ? null : direct === true ? {} : direct;
    this.ops = host.ops;
    this.ep = host.createEndpoint();
    this.notif = host.createNotification();
    this.nsCap = this.mintNotif(MGR_NOSENDERS);
    this.deathCap = this.mintNotif(MGR_DEATH);
    this.wakeCap = this.mintNotif(MGR_WAKE);
    this.endpointId = this.ops.identify(this.ep)!.object;
    this.noSendersQueue = host.noSendersQueue(this.ep);
    if (this.sessions !== null) this.sessionWindow = takeWindow(this, this.sessions);
  }

  /** The kernel (in-process buckets only: an isolated task holds no reference to it). */
  get kernel(): Kernel {
    const k = this.host.kernel;
    if (k === null) throw new Error(`bucket ${this.name}: an isolated task holds no reference to the kernel`);
    return k;
  }

  /** The server task (in-process buckets only). */
  get task(): Task {
    const t = this.host.task;
    if (t === null) throw new Error(`bucket ${this.name}: an isolated task holds no reference to its task object`);
    return t;
  }

  /**
   * Start serving in `task`: create the endpoint, the manager and the minimum pool.
   * The task needs room in its cap space for one slot per client entry.
   */
  static start(kernel: Kernel, task: Task, opts?: BucketOptions): Bucket;
  /** Start serving on a host (kernelHost, or isolatedHost in a worker). */
  static start(host: BucketHost, opts?: BucketOptions): Bucket;
  static start(a: Kernel | BucketHost, b?: Task | BucketOptions, c?: BucketOptions): Bucket {
    const host = 'taskName' in a ? a : kernelHost(a, b as Task);
    const opts = ('taskName' in a ? (b as BucketOptions | undefined) : c) ?? {};
    const bk = new Bucket(host, opts);
    if (host.kernel !== null) registerBucket(host.kernel, bk);
    host.spawn(managerBody(bk), `${bk.name}.manager`, bk.priority - 1);
    for (let i = 0; i < Math.max(1, bk.minWorkers); i++) bk.spawnWorker();
    return bk;
  }

  /**
   * Start serving in the task of the thread `sys` belongs to, in-process or isolated:
   * a server body that starts its bucket this way runs unchanged in either. An isolated
   * task pays for the bucket's threads and objects with its factory (create it with a quota).
   */
  static inTask(sys: Sys, opts: BucketOptions = {}): Bucket {
    return Bucket.start(isIsolatedSys(sys) ? isolatedHost(sys) : kernelHost(sys.kernel, sys.task), opts);
  }

  private mintNotif(badge: number): number {
    const slot = this.ops.allocSlot();
    this.check(this.ops.mint(this.notif, slot, Rights.Write, badge), 'mint notification');
    return slot;
  }

  private check(status: number, what: string): void {
    if (status !== Status.Ok) throw new Error(`bucket ${this.name}: ${what} failed with status ${status}`);
  }

  // ------------------------------------------------------------------ slots

  /**
   * A free slot of the server task (receive windows are reserved and skipped). When the
   * cap space is full it throws a ResourceError ENOMEM: inside a handler the call
   * answers ENOMEM and the bucket keeps serving. tryAllocSlot answers 0 instead.
   */
  allocSlot(): number {
    const s = this.ops.allocSlot();
    if (s === 0) throw new ResourceError('ENOMEM', `bucket ${this.name}: cap space of ${this.host.taskName} is full`);
    return s;
  }

  /** A free slot of the server task, or 0 when its cap space is full. */
  tryAllocSlot(): number {
    return this.ops.allocSlot();
  }

  /**
   * @internal Point the receive windows of `u` at free reserved slots. When the cap
   * space is full the windows left unset stay 0: caps sent then are refused by the
   * kernel (the sender learns it), and the request itself is still served.
   */
  prepareWindows(u: Utcb): void {
    if (u.memWindowBase !== this.sessionWindow) u.setMemWindow(this.sessionWindow, this.sessions?.windowBytes ?? 0);
    const host = this.host;
    for (let i = 0; i < 3; i++) {
      const s = u.recvSlots[i]!;
      if (s !== 0) {
        // Still ours and empty: keep it. (A nested call may have swapped windows meanwhile.)
        if (host.windowKept(s)) continue;
        if (host.capSerial(s) !== 0) this.ops.unreserveSlot(s); // a cap landed there: it belongs to the RPC now
      }
      u.recvSlots[i] = this.ops.reserveSlot();
    }
  }

  /** @internal Give a thread's windows back (it is exiting). */
  releaseWindows(u: Utcb): void {
    for (let i = 0; i < 3; i++) {
      this.ops.unreserveSlot(u.recvSlots[i]!);
      u.recvSlots[i] = 0;
    }
  }

  // ------------------------------------------------------------------ workers

  /**
   * @internal A worker starts: true when it is to serve the endpoint directly (the first
   * one while none does), and then it has asked the kernel to.
   */
  serveDirectly(sys: Sys): boolean {
    if (this.direct === null || this.directServed) return false;
    this.directServed = sys.serveDirect(this.ep, this.direct) === Status.Ok;
    return this.directServed;
  }

  /** @internal Start a worker thread (through the task's factory when it has one). */
  spawnWorker(): void {
    this.workers++;
    this.starting++;
    const st = this.spawnThread(workerBody(this), `${this.name}.worker`, this.workers > 1);
    if (st !== Status.Ok) {
      this.workers--; // the factory's quota caps the pool
      this.starting--;
    }
  }

  /**
   * @internal Start a thread of the server task through its factory (the task pays), or
   * unpaid when the task has none; when the factory refuses for lack of quota, answer
   * NotEnoughMemory if `mayFail`, else start it unpaid too.
   */
  spawnThread(body: ThreadBody, name: string, mayFail: boolean): number {
    const hasFactory = this.ops.identify(CAP_FACTORY)?.kind === Kind.Factory;
    if (hasFactory) {
      const slot = this.ops.allocSlot();
      const st = this.ops.createThread(CAP_FACTORY, CAP_SELF, slot, body, { name, priority: this.priority });
      if (st === Status.Ok) {
        this.ops.delete(slot);
        return st;
      }
      if (st === Status.NotEnoughMemory && mayFail) return st;
    }
    this.host.spawnUnpaid(body, name, this.priority);
    return Status.Ok;
  }

  /** @internal A worker timed out idle: may it exit? */
  retire(): boolean {
    if (this.workers <= this.minWorkers || this.finishing) return false;
    this.workers--;
    return true;
  }

  /** @internal Make sure queued work gets a worker: wake idle ones or start one. */
  wantWorkers(): void {
    const queued = this.pending.length;
    if (queued === 0) return;
    const kicks = Math.min(queued, this.idleWorkers);
    if (kicks > this.kicks) {
      this.kicks = kicks;
      this.wakeManager();
    }
    // Start a worker for each queued request no idle or starting worker will take, up to
    // the bound (several at once when a resume releases many parked requests).
    for (let need = queued - this.idleWorkers - this.starting; need > 0 && this.mayGrow(); need--) {
      this.spawnWorker();
    }
  }

  /**
   * @internal May the pool start another worker? Below the soft maximum counting only
   * workers not lent to an outgoing call, and below the hard ceiling counting all.
   */
  mayGrow(): boolean {
    return this.workers - this.lent < this.maxWorkers && this.workers < this.hardMaxWorkers;
  }

  /** @internal Is the pool above its soft maximum with every lent worker back? Then one may go. */
  overSoftMax(): boolean {
    return this.workers - this.lent > this.maxWorkers;
  }

  /** @internal Signal the manager (from host code or any thread). */
  wakeManager(): void {
    this.ops.signal(this.wakeCap);
  }

  // ------------------------------------------------------------------ clients and entries

  private newClient(): Client {
    let id = this.freeClientIds.pop();
    if (id === undefined) {
      if (this.clients.length > MAX_CLIENTS) throw new ResourceError('EAGAIN', `bucket ${this.name}: every client id is in use`);
      id = this.clients.length;
      this.clients.push(undefined);
    }
    const c = new Client(id, this.limits);
    this.clients[id] = c;
    return c;
  }

  /** A client with no task identity (its entries go when their caps go). */
  anonymousClient(): Client {
    return this.newClient();
  }

  /**
   * The client record of `task` (host side), created on first use: the bucket keeps a
   * task cap with Read to the task and watches its death. Throws a ResourceError
   * (ENOMEM: no free slot; EAGAIN: every client id in use).
   */
  clientFor(task: Task): Client {
    const known = this.byTask.get(task.id);
    if (known !== undefined && !known.dead) return known;
    if (this.clients.length > MAX_CLIENTS && this.freeClientIds.length === 0) {
      throw new ResourceError('EAGAIN', `bucket ${this.name}: every client id is in use`);
    }
    const slot = this.kernel.grant(task, CAP_SELF, this.task, { rights: Rights.Read, slot: this.allocSlot() });
    return this.adoptTaskCap(slot, task.id);
  }

  /**
   * The client record of the task named by a task cap the server holds in `slot` (for
   * example one a client passed to a connect RPC). Takes ownership of the slot.
   */
  clientForTaskCap(slot: number): Client | RpcFailure<'EBADF' | 'EAGAIN'> {
    const info = this.ops.taskInfo(slot);
    if (!info.ok || !info.value.alive) {
      this.ops.delete(slot);
      return new RpcFailure('EBADF', 'not a live task');
    }
    const known = this.byTask.get(info.value.id);
    if (known !== undefined && !known.dead) {
      this.ops.delete(slot);
      return known;
    }
    if (this.clients.length > MAX_CLIENTS && this.freeClientIds.length === 0) {
      this.ops.delete(slot);
      return new RpcFailure('EAGAIN', 'every client id is in use');
    }
    return this.adoptTaskCap(slot, info.value.id);
  }

  private adoptTaskCap(slot: number, taskId: number): Client {
    const c = this.newClient();
    c.taskSlot = slot;
    c.taskSerial = keptCap(this.ops, slot)?.serial ?? 0;
    c.taskId = taskId;
    this.byTask.set(taskId, c);
    this.check(this.ops.watchTask(slot, this.deathCap), 'watch task');
    return c;
  }

  /** Every live client record. */
  clientList(): Client[] {
    return this.clients.filter((c): c is Client => c !== undefined);
  }

  /**
   * The handle of `obj` for `client`: the same entry if it already has one, else a new
   * entry with its badged root cap. Returns the root's slot (to transfer by map). When
   * the client is at its `caps` limit (EMFILE) or the server's cap space is full
   * (ENOMEM) it throws a ResourceError: inside a handler the call answers that errno.
   */
  give(client: Client, obj: CapObject, rpc: Rpc | null = null): number {
    const r = this.tryGive(client, obj, rpc);
    if (typeof r === 'number') return r;
    throw new ResourceError(r.error, r.message);
  }

  /** give(), answering the failure (EMFILE: client's caps limit; ENOMEM: cap space full) as a value. */
  tryGive(client: Client, obj: CapObject, rpc: Rpc | null = null): number | RpcFailure<'EMFILE' | 'ENOMEM'> {
    if (!obj.alive) throw new Error(`give: object ${obj.id} was released`);
    if (client.dead) throw new Error('give: client is dead');
    const known = client.byObject.get(obj);
    if (known !== undefined) return known.rootSlot;
    const max = (rpc !== null ? rpc.object.cls.limits?.caps : undefined) ?? client.limits.caps;
    if (client.count >= max) return new RpcFailure('EMFILE', `client ${client.id} holds ${client.count} capabilities (limit ${max})`);
    const root = this.ops.allocSlot();
    if (root === 0) return new RpcFailure('ENOMEM', `cap space of ${this.host.taskName} is full`);
    const index = client.allocIndex();
    if (index === 0) return new RpcFailure('EMFILE', `client ${client.id} has every entry index in use`);
    const badge = makeBadge(client.id, index);
    this.check(this.ops.mint(this.ep, root, this.clientRights, badge), 'mint entry');
    this.check(this.ops.requestNoSenders(root, this.nsCap), 'no-senders watch');
    const e = new Entry(client, index, badge, obj, root);
    client.add(e);
    this.roots.set(root, e);
    obj.ref();
    obj.entries.add(e);
    (obj.cls as CapClass<MethodSpecs, unknown, unknown>).buckets.add(this);
    this.outstanding++;
    if (rpc !== null) (rpc.newEntries ??= []).push(e);
    return root;
  }

  /**
   * Composer's helper: give `obj` to the client of `task` and put a copy of the cap in
   * that task (a free slot unless named). Returns the slot in `task`.
   */
  install(obj: CapObject, task: Task, opts: { slot?: number; rights?: number } = {}): number {
    const root = this.give(this.clientFor(task), obj);
    const grantOpts: { rights?: number; slot?: number } = {};
    if (opts.rights !== undefined) grantOpts.rights = opts.rights;
    if (opts.slot !== undefined) grantOpts.slot = opts.slot;
    return this.kernel.grant(this.task, root, task, grantOpts);
  }

  /** Create an object of `cls` (one reference, held by the caller), or the errno alloc gave. */
  create<C extends AnyClass>(cls: C, arg: AllocArgOf<C>): CapObject<DataOf<C>> | RpcFailure {
    const data: unknown = cls.allocData(arg);
    // A class instance, so that data shaped like { error } is never mistaken for a failure.
    if (data instanceof RpcFailure) return data;
    const obj = new CapObject<DataOf<C>>(cls as never, data as DataOf<C>);
    (cls.objects as Set<CapObject<unknown>>).add(obj);
    cls.buckets.add(this);
    return obj;
  }

  /** Revoke `client`'s handle to `obj`: every copy it holds goes; RPCs in flight get EBADF later. */
  revoke(client: Client, obj: CapObject): boolean {
    const e = client.byObject.get(obj);
    if (e === undefined) return false;
    this.dropEntry(e, true);
    return true;
  }

  /** Revoke every client's handle to `obj` in this bucket. */
  revokeObject(obj: CapObject): void {
    for (const e of [...obj.entries]) if (e.client === this.clients[e.client.id]) this.dropEntry(e, true);
  }

  /**
   * Remove an entry: with `revoke`, delete every copy clients hold first (and release
   * their blocked sends, B4). Drops the entry's reference on the object; the object's
   * class hears noSenders when no entry names it any more.
   */
  private dropEntry(e: Entry, revoke: boolean): void {
    if (e.revoked) return;
    e.revoked = true;
    const ops = this.ops;
    ops.requestNoSenders(e.rootSlot, 0);
    if (revoke) {
      ops.revoke(e.rootSlot);
      ops.cancelBadgedSends(e.rootSlot);
    }
    ops.delete(e.rootSlot);
    this.roots.delete(e.rootSlot);
    e.client.remove(e);
    this.outstanding--;
    const obj = e.object;
    obj.entries.delete(e);
    if (obj.entries.size === 0) obj.cls.spec.noSenders?.(obj as never);
    obj.unref();
    this.maybeDropClient(e.client);
  }

  private maybeDropClient(c: Client): void {
    if (c.count !== 0 || c.inflight.size !== 0 || this.clients[c.id] !== c) return;
    // A client with a task identity stays until its task dies; an anonymous one goes now.
    if (c.taskSlot !== 0 && !c.dead) return;
    this.clients[c.id] = undefined;
    this.freeClientIds.push(c.id);
    if (c.taskSlot !== 0) {
      releaseKept(this.ops, { slot: c.taskSlot, serial: c.taskSerial });
      if (this.byTask.get(c.taskId) === c) this.byTask.delete(c.taskId);
    }
  }

  /** @internal Between requests: release entries whose caps all went, if any did. */
  housekeep(): void {
    const q = this.noSendersQueue;
    if (q !== null ? q.length !== 0 : this.host.noSendersPending(this.ep)) this.processNoSenders();
  }

  /** @internal The manager saw no-senders: release entries no client holds a copy of. */
  processNoSenders(): void {
    for (;;) {
      const r = this.ops.nextNoSenders(this.ep);
      if (!r.ok || r.value === 0) return;
      const e = this.lookup(r.value);
      if (e === undefined) continue;
      const children = this.ops.childCount(e.rootSlot);
      if (children.ok && children.value === 0) this.dropEntry(e, false);
    }
  }

  /** @internal The manager saw a death: clean up clients whose task is gone. */
  processDeaths(): void {
    for (const c of this.clientList()) {
      if (c.taskSlot === 0 || c.dead) continue;
      // A task cap revoked from under the server counts as a dead client (as an empty slot
      // always did), whatever cap may have refilled its slot since.
      const info = stillKept(this.ops, { slot: c.taskSlot, serial: c.taskSerial }) ? this.ops.taskInfo(c.taskSlot) : null;
      if (info !== null && info.ok && info.value.alive) continue;
      this.clientDied(c);
    }
  }

  /** A client task died: cancel its RPCs in flight and release every capability it held. */
  clientDied(c: Client): void {
    if (c.dead) return;
    c.dead = true;
    for (const rpc of [...c.inflight.values()]) this.cancel(rpc);
    for (const e of [...c.entries]) if (e !== undefined) this.dropEntry(e, true);
    // Running handlers stay listed until they return (finish drops the record then):
    // they still count as in flight for stats, inhibition and the global timeout.
    this.maybeDropClient(c);
  }

  /** @internal Entry named by a badge, if live. */
  lookup(badge: number): Entry | undefined {
    const c = this.clients[badgeClient(badge)];
    if (c === undefined) return undefined;
    const e = c.entries[badgeEntry(badge)];
    return e !== undefined && !e.revoked ? e : undefined;
  }

  /**
   * The object a cap in the server's space names, when it is a cap to this bucket
   * (e.g. a cap argument the kernel unwrapped, C4); null for a foreign or empty cap.
   */
  resolve(slot: number): { object: CapObject; client: Client } | null {
    const id = this.ops.identify(slot);
    if (id === null || id.object !== this.endpointId) return null;
    const e = this.lookup(id.badge);
    return e === undefined ? null : { object: e.object, client: e.client };
  }

  /** @internal True when the cap in `slot` is an entry root (never granted away). */
  isRoot(slot: number): boolean {
    return this.roots.has(slot);
  }

  // ------------------------------------------------------------------ accepting requests

  /**
   * Decode a request a thread of this bucket just received: look up the entry from the
   * badge, handle cancels, check the one-RPC-per-client-thread rule, decode and validate
   * the arguments. Returns the RPC, an errno to answer at once, or null (nothing to answer).
   */
  accept(u: Utcb, isCall: boolean): Accepted {
    const a = this.acceptRequest(u, isCall);
    // A request refused before its handler (or a cancel) keeps none of the caps it carried.
    if (u.capCount !== 0 && (a === null || typeof a === 'number')) this.collectStrayCaps(u, null);
    return a;
  }

  private acceptRequest(u: Utcb, isCall: boolean): Accepted {
    const badge = u.badge;
    const e = this.lookup(badge);
    if (e === undefined) return ERRNO.EBADF;
    if (u.length < HEADER) return ERRNO.EINVAL;
    const client = e.client;
    // Small integers (not doubles out of the Float64Array) keep the Map lookups fast.
    const key = u.mr[0]! | 0;
    const seq = u.mr[1]! | 0;
    const label = u.label | 0;
    if (label === CANCEL_LABEL) {
      this.cancelRequest(client, key, seq);
      return null;
    }
    const obj = e.object;
    const m = methodFor(obj.cls.iface, label);
    if (m === undefined) return ERRNO.ENOSYS;
    if (m.oneway === isCall) return ERRNO.EINVAL;
    if (client.tombstones.size !== 0 && client.tombstones.get(key) === seq) {
      client.tombstones.delete(key);
      return ERRNO.EINTR;
    }
    const inflight = client.inflight;
    if (inflight.size !== 0 && inflight.has(key)) return ERRNO.EBUSY;
    // The client's RPCs in flight (each holds a saved reply cap while queued or deferred).
    if (inflight.size >= (obj.cls.limits?.rpcs ?? client.limits.rpcs)) return ERRNO.EAGAIN;
    const ac = m.argsCodec;
    if (ac.empty && u.capCount === 0) {
      // No arguments: nothing to decode, only the arity to check.
      if (u.length !== HEADER || u.itemCount !== 0) return ERRNO.EINVAL;
      return this.argumentless(e, m, key, seq);
    }
    return this.acceptArgs(u, e, m, key, seq);
  }

  /**
   * @internal The context of an accepted request without arguments (through entry `e`,
   * for method `m`, cancel key and sequence `key`/`seq`): the spare one renewed, or a new
   * one; listed in the client's RPCs in flight. (The worker's null lane takes it too.)
   */
  argumentless(e: Entry, m: MethodDef, key: number, seq: number): Rpc {
    const client = e.client;
    let rpc = this.spare;
    if (rpc === null) rpc = new Rpc(this, client, e, e.object, m, NO_FIELDS as never, key, seq);
    else {
      this.spare = null;
      rpc.renew(client, e, e.object as CapObject<unknown>, m, NO_FIELDS as never, key, seq);
    }
    client.inflight.add(rpc);
    return rpc;
  }

  /**
   * acceptRequest for a request with arguments: decode and validate them (caps taken
   * from the receive windows). Apart, so that the closure it makes for caps does not make
   * every request allocate a context.
   */
  private acceptArgs(u: Utcb, e: Entry, m: MethodDef, key: number, seq: number): Accepted {
    const client = e.client;
    const obj = e.object;
    const ac = m.argsCodec;
    let args: Record<string, unknown> | string;
    let capSlots: number[] | null = null;
    const cur = cursorAt(HEADER);
    if (u.capCount === 0) args = ac.decode(u, cur, noCaps);
    else {
      const got: { slots: number[] | null; window: number } = { slots: null, window: 0 };
      args = ac.decode(u, cur, (i) => {
        const slot = this.receivedCap(u, i, got.window);
        if ((u.unwrapped & (1 << i)) === 0) got.window++;
        if (slot > 0) (got.slots ??= []).push(slot);
        return slot;
      });
      this.collectStrayCaps(u, got.slots);
      capSlots = got.slots;
    }
    // Wrong arity: words, items or caps beyond the declared arguments.
    if (typeof args === 'string' || cur.w !== u.length || cur.i !== u.itemCount || cur.c !== u.capCount) {
      if (capSlots !== null) for (const s of capSlots) this.ops.delete(s);
      return ERRNO.EINVAL;
    }
    const rpc = new Rpc(this, client, e, obj, m, args as never, key, seq);
    if (capSlots !== null) {
      rpc.capSlots = capSlots;
      rpc.ownedCaps = new Map(capSlots.map((slot) => [slot, this.host.capSerial(slot)]));
    }
    client.inflight.add(rpc);
    return rpc;
  }

  /** The slot a received cap item landed in; unwrapped caps (C4) are minted back from the badge. */
  private receivedCap(u: Utcb, i: number, window: number): number {
    if ((u.unwrapped & (1 << i)) !== 0) {
      const slot = this.ops.allocSlot();
      if (slot === 0) return -1; // the server's cap space is full: the argument is missing (EINVAL)
      const st = this.ops.mint(this.ep, slot, this.clientRights, u.unwrappedBadges[i]!);
      return st === Status.Ok ? slot : -1;
    }
    const slot = u.recvSlots[window]!;
    return this.host.capSerial(slot) !== 0 ? slot : -1;
  }

  /** Caps that arrived but were not consumed by decoding are deleted (never leaked). */
  private collectStrayCaps(u: Utcb, used: number[] | null): void {
    for (let i = 0; i < 3; i++) {
      const s = u.recvSlots[i]!;
      if (s !== 0 && this.host.capSerial(s) !== 0 && (used === null || !used.includes(s))) this.ops.delete(s);
    }
  }

  /** True when one of the RPC's levels is not serving. */
  blocked(rpc: Rpc): boolean {
    if (this.inh.state !== SERVING) return true;
    // Only a bucket's own level ever ends: the others block only while paused.
    return (
      pausedLevels.count !== 0 &&
      (rpc.client.inh.state !== SERVING ||
      rpc.object.inh.state !== SERVING ||
        rpc.object.cls.inh.state !== SERVING)
    );
  }

  private endedFor(rpc: Rpc): boolean {
    return (
      this.inh.state === ENDED ||
      rpc.client.inh.state === ENDED ||
      rpc.object.inh.state === ENDED ||
      rpc.object.cls.inh.state === ENDED
    );
  }

  /**
   * @internal Drop an accepted RPC that never ran (the server cannot keep it): it
   * leaves its client's list and its received caps go. Returns it, for the reply.
   */
  refuse(rpc: Rpc): Rpc {
    rpc.state = PENDING;
    rpc.answered = true;
    this.finish(rpc);
    this.cleanup(rpc);
    return rpc;
  }

  /** @internal Queue an RPC whose reply cap was saved: parked if inhibited, else pending. */
  enqueue(rpc: Rpc): void {
    if (this.blocked(rpc)) {
      if (this.endedFor(rpc)) {
        this.answerNow(rpc, new RpcFailure('ECANCELED'));
        return;
      }
      rpc.state = PARKED;
      this.parked.push(rpc);
      return;
    }
    rpc.state = PENDING;
    this.pending.push(rpc);
    this.wantWorkers();
  }

  /**
   * @internal Next queued RPC for a worker, or null. Each is re-checked as it leaves
   * the queue: revoked meanwhile -> EBADF; a level inhibited since it was queued -> parked.
   */
  takePending(): Rpc | null {
    for (let r = this.pending.shift(); r !== undefined; r = this.pending.shift()) {
      if (r.entry.revoked) this.answerNow(r, new RpcFailure('EBADF'));
      else if (this.blocked(r)) this.enqueue(r);
      else return r;
    }
    return null;
  }

  /** Re-check parked RPCs after a level resumed or ended. */
  private recheckParked(): void {
    if (this.parked.length === 0) return;
    const still: Rpc[] = [];
    for (const rpc of this.parked.splice(0)) {
      if (rpc.entry.revoked) this.answerNow(rpc, new RpcFailure('EBADF'));
      else if (this.endedFor(rpc)) this.answerNow(rpc, new RpcFailure('ECANCELED'));
      else if (this.blocked(rpc)) still.push(rpc);
      else {
        rpc.state = PENDING;
        this.pending.push(rpc);
      }
    }
    this.parked.push(...still);
    this.wantWorkers();
  }

  // ------------------------------------------------------------------ running

  /**
   * @internal The RPC is answered: leave every level (a draining level may flip to
   * inhibited). Its caps are cleaned up by `cleanup` once the answer has gone.
   */
  finish(rpc: Rpc): void {
    if (rpc.state === DONE) return;
    const wasRunning = rpc.state === RUNNING || rpc.state === DEFERRED_STATE;
    rpc.state = DONE;
    this.served++;
    const c = rpc.client;
    c.inflight.remove(rpc);
    if (rpc.deferredCounted) {
      rpc.deferredCounted = false;
      c.deferred--;
    }
    if (wasRunning) {
      rpc.entry.rpcs--;
      if (drainingLevels.count !== 0) {
        this.inh.leave(rpc);
        c.inh.leave(rpc);
        rpc.object.inh.leave(rpc);
        rpc.object.cls.inh.leave(rpc);
      }
      rpc.object.unref();
    }
    if (c.dead || c.count === 0) this.maybeDropClient(c);
  }

  /**
   * @internal After the answer went: received caps the handler did not keep are deleted,
   * and entries given during the RPC that the reply did not carry are released.
   */
  cleanup(rpc: Rpc): void {
    // Only the very caps the RPC owned are deleted: a slot a grant emptied may already
    // hold another cap (a reply cap saved by a thread that ran before this cleanup).
    const owned = rpc.ownedCaps;
    rpc.ownedCaps = null;
    const drop = (slot: number): void => {
      const serial = this.host.capSerial(slot);
      if (serial !== 0 && owned?.get(slot) === serial) this.ops.delete(slot);
    };
    const granted = rpc.grantSlots;
    if (granted !== null) {
      rpc.grantSlots = null;
      for (const s of granted) drop(s);
    }
    const caps = rpc.capSlots;
    if (caps !== null) {
      rpc.capSlots = null;
      for (const s of caps) drop(s);
    }
    const es = rpc.newEntries;
    if (es === null) return;
    rpc.newEntries = null;
    for (const e of es) {
      if (e.revoked) continue;
      const n = this.ops.childCount(e.rootSlot);
      if (n.ok && n.value === 0) this.dropEntry(e, false);
    }
  }

  /**
   * @internal `rpc` was answered at once by a handler that never sees its context
   * (CapClass.blindOf): if nothing of it was kept either, the next argument-less request
   * reuses it instead of allocating a context.
   */
  recycle(rpc: Rpc): void {
    if (rpc.reusable) this.spare = rpc;
  }

  /**
   * @internal Start the RPC in worker `sys` (every level serves: blocked() said so) and
   * call its handler. Levels count it only when one of them drains (Inhibitable.inhibit
   * counts the RPCs then). Returns what the handler answered now, DEFERRED (the library
   * keeps the call), or the generator a generator handler returned (the worker runs it).
   */
  serve(rpc: Rpc, sys: Sys): unknown {
    rpc.state = RUNNING;
    rpc.sys = sys;
    rpc.entry.rpcs++;
    const obj = rpc.object;
    obj.ref();
    const h = obj.cls.handlerOf(rpc.method.op);
    if (h === undefined) return new RpcFailure('EOPNOTSUPP');
    let res: unknown;
    try {
      res = h(rpc, rpc.args);
    } catch (e) {
      return handlerFailed(rpc, e);
    }
    return res === undefined ? res : this.settle(rpc, res);
  }

  /** @internal A handler's answer: a deferred or promised one is kept (DEFERRED), any other passes. */
  settle(rpc: Rpc, res: unknown): unknown {
    if (res instanceof Deferred) {
      if (!rpc.answered) this.countDeferred(rpc);
      else rpc.state = DEFERRED_STATE;
      return DEFERRED;
    }
    if (isThenable(res)) {
      const d = new Deferred(rpc);
      this.countDeferred(rpc);
      res.then(
        (v) => {
          if (!d.done) d.reply(v as never);
        },
        (e: unknown) => {
          if (!d.done) this.complete(rpc, handlerFailed(rpc, e));
        },
      );
      return DEFERRED;
    }
    return res;
  }

  /**
   * A handler deferred its answer: count it against the client's `deferred` limit. Over
   * the limit the call answers EAGAIN at once and its signal aborts (the handle's later
   * answer is ignored and its reply() returns false, as after a cancel).
   */
  private countDeferred(rpc: Rpc): void {
    rpc.state = DEFERRED_STATE;
    const c = rpc.client;
    if (c.deferred >= (rpc.object.cls.limits?.deferred ?? c.limits.deferred)) {
      this.complete(rpc, new RpcFailure('EAGAIN', 'too many deferred calls'));
      rpc.markCancelled();
      return;
    }
    c.deferred++;
    rpc.deferredCounted = true;
  }

  /**
   * Encode an answer into `u`; returns the reply tag (valid until the next answer is
   * encoded: send it at once). The answer is what the handler answered, cancelled or
   * not: cancellation is advisory, as in libports, and a handler that completed after a
   * cancel committed its result (EINTR only when it gave up and answered so). A reply
   * the codec rejects (a server bug) answers EIO. Entry roots are always mapped.
   */
  encodeAnswer(rpc: Rpc, value: unknown, u: Utcb): ReplyTag {
    if (value instanceof RpcFailure) return tag(value.errno);
    u.grantMask = 0;
    const cur = cursorAt(0);
    const err = rpc.method.replyCodec.encode(u, (value ?? EMPTY) as Record<string, unknown>, cur);
    if (cur.c !== 0 && u.grantMask !== 0) {
      for (let i = 0; i < cur.c; i++) {
        const slot = u.caps[i]!;
        if ((u.grantMask & (1 << i)) === 0) continue;
        if (this.roots.has(slot)) u.grantMask &= ~(1 << i);
        // Granted away if the answer goes; deleted by cleanup if it does not.
        else {
          (rpc.grantSlots ??= []).push(slot);
          (rpc.ownedCaps ??= new Map()).set(slot, this.host.capSerial(slot));
        }
      }
    }
    if (err !== null) {
      reportBug(rpc, `reply does not match the interface: ${err}`);
      return tag(ERRNO.EIO);
    }
    return tag(0, cur.w, cur.c, cur.i);
  }

  /**
   * A deferred answer (from a handle, a promise, a cancel or the end): queue it for a
   * thread to send through the saved reply cap. False if the RPC was already answered.
   */
  complete(rpc: Rpc, value: unknown): boolean {
    if (rpc.answered || rpc.state === DONE) return false;
    rpc.answered = true;
    if (rpc.replySlot === 0) {
      // Answered before the worker saved the reply cap (during the handler): it sends it.
      rpc.state = RUNNING;
      rpc.earlyAnswer = value;
      return true;
    }
    this.completions.push({ rpc, value });
    this.wakeManager();
    return true;
  }

  /** Answer a parked or pending RPC right away (through the completion queue). */
  private answerNow(rpc: Rpc, value: unknown): void {
    rpc.answered = true;
    this.completions.push({ rpc, value });
    this.wakeManager();
  }

  /** @internal Next completion to send, or undefined. */
  takeCompletion(): Completion | undefined {
    return this.completions.shift();
  }

  // ------------------------------------------------------------------ cancellation

  /** A client's cancel for (key, seq): cancel it wherever it is, or leave a tombstone. */
  private cancelRequest(client: Client, key: number, seq: number): void {
    const rpc = client.inflight.get(key);
    if (rpc !== undefined && rpc.seq === seq) this.cancel(rpc);
    else client.tombstone(key, seq);
  }

  /** Cancel an RPC: it answers EINTR (now if it is queued or deferred, else when its handler returns). */
  cancel(rpc: Rpc): void {
    // An answer already queued stands: the operation completed, the client gets its result.
    if (rpc.state === DONE || rpc.cancelled || rpc.answered) return;
    rpc.markCancelled();
    if (rpc.state === PARKED) {
      remove(this.parked, rpc);
      this.answerNow(rpc, new RpcFailure('EINTR'));
    } else if (rpc.state === PENDING) {
      remove(this.pending, rpc);
      this.answerNow(rpc, new RpcFailure('EINTR'));
    } else if (rpc.state === DEFERRED_STATE) {
      this.complete(rpc, new RpcFailure('EINTR'));
    }
  }

  // ------------------------------------------------------------------ inhibition

  private inflightRpcs(filter: (r: Rpc) => boolean): Rpc[] {
    const out: Rpc[] = [];
    for (const c of this.clients) {
      if (c === undefined) continue;
      for (const r of c.inflight.values()) {
        if ((r.state === RUNNING || r.state === DEFERRED_STATE) && filter(r)) out.push(r);
      }
    }
    return out;
  }

  private async inhibitLevel(level: Inhibitable, filter: (r: Rpc) => boolean, self: Rpc | null): Promise<ErrnoName | null> {
    const selfHere = self !== null && self.state !== DONE && filter(self);
    const res = await level.inhibit(
      () => this.countWhere(filter, self),
      () => this.cancelWhere(filter, self),
      self,
      selfHere,
    );
    if (res !== null) this.recheckParked();
    return res;
  }

  /**
   * Inhibit the whole bucket: cancel every other RPC in flight, wait for them to leave.
   * `self` is the RPC doing it, when called from a handler. Inhibitors are serialised.
   */
  inhibit(self: Rpc | null = null): Promise<ErrnoName | null> {
    // (An inhibitor RPC of another bucket is not in this one: it is no exemption here.)
    return this.inhibitLevel(this.inh, (r) => r.bucket === this, self);
  }
  resume(): boolean {
    return this.resumeLevel(this.inh);
  }

  /**
   * The "all" level (libports ports_inhibit_all_rpcs): inhibit every bucket given (for
   * example a server's, from bucketsOf(kernel)), ended ones skipped. Buckets are taken
   * one at a time in a fixed order (endpoint id), so concurrent callers queue on the
   * first bucket instead of deadlocking on each other's. On failure (the inhibitor was
   * cancelled, a bucket ended) the buckets already inhibited are resumed and the error
   * answered. Undo with resumeAll.
   */
  static async inhibitAll(buckets: Iterable<Bucket>, self: Rpc | null = null): Promise<ErrnoName | null> {
    const order = [...new Set(buckets)].filter((b) => !b.ended).sort((a, b) => a.endpointId - b.endpointId);
    const done: Bucket[] = [];
    for (const b of order) {
      const res = await b.inhibit(self);
      if (res !== null) {
        for (const d of done) d.resume();
        return res;
      }
      done.push(b);
    }
    return null;
  }

  /** Resume every bucket given; true when one of them was inhibited. */
  static resumeAll(buckets: Iterable<Bucket>): boolean {
    let any = false;
    for (const b of new Set(buckets)) any = b.resume() || any;
    return any;
  }

  /** Inhibit a class in every bucket that serves it. */
  inhibitClass(cls: AnyClass, self: Rpc | null = null): Promise<ErrnoName | null> {
    return inhibitAcross(cls.inh, cls.buckets, (r) => r.object.cls === cls, self);
  }
  resumeClass(cls: AnyClass): boolean {
    return resumeAcross(cls.inh, cls.buckets);
  }

  /** Inhibit an object in every bucket that serves it (any bucket serving its class). */
  inhibitObject(obj: CapObject, self: Rpc | null = null): Promise<ErrnoName | null> {
    return inhibitAcross(obj.inh, obj.cls.buckets, (r) => r.object === obj, self);
  }
  resumeObject(obj: CapObject): boolean {
    return resumeAcross(obj.inh, obj.cls.buckets);
  }

  inhibitClient(client: Client, self: Rpc | null = null): Promise<ErrnoName | null> {
    return this.inhibitLevel(client.inh, (r) => r.client === client, self);
  }
  resumeClient(client: Client): boolean {
    return this.resumeLevel(client.inh);
  }

  /** @internal */
  resumeLevel(level: Inhibitable): boolean {
    const ok = level.resume();
    if (ok) this.recheckParked();
    return ok;
  }

  /** @internal The RPCs running here that `filter` picks, other than `self` (the ones a drain waits for). */
  countWhere(filter: (r: Rpc) => boolean, self: Rpc | null): number {
    let n = 0;
    for (const r of this.inflightRpcs(filter)) if (r !== self) n++;
    return n;
  }

  /** @internal Cancel the RPCs running here that `filter` picks, other than `self`. */
  cancelWhere(filter: (r: Rpc) => boolean, self: Rpc | null): void {
    for (const r of this.inflightRpcs(filter)) if (r !== self) this.cancel(r);
  }
  /** @internal */
  afterLevelChange(): void {
    this.recheckParked();
  }

  // ------------------------------------------------------------------ ending

  /**
   * End serving. Refuses with EBUSY while clients hold caps, unless `force`. Queued RPCs
   * answer ECANCELED, running ones EINTR; every cap is revoked; the threads exit.
   * Resolves when the manager has finished.
   */
  async end(force = false): Promise<ErrnoName | null> {
    if (this.inh.state === ENDED) return this.waitEnded();
    if (!force && this.outstanding > 0) return 'EBUSY';
    this.inh.end();
    for (const rpc of this.parked.splice(0)) this.answerNow(rpc, new RpcFailure('ECANCELED'));
    for (const rpc of this.pending.splice(0)) this.answerNow(rpc, new RpcFailure('ECANCELED'));
    for (const rpc of this.inflightRpcs(() => true)) this.cancel(rpc);
    for (const c of this.clientList()) for (const e of [...c.entries]) if (e !== undefined) this.dropEntry(e, true);
    this.finishing = true;
    this.wakeManager();
    return this.waitEnded();
  }

  private waitEnded(): Promise<null> {
    // The task was deleted under the bucket: its manager is gone, clean up from here.
    if (!this.managerDone && !this.host.alive()) this.managerExited();
    if (this.managerDone) return Promise.resolve(null);
    return new Promise((resolve) => this.endWaiters.push(() => resolve(null)));
  }

  get ended(): boolean {
    return this.inh.state === ENDED;
  }

  /** Run `fn` when the bucket has ended (its threads are stopping). */
  onEnd(fn: () => void): void {
    if (this.managerDone) fn();
    else this.endHooks.push(fn);
  }

  /** @internal The manager exits: the endpoint and notification go (workers see DeadPartner). */
  managerExited(): void {
    this.managerDone = true;
    for (const h of this.endHooks.splice(0)) h();
    for (const s of [this.nsCap, this.deathCap, this.wakeCap]) this.ops.delete(s);
    for (const c of this.clientList()) if (c.taskSlot !== 0) releaseKept(this.ops, { slot: c.taskSlot, serial: c.taskSerial });
    this.ops.delete(this.ep);
    this.ops.delete(this.notif);
    for (const w of this.endWaiters.splice(0)) w();
  }

  /** @internal Manager's receive timeout: the global timeout applies only when nothing is held or queued. */
  idleTimeout(): number {
    if (this.outstanding > 0 || this.pending.length > 0 || this.parked.length > 0 || this.completions.length > 0) {
      return Number.POSITIVE_INFINITY;
    }
    return this.globalTimeout;
  }

  /** @internal The manager's receive ended in a timeout: end if still idle (global timeout). */
  globalTimeoutExpired(): void {
    if (this.idleTimeout() !== Number.POSITIVE_INFINITY && this.inflightRpcs(() => true).length === 0) void this.end(false);
  }

  /** A summary for tools and tests. */
  stats(): BucketStats {
    return {
      name: this.name,
      state: this.inh.stateName,
      workers: this.workers,
      idleWorkers: this.idleWorkers,
      lentWorkers: this.lent,
      pending: this.pending.length,
      parked: this.parked.length,
      inflight: this.inflightRpcs(() => true).length,
      clients: this.clientList().length,
      outstanding: this.outstanding,
      served: this.served,
    };
  }
}

export interface BucketStats {
  readonly name: string;
  readonly state: string;
  readonly workers: number;
  readonly idleWorkers: number;
  /** Workers blocked in an outgoing call of their handler (not counted against maxWorkers). */
  readonly lentWorkers: number;
  readonly pending: number;
  readonly parked: number;
  readonly inflight: number;
  readonly clients: number;
  readonly outstanding: number;
  readonly served: number;
}

/** A reply tag: errno label and counts. */
export interface ReplyTag {
  label: number;
  words: number;
  caps: number;
  items: number;
}
// Every answer is sent right after it is encoded: one scratch tag serves them all.
const replyTag: ReplyTag = { label: 0, words: 0, caps: 0, items: 0 };
function tag(label: number, words = 0, caps = 0, items = 0): ReplyTag {
  const t = replyTag;
  t.label = label;
  t.words = words;
  t.caps = caps;
  t.items = items;
  return t;
}


function noCaps(): number {
  return -1;
}

const EMPTY: Record<string, unknown> = Object.freeze({});
// Encoding and decoding run to completion synchronously: one scratch cursor is enough.
const scratch: Cursor = { w: 0, i: 0, c: 0 };
function cursorAt(w: number): Cursor {
  scratch.w = w;
  scratch.i = 0;
  scratch.c = 0;
  return scratch;
}

function remove<T>(a: T[], x: T): void {
  const i = a.indexOf(x);
  if (i >= 0) a.splice(i, 1);
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * Handlers that throw are server bugs: the caller gets EIO and the server keeps serving.
 * A ResourceError (a limit or the server's exhaustion, from give or allocSlot) is no
 * bug: the caller gets its errno.
 */
export function handlerFailed(rpc: Rpc, e: unknown): RpcFailure {
  if (e instanceof ResourceError) return new RpcFailure(e.code, e.message);
  reportBug(rpc, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  return new RpcFailure('EIO');
}

/** Where server bugs are reported; replace to collect them (tests) or log them. */
export const bugReports: { sink: (where: string, message: string) => void } = {
  sink: () => {},
};

function reportBug(rpc: Rpc, message: string): void {
  bugReports.sink(rpc.method.fullName, message);
}

// Class- and object-level inhibition span every bucket that serves the class: its RPCs
// there are cancelled and drained, and its parked RPCs there proceed on resume.
async function inhibitAcross(
  level: Inhibitable,
  buckets: ReadonlySet<Bucket>,
  filter: (r: Rpc) => boolean,
  self: Rpc | null,
): Promise<ErrnoName | null> {
  const selfHere = self !== null && self.state !== DONE && filter(self);
  const res = await level.inhibit(
    () => {
      let n = 0;
      for (const b of buckets) n += b.countWhere(filter, self);
      return n;
    },
    () => {
      for (const b of buckets) b.cancelWhere(filter, self);
    },
    self,
    selfHere,
  );
  if (res !== null) for (const b of buckets) b.afterLevelChange();
  return res;
}

function resumeAcross(level: Inhibitable, buckets: ReadonlySet<Bucket>): boolean {
  const ok = level.resume();
  if (ok) for (const b of buckets) b.afterLevelChange();
  return ok;
}

