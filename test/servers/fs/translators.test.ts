// The translator machinery of the filesystem server, with raw Protid and Fsys stubs:
// passive translators started on first access (one start at a time, in a new task, as
// the node's owner with an auth handle and the node itself, known to the system's task
// server as the owner's), active ones attached by
// their owner, lookups continuing in the translator, O_NOTRANS, showtrans / settrans /
// fsysopts on the server side, goaway with and without force, dead translators cleared
// and restarted, and the faults a translator can cause (never starting, never answering
// getroot, dying mid-read, throwing): clear errors, bounded by the timeout, no hang.

import { describe, expect, it } from 'vitest';
import { snapshot, type Task } from '../../../core/index.ts';
import { connect, type ErrnoName } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { FS_TRANS, FSYS_GOAWAY, O, Protid } from '../../../protocol/fs.ts';
import { TranslatorRegistry, type TranslatorEnv, type TranslatorFactory } from '../../../servers/fs/translator.ts';
import { readFrom, trivfs } from '../../../servers/fs/trivfs.ts';
import { defaultRegistry, hello } from '../../../servers/translators/index.ts';
import { psRows, taskServer, type TaskInstance } from '../../../servers/task/index.ts';
import { startServer } from '../system/harness.ts';
import { errorOf, fsWorld, virtualKernel, type Client, type FsWorld } from './harness.ts';

const TIMEOUT = 1000;

/** A registry with the stock translators and test ones. */
function registry(extra: Record<string, TranslatorFactory> = {}): TranslatorRegistry {
  const r = defaultRegistry();
  for (const [n, f] of Object.entries(extra)) r.register(n, f);
  return r;
}

/** Make `path` a file (or directory) carrying the passive translator `argv`. */
async function settrans(c: Client, path: string, argv: string[], dir = false): Promise<void> {
  if (dir) await c.root.mkdir({ name: path, mode: 0o755 });
  else await c.writeFile(path, 'the node itself');
  const n = await c.open(path, O.PATH | O.NOTRANS);
  await c.protid(n).setTranslator({ passive: argv, flags: 0 });
  c.drop(n);
}

/** Tasks the server started translators in. */
function translatorTasks(w: FsWorld): Task[] {
  return [...w.k.tasks.values()].filter((t) => t.name.startsWith('fs:'));
}

