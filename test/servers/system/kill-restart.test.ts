// Killing any server of the default system with RPCs in flight: every client's call is
// answered with an error (nothing hangs), the other servers keep serving, and after a
// restart nothing is left over: the kernel's counts of live tasks, threads and caps are
// back to where they were (introspection; idle host-call proxies are not counted).

import { describe, expect, it } from 'vitest';
import { snapshot, ThreadState, type Kernel } from '../../../core/index.ts';
import { Bucket, connect, type RpcResult } from '../../../libcap/index.ts';
import { Auth } from '../../../servers/auth/index.ts';
import { Protid } from '../../../protocol/fs.ts';
import { Namespace, Watcher } from '../../../servers/names/index.ts';
import { Mailbox, Notify } from '../../../servers/notify/index.ts';
import { boot, CAP_NAMESPACE, defaultSystem, type System } from '../../../servers/system/index.ts';
import { Tasks } from '../../../servers/task/index.ts';
import { kernel, ops, settle, track, type Tracked } from './harness.ts';
import { ProbeLog, probeServer } from './probe.ts';

/** Live tasks, their live non-idle threads and their caps, as the kernel reports them. */
function census(k: Kernel): { tasks: number; threads: number; caps: number } {
  let tasks = 0;
  let threads = 0;
  let caps = 0;
  for (const t of snapshot(k).tasks) {
    if (!t.alive) continue;
    tasks++;
    caps += t.caps.length;
    const task = k.tasks.get(t.id)!;
    for (const th of task.threads) if (th.alive && th.state !== ThreadState.Parked) threads++;
  }
  return { tasks, threads, caps };
}

interface World {
  k: Kernel;
  sys: System;
  /** The app's cap to a service (a slot of the app's task). */
  cap(service: string): number;
  app: ReturnType<System['task']>;
}

async function world(): Promise<World> {
  const k = kernel();
  const log = new ProbeLog();
  const sys = await boot(
    k,
    defaultSystem({
      extra: {
        app: {
          server: probeServer('app', log),
          uses: { auth: { service: 'auth', params: { uid: 1000, gid: 100 } }, notify: 'notify', task: 'task', fs: { service: 'fs', params: { uid: 1000, gid: 100 } } },
        },
      },
    }),
  );
  await settle(k);
  const app = sys.task('app');
  return { k, sys, app, cap: (s) => sys.caps('app').get(s)! };
}

/** Every call answered, and with an error. */
function allFailed(calls: readonly Tracked<RpcResult<unknown>>[]): boolean {
  return calls.every((c) => c.done && c.value !== undefined && !c.value.ok);
}

/** Calls that reach `service` and are still in flight when it is killed. */
async function inFlight(w: World, service: string): Promise<{ calls: Tracked<RpcResult<unknown>>[]; slots: number[] }> {
  const { k, app } = w;
  const calls: Tracked<RpcResult<unknown>>[] = [];
  const slots: number[] = [];
  switch (service) {
    case 'notify': {
      const n = connect(Notify, k, app, w.cap('notify'));
      const { mailbox } = await n.subscribe({ capacity: 4 });
      slots.push(mailbox);
      const box = connect(Mailbox, k, app, mailbox);
      await box.take({ max: 1 });
      calls.push(track(box.attempt.next({ timeout: 0 })), track(box.attempt.wait({ max: 4, timeout: 0 })));
      break;
    }
    case 'names': {
      const ns = connect(Namespace, k, app, CAP_NAMESPACE);
      const { watcher } = await ns.watch();
      slots.push(watcher);
      const events = connect(Watcher, k, app, watcher);
      await events.next({ timeout: 0 });
      calls.push(track(events.attempt.next({ timeout: 0 })), track(events.attempt.next({ timeout: 0 })));
      break;
    }
    default:
      // These answer at once: hold the server's buckets inhibited so the calls wait there
      // (accepted, reply caps saved: in flight) when it dies.
      expect(await Bucket.inhibitAll(w.sys.instance(service).buckets)).toBeNull();
  }
  switch (service) {
    case 'task': {
      const ts = connect(Tasks, k, app, w.cap('task'));
      calls.push(track(ts.attempt.list()), track(ts.attempt.ps()));
      break;
    }
    case 'auth': {
      const auth = connect(Auth, k, app, w.cap('auth'));
      calls.push(track(auth.attempt.getids()), track(auth.attempt.getids()));
      break;
    }
    case 'fs': {
      const fs = connect(Protid, k, app, w.cap('fs'));
      calls.push(track(fs.attempt.stat()), track(fs.attempt.stat()));
      break;
    }
  }
  return { calls, slots };
}

/** One working call to `service` through the app's (new) cap. */
async function works(w: World, service: string): Promise<boolean> {
  const { k, app } = w;
  switch (service) {
    case 'notify':
      return (await connect(Notify, k, app, w.cap('notify')).attempt.subscribe({ capacity: 1 })).ok;
    case 'task':
      return (await connect(Tasks, k, app, w.cap('task')).attempt.list()).ok;
    case 'auth':
      return (await connect(Auth, k, app, w.cap('auth')).attempt.getids()).ok;
    case 'fs':
      return (await connect(Protid, k, app, w.cap('fs')).attempt.stat()).ok;
  }
  return false;
}

describe('killing a server of the default system', () => {
  for (const service of ['auth', 'notify', 'task', 'fs']) {
    it(`${service}: calls in flight are answered with an error; after a restart nothing is left over`, async () => {
      const w = await world();
      // Warm up: every service answered once (lazy state such as host-call proxies exists).
      for (const s of ['auth', 'notify', 'task', 'fs']) if (s !== 'notify') expect(await works(w, s)).toBe(true);
      await settle(w.k);
      const before = census(w.k);
      const { calls, slots } = await inFlight(w, service);
      w.k.deleteTask(w.sys.task(service)); // the server crashes with RPCs in flight
      await settle(w.k);
      expect(calls.length).toBe(2);
      expect(allFailed(calls)).toBe(true);
      // The others keep serving.
      for (const s of ['auth', 'task', 'fs']) if (s !== service) expect(await works(w, s)).toBe(true);
      // The client drops the caps that led to the dead server; the composer restarts it.
      for (const s of slots) ops(w.k, w.app).delete(s);
      await w.sys.restart(service);
      await settle(w.k);
      expect(census(w.k)).toEqual(before);
      if (service !== 'notify') expect(await works(w, service)).toBe(true);
      expect((await w.sys.shutdown()).errors).toEqual([]);
    });
  }

  it('names: calls in flight are answered with an error and the other servers keep serving', async () => {
    const w = await world();
    const { calls } = await inFlight(w, 'names');
    w.k.deleteTask(w.sys.task('names'));
    await settle(w.k);
    expect(allFailed(calls)).toBe(true);
    for (const s of ['auth', 'task', 'fs']) expect(await works(w, s)).toBe(true);
  });
});
