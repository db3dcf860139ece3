// The auth server, as the Hurd's: handles hold effective and available uid and gid
// vectors; makeauth follows the union rule (uid 0, or every requested id held); and the
// reauthentication rendezvous matches a user and a server on a fresh rendezvous cap,
// whichever comes first waiting (a deferred reply), interruptibly, with an optional
// deadline, and failing both halves cleanly when every copy of the rendezvous cap is gone.
//
// Why it avoids the confused deputy: servers learn a client's ids only here, and only
// when the holder of the client's auth handle takes part in the rendezvous; the new port
// the server hands over carries those ids and nothing of the server's own authority.
//
// Limits. A client may hold at most `maxRendezvous` rendezvous objects (default 64;
// EAGAIN beyond). A half whose caller gave up (timed out, cancelled, died) is never
// matched: it is dropped when the other half comes, which keeps waiting, so a port is
// never handed to nobody and a server never learns ids of a user that is gone.

import type { Task } from '../../core/index.ts';
import {
  after,
  Bucket,
  type Client,
  CapObject,
  defineClass,
  RpcFailure,
  type BucketOptions,
  type Deferred,
  type MethodSpec,
  type Rpc,
  type SpecOf,
  type SpecsOf,
  type CapClass,
  type KeptCap,
  keptCap,
  releaseKept,
  stillKept,
} from '../../libcap/index.ts';
import { callerGone, dropAbandoned } from '../../libcap/abandoned.ts';
import { jsonOnly, shutdownBuckets, type ServerBody, type ServerEnv, type ServerFactory, type ServerInstance } from '../../libcap/server.ts';
import { Auth, Rendezvous, type Ids } from '../../protocol/auth.ts';

/** Ids for a user: uid and gid effective and available, plus supplementary groups. */
export function idsFor(uid: number, gid: number, groups: readonly number[] = []): Ids {
  const gids = [gid, ...groups.filter((g) => g !== gid)];
  return { euids: [uid], auids: [uid], egids: gids, agids: [...gids] };
}

/** The superuser's ids. */
export const ROOT_IDS: Ids = idsFor(0, 0);

/** Per-client settings a system description gives: full ids, or a uid/gid/groups triple. */
export type AuthParams = Ids | { uid: number; gid: number; groups?: readonly number[] };

function toIds(p: unknown): Ids {
  if (p === undefined || p === null) return ROOT_IDS;
  const o = p as Partial<Ids> & { uid?: number; gid?: number; groups?: number[] };
  if (Array.isArray(o.euids)) return { euids: o.euids, auids: o.auids ?? [], egids: o.egids ?? [], agids: o.agids ?? [] };
  if (typeof o.uid === 'number') return idsFor(o.uid, o.gid ?? o.uid, o.groups ?? []);
  throw new TypeError('auth: client params must be ids or { uid, gid, groups }');
}

/** One half of a rendezvous waiting for the other. */
interface Half<S extends MethodSpec> {
  readonly deferred: Deferred<S>;
  readonly rpc: Rpc;
  cancelTimer: () => void;
}

interface RendezvousData {
  /** The client that made it (counted against its bound). */
  owner: Client | null;
  user: (Half<SpecOf<typeof Auth.methods.userAuthenticate>> & { ids: Ids }) | null;
  server: (Half<SpecOf<typeof Auth.methods.serverAuthenticate>> & { port: KeptCap }) | null;
}

export interface AuthInstance extends ServerInstance {
  /** Host side: a handle with these ids (one reference, held by the caller). */
  makeHandle(ids: Ids): CapObject<{ ids: Ids }>;
}

/** True when `want` is covered: every id in `have`. */
function covered(want: readonly number[], have: ReadonlySet<number>): boolean {
  for (const id of want) if (!have.has(id)) return false;
  return true;
}

function sorted(ids: readonly number[]): number[] {
  return [...ids];
}

/** Default bound on the rendezvous objects one client holds. */
export const DEFAULT_MAX_RENDEZVOUS = 64;

/** Options of an auth server: its bucket's, plus the per-client rendezvous bound. */
export interface AuthOptions extends BucketOptions {
  /** Rendezvous objects one client may hold (default 64; rendezvous answers EAGAIN). */
  readonly maxRendezvous?: number;
}

/** The auth service on a bucket: its root handle (uid 0) and a maker of handles. */
export interface AuthService {
  readonly root: CapObject<{ ids: Ids }>;
  /** A handle with these ids (one reference, held by the caller). */
  makeHandle(ids: Ids): CapObject<{ ids: Ids }>;
}

/**
 * Serve auth handles and rendezvous on `bucket` (in-process or in an isolated task: it
 * only uses the bucket). The caller installs handles for clients.
 */