describe('passive translators', () => {
  it('start on first access, in a new task, and the lookup continues there', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'hello', ['hello']);
    expect(translatorTasks(w)).toHaveLength(0);
    expect(await c.readFile('hello')).toBe('Hello, world!\n');
    // Named after the server, the translator and where it is attached (ps tells them apart).
    expect(translatorTasks(w).map((t) => t.name)).toEqual(['fs:hello /hello']);
    expect(await c.readFile('hello')).toBe('Hello, world!\n');
    expect(translatorTasks(w)).toHaveLength(1);
  });

  it('only one start at a time: concurrent lookups wait for it', async () => {
    let starts = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow: TranslatorFactory = async (env) => {
      starts++;
      await gate;
      return hello(env);
    };
    const w = await fsWorld({ registry: registry({ slow }) });
    const c = w.client('root');
    await settrans(c, 's', ['slow']);
    const a = c.readFile('s');
    const b = c.readFile('s');
    await w.settle();
    expect(starts).toBe(1);
    release();
    expect(await a).toBe('Hello, world!\n');
    expect(await b).toBe('Hello, world!\n');
    expect(starts).toBe(1);
  });

  it('run as the node owner: ids, an auth handle for them, and the node itself', async () => {
    let seen: TranslatorEnv | null = null;
    const spy: TranslatorFactory = (env) => {
      seen = env;
      return hello(env);
    };
    const w = await fsWorld({ registry: registry({ spy }), root: { mode: 0o777 } });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await settrans(alice, 'mine', ['spy', '--contents', 'x']);
    expect(await alice.readFile('mine')).toBe('x');
    const env = seen! as TranslatorEnv;
    expect(env.argv).toEqual(['spy', '--contents', 'x']);
    expect(env.ids.euids).toEqual([1000]);
    const auth = connect(Auth, w.k, env.task, env.caps.get('auth')!);
    expect((await auth.getids()).euids).toEqual([1000]);
    const under = connect(Protid, w.k, env.task, env.underlying);
    expect(Buffer.from((await under.read({ amount: 100 })).data).toString()).toBe('the node itself');
    expect((await under.stat()).stat.uid).toBe(1000);
    // The translator's file is owned by the node owner too.
    expect((await alice.protid(await alice.open('mine')).stat()).stat.uid).toBe(1000);
  });

  it('are known to the system\'s task server as their node owner\'s (Tasks.adopt), so ps shows that user, not root', async () => {
    const k = virtualKernel();
    const { inst: tasks } = await startServer<TaskInstance>(k, 'task', taskServer());
    const w = await fsWorld({ registry: registry(), root: { mode: 0o777 } }, { k, taskFor: (t) => tasks.install(t, { admin: true }) });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const root = w.client('root');
    await settrans(alice, 'mine', ['hello']);
    await settrans(root, 'ours', ['hello']);
    expect(await alice.readFile('mine')).toBe('Hello, world!\n');
    expect(await root.readFile('ours')).toBe('Hello, world!\n');
    const task = (name: string): Task => translatorTasks(w).find((t) => t.name === name)!;
    expect(tasks.about(task('fs:hello /mine').id)).toEqual({ uid: 1000, note: '' });
    expect(tasks.about(task('fs:hello /ours').id)).toEqual({ uid: 0, note: '' });
    const rows = psRows(snapshot(k), (t) => t.id === task('fs:hello /mine').id, tasks.about);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.uid === 1000)).toBe(true);
    // A translator that goes takes its record with it.
    await alice.protid(await alice.open('mine', O.PATH | O.NOTRANS)).setTranslator({ passive: [], flags: FS_TRANS.SET_GOAWAY | FS_TRANS.FORCE });
    await w.settle();
    expect(translatorTasks(w).map((t) => t.name)).toEqual(['fs:hello /ours']);
    expect(tasks.known()).toEqual([task('fs:hello /ours').id]);
  });

  it('start all the same without a task server, or with one that refuses to hear of them (not an admin cap: EPERM)', async () => {
    const k = virtualKernel();
    const { inst: tasks } = await startServer<TaskInstance>(k, 'task', taskServer());
    const w = await fsWorld({ registry: registry(), root: { mode: 0o777 } }, { k, taskFor: (t) => tasks.install(t, { admin: false }) });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await settrans(alice, 'mine', ['hello']);
    expect(await alice.readFile('mine')).toBe('Hello, world!\n');
    expect(tasks.known()).toEqual([]);
    const alone = await fsWorld({ registry: registry(), root: { mode: 0o777 } });
    const bob = alone.client('bob', { uid: 1001, gid: 100 });
    await settrans(bob, 'his', ['hello']);
    expect(await bob.readFile('his')).toBe('Hello, world!\n');
  });

  it('a trailing slash on a translated name asks for a directory: ENOTDIR from a file translator', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'hello', ['hello']);
    expect(errorOf(await c.tryOpen('hello/'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('hello/x'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('hello'))).toBe('ok');
  });

  it('O_NOTRANS opens the node itself; getTranslator shows the setting', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'hello', ['hello', '--contents', 'hi']);
    const raw = await c.open('hello', O.RDONLY | O.NOTRANS);
    expect(Buffer.from((await c.protid(raw).read({ amount: 100 })).data).toString()).toBe('the node itself');
    expect((await c.protid(raw).getTranslator()).argv).toEqual(['hello', '--contents', 'hi']);
    expect(errorOf(await c.root.attempt.getTranslator())).toBe('EINVAL');
    expect(translatorTasks(w)).toHaveLength(0);
  });

  it('an unknown translator: ENOENT naming it; a factory that throws: EIO with its own words (its task is gone)', async () => {
    const boom: TranslatorFactory = () => {
      throw new Error('broken translator');
    };
    const w = await fsWorld({ registry: registry({ boom }) });
    const c = w.client('root');
    await settrans(c, 'u', ['nonesuch']);
    await settrans(c, 'b', ['boom']);
    await settrans(c, 'h', ['hello', '--bogus']);
    // The errno travels in the reply; the words are kept at the node (file.translatorError).
    const why = async (path: string): Promise<string> => (await c.protid(await c.open(path, O.PATH | O.NOTRANS)).translatorError()).message;
    expect(errorOf(await c.tryOpen('u'))).toBe('ENOENT');
    expect(await why('u')).toContain('translator "nonesuch" not found');
    expect(errorOf(await c.tryOpen('b'))).toBe('EIO');
    expect(await why('b')).toBe('boom: broken translator');
    expect(errorOf(await c.tryOpen('h'))).toBe('EIO');
    expect(await why('h')).toMatch(/^hello: .*--bogus/);
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(0);
    await settrans(c, 'ok', ['hello']);
    expect(await c.readFile('ok')).toBe('Hello, world!\n');
    expect(await why('ok')).toBe('');
  });

  it('a name with slashes matches its last part ("/hurd/hello")', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['/hurd/hello']);
    expect(await c.readFile('h')).toBe('Hello, world!\n');
  });

  it('a translated node cannot be removed or renamed while active (EBUSY); with only a passive setting it can', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    await settrans(c, 'd', ['tmpfs'], true);
    await c.root.rename({ oldName: 'h', newDir: c.rootSlot, newName: 'h2', excl: false });
    expect(await c.readFile('h2')).toBe('Hello, world!\n');
    await c.open('d');
    expect(errorOf(await c.root.attempt.unlink({ name: 'h2' }))).toBe('EBUSY');
    expect(errorOf(await c.root.attempt.rmdir({ name: 'd' }))).toBe('EBUSY');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'h2', newDir: c.rootSlot, newName: 'h3', excl: false }))).toBe('EBUSY');
  });
});

