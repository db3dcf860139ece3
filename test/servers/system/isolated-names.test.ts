// boot() with the name server in its own isolated task (a worker thread): boot builds every
// namespace through its NamesComposer, and a program resolves services through its
// namespace as with an in-process name server (a lookup, a wait on a pending name attached
// later, a server started later with autostart: false), listNames answers both ways, and
// shutdown is clean. Then each answer of the NamesComposer, called directly. Real time:
// every wait is bounded.

import { describe, expect, it } from 'vitest';
import { CAP_SELF, HostSys, Kernel, Rights, type Task } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { NamesComposer } from '../../../protocol/startup.ts';
import { authServer } from '../../../servers/auth/index.ts';
import { Namespace, namesServer, type NamesOptions } from '../../../servers/names/index.ts';
import { boot, CAP_NAMESPACE, createServerTask, type IsolatedInstance, type System } from '../../../servers/system/index.ts';
import { holder, shutdownReport, within } from './harness.ts';

async function bootWith(isolate: boolean): Promise<{ k: Kernel; sys: System }> {
  const k = new Kernel();
  const sys = await within(
    boot(k, {
      names: { server: namesServer(), isolate },
      auth: { server: authServer() },
      late: { server: authServer(), autostart: false },
      app: { program: holder, uses: { auth: { service: 'auth', params: { uid: 1000, gid: 100 } }, late: { service: 'late', params: { uid: 7, gid: 7 } } } },
      root: { program: holder, uses: { names: 'names' } },
    }),
    20_000,
    'boot',
  );
  return { k, sys };
}

/** What a program sees through its namespace, and what the composer lists, in order. */
async function scenario(isolate: boolean): Promise<Record<string, unknown>> {
  const { k, sys } = await bootWith(isolate);
  try {
    expect(sys.worker('names') !== null).toBe(isolate);
    const app = sys.task('app');
    const ns = connect(Namespace, k, app, CAP_NAMESPACE);
    const out: Record<string, unknown> = {};
    out.listed = await sys.listNames('app');
    out.listedOwn = (await ns.list()).entries;
    const { cap } = await ns.query({ path: 'auth', wait: 0 });
    out.auth = (await connect(Auth, k, app, cap).getids()).euids;
    out.notYet = (await ns.attempt.query({ path: 'late', wait: 0 })).ok;
    out.missing = await ns.attempt.query({ path: 'nope', wait: 0 });
    // A query that waits on the pending name is answered when the late server starts.
    const waiting = ns.attempt.query({ path: 'late', wait: 10_000 });
    await sys.start('late');
    const late = await within(waiting, 10_000, 'waiting query');
    out.late = late.ok ? (await connect(Auth, k, app, late.value.cap).getids()).euids : late.error;
    out.listedAfter = await sys.listNames('app');
    // A child that uses `names` itself gets a view of the root namespace.
    out.rootView = (await connect(Namespace, k, sys.task('root'), sys.caps('root').get('names')!).list()).entries;
    out.warnings = [...sys.warnings];
    Object.assign(out, await shutdownReport(sys));
    expect(sys.worker('names')?.task.alive ?? false).toBe(false);
    return out;
  } finally {
    await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
  }
}

describe('boot with the name server isolated', () => {
  it('builds every namespace in the worker: a program resolves, waits and lists as in-process, and shutdown is clean', async () => {
    const inProcess = await scenario(false);
    const isolated = await scenario(true);
    expect(isolated).toEqual(inProcess);
    expect(isolated).toEqual({
      listed: [
        { name: 'auth', kind: 'cap' },
        { name: 'late', kind: 'pending' },
      ],
      listedOwn: [
        { name: 'auth', kind: 'cap' },
        { name: 'late', kind: 'pending' },
      ],
      auth: [1000],
      notYet: false,
      missing: { ok: false, error: 'ENOENT', message: expect.any(String) },
      late: [7],
      listedAfter: [
        { name: 'auth', kind: 'cap' },
        { name: 'late', kind: 'cap' },
      ],
      rootView: [],
      warnings: [],
      errors: [],
      tasks: [],
      held: [],
      clean: true,
    });
  }, 60_000);

  it('says where its objects are: names, namespace() and instance() throw, worker() answers its worker', async () => {
    const { sys } = await bootWith(true);
    try {
      expect(() => sys.names).toThrow(/names runs isolated/);
      expect(() => sys.namespace('app')).toThrow(/names runs isolated/);
      expect(() => sys.instance('names')).toThrow(/names runs isolated: its objects live in its worker/);
      expect(sys.worker('names')?.task).toBe(sys.task('names'));
      expect(sys.started('names')).toBe(true);
      await expect(sys.listNames('nobody')).rejects.toThrow(/no child nobody/);
    } finally {
      await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
    }
  }, 30_000);

  it('a name whose server died goes pending through the composer, and the restarted server is attached again', async () => {
    const { k, sys } = await bootWith(true);
    try {
      await sys.start('late');
      const before = sys.task('late');
      k.deleteTask(before);
      await within(sys.restart('late'), 20_000, 'restart');
      expect(sys.task('late')).not.toBe(before);
      expect(await sys.listNames('app')).toEqual([
        { name: 'auth', kind: 'cap' },
        { name: 'late', kind: 'cap' },
      ]);
      const ns = connect(Namespace, k, sys.task('app'), CAP_NAMESPACE);
      const { cap } = await ns.query({ path: 'late', wait: 0 });
      expect((await connect(Auth, k, sys.task('app'), cap).getids()).euids).toEqual([7]);
    } finally {
      await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
    }
  }, 30_000);
});