export function serveAuth(bucket: Bucket, maxRendezvous = DEFAULT_MAX_RENDEZVOUS): AuthService {
  /** Rendezvous objects per client. */
  const held = new Map<Client, number>();
  function release(d: RendezvousData): void {
    const o = d.owner;
    d.owner = null;
    if (o === null) return;
    const n = (held.get(o) ?? 1) - 1;
    if (n > 0) held.set(o, n);
    else held.delete(o);
  }

  const rendezvousClass = defineClass({
    name: 'auth.rendezvous',
    interface: Rendezvous,
    init: (): RendezvousData => ({ owner: null, user: null, server: null }),
    alloc: (d, owner: Client) => {
      d.owner = owner;
      held.set(owner, (held.get(owner) ?? 0) + 1);
    },
    reinit: (d) => {
      release(d);
      d.user = null;
      d.server = null;
    },
    // Every copy of the rendezvous cap is gone: whoever still waits fails cleanly.
    noSenders: (obj) => {
      release(obj.data);
      abort(obj.data);
    },
    handlers: {},
  });

  function abort(d: RendezvousData): void {
    const u = d.user;
    const s = d.server;
    d.user = null;
    d.server = null;
    if (u !== null) {
      u.cancelTimer();
      u.deferred.fail('ECONNABORTED');
    }
    if (s !== null) {
      s.cancelTimer();
      releaseKept(bucket.ops, s.port); // kept for the user, who will never come
      s.deferred.fail('ECONNABORTED');
    }
  }

  /** Drop the halves of `d` whose callers are gone (the port a gone server half left is deleted). */
  function sweep(d: RendezvousData): void {
    if (d.user !== null && callerGone(d.user.rpc)) {
      const gone = d.user;
      d.user = null;
      gone.cancelTimer();
      dropAbandoned(gone.rpc);
    }
    if (d.server !== null && callerGone(d.server.rpc)) {
      const gone = d.server;
      d.server = null;
      gone.cancelTimer();
      releaseKept(bucket.ops, gone.port);
      dropAbandoned(gone.rpc);
    }
  }

  /**
   * Both halves are here: hand the port to the user, the user's ids to the server. A
   * half whose caller is gone is dropped first; the other keeps waiting.
   */
  function match(d: RendezvousData): void {
    sweep(d);
    const u = d.user;
    const s = d.server;
    if (u === null || s === null) return;
    d.user = null;
    d.server = null;
    u.cancelTimer();
    s.cancelTimer();
    if (!stillKept(bucket.ops, s.port)) {
      // The server revoked the port it offered (its slot may hold another's cap now).
      u.deferred.fail('ECONNABORTED');
      s.deferred.fail('ECONNABORTED');
      return;
    }
    s.deferred.reply({ euids: sorted(u.ids.euids), auids: sorted(u.ids.auids), egids: sorted(u.ids.egids), agids: sorted(u.ids.agids) });
    u.deferred.reply({ port: s.port.slot });
  }

  /** Resolve a rendezvous cap argument to its object (it must be one of ours). */
  function rendezvousOf(slot: number): CapObject<RendezvousData> | null {
    const r = bucket.resolve(slot);
    if (r === null || r.object.cls !== (rendezvousClass as unknown)) return null;
    return r.object as CapObject<RendezvousData>;
  }

  const handleClass: CapClass<SpecsOf<typeof Auth>, { ids: Ids }, Ids> = defineClass({
    name: 'auth.handle',
    interface: Auth,
    init: (): { ids: Ids } => ({ ids: ROOT_IDS }),
    alloc: (d, ids: Ids) => {
      d.ids = { euids: [...ids.euids], auids: [...ids.auids], egids: [...ids.egids], agids: [...ids.agids] };
    },
    handlers: {
      getids(ctx) {
        const ids = ctx.data.ids;
        return { euids: ids.euids, auids: ids.auids, egids: ids.egids, agids: ids.agids };
      },
      makeauth(ctx, a) {
        const handles: Ids[] = [ctx.data.ids];
        for (const slot of [a.other1, a.other2]) {
          if (slot === undefined) continue;
          const r = bucket.resolve(slot);
          if (r === null || r.object.cls !== (handleClass as unknown)) return ctx.fail('EPERM', 'not a handle of this auth server');
          handles.push((r.object.data as { ids: Ids }).ids);
        }
        const uids = new Set<number>();
        const gids = new Set<number>();
        let root = false;
        for (const h of handles) {
          for (const id of h.euids) {
            uids.add(id);
            if (id === 0) root = true;
          }
          for (const id of h.auids) {
            uids.add(id);
            if (id === 0) root = true; // as the Hurd's isroot: uid 0 effective or available
          }
          for (const id of h.egids) gids.add(id);
          for (const id of h.agids) gids.add(id);
        }
        if (!root && !(covered(a.euids, uids) && covered(a.auids, uids) && covered(a.egids, gids) && covered(a.agids, gids))) {
          return ctx.fail('EPERM');
        }
        const h = bucket.create(handleClass, { euids: a.euids, auids: a.auids, egids: a.egids, agids: a.agids });
        if (h instanceof RpcFailure) return ctx.fail('EPERM', h.error);
        const slot = ctx.give(h);
        h.unref();
        return { handle: slot };
      },
      rendezvous(ctx) {
        if ((held.get(ctx.client) ?? 0) >= maxRendezvous) return ctx.fail('EAGAIN', `at most ${maxRendezvous} rendezvous per client`);
        const r = bucket.create(rendezvousClass, ctx.client);
        if (r instanceof RpcFailure) return ctx.fail('EIO');
        const slot = ctx.give(r);
        r.unref();
        return { rendezvous: slot };
      },
      userAuthenticate(ctx, a) {
        const obj = rendezvousOf(a.rendezvous);
        if (obj === null) return ctx.fail('EINVAL', 'not a rendezvous cap of this auth server');
        const d = obj.data;
        sweep(d);
        if (d.user !== null) return ctx.fail('EBUSY', 'a user already waits on this rendezvous');
        const deferred = ctx.defer();
        d.user = { deferred, rpc: ctx, ids: ctx.data.ids, cancelTimer: () => {} };
        const half = d.user;
        if (a.timeout > 0) {
          half.cancelTimer = after(bucket, a.timeout, () => {
            if (d.user === half) {
              d.user = null;
              deferred.fail('ETIMEDOUT');
            }
          });
        }
        ctx.onCancel(() => {
          if (d.user === half) {
            d.user = null;
            half.cancelTimer();
          }
        });
        if (d.server !== null) match(d);
        return deferred;
      },
      serverAuthenticate(ctx, a) {
        const obj = rendezvousOf(a.rendezvous);
        if (obj === null) return ctx.fail('EINVAL', 'not a rendezvous cap of this auth server');
        const d = obj.data;
        sweep(d);
        if (d.server !== null) return ctx.fail('EBUSY', 'a server already waits on this rendezvous');
        const port = keptCap(bucket.ops, a.port);
        if (port === null) return ctx.fail('EINVAL', 'no port received');
        ctx.keep(a.port); // held until handed to the user
        const deferred = ctx.defer();
        d.server = { deferred, rpc: ctx, port, cancelTimer: () => {} };
        const half = d.server;
        const drop = (): void => {
          if (d.server === half) d.server = null;
          half.cancelTimer();
          releaseKept(bucket.ops, half.port);
        };
        if (a.timeout > 0) {
          half.cancelTimer = after(bucket, a.timeout, () => {
            if (d.server === half) {
              drop();
              deferred.fail('ETIMEDOUT');
            }
          });
        }
        ctx.onCancel(() => {
          if (d.server === half) drop();
        });
        if (d.user !== null) match(d);
        return deferred;
      },
    },
  });

  const root = bucket.create(handleClass, ROOT_IDS);
  if (root instanceof RpcFailure) throw new Error('auth: cannot create the root handle');
  return {
    root,
    makeHandle(ids: Ids) {
      const h = bucket.create(handleClass, ids);
      if (h instanceof RpcFailure) throw new Error(`auth: cannot create a handle: ${h.error}`);
      return h;
    },
  };
}