describe('translator control: showtrans, settrans, fsysopts, goaway', () => {
  it('only the owner or root sets a translator or reaches its control port (EPERM); ENXIO with none active', async () => {
    const w = await fsWorld({ registry: registry(), root: { mode: 0o777 } });
    const root = w.client('root');
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    await settrans(root, 'h', ['hello']);
    const asBob = bob.protid(await bob.open('h', O.PATH | O.NOTRANS));
    expect(errorOf(await asBob.attempt.setTranslator({ passive: ['tmpfs'], flags: 0 }))).toBe('EPERM');
    expect(errorOf(await asBob.attempt.getTranslatorCntl())).toBe('EPERM');
    const asRoot = root.protid(await root.open('h', O.PATH | O.NOTRANS));
    expect(errorOf(await asRoot.attempt.getTranslatorCntl())).toBe('ENXIO');
    await root.readFile('h');
    expect(errorOf(await asRoot.attempt.getTranslatorCntl())).toBe('ok');
    expect(errorOf(await asRoot.attempt.setTranslator({ passive: [''], flags: 0 }))).toBe('EINVAL');
    expect(errorOf(await asRoot.attempt.setTranslator({ active: root.authSlot, flags: FS_TRANS.FORCE }))).toBe('ok');
  });

  it('fsysopts through the control port: hello --contents changes what new reads see', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    await c.readFile('h');
    const node = c.protid(await c.open('h', O.PATH | O.NOTRANS));
    const ctl = c.fsys((await node.getTranslatorCntl()).control);
    expect((await ctl.getOptions()).options).toEqual(['--contents=Hello, world!\n']);
    await ctl.setOptions({ options: ['--contents=changed\n'] });
    expect(await c.readFile('h')).toBe('changed\n');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--frobnicate'] }))).toBe('EINVAL');
  });

  it('goaway: EBUSY while a client holds a protid; FORCE ends it; the next access restarts it', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    const open = await c.open('h');
    const node = c.protid(await c.open('h', O.PATH | O.NOTRANS));
    const ctl = c.fsys((await node.getTranslatorCntl()).control);
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    const first = translatorTasks(w)[0]!;
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(first.alive).toBe(false);
    expect(errorOf(await c.protid(open).attempt.read({ amount: 1 }))).not.toBe('ok');
    expect(await c.readFile('h')).toBe('Hello, world!\n');
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(1);
  });

  it('settrans -g: SET_GOAWAY with an empty passive setting ends it and clears the node', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    await c.readFile('h');
    const node = c.protid(await c.open('h', O.PATH | O.NOTRANS));
    await node.setTranslator({ passive: [], flags: FS_TRANS.SET_GOAWAY });
    await w.settle();
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(0);
    expect(await c.readFile('h')).toBe('the node itself');
    expect(errorOf(await node.attempt.getTranslator())).toBe('EINVAL');
  });

  it('settrans -g without -f on a busy translator: EBUSY, it stays', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    const held = await c.open('h');
    const node = c.protid(await c.open('h', O.PATH | O.NOTRANS));
    expect(errorOf(await node.attempt.setTranslator({ passive: [], flags: FS_TRANS.SET_GOAWAY }))).toBe('EBUSY');
    expect(Buffer.from((await c.protid(held).read({ amount: 5 })).data).toString()).toBe('Hello');
    await node.setTranslator({ passive: [], flags: FS_TRANS.SET_GOAWAY | FS_TRANS.FORCE });
    expect(await c.readFile('h')).toBe('the node itself');
  });

  it('the server going away asks its translators first (EBUSY when one is in use, unless forced)', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    const held = await c.open('h');
    const ctl = c.fsys(w.fs.installControl(c.task));
    // The client now holds only the translator's protid and the control port.
    c.drop(c.rootSlot);
    await w.settle();
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    expect(w.fs.bucket.ended).toBe(false);
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(1);
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(0);
    expect(w.fs.bucket.ended).toBe(true);
    expect(errorOf(await c.protid(held).attempt.read({ amount: 1 }))).not.toBe('ok');
  });
});