/** An isolated name server started by hand, and its composer cap in `boot`. */
async function composerOf(opts: NamesOptions): Promise<{ k: Kernel; boot: Task; inst: IsolatedInstance; cap: number }> {
  const k = new Kernel();
  const bootTask = k.createTask('boot', { slots: 4096 });
  const child = createServerTask(k, bootTask, 'names', namesServer(opts).body!, { quota: 10_000, slots: 1 << 16 });
  const inst = await within(child.start(new Map(), 0), 20_000, 'names start');
  return { k, boot: bootTask, inst, cap: await within(inst.composer(), 10_000, 'composer') };
}

describe('the NamesComposer, called directly', () => {
  it('answers each of its errors as a value and keeps serving', async () => {
    const { k, boot: b, inst, cap } = await composerOf({ maxNamespaces: 3 });
    const hs = new HostSys(k, b);
    const nc = connect(NamesComposer, k, b, cap);
    try {
      // EAGAIN past the bound (the root counts): two more, then none.
      const { space } = await nc.create({ label: 'one' });
      expect((await nc.attempt.create({ label: 'two' })).ok).toBe(true);
      expect(await nc.attempt.create({ label: 'three' })).toMatchObject({ ok: false, error: 'EAGAIN' });
      // ENOENT: no namespace of that number, for every op that names one.
      const ghost = space + 1000;
      const ep = k.createEndpoint(b);
      const self = k.grant(b, CAP_SELF, b, { rights: Rights.Read });
      expect(await nc.attempt.bindPending({ space: ghost, name: 'x' })).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await nc.attempt.attach({ space: ghost, name: 'x', cap: ep, rights: Rights.All })).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await nc.attempt.lookup({ space: ghost, name: 'x' })).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await nc.attempt.installView({ space: ghost, task: self, register: false })).toMatchObject({ ok: false, error: 'ENOENT' });
      expect(await nc.attempt.list({ space: ghost })).toMatchObject({ ok: false, error: 'ENOENT' });
      // EINVAL: bad rights, bad names.
      expect((await nc.attempt.bindPending({ space, name: 'svc' })).ok).toBe(true);
      expect(await nc.attempt.attach({ space, name: 'svc', cap: ep, rights: 1 << 20 })).toMatchObject({ ok: false, error: 'EINVAL' });
      expect(await nc.attempt.bindPending({ space, name: 'a/b' })).toMatchObject({ ok: false, error: 'EINVAL' });
      expect(await nc.attempt.lookup({ space, name: '' })).toMatchObject({ ok: false, error: 'EINVAL' });
      expect(await nc.attempt.bindPending({ space, name: 'svc' })).toMatchObject({ ok: false, error: 'EEXIST' });
      // attach answers NameSpace.attach's errno in-band: ENOENT (not bound), then "" and EEXIST.
      expect(await nc.attach({ space, name: 'unbound', cap: ep, rights: Rights.All })).toEqual({ error: 'ENOENT' });
      expect(await nc.attach({ space, name: 'svc', cap: ep, rights: Rights.All })).toEqual({ error: '' });
      expect(await nc.attach({ space, name: 'svc', cap: ep, rights: Rights.All })).toEqual({ error: 'EEXIST' });
      expect(await nc.lookup({ space, name: 'svc' })).toEqual({ kind: 'cap' });
      expect(await nc.lookup({ space, name: 'unbound' })).toEqual({ kind: '' });
      // The name server's copy is revoked (as a server's caps are when it ends): the lookup makes the name pending.
      hs.revoke(ep);
      expect(await nc.lookup({ space, name: 'svc' })).toEqual({ kind: 'pending' });
      // EBADF: a task cap to a task that is gone, and a cap that is no task cap.
      const gone = k.createTask('gone');
      const goneCap = k.grant(gone, CAP_SELF, b, { rights: Rights.Read });
      k.deleteTask(gone);
      expect(await nc.attempt.installView({ space, task: goneCap, register: false })).toMatchObject({ ok: false, error: 'EBADF' });
      const other = k.createEndpoint(b);
      expect(await nc.attempt.installView({ space, task: other, register: false })).toMatchObject({ ok: false, error: 'EBADF' });
      // And it still serves: a view installed for a live task lists the namespace.
      const user = k.createTask('user');
      const userCap = k.grant(user, CAP_SELF, b, { rights: Rights.Read });
      const { view } = await nc.installView({ space, task: userCap, register: false });
      const mine = k.grant(b, view, user);
      expect((await connect(Namespace, k, user, mine).list()).entries).toEqual([{ name: 'svc', kind: 'pending' }]);
      expect((await nc.list({ space })).entries).toEqual([{ name: 'svc', kind: 'pending' }]);
      k.deleteTask(user);
    } finally {
      expect(await within(inst.shutdown(true), 20_000, 'shutdown')).toEqual([]);
      k.deleteTask(b);
    }
  }, 30_000);

  it('a body that serves no composer interface (auth) answers Startup.composer EOPNOTSUPP', async () => {
    const k = new Kernel();
    const bootTask = k.createTask('boot', { slots: 4096 });
    const child = createServerTask(k, bootTask, 'auth', authServer().body!, { quota: 10_000, slots: 1 << 16 });
    const inst = await within(child.start(new Map(), 0), 20_000, 'auth start');
    try {
      await expect(inst.composer()).rejects.toThrow(/auth: composer: EOPNOTSUPP/);
    } finally {
      await within(inst.shutdown(true), 20_000, 'shutdown');
      k.deleteTask(bootTask);
    }
  }, 30_000);
});
