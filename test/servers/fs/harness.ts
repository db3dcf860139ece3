// Shared helpers for the fs and translator tests: a kernel on virtual time with an auth
// server and a filesystem server, client tasks holding a root protid and an auth handle,
// raw Protid stubs, and a small client-side lookup loop that follows the server's retry
// answers (normal, reauth through auth's rendezvous, magical "/..."). Nothing here is a
// test; test files import it.

import { HostSys, Kernel, VirtualClock, type Task } from '../../../core/index.ts';
import { bugReports, connect, type AsyncClient, type ErrnoName, type RpcResult, type SpecsOf } from '../../../libcap/index.ts';
import { Auth, type Ids } from '../../../protocol/auth.ts';
import { authServer, idsFor, type AuthInstance } from '../../../servers/auth/auth-server.ts';
import { Fsys, O, Protid, type Retry } from '../../../protocol/fs.ts';
import { fsServer, type FsInstance, type FsServerOptions } from '../../../servers/fs/fs-server.ts';
import { installService } from '../../../libcap/server.ts';
import { advance, settle } from '../../world-helpers.ts';
export { settle } from '../../world-helpers.ts';

export type ProtidClient = AsyncClient<SpecsOf<typeof Protid>>;
export type FsysClient = AsyncClient<SpecsOf<typeof Fsys>>;
export type AuthClient = AsyncClient<SpecsOf<typeof Auth>>;

/** A client task: its root protid, its auth handle, helpers bound to it. */
export interface Client {
  readonly task: Task;
  readonly ids: Ids;
  /** Slot of the root directory protid in `task`. */
  readonly rootSlot: number;
  readonly root: ProtidClient;
  readonly authSlot: number;
  readonly auth: AuthClient;
  /** A stub on any protid slot of this task. */
  protid(slot: number): ProtidClient;
  fsys(slot: number): FsysClient;
  /** Open `path` from the root (or `from`), following retries; the slot of the opened port. */
  open(path: string, flags?: number, mode?: number, from?: number): Promise<number>;
  /** As open, answering the error instead of throwing. */
  tryOpen(path: string, flags?: number, mode?: number, from?: number): Promise<RpcResult<number>>;
  /** Read a whole file by path. */
  readFile(path: string): Promise<string>;
  /** Create or replace a file by path. */
  writeFile(path: string, text: string, mode?: number): Promise<void>;
  /** Delete a cap of this task. */
  drop(slot: number): void;
  /** Reauthenticate `slot`: the new port's slot (with this client's ids). */
  reauth(slot: number): Promise<number>;
}

export interface FsWorld {
  readonly k: Kernel;
  readonly auth: AuthInstance;
  readonly fs: FsInstance;
  readonly fsTask: Task;
  /** A client task for `ids` (default root). */
  client(name: string, ids?: { uid: number; gid: number; groups?: number[] }): Client;
  /** Let the kernel and host promises run until idle. */
  settle(): Promise<void>;
  /** Move virtual time and let what it woke run. */
  advance(ms: number): Promise<void>;
}

/** A kernel on virtual time (auto-advancing while the host awaits the kernel, so timeouts fire). */
export function virtualKernel(): Kernel {
  return new Kernel({ clock: new VirtualClock(true) });
}

/** The fs task's memory quota in the test worlds unless `extra.memQuota` says otherwise (as boot's default). */
export const TEST_FS_MEM_QUOTA = 64 << 20;

/** A world with an auth server and a filesystem server given the auth cap (and notify and task caps, when asked). */
export async function fsWorld(
  opts: FsServerOptions = {},
  extra: { k?: Kernel; notifyFor?: (t: Task) => number; taskFor?: (t: Task) => number; memQuota?: number } = {},
): Promise<FsWorld> {
  const k = extra.k ?? virtualKernel();
  const authTask = k.createTask('auth', { quota: 100_000, slots: 1 << 14 });
  const auth = (await authServer()({ kernel: k, task: authTask, caps: new Map() })) as AuthInstance;
  const fsTask = k.createTask('fs', { quota: 100_000, slots: 1 << 16, memQuota: extra.memQuota ?? TEST_FS_MEM_QUOTA });
  const caps = new Map<string, number>();
  caps.set('auth', installService(auth, fsTask, idsFor(0, 0)));
  if (extra.notifyFor !== undefined) caps.set('notify', extra.notifyFor(fsTask));
  if (extra.taskFor !== undefined) caps.set('task', extra.taskFor(fsTask));
  const fs = fsServer(opts)({ kernel: k, task: fsTask, caps });
  const world: FsWorld = {
    k,
    auth,
    fs,
    fsTask,
    client(name, who = { uid: 0, gid: 0 }) {
      const task = k.createTask(name, { slots: 1 << 12 });
      const ids = idsFor(who.uid, who.gid, who.groups ?? []);
      const rootSlot = fs.install(task, ids);
      const authSlot = installService(auth, task, ids);
      return makeClient(k, task, ids, rootSlot, authSlot);
    },
    settle: () => settle(k),
    advance: (ms) => advance(k, ms),
  };
  return world;
}