describe('active translators', () => {
  /** A hello started by the test in its own task; its control port as a slot of `c`'s task. */
  async function startActive(w: FsWorld, c: Client, contents: string): Promise<{ control: number; task: Task }> {
    const task = w.k.createTask(`active-${contents}`, { quota: 10_000, slots: 1 << 12 });
    const inst = await hello({
      kernel: w.k,
      task,
      caps: new Map(),
      argv: ['hello', '--contents', contents],
      ids: c.ids,
      underlying: 0,
      registry: new TranslatorRegistry(),
      exit: () => w.k.deleteTask(task),
    });
    return { control: inst.bucket.install(inst.control, c.task), task };
  }

  it('an owner attaches a running translator; EBUSY over another unless FORCE; EXCL refuses', async () => {
    const w = await fsWorld();
    const c = w.client('root');
    await c.writeFile('n', 'plain');
    const node = c.protid(await c.open('n', O.PATH | O.NOTRANS));
    const one = await startActive(w, c, 'one\n');
    await node.setTranslator({ active: one.control, flags: 0 });
    expect(await c.readFile('n')).toBe('one\n');
    const two = await startActive(w, c, 'two\n');
    expect(errorOf(await node.attempt.setTranslator({ active: two.control, flags: 0 }))).toBe('EBUSY');
    expect(errorOf(await node.attempt.setTranslator({ active: two.control, flags: FS_TRANS.FORCE | FS_TRANS.EXCL }))).toBe('EBUSY');
    await node.setTranslator({ active: two.control, flags: FS_TRANS.FORCE | FS_TRANS.SET_GOAWAY });
    expect(await c.readFile('n')).toBe('two\n');
    await w.settle();
    expect(one.task.alive).toBe(false);
  });

  it('a dead active translator without a passive setting is cleared: the node shows through', async () => {
    const w = await fsWorld();
    const c = w.client('root');
    await c.writeFile('n', 'plain');
    const node = c.protid(await c.open('n', O.PATH | O.NOTRANS));
    const one = await startActive(w, c, 'one\n');
    await node.setTranslator({ active: one.control, flags: 0 });
    expect(await c.readFile('n')).toBe('one\n');
    w.k.deleteTask(one.task);
    expect(await c.readFile('n')).toBe('plain');
    expect(errorOf(await node.attempt.getTranslatorCntl())).toBe('ENXIO');
  });

  it('a non-endpoint cap is not a translator (EINVAL)', async () => {
    const w = await fsWorld();
    const c = w.client('root');
    await c.writeFile('n', 'plain');
    const node = c.protid(await c.open('n', O.PATH | O.NOTRANS));
    const notif = w.k.createNotification(c.task);
    expect(errorOf(await node.attempt.setTranslator({ active: notif, flags: 0 }))).toBe('EINVAL');
  });
});

