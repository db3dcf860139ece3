// boot(): each child in its own task with its namespace view in CAP_NAMESPACE; a child
// sees only the names its parent gave it, each cap installed for that child (its own
// identity and params at the server); servers get env.caps and env.namespace; groups
// keep their names local; rights narrow; ps lists the system's tasks.

import { describe, expect, it } from 'vitest';
import { Rights } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Namespace } from '../../../servers/names/index.ts';
import { boot, CAP_NAMESPACE } from '../../../servers/system/index.ts';
import { kernel, settle } from './harness.ts';
import { asker, Probe, ProbeLog, probeServer, signal, type Finding } from './probe.ts';

describe('boot', () => {
  it('gives every child its own task and a view of only the names it uses', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const a = signal<Finding[]>();
    const sys = await boot(k, {
      alpha: { server: probeServer('alpha', log) },
      beta: { server: probeServer('beta', log), uses: { up: 'alpha' } },
      app: { program: asker(['a', 'beta', 'up'], 0, a.resolve), uses: { a: 'alpha' } },
    });
    const found = await a.promise;
    expect(found[0]).toMatchObject({ path: 'a', ok: true, task: sys.task('app').id });
    // beta exists in the system, but nobody gave it to app; nor does app see beta's names.
    expect(found.slice(1)).toEqual([
      { path: 'beta', ok: false, error: 'ENOENT' },
      { path: 'up', ok: false, error: 'ENOENT' },
    ]);
    expect(sys.namespace('app').list()).toEqual([{ name: 'a', kind: 'cap' }]);
    expect(new Set(['names', ...sys.paths].map((p) => sys.task(p).id)).size).toBe(4);
    expect((await sys.shutdown()).clean).toBe(true);
  });

  it('installs each cap for its child: per-child identity and params, no sharing', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const one = signal<Finding[]>();
    const two = signal<Finding[]>();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      one: { program: asker(['svc'], 0, one.resolve), uses: { svc: { service: 'svc', params: 'for-one' } } },
      two: { program: asker(['svc'], 0, two.resolve), uses: { svc: { service: 'svc', params: 'for-two' } } },
    });
    expect((await one.promise)[0]).toMatchObject({ ok: true, task: sys.task('one').id, param: 'for-one' });
    expect((await two.promise)[0]).toMatchObject({ ok: true, task: sys.task('two').id, param: 'for-two' });
    expect(sys.instance('svc').bucket.stats().clients).toBe(2);
    await sys.shutdown();
  });

  it('starts servers with env.caps (their own caps) and env.namespace (CAP_NAMESPACE)', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      base: { server: probeServer('base', log) },
      top: { server: probeServer('top', log), uses: { b: { service: 'base', params: 'top-param' } } },
    });
    expect(log.started).toEqual(['base', 'top']);
    const env = log.envs.get('top')!;
    expect(env.namespace).toBe(CAP_NAMESPACE);
    expect([...env.caps.keys()]).toEqual(['b']);
    const who = await connect(Probe, k, env.task, env.caps.get('b')!).who();
    expect(who).toEqual({ task: sys.task('top').id, param: 'top-param' });
    const ns = connect(Namespace, k, env.task, CAP_NAMESPACE);
    expect((await ns.list()).entries).toEqual([{ name: 'b', kind: 'cap' }]);
    expect(sys.caps('top').get('b')).toBe(env.caps.get('b'));
    await sys.shutdown();
  });

  it('keeps group names local; members use what the group was given, with its params', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const found = signal<Finding[]>();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      office: {
        uses: { shared: { service: 'svc', params: 'office' } },
        children: {
          db: { server: probeServer('office-db', log) },
          clerk: { program: asker(['data', 'svc', 'db'], 0, found.resolve), uses: { data: 'db', svc: 'shared' } },
        },
      },
    });
    const f = await found.promise;
    expect(f[0]).toMatchObject({ ok: true, task: sys.task('office/clerk').id });
    expect(f[1]).toMatchObject({ ok: true, param: 'office' });
    expect(f[2]).toEqual({ path: 'db', ok: false, error: 'ENOENT' });
    expect(sys.paths).toEqual(['svc', 'office/db', 'office/clerk']);
    expect(sys.task('office/db').name).toBe('office/db');
    await sys.shutdown();
  });

  it('narrows rights: the child\'s own copy and what its namespace answers', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      user: { server: probeServer('user', log), uses: { svc: { service: 'svc', rights: Rights.Call } } },
    });
    const env = log.envs.get('user')!;
    expect(env.task.cspace.get(env.caps.get('svc')!)?.rights).toBe(Rights.Call);
    const ns = connect(Namespace, k, env.task, CAP_NAMESPACE);
    const { cap } = await ns.query({ path: 'svc', wait: 0 });
    expect(env.task.cspace.get(cap)?.rights).toBe(Rights.Call);
    expect((await connect(Probe, k, env.task, cap).who()).task).toBe(env.task.id);
    await sys.shutdown();
  });

  it('lets a child register in its own namespace only when its description says so', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      free: { server: probeServer('free', log), uses: { svc: 'svc' }, register: true },
      locked: { server: probeServer('locked', log), uses: { svc: 'svc' } },
    });
    for (const [path, want] of [['free', true], ['locked', false]] as const) {
      const env = log.envs.get(path)!;
      const ns = connect(Namespace, k, env.task, CAP_NAMESPACE);
      const r = await ns.attempt.register({ name: 'mine', cap: env.caps.get('svc')!, rights: Rights.All });
      expect(r.ok, path).toBe(want);
      if (!want) expect(r).toMatchObject({ error: 'EPERM' });
    }
    await sys.shutdown();
  });

  it('lists the system\'s tasks and threads in ps', async () => {
    const k = kernel();
    const sys = await boot(k, { svc: { server: probeServer('svc', new ProbeLog()) } });
    await settle(k);
    const rows = sys.ps();
    expect(new Set(rows.map((r) => r.task))).toEqual(new Set(['names', 'svc']));
    expect(rows.find((r) => r.thread === 'svc.manager')).toMatchObject({ state: 'blocked-recv' });
    expect(rows.every((r) => r.blockedOn !== '' || r.state !== 'blocked-recv')).toBe(true);
    await sys.shutdown();
  });

  it('names the system\'s name server "names" and lets children use it', async () => {
    const k = kernel();
    const found = signal<Finding[]>();
    const sys = await boot(k, {
      app: { program: asker([], 0, found.resolve), uses: { root: 'names' } },
    });
    await found.promise;
    expect(sys.namespace('app').list()).toEqual([{ name: 'root', kind: 'namespace' }]);
    expect(sys.instance('names')).toBe(sys.names);
    expect(() => sys.task('nope')).toThrow(/no child nope/);
    expect(() => sys.instance('app')).toThrow(/not a running server/);
    await sys.shutdown();
  });
});
