// The name server (L4Re namespaces, seed 001's hierarchical naming): namespace view
// objects serve query / register / unregister / list / watch; watcher objects serve
// next. The composer builds each child's namespace host-side and gives the child a view
// of it, so a child sees only the names its parent gave it.
//
// A view is (namespace, may-register). Queries resolve '/'-separated paths server-side:
// a namespace cap of this same server passed to register is unwrapped by the kernel
// (C4) and resolved to its view, so nesting needs no calls to other servers. A query
// answers a fresh cap minted with the registration's rights (granted: the server keeps
// none), or ENOENT / ENOTDIR, or, for a pending name, EAGAIN or, with `wait`, a deferred
// answer when the name is attached (ETIMEDOUT after `wait` ms of kernel time).
//
// Limits per client (a libcap client: one per client task): calls waiting (queries with
// `wait` and watcher `next`s, default 64) and watchers (default 64) answer EAGAIN beyond
// their bound. A waiting call whose caller gave up (timed out, cancelled, died) is never
// served: it is dropped when found (an event then stays queued for the next `next`), and
// the client's abandoned calls are swept before its bound is enforced. Names bound by a
// client are owned by its task and held for its restart when their cap dies (namespace.ts).

import { Rights, Status, type Task } from '../../core/index.ts';
import type { Client } from '../../libcap/index.ts';
import {
  after,
  Bucket,
  defineClass,
  keptCap,
  releaseKept,
  RpcFailure,
  RpcState,
  type BucketOptions,
  type CapClass,
  type CapObject,
  type KeptCap,
  type Rpc,
  type SpecOf,
  type SpecsOf,
} from '../../libcap/index.ts';
import { callerGone, dropAbandoned } from '../../libcap/abandoned.ts';
import { jsonOnly, shutdownBuckets, type ServerBody, type ServerEnv, type ServerFactory, type ServerInstance } from '../../libcap/server.ts';
import { Namespace, Watcher } from '../../protocol/names.ts';
import { NameSpace, type SpaceHost } from './namespace.ts';
import { checkName, splitPath } from './path.ts';
import { resolvePath, type Resolution } from './resolve.ts';
import { WatchQueue, WATCH_QUEUE_CAPACITY } from './watch-queue.ts';

/** The data of a view object: which namespace, and whether it may register. */
export interface ViewData {
  space: NameSpace | null;
  writable: boolean;
}

interface WatcherData {
  queue: WatchQueue;
  space: NameSpace | null;
  /** The client it was made for (counted against its watcher bound). */
  owner: Client | null;
}

/** Per-client settings for install(): which namespace, and whether it may register. */
export interface NamesParams {
  /** The namespace the view shows (default: the root namespace). */
  readonly namespace?: NameSpace;
  /** The view may register and unregister (default false: read-only). */
  readonly register?: boolean;
}

/** Default bound on the calls one client may have waiting (queries with wait, next). */
export const DEFAULT_NAMES_MAX_WAITERS = 64;
/** Default bound on the watchers one client may hold. */
export const DEFAULT_MAX_WATCHERS = 64;
/** Default bound on the names one client task has bound (held ones included), across namespaces. */
export const DEFAULT_MAX_NAMES = 256;

/** Most namespaces alive at once in one name server, by default (the composer protocol's create answers EAGAIN beyond). */
export const DEFAULT_MAX_NAMESPACES = 65_536;

/** The name service's bounds: the watchers' queue, per-client limits, and the namespaces. */
export interface NamesLimits {
  /** Undelivered events one watcher keeps (default 64). */
  watchCapacity?: number;
  /** Calls one client may have waiting: queries with `wait` and watcher `next`s (default 64; EAGAIN). */
  maxWaiters?: number;
  /** Watchers one client may hold (default 64; watch answers EAGAIN). */
  maxWatchers?: number;
  /** Names one client task may have bound across namespaces, held ones included (default 256; register answers EDQUOT). */
  maxNames?: number;
  /** Namespaces alive at once, the root included (default 65536; the NamesComposer's create answers EAGAIN). */
  maxNamespaces?: number;
}

