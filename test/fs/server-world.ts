// A small system for running the fs client against the real servers: a kernel on
// virtual time, an auth server, the filesystem server (with the stock translators), an
// administrator client (root) and a user client (uid 1000), each its own task with its
// own root protid and auth handle. Nothing here is a test.

import { Kernel, VirtualClock, type Task } from '../../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../../servers/auth/index.ts';
import { fsServer, type FsInstance, type FsServerOptions } from '../../servers/fs/index.ts';
import { createFsClient, type FsClient, type FsClientOptions } from '../../clients/fs/index.ts';
import { installService } from '../../libcap/server.ts';
import { notifyServer, type NotifyInstance } from '../../servers/notify/index.ts';
import { defaultRegistry } from '../../servers/translators/index.ts';
export { capCount } from '../world-helpers.ts';

/** The user the suite runs as. */
export const USER = { uid: 1000, gid: 1000 } as const;

export interface ServerWorld {
  readonly k: Kernel;
  readonly auth: AuthInstance;
  readonly fs: FsInstance;
  /** A client task for `ids` with its own root protid and auth handle, and an fs client on them. */
  client(name: string, ids: { uid: number; gid: number }, opts?: Partial<FsClientOptions>): { task: Task; fs: FsClient; root: number; auth: number };
}

/** The fs task's memory quota (for transfer buffers) unless told otherwise: boot's default for servers. */
export const FS_MEM_QUOTA = 64 << 20;

/**
 * Boot auth and the filesystem server on a fresh kernel (virtual time, advancing while
 * the host awaits). `memQuota`: the fs task's (0: no transfer buffers, ENOMEM).
 */
export function serverWorld(opts: FsServerOptions = {}, notify?: { k: Kernel; service: NotifyInstance }, memQuota = FS_MEM_QUOTA): ServerWorld {
  const k = notify?.k ?? new Kernel({ clock: new VirtualClock(true) });
  const authTask = k.createTask('auth', { quota: 100_000, slots: 1 << 14 });
  const auth = authServer()({ kernel: k, task: authTask, caps: new Map() }) as AuthInstance;
  const fsTask = k.createTask('fs', { quota: 1_000_000, slots: 1 << 16, memQuota });
  const caps = new Map<string, number>([['auth', installService(auth, fsTask, idsFor(0, 0))]]);
  if (notify !== undefined) caps.set('notify', notify.service.install!(fsTask, undefined));
  const fs = fsServer({ registry: defaultRegistry(), ...opts })({ kernel: k, task: fsTask, caps });
  return {
    k,
    auth,
    fs,
    client(name, ids, copts = {}) {
      const task = k.createTask(name, { slots: 1 << 12 });
      const who = idsFor(ids.uid, ids.gid);
      const root = fs.install(task, who);
      const authSlot = installService(auth, task, who);
      const notifySlot = notify === undefined ? undefined : notify.service.install!(task, undefined);
      const o = notifySlot === undefined ? { root, auth: authSlot, ...copts } : { root, auth: authSlot, notify: notifySlot, ...copts };
      return { task, root, auth: authSlot, fs: createFsClient(k, task, o) };
    },
  };
}


/** serverWorld with a notify service the fs server and every client are given (for watch). */
export async function notifyingWorld(opts: FsServerOptions = {}): Promise<ServerWorld & { notify: NotifyInstance }> {
  const k = new Kernel({ clock: new VirtualClock(true) });
  const task = k.createTask('notify', { quota: 100_000, slots: 1 << 14 });
  const service = (await notifyServer()({ kernel: k, task, caps: new Map() })) as NotifyInstance;
  return { ...serverWorld(opts, { k, service }), notify: service };
}
