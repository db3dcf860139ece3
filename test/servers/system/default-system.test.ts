// The default system description: names, auth, notify (when given), task and the
// filesystem (when given); extended through `extra` (where the shell joins). Boots,
// serves, shuts down clean.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, HostSys, snapshot, type Kernel, type Task } from '../../../core/index.ts';
import { idsFor } from '../../../servers/auth/index.ts';
import { Protid } from '../../../protocol/fs.ts';
import { createFsClient } from '../../../clients/fs/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Auth } from '../../../servers/auth/index.ts';
import { Namespace } from '../../../servers/names/index.ts';
import { notifyServer } from '../../../servers/notify/index.ts';
import { boot, CAP_NAMESPACE, defaultSystem, isServer } from '../../../servers/system/index.ts';
import { Tasks, type TaskInstance } from '../../../servers/task/index.ts';
import { kernel } from './harness.ts';
import { ProbeLog, probeServer } from './probe.ts';

describe('defaultSystem', () => {
  it('describes names, auth, notify, task and fs; notify and fs can be left out or replaced', () => {
    expect(Object.keys(defaultSystem())).toEqual(['names', 'auth', 'notify', 'task', 'fs']);
    expect(Object.values(defaultSystem()).every(isServer)).toBe(true);
    expect(Object.keys(defaultSystem({ notify: false, fs: false }))).toEqual(['names', 'auth', 'task']);
    expect(defaultSystem({ notify: false }).fs).toMatchObject({ uses: { auth: { service: 'auth' } } });
    const mine = notifyServer({ quota: 16 });
    expect(defaultSystem({ notify: mine }).notify).toEqual({ server: mine });
  });

  it('boots with an extra child that uses the default services, and shuts down clean', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(
      k,
      defaultSystem({
        fs: false,
        extra: {
          fs: { server: probeServer('fs', log), uses: { auth: { service: 'auth', params: { uid: 0, gid: 0 } }, notify: 'notify', task: 'task' } },
        },
      }),
    );
    expect(sys.paths).toEqual(['auth', 'notify', 'task', 'fs']);
    const env = log.envs.get('fs')!;
    expect([...env.caps.keys()].sort()).toEqual(['auth', 'notify', 'task']);
    expect(await connect(Auth, k, env.task, env.caps.get('auth')!).getids()).toMatchObject({ euids: [0] });
    const ns = connect(Namespace, k, env.task, CAP_NAMESPACE);
    expect((await ns.list()).entries.map((e) => e.name)).toEqual(['auth', 'notify', 'task']);
    const tasks = connect(Tasks, k, env.task, env.caps.get('task')!);
    expect((await tasks.list()).tasks.map((t) => t.name)).toEqual(['fs']);
    expect((await sys.shutdown()).clean).toBe(true);
  });

  it('lets extra replace a default child', () => {
    const log = new ProbeLog();
    const spec = defaultSystem({ extra: { auth: { server: probeServer('my-auth', log) } } });
    expect(Object.keys(spec)).toEqual(['names', 'auth', 'notify', 'task', 'fs']);
  });

  it('ps shows the uid and note the task server keeps for a system task', async () => {
    const k = kernel();
    const sys = await boot(k, defaultSystem({ fs: false }));
    const tasks = sys.instance<TaskInstance>('task');
    tasks.adopt(sys.task('auth'), undefined, { uid: 7, note: 'authentication' });
    expect(sys.ps().filter((r) => r.task === 'auth').every((r) => r.uid === 7 && r.note === 'authentication')).toBe(true);
    expect(sys.ps().find((r) => r.task === 'notify')).toMatchObject({ uid: 0, note: '' });
    expect((await sys.shutdown()).errors).toEqual([]);
  });

  it('gives servers 64 MiB of dataspaces and programs none unless the description says; the fs client gets transfer buffers', async () => {
    const k = kernel();
    const sys = await boot(
      k,
      defaultSystem({
        extra: {
          prog: { program: function* () {} },
          big: { program: function* () {}, memQuota: 1 << 20 },
          lean: { server: probeServer('lean', new ProbeLog()), memQuota: 0 },
        },
      }),
    );
    const limit = (kk: Kernel, t: Task): number => {
      const f = new HostSys(kk, t).identify(CAP_FACTORY)!.object;
      return snapshot(kk).memory.find((m) => m.factory === f)?.limit ?? 0;
    };
    expect(['fs', 'auth', 'prog', 'big', 'lean'].map((p) => limit(k, sys.task(p)))).toEqual([64 << 20, 64 << 20, 0, 1 << 20, 0]);
    const user = k.createTask('user', { slots: 1 << 12 });
    const fs = createFsClient(k, user, { root: sys.instance('fs').install!(user, idsFor(0, 0)) });
    const data = new Uint8Array(1 << 20).fill(5);
    const mapped: number[] = [];
    k.setTracer({ event: (e) => void (e.type === 'ipc' && e.op === 'call' && e.label === Protid.methods.mapBuffer.op && mapped.push(e.senderTask)) });
    await fs.writeFile('/big', data);
    expect(Buffer.compare(await fs.readFile('/big'), data)).toBe(0);
    k.setTracer(null);
    expect(mapped).toEqual([user.id, user.id]);
    k.deleteTask(user);
    expect((await sys.shutdown()).clean).toBe(true);
  });
});