/** Options of a name server: its bucket's, plus its limits. */
export interface NamesOptions extends BucketOptions, NamesLimits {}

/** Per-client counters (host side, for tests and tools). */
export interface NamesStats {
  /** Calls waiting now (queries with wait, watcher next). */
  readonly waiters: number;
  /** Waiting calls found abandoned by their caller and dropped. */
  readonly abandoned: number;
  /** Live watchers. */
  readonly watchers: number;
  /** Names bound by clients (not the composer), held ones included. */
  readonly names: number;
}

/** A running name server, with the composer's host-side API. */
export interface NamesInstance extends ServerInstance {
  /** The root namespace. */
  readonly rootSpace: NameSpace;
  /** A new, empty namespace (held by the server until destroyed or shut down). */
  createNamespace(label: string): NameSpace;
  /**
   * The view object of `space` (read-only unless `register`), shared by every client
   * given that view. The server holds it; take a reference to keep it past a destroy.
   */
  view(space: NameSpace, register?: boolean): CapObject<ViewData>;
  /** Give `task` its own cap to a view of `space` (a free slot unless named). */
  installView(space: NameSpace, task: Task, opts?: { register?: boolean; slot?: number }): number;
  /** The namespace a view cap in the server's space names, if it is one of ours. */
  spaceOf(slot: number): NameSpace | null;
  /** Live namespaces (introspection). */
  spaces(): NameSpace[];
  /** Install with NamesParams (default: a read-only view of the root namespace). */
  install(task: Task, params?: unknown, slot?: number): number;
  /** Waiting calls and watchers (host side). */
  stats(): NamesStats;
}

/**
 * The name service on a bucket: what the in-process factory (namesServer) and the body
 * (names-body.ts) both run. It speaks only through its bucket's host and ops, so it runs
 * in an isolated task as in-process.
 */
export interface NamesService {
  readonly bucket: Bucket;
  /** The root namespace. */
  readonly rootSpace: NameSpace;
  /** Most namespaces alive at once (NamesLimits.maxNamespaces). */
  readonly maxNamespaces: number;
  /** A new, empty namespace (held by the server until destroyed or shut down). */
  createNamespace(label: string): NameSpace;
  /** The view object of `space` (one per namespace and writability, held by the server). */
  viewOf(space: NameSpace, writable: boolean): CapObject<ViewData>;
  /** The namespace a view cap in the server's space names, if it is one of ours. */
  spaceOf(slot: number): NameSpace | null;
  /** Live namespaces. */
  spaces(): NameSpace[];
  /** How many namespaces are alive (the root included). */
  spaceCount(): number;
  stats(): NamesStats;
  /** Once the bucket has ended: delete undelivered answers' caps and every stored cap. */
  release(): void;
}

/** One waiting call: its RPC, and how to withdraw it. */
interface Waiting {
  readonly rpc: Rpc;
  readonly withdraw: () => void;
}

type QuerySpec = SpecOf<typeof Namespace.methods.query>;
type QueryAnswer = { cap: number } | RpcFailure<'ENOENT' | 'ENOTDIR' | 'EAGAIN'>;

/** The owner a client's registrations get: its task id (-1 for a client without one). */
function ownerId(client: Client): number {
  return client.taskId > 0 ? client.taskId : -1;
}

/** A name server's options split into its limits and its bucket's options. */
export function splitNamesOptions(opts: NamesOptions): { limits: NamesLimits; bucket: BucketOptions } {
  const { watchCapacity, maxWaiters, maxWatchers, maxNames, maxNamespaces, ...bucket } = opts;
  const all = { watchCapacity, maxWaiters, maxWatchers, maxNames, maxNamespaces };
  const limits = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as NamesLimits;
  return { limits, bucket };
}