/** Raise on a failed result. */
export function must<T>(r: RpcResult<T>): T {
  if (!r.ok) throw new Error(`unexpected ${r.error}: ${r.message}`);
  return r.value;
}

/** The error of a result that must have failed. */
export function errorOf(r: RpcResult<unknown>): ErrnoName | 'ok' {
  return r.ok ? 'ok' : r.error;
}

/** Collect server bug reports for the duration of a test. */
export function collectBugs(): { readonly list: string[]; restore(): void } {
  const prev = bugReports.sink;
  const list: string[] = [];
  bugReports.sink = (where, message) => list.push(`${where}: ${message}`);
  return {
    list,
    restore() {
      bugReports.sink = prev;
    },
  };
}

/** Retries one open may take before the client gives up (as the Hurd's client: ELOOP). */
const MAX_RETRIES = 16;

export function makeClient(k: Kernel, task: Task, ids: Ids, rootSlot: number, authSlot: number): Client {
  const ops = new HostSys(k, task);
  const protid = (slot: number): ProtidClient => connect(Protid, k, task, slot);
  const auth = connect(Auth, k, task, authSlot);

  async function reauth(slot: number): Promise<number> {
    const { rendezvous } = await auth.rendezvous();
    await protid(slot).reauthenticate({ rendezvous });
    const { port } = await auth.userAuthenticate({ rendezvous, timeout: 5000 });
    ops.delete(rendezvous);
    return port;
  }

  async function tryOpen(path: string, flags: number = O.RDONLY, mode = 0o644, from = rootSlot): Promise<RpcResult<number>> {
    let dir = from;
    let owned = false;
    let name = path;
    const release = (): void => {
      if (owned) ops.delete(dir);
    };
    for (let i = 0; i < MAX_RETRIES; i++) {
      const r = await protid(dir).attempt.lookup({ name, flags, mode });
      if (!r.ok) {
        release();
        return r;
      }
      const { retry, retryName, port } = r.value as { retry: Retry; retryName: string; port?: number };
      release();
      switch (retry) {
        case 'normal':
          if (port === undefined) return { ok: false, error: 'EIO', message: 'normal retry without a port' };
          if (retryName === '') return { ok: true, value: port };
          dir = port;
          owned = true;
          name = retryName;
          break;
        case 'reauth': {
          if (port === undefined) return { ok: false, error: 'EIO', message: 'reauth retry without a port' };
          // As glibc: reauthenticate, then look retryName up at the new port even when
          // empty, so that its server opens the node with our flags.
          const fresh = await reauth(port);
          ops.delete(port);
          dir = fresh;
          owned = true;
          name = retryName;
          break;
        }
        case 'magical':
          if (!retryName.startsWith('/')) return { ok: false, error: 'EINVAL', message: `magical ${retryName}` };
          dir = rootSlot;
          owned = false;
          name = retryName.slice(1);
          break;
      }
    }
    release();
    return { ok: false, error: 'ELOOP', message: 'too many retries' };
  }

  const client: Client = {
    task,
    ids,
    rootSlot,
    root: protid(rootSlot),
    authSlot,
    auth,
    protid,
    fsys: (slot) => connect(Fsys, k, task, slot),
    tryOpen,
    async open(path, flags, mode, from) {
      const r = await tryOpen(path, flags, mode, from);
      if (!r.ok) throw new Error(`open ${path}: ${r.error} ${r.message}`);
      return r.value;
    },
    async readFile(path) {
      const slot = await client.open(path, O.RDONLY);
      const chunks: Uint8Array[] = [];
      for (;;) {
        const { data } = await protid(slot).read({ amount: 65536 });
        if (data.length === 0) break;
        chunks.push(Uint8Array.from(data));
      }
      ops.delete(slot);
      return Buffer.concat(chunks).toString('utf8');
    },
    async writeFile(path, text, mode = 0o644) {
      const slot = await client.open(path, O.WRONLY | O.CREAT | O.TRUNC, mode);
      await protid(slot).write({ data: Buffer.from(text, 'utf8') });
      ops.delete(slot);
    },
    drop: (slot) => void ops.delete(slot),
    reauth,
  };
  return client;
}