describe('faults: nothing hangs', () => {
  it('a translator that never starts: ETIMEDOUT, its task deleted; the next access tries again', async () => {
    let starts = 0;
    const never: TranslatorFactory = () => {
      starts++;
      return new Promise(() => {});
    };
    const w = await fsWorld({ registry: registry({ never }), translatorTimeout: TIMEOUT });
    const c = w.client('root');
    await settrans(c, 'n', ['never']);
    expect(errorOf(await c.tryOpen('n'))).toBe('ETIMEDOUT');
    expect(translatorTasks(w).filter((t) => t.alive)).toHaveLength(0);
    expect(errorOf(await c.tryOpen('n'))).toBe('ETIMEDOUT');
    expect(starts).toBe(2);
    // The node itself is still there.
    expect(errorOf(await c.tryOpen('n', O.RDONLY | O.NOTRANS))).toBe('ok');
  });

  it('a translator that never answers getroot: ETIMEDOUT; other lookups are served', async () => {
    const mute: TranslatorFactory = (env) =>
      trivfs(env, {
        name: 'mute',
        fsys: { getroot: (ctx) => ctx.defer() },
      });
    const w = await fsWorld({ registry: registry({ mute }), translatorTimeout: TIMEOUT });
    const c = w.client('root');
    await settrans(c, 'm', ['mute']);
    await c.writeFile('other', 'fine');
    const stuck = c.tryOpen('m');
    expect(await c.readFile('other')).toBe('fine');
    expect(errorOf(await stuck)).toBe('ETIMEDOUT');
  });

  it('a translator that dies mid-read: the read fails (no hang); the next access restarts it', async () => {
    const reads: { ctxDone: () => boolean }[] = [];
    const stall: TranslatorFactory = (env) =>
      trivfs(env, {
        name: 'stall',
        size: () => 5,
        handlers: {
          read(ctx, args) {
            if (args.offset === 0) return readFrom(ctx, Buffer.from('fresh'), args);
            const d = ctx.defer();
            reads.push({ ctxDone: () => d.done });
            return d;
          },
        },
      });
    const w = await fsWorld({ registry: registry({ stall }) });
    const c = w.client('root');
    await settrans(c, 's', ['stall']);
    const f = await c.open('s');
    const pending = c.protid(f).attempt.read({ amount: 10 });
    await w.settle();
    expect(reads).toHaveLength(1);
    const t = translatorTasks(w)[0]!;
    w.k.deleteTask(t);
    const r = await pending;
    expect(r.ok).toBe(false);
    expect(['EPIPE', 'ECONNABORTED', 'EINTR', 'EBADF'] as ErrnoName[]).toContain(errorOf(r));
    const again = await c.open('s');
    expect(Buffer.from((await c.protid(again).read({ amount: 10, offset: 0 })).data).toString()).toBe('fresh');
    expect(translatorTasks(w).filter((x) => x.alive)).toHaveLength(1);
  });

  it('a translator that never answers a read: the client\'s timeout bounds it; the parent keeps serving', async () => {
    const silent: TranslatorFactory = (env) => trivfs(env, { name: 'silent', handlers: { read: (ctx) => ctx.defer() } });
    const w = await fsWorld({ registry: registry({ silent }) });
    const c = w.client('root');
    await settrans(c, 's', ['silent']);
    await c.writeFile('other', 'fine');
    const f = await c.open('s');
    const stuck = c.protid(f).attempt.read({ amount: 10 }, { timeout: TIMEOUT });
    expect(await c.readFile('other')).toBe('fine');
    expect(errorOf(await stuck)).toBe('ETIMEDOUT');
  });

  it('a translator whose control port dies before getroot is restarted within the same lookup', async () => {
    const w = await fsWorld({ registry: registry() });
    const c = w.client('root');
    await settrans(c, 'h', ['hello']);
    await c.readFile('h');
    w.k.deleteTask(translatorTasks(w)[0]!);
    expect(await c.readFile('h')).toBe('Hello, world!\n');
  });
});