/** Serve names on `bucket` (started by the caller, in-process or with Bucket.inTask). */
export function serveNames(bucket: Bucket, limits: NamesLimits = {}): NamesService {
  const {
    watchCapacity,
    maxWaiters = DEFAULT_NAMES_MAX_WAITERS,
    maxWatchers = DEFAULT_MAX_WATCHERS,
    maxNames = DEFAULT_MAX_NAMES,
    maxNamespaces = DEFAULT_MAX_NAMESPACES,
  } = limits;
  /** Names bound per client task (owner id). */
  const namesOf = new Map<number, number>();
  const capacity = watchCapacity ?? WATCH_QUEUE_CAPACITY;
  /** Waiting calls per client. */
  const waiting = new Map<Client, Set<Waiting>>();
  /** Watchers per client. */
  const watcherCount = new Map<Client, number>();
  let abandoned = 0;

  function addWaiting(w: Waiting): void {
    let set = waiting.get(w.rpc.client);
    if (set === undefined) waiting.set(w.rpc.client, (set = new Set()));
    set.add(w);
  }
  function removeWaiting(w: Waiting): void {
    const set = waiting.get(w.rpc.client);
    if (set === undefined) return;
    set.delete(w);
    if (set.size === 0) waiting.delete(w.rpc.client);
  }
  /** A waiting call whose caller is gone: withdraw it, count it, let the library forget it. */
  function abandon(w: Waiting): void {
    removeWaiting(w);
    w.withdraw();
    abandoned++;
    dropAbandoned(w.rpc);
  }
  /** May `client` park one more call? Its abandoned calls are swept first. */
  function mayWait(client: Client): boolean {
    const set = waiting.get(client);
    if (set === undefined || set.size < maxWaiters) return true;
    for (const w of [...set]) if (callerGone(w.rpc)) abandon(w);
    return (waiting.get(client)?.size ?? 0) < maxWaiters;
  }
  const ops = bucket.ops;
  const live = new Set<NameSpace>();
  /** Cached view objects per namespace: [read-only, may register]. */
  const views = new Map<NameSpace, [CapObject<ViewData> | null, CapObject<ViewData> | null]>();

  const host: SpaceHost = {
    ops,
    copyIn(cap) {
      const { kernel, task } = bucket.host;
      if (kernel === null || task === null) throw new Error('names: an isolated name server takes caps by message, not from host-named slots');
      if (!cap.task.alive || cap.task.cspace.get(cap.slot) === null) return null;
      return kernel.grant(cap.task, cap.slot, task);
    },
    destroyed(space) {
      live.delete(space);
      const pair = views.get(space);
      views.delete(space);
      for (const v of pair ?? []) {
        if (v === null) continue;
        bucket.revokeObject(v);
        v.unref();
      }
      for (const w of [...space.watchers]) space.watchers.delete(w);
    },
    owned(owner, delta) {
      const n = (namesOf.get(owner) ?? 0) + delta;
      if (n > 0) namesOf.set(owner, n);
      else namesOf.delete(owner);
    },
    ownView(slot) {
      const r = bucket.resolve(slot);
      if (r === null || r.object.cls !== (viewClass as unknown)) return null;
      const v = r.object.data as ViewData;
      return v.space === null ? null : { space: v.space, writable: v.writable };
    },
  };

  const watcherClass = defineClass({
    name: 'ns.watcher',
    interface: Watcher,
    init: (): WatcherData => ({ queue: new WatchQueue(capacity), space: null, owner: null }),
    alloc: (d, a: { space: NameSpace; owner: Client }) => {
      const space = a.space;
      d.space = space;
      d.owner = a.owner;
      watcherCount.set(a.owner, (watcherCount.get(a.owner) ?? 0) + 1);
      space.watchers.add(d.queue);
      d.queue.post({ tick: space.tick, kind: 'sync', name: '' });
    },
    reinit: (d) => detachWatcher(d),
    noSenders: (obj) => detachWatcher(obj.data),
    handlers: {
      next(ctx, { timeout }) {
        const q = ctx.data.queue;
        const ready = q.take();
        if (ready !== undefined) return { event: ready };
        if (!mayWait(ctx.client)) return ctx.fail('EAGAIN', `at most ${maxWaiters} calls may wait per client`);
        const d = ctx.defer();
        let cancelTimer = (): void => {};
        const rec: Waiting = {
          rpc: ctx,
          withdraw: () => {
            withdraw();
            cancelTimer();
          },
        };
        const withdraw = q.wait((event) => {
          removeWaiting(rec);
          cancelTimer();
          if (callerGone(ctx)) {
            // Nobody is there: keep the event for the next call.
            abandoned++;
            dropAbandoned(ctx);
            return false;
          }
          return d.reply({ event });
        });
        addWaiting(rec);
        if (timeout > 0) {
          cancelTimer = after(bucket, timeout, () => {
            removeWaiting(rec);
            withdraw();
            d.fail('ETIMEDOUT');
          });
        }
        ctx.onCancel(() => {
          removeWaiting(rec);
          rec.withdraw();
        });
        return d;
      },
    },
  });

  function detachWatcher(d: WatcherData): void {
    d.space?.watchers.delete(d.queue);
    d.space = null;
    d.queue.reset();
    const o = d.owner;
    d.owner = null;
    if (o !== null) {
      const n = (watcherCount.get(o) ?? 1) - 1;
      if (n > 0) watcherCount.set(o, n);
      else watcherCount.delete(o);
    }
  }

  const viewClass: CapClass<SpecsOf<typeof Namespace>, ViewData, ViewData> = defineClass({
    name: 'ns',
    interface: Namespace,
    init: (): ViewData => ({ space: null, writable: false }),
    alloc: (d, a: ViewData) => {
      d.space = a.space;
      d.writable = a.writable;
    },
    reinit: (d) => {
      d.space = null;
      d.writable = false;
    },
    handlers: {
      query(ctx, { path, wait }) {
        if (undelivered.size !== 0) sweepUndelivered();
        const space = ctx.data.space;
        if (space === null || space.destroyed) return ctx.fail('ENOENT');
        const parts = splitPath(path);
        if (typeof parts === 'string') return ctx.fail(parts);
        const r = resolvePath(space, ctx.data.writable, parts);
        if (r.kind !== 'pending') return answer(ctx, r);
        if (wait === 0) return ctx.fail('EAGAIN', `${r.name} is not attached yet`);
        if (!mayWait(ctx.client)) return ctx.fail('EAGAIN', `at most ${maxWaiters} calls may wait per client`);
        return waitFor(ctx, space, parts, wait, r.space);
      },
      register(ctx, { name, cap, rights }) {
        const bad = checkName(name);
        if (bad !== null) return ctx.fail(bad);
        const space = ctx.data.space;
        if (!ctx.data.writable) return ctx.fail('EPERM', 'this view of the namespace cannot register');
        if (space === null || space.destroyed) return ctx.fail('EPERM', 'the namespace was destroyed');
        if ((rights & ~Rights.All) !== 0) return ctx.fail('EINVAL', 'unknown rights bits');
        const owner = ownerId(ctx.client);
        const can = space.canBind(name, true, owner);
        if (can === 'EEXIST') return ctx.fail('EEXIST');
        if (can === 'EBUSY') return ctx.fail('EBUSY', `${name} is held for the restart of the server that registered it`);
        if (can !== null) return ctx.fail('EINVAL', `cannot bind: ${can}`);
        // A name of its own (held for it) does not count twice.
        if (space.ownerOf(name) !== owner && (namesOf.get(owner) ?? 0) >= maxNames) return ctx.fail('EDQUOT', `at most ${maxNames} names per client`);
        const ours = bucket.resolve(cap);
        if (ours !== null) {
          // One of our own objects came back unwrapped (C4): only namespaces nest.
          if (ours.object.cls !== (viewClass as unknown)) return ctx.fail('EINVAL', 'only namespaces of this server can be registered here');
          const v = ours.object.data as ViewData;
          if (v.space === null || v.space.destroyed) return ctx.fail('EINVAL', 'that namespace was destroyed');
          space.setNamespace(name, v.space, v.writable, rights & bucket.clientRights, owner);
          return {};
        }
        const held = ops.identify(cap);
        if (held === null) return ctx.fail('EINVAL', 'no capability received');
        ctx.keep(cap);
        space.setCap(name, cap, rights & held.rights, owner);
        return {};
      },
      unregister(ctx, { name }) {
        const bad = checkName(name);
        if (bad !== null) return ctx.fail('EINVAL', `bad name (${bad})`);
        const space = ctx.data.space;
        if (!ctx.data.writable) return ctx.fail('EPERM', 'this view of the namespace cannot unregister');
        if (space === null || space.destroyed) return ctx.fail('ENOENT');
        const e = space.unregister(name, ownerId(ctx.client));
        if (e === 'ENOENT') return ctx.fail('ENOENT');
        if (e === 'EPERM') return ctx.fail('EPERM', `${name} was not registered by this client`);
        if (e !== null) return ctx.fail('EINVAL', e);
        return {};
      },
      list(ctx) {
        const space = ctx.data.space;
        if (space === null || space.destroyed) return { entries: [] };
        return { entries: space.list() };
      },
      watch(ctx) {
        const space = ctx.data.space;
        if (space === null) return ctx.fail('EBADF');
        if ((watcherCount.get(ctx.client) ?? 0) >= maxWatchers) return ctx.fail('EAGAIN', `at most ${maxWatchers} watchers per client`);
        const w = bucket.create(watcherClass, { space, owner: ctx.client });
        if (w instanceof RpcFailure) return ctx.fail('EIO');
        const slot = ctx.give(w);
        w.unref(); // the client's entry holds it
        return { watcher: slot };
      },
    },
  });

  /** The answer for a walk that ended at a cap or a namespace. */
  function answer(ctx: Rpc<ViewData, QuerySpec>, r: Resolution): QueryAnswer {
    switch (r.kind) {
      case 'error':
        return ctx.fail(r.error);
      case 'pending':
        return ctx.fail('EAGAIN');
      case 'cap': {
        const fresh = bucket.allocSlot();
        // Never more than the registration allows (R2 intersects).
        if (ops.mint(r.slot, fresh, r.rights) !== Status.Ok) return ctx.fail('EAGAIN');
        return { cap: fresh };
      }
      case 'namespace': {
        const root = ctx.give(viewOf(r.space, r.writable));
        const rights = r.rights & bucket.clientRights;
        if (rights === bucket.clientRights) return { cap: root };
        const fresh = bucket.allocSlot();
        if (ops.mint(root, fresh, rights) !== Status.Ok) return ctx.fail('EAGAIN');
        return { cap: fresh };
      }
    }
  }

  /**
   * A query parked on a pending name: re-run whenever the namespace it waits in
   * changes, answered when the walk gets past it, ETIMEDOUT after `wait` ms.
   */
  function waitFor(ctx: Rpc<ViewData, QuerySpec>, start: NameSpace, parts: string[], wait: number, first: NameSpace) {
    const d = ctx.defer();
    const rec: Waiting = { rpc: ctx, withdraw: () => unpark() };
    addWaiting(rec);
    let at: NameSpace | null = null;
    const park = (s: NameSpace): void => {
      if (at === s) return;
      at?.waiters.delete(retry);
      at = s;
      s.waiters.add(retry);
    };
    const unpark = (): void => {
      removeWaiting(rec);
      at?.waiters.delete(retry);
      at = null;
      cancelTimer();
    };
    function retry(): void {
      if (d.done) {
        unpark();
        return;
      }
      if (callerGone(ctx)) {
        // Nobody waits for the answer any more: mint nothing, forget the call.
        abandon(rec);
        return;
      }
      const r = start.destroyed ? ({ kind: 'error', error: 'ENOENT' } as const) : resolvePath(start, ctx.data.writable, parts);
      if (r.kind === 'pending') {
        park(r.space);
        return;
      }
      unpark();
      const a = answer(ctx, r);
      if (a instanceof RpcFailure) {
        d.fail(a.error);
        return;
      }
      // A cap minted for an answer that is then cancelled must not stay behind.
      const slot = a.cap;
      if (!bucket.isRoot(slot)) {
        ctx.onCancel(() => ops.delete(slot));
        watchDelivery(ctx, slot);
      }
      d.reply(a);
    }
    let cancelTimer = (): void => {};
    park(first);
    cancelTimer = after(bucket, wait, () => {
      if (d.done) return;
      unpark();
      d.fail('ETIMEDOUT');
    });
    ctx.onCancel(unpark);
    return d;
  }

  /**
   * Deferred answers carrying a freshly minted cap (granted). libcap does not reclaim a
   * granted cap whose answer never reached the caller (it died between the answer and
   * its delivery), so the server checks: once the RPC is done, a cap still in its slot
   * was not delivered and is deleted. Swept at every query and at shutdown.
   */
  const undelivered = new Set<{ readonly rpc: Rpc; readonly kept: KeptCap }>();
  function watchDelivery(rpc: Rpc, slot: number): void {
    const kept = keptCap(ops, slot);
    if (kept !== null) undelivered.add({ rpc, kept });
  }
  function sweepUndelivered(): void {
    for (const u of undelivered) {
      if (u.rpc.state !== RpcState.Done) continue;
      undelivered.delete(u);
      releaseKept(ops, u.kept);
    }
  }

  function viewOf(space: NameSpace, writable: boolean): CapObject<ViewData> {
    let pair = views.get(space);
    if (pair === undefined) views.set(space, (pair = [null, null]));
    const i = writable ? 1 : 0;
    const known = pair[i];
    if (known !== null && known !== undefined) return known;
    const v = bucket.create(viewClass, { space, writable });
    if (v instanceof RpcFailure) throw new Error(`names: cannot create a view: ${v.error}`);
    pair[i] = v;
    return v;
  }

  function createNamespace(label: string): NameSpace {
    const s = new NameSpace(host, label);
    live.add(s);
    return s;
  }

  const rootSpace = createNamespace('root');

  return {
    bucket,
    rootSpace,
    maxNamespaces,
    createNamespace,
    viewOf,
    spaceOf(slot) {
      const r = bucket.resolve(slot);
      if (r === null || r.object.cls !== (viewClass as unknown)) return null;
      return (r.object.data as ViewData).space;
    },
    spaces: () => [...live],
    spaceCount: () => live.size,
    stats() {
      let n = 0;
      for (const set of waiting.values()) n += set.size;
      let watchers = 0;
      for (const c of watcherCount.values()) watchers += c;
      let names = 0;
      for (const c of namesOf.values()) names += c;
      return { waiters: n, abandoned, watchers, names };
    },
    release() {
      sweepUndelivered();
      // The bucket has ended: drop every stored cap so nothing stays in the task.
      for (const s of [...live]) s.destroy();
    },
  };
}