/** The handle ids for a client's params (ids, or { uid, gid, groups }; none: root). */
export function authParams(p: unknown): Ids {
  return toIds(p);
}

/** Start an auth server. Its `body` is the same server as a body module (boot's `isolate`). */
export function authServer(opts: AuthOptions = {}): ServerFactory {
  const { maxRendezvous = DEFAULT_MAX_RENDEZVOUS, ...bucketOpts } = opts;
  const factory = (env: ServerEnv): AuthInstance => {
    const bucket = Bucket.start(env.kernel, env.task, { name: 'auth', ...bucketOpts });
    const svc = serveAuth(bucket, maxRendezvous);
    const inst: AuthInstance = {
      name: 'auth',
      bucket,
      buckets: [bucket],
      root: svc.root,
      makeHandle: (ids) => svc.makeHandle(ids),
      install(task: Task, params: unknown, slot?: number): number {
        const h = svc.makeHandle(toIds(params));
        const s = bucket.install(h, task, slot === undefined ? {} : { slot });
        h.unref();
        return s;
      },
      shutdown: (force) => shutdownBuckets(inst, force),
    };
    return inst;
  };
  // The body takes its options as JSON: bucket options that are functions stay behind.
  const body: ServerBody = { module: new URL(`./auth-body.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), export: 'authBody', options: { maxRendezvous, ...jsonOnly(bucketOpts) } };
  return Object.assign(factory, { body });
}

