// A scripted protid server for the resolution tests: named directory objects whose
// dir.lookup answers come from a script (any retry kind, an error, or never), io.stat
// naming the object and the ids it carries, and io.reauthenticate through the auth
// server's rendezvous (or ignoring it, to test the client's bound). Nothing here is a test.

import { Kernel, VirtualClock, type Task } from '../../../core/index.ts';
import {
  Bucket,
  defineClass,
  hostInvoke,
  RpcFailure,
  type CapObject,
  type Deferred,
  type ErrnoName,
  type Handlers,
  type SpecsOf,
} from '../../../libcap/index.ts';
import { Auth, type Ids } from '../../../protocol/auth.ts';
import { authServer, idsFor, type AuthInstance } from '../../../servers/auth/auth-server.ts';
import { Protid, type Retry, type StatRecord } from '../../../protocol/fs.ts';
import { createFsClient, type FsClient, type FsClientOptions } from '../../../clients/fs/index.ts';
import { installService } from '../../../libcap/server.ts';

/** What the script answers a lookup with: a retry (the port names an object), an error, or nothing ever. */
export type ScriptAnswer = { retry: Retry; retryName: string; port?: string } | ErrnoName | 'hang';

/** Called for every lookup: the object looked up in, the name, the flags. */
export type Script = (dir: string, name: string, flags: number) => ScriptAnswer;

interface MockData {
  name: string;
  /** The ids the port carries: none until reauthenticated. */
  ids: Ids | null;
}

export interface MockWorld {
  readonly k: Kernel;
  readonly auth: AuthInstance;
  readonly task: Task;
  /** Slot of the client's root (object "root") and auth handle. */
  readonly root: number;
  readonly authSlot: number;
  /** Every lookup served, as "dir:name". */
  readonly log: string[];
  /** Lookups left unanswered by 'hang'. */
  readonly hung: Deferred[];
  /** What reauthentication does: 'rendezvous' (the protocol) or 'ignore' (the server never comes). */
  reauth: 'rendezvous' | 'ignore';
  script: Script;
  /** A client over the mock (options override the defaults: root, auth). */
  client(opts?: Partial<FsClientOptions>): FsClient;
  /** Objects alive in the mock server (those some client still holds a port to). */
  liveObjects(): number;
}

/** Root of the mock tree. */
export const ROOT = 'root';

/** Inode numbers by object name (stable per name). */
function inoOf(name: string): number {
  let h = 7;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return (h % 1_000_000) + 1;
}

/** Boot auth and the mock server; the client task holds a root port and an auth handle for uid 1000. */
export function mockWorld(script: Script = () => 'ENOENT'): MockWorld {
  const k = new Kernel({ clock: new VirtualClock(true) });
  const auth = authServer()({ kernel: k, task: k.createTask('auth', { quota: 10_000, slots: 1 << 12 }), caps: new Map() }) as AuthInstance;
  const srv = k.createTask('mock', { quota: 10_000, slots: 1 << 14 });
  const srvAuth = installService(auth, srv, idsFor(0, 0));
  const bucket = Bucket.start(k, srv, { name: 'mock' });
  const log: string[] = [];
  const hung: Deferred[] = [];

  const make = (name: string, ids: Ids | null): CapObject<MockData> => {
    const o = bucket.create(cls, { name, ids });
    if (o instanceof RpcFailure) throw new Error(`mock: create failed: ${o.error}`);
    return o;
  };

  const handlers = {
    lookup(ctx: never, a: { name: string; flags: number }) {
      const c = ctx as unknown as { data: MockData; give(o: CapObject): number; defer(): Deferred; fail(e: ErrnoName): RpcFailure };
      log.push(`${c.data.name}:${a.name}`);
      const ans = world.script(c.data.name, a.name, a.flags);
      if (ans === 'hang') {
        const d = c.defer();
        hung.push(d);
        return d;
      }
      if (typeof ans === 'string') return c.fail(ans);
      if (ans.port === undefined) return { retry: ans.retry, retryName: ans.retryName };
      // A port handed over carries no ids until it is reauthenticated (as across servers),
      // except the opened node at the end of a normal walk.
      const o = make(ans.port, ans.retry === 'normal' ? c.data.ids : null);
      const port = c.give(o);
      o.unref();
      return { retry: ans.retry, retryName: ans.retryName, port };
    },
    stat(ctx: never): { stat: StatRecord } {
      const d = (ctx as unknown as { data: MockData }).data;
      const uid = d.ids?.euids[0] ?? 0xffff;
      return {
        stat: {
          dev: 9, ino: inoOf(d.name), mode: 0o40755, nlink: 2, uid, gid: uid, rdev: 0, size: d.name.length,
          blksize: 4096, blocks: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, birthtimeMs: 0,
        },
      };
    },
    reauthenticate(ctx: never, a: { rendezvous: number }): void {
      if (world.reauth === 'ignore') return;
      const c = ctx as unknown as { data: MockData; keep(s: number): void; client: Parameters<Bucket['give']>[0] };
      c.keep(a.rendezvous);
      const o = make(`${c.data.name}+auth`, null);
      // Requests on the new port wait until auth has told us whose it is (as the fs server does).
      void bucket.inhibitObject(o);
      const port = bucket.give(c.client, o);
      o.unref();
      void hostInvoke(k, srv, srvAuth, Auth.methods.serverAuthenticate, { rendezvous: a.rendezvous, port, timeout: 5000 }, {}).then((r) => {
        bucket.ops.delete(a.rendezvous);
        if (r.ok) o.data.ids = r.value as Ids;
        bucket.resumeObject(o);
      });
    },
  };

  const cls = defineClass({
    name: 'mock.protid',
    interface: Protid,
    init: (): MockData => ({ name: '', ids: null }),
    alloc: (d: MockData, a: MockData) => {
      d.name = a.name;
      d.ids = a.ids;
    },
    handlers: handlers as unknown as Handlers<SpecsOf<typeof Protid>, MockData>,
  });

  const task = k.createTask('client', { slots: 1 << 10 });
  const ids = idsFor(1000, 1000);
  const rootObj = make(ROOT, ids);
  const root = bucket.install(rootObj, task);
  rootObj.unref();
  const authSlot = installService(auth, task, ids);

  const world: MockWorld = {
    k,
    auth,
    task,
    root,
    authSlot,
    log,
    hung,
    reauth: 'rendezvous',
    script,
    client: (opts = {}) => createFsClient(k, task, { root, auth: authSlot, ...opts }),
    liveObjects: () => cls.objects.size,
  };
  return world;
}