/** Start a name server (in-process); it carries its body (names-body.ts), so `isolate: true` runs it in a worker. */
export function namesServer(opts: NamesOptions = {}): ServerFactory {
  const { limits, bucket: bucketOpts } = splitNamesOptions(opts);
  const factory = (env: ServerEnv): NamesInstance => {
    const bucket = Bucket.start(env.kernel, env.task, { name: 'names', ...bucketOpts });
    const svc = serveNames(bucket, limits);
    const inst: NamesInstance = {
      name: 'names',
      bucket,
      buckets: [bucket],
      root: svc.viewOf(svc.rootSpace, false),
      rootSpace: svc.rootSpace,
      createNamespace: (label) => svc.createNamespace(label),
      view: (space, register = false) => svc.viewOf(space, register),
      installView(space, task, o = {}) {
        return bucket.install(svc.viewOf(space, o.register === true), task, o.slot === undefined ? {} : { slot: o.slot });
      },
      spaceOf: (slot) => svc.spaceOf(slot),
      spaces: () => svc.spaces(),
      stats: () => svc.stats(),
      install(task, params, slot) {
        const p = (params ?? {}) as NamesParams;
        const o: { register?: boolean; slot?: number } = { register: p.register === true };
        if (slot !== undefined) o.slot = slot;
        return inst.installView(p.namespace ?? svc.rootSpace, task, o);
      },
      async shutdown(force) {
        const notes = await shutdownBuckets(inst, force);
        svc.release();
        return notes;
      },
    };
    return inst;
  };
  // The body takes its options as JSON: bucket options that are functions stay behind.
  const body: ServerBody = { module: new URL(`./names-body.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), export: 'namesBody', options: jsonOnly(opts) };
  return Object.assign(factory, { body });
}
