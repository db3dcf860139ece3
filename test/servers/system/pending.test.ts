// Start order does not matter: a name whose server is not up yet is pending in the
// child's namespace; the child waits (query with wait) or watches, and the composer
// attaches it when the server starts, for cycles, forward references and late starts
// alike. A server restarted after its task died is attached again for its users.

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen } from '../../../core/index.ts';
import { connect, stub } from '../../../libcap/index.ts';
import { Namespace, Watcher } from '../../../servers/names/index.ts';
import { boot, CAP_NAMESPACE } from '../../../servers/system/index.ts';
import { advance, kernel, settle, track } from './harness.ts';
import { asker, Probe, ProbeLog, probeServer, signal, type Finding } from './probe.ts';

describe('pending names', () => {
  it('breaks a cycle: the first server sees the other pending, then attached', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      a: { server: probeServer('a', log), uses: { peer: 'b' } },
      b: { server: probeServer('b', log), uses: { peer: 'a' } },
    });
    expect(log.started).toEqual(['b', 'a']);
    // b started first: a was not up, so b's env had no cap for it ...
    expect([...log.envs.get('b')!.caps.keys()]).toEqual([]);
    expect([...log.envs.get('a')!.caps.keys()]).toEqual(['peer']);
    // ... but its namespace has it now, installed for b.
    const envB = log.envs.get('b')!;
    const ns = connect(Namespace, k, envB.task, CAP_NAMESPACE);
    const { cap } = await ns.query({ path: 'peer', wait: 0 });
    expect(await connect(Probe, k, envB.task, cap).who()).toMatchObject({ task: sys.task('b').id });
    await sys.shutdown();
  });

  it('a program started before its server waits (query with wait) until the server starts', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const found = signal<Finding[]>();
    const sys = await boot(k, {
      app: { program: asker(['late'], 60_000, found.resolve), uses: { late: 'late' } },
      late: { server: probeServer('late', log), autostart: false },
    });
    await settle(k);
    expect(sys.started('late')).toBe(false);
    expect(sys.namespace('app').list()).toEqual([{ name: 'late', kind: 'pending' }]);
    expect(sys.ps().find((r) => r.task === 'app')).toMatchObject({ state: 'blocked-reply' });
    await advance(k, 1000);
    await sys.start('late');
    expect((await found.promise)[0]).toMatchObject({ ok: true, task: sys.task('app').id });
    expect(sys.namespace('app').list()).toEqual([{ name: 'late', kind: 'cap' }]);
    await sys.shutdown();
  });

  it('a program that does not wait gets EAGAIN; one that waits too little gets ETIMEDOUT', async () => {
    const k = kernel();
    const now = signal<Finding[]>();
    const brief = signal<Finding[]>();
    const sys = await boot(k, {
      eager: { program: asker(['late'], 0, now.resolve), uses: { late: 'late' } },
      brief: { program: asker(['late'], 50, brief.resolve), uses: { late: 'late' } },
      late: { server: probeServer('late', new ProbeLog()), autostart: false },
    });
    expect((await now.promise)[0]).toEqual({ path: 'late', ok: false, error: 'EAGAIN' });
    await advance(k, 50);
    expect((await brief.promise)[0]).toEqual({ path: 'late', ok: false, error: 'ETIMEDOUT' });
    await sys.shutdown();
  });

  it('a watching program sees the name attached when the server starts', async () => {
    const k = kernel();
    const seen: string[] = [];
    const done = signal<void>();
    function* watch(sys: Sys): SysGen<void> {
      const ns = stub(Namespace, sys, CAP_NAMESPACE);
      const w = yield* ns.watch();
      if (!w.ok) return;
      const events = stub(Watcher, sys, w.value.watcher);
      for (;;) {
        const e = yield* events.next({ timeout: 0 });
        if (!e.ok) return;
        seen.push(`${e.value.event.kind}:${e.value.event.name}`);
        if (e.value.event.kind === 'attached') break;
      }
      done.resolve();
    }
    const sys = await boot(k, {
      watcher: { program: watch, uses: { late: 'late' } },
      late: { server: probeServer('late', new ProbeLog()), autostart: false },
    });
    await settle(k);
    expect(seen).toEqual(['sync:']);
    await sys.start('late');
    await done.promise;
    expect(seen).toEqual(['sync:', 'attached:late']);
    await sys.shutdown();
  });

  it('restarts a server whose task died: its users\' names go pending, then attach to the new one', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      user: { server: probeServer('user', log), uses: { svc: 'svc' } },
    });
    const user = log.envs.get('user')!;
    const ns = connect(Namespace, k, user.task, CAP_NAMESPACE);
    expect((await ns.attempt.query({ path: 'svc', wait: 0 })).ok).toBe(true);
    const oldTask = sys.task('svc');
    k.deleteTask(oldTask); // the server crashes
    await settle(k);
    expect(await ns.attempt.query({ path: 'svc', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const waiting = track(ns.attempt.query({ path: 'svc', wait: 60_000 }));
    await settle(k);
    await sys.restart('svc');
    await settle(k);
    expect(sys.task('svc')).not.toBe(oldTask);
    expect(waiting.value?.ok).toBe(true);
    const { cap } = await ns.query({ path: 'svc', wait: 0 });
    expect(await connect(Probe, k, user.task, cap).who()).toMatchObject({ task: user.task.id });
    expect(log.started).toEqual(['svc', 'user', 'svc']);
    expect((await sys.shutdown()).clean).toBe(true);
  });

  it('refuses start after shutdown, and restart of a program', async () => {
    const k = kernel();
    const sys = await boot(k, {
      app: { program: asker([], 0, () => {}), autostart: false },
      svc: { server: probeServer('svc', new ProbeLog()), autostart: false },
    });
    await expect(sys.restart('app')).rejects.toThrow(/not a server/);
    await sys.shutdown();
    await expect(sys.start('svc')).rejects.toThrow(/shutting down/);
  });
});
