// settrans, showtrans and fsysopts as library calls over the fs client: passive settings
// (set, shown, cleared, started on first access), an active translator attached from
// its control port, goaway (with and without force), exclusivity, and the errors a user
// gets (ENOENT, EPERM, ENXIO, EBUSY), Node-shaped.

import { describe, expect, it } from 'vitest';
import { HostSys, type Task } from '../../../core/index.ts';
import { idsFor } from '../../../servers/auth/auth-server.ts';
import { TranslatorRegistry, type TranslatorInstance } from '../../../servers/fs/translator.ts';
import { fsysopts, fsysoptsArgv, settrans, showtrans } from '../../../clients/fs/index.ts';
import { hello, HELLO_TEXT } from '../../../servers/translators/index.ts';
import { rejectsWith } from '../../fs/conformance/harness.ts';
import { capCount, serverWorld, USER } from '../../fs/server-world.ts';

/** A world where the user owns /home. */
async function world() {
  const w = serverWorld();
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/home', 0o755);
  await admin.fs.chown('/home', USER.uid, USER.gid);
  await admin.fs.writeFile('/etc-file', 'root owns this');
  const user = w.client('user', USER);
  return { w, admin, user };
}

/** Start hello in its own task, as `settrans -a` would, and give `to` its control port. */
function startHello(w: ReturnType<typeof serverWorld>, to: Task, argv: string[] = ['hello']): { control: number; inst: TranslatorInstance } {
  const task = w.k.createTask('hello-active', { quota: 10_000, slots: 1 << 12 });
  const inst = hello({
    kernel: w.k,
    task,
    caps: new Map(),
    argv,
    ids: idsFor(USER.uid, USER.gid),
    underlying: 0,
    registry: new TranslatorRegistry(),
    exit: () => w.k.deleteTask(task),
  }) as TranslatorInstance;
  const control = inst.bucket.install(inst.control, to);
  return { control, inst };
}

describe('settrans, showtrans, fsysopts', () => {
  it('a passive translator: set on a new node (-c), shown, started on first access', async () => {
    const { user } = await world();
    await settrans(user.fs, '/home/hello', ['hello'], { create: true });
    expect(await showtrans(user.fs, '/home/hello')).toEqual(['hello']);
    expect(await user.fs.readFile('/home/hello', 'utf8')).toBe(HELLO_TEXT);
    const s = await user.fs.stat('/home/hello');
    expect(s.isFile()).toBe(true);
    expect(s.mode & 0o777).toBe(0o444);
  });

  it('fsysopts reads and sets a running translator\'s options', async () => {
    const { user } = await world();
    await settrans(user.fs, '/home/hello', ['hello', '--contents=first\n'], { create: true });
    expect(await user.fs.readFile('/home/hello', 'utf8')).toBe('first\n');
    expect(await fsysopts(user.fs, '/home/hello')).toEqual(['--contents=first\n']);
    expect(await fsysopts(user.fs, '/home/hello', ['--contents=second\n'])).toEqual(['--contents=second\n']);
    expect(await user.fs.readFile('/home/hello', 'utf8')).toBe('second\n');
  });

  it("fsysoptsArgv names the translator first, as the Hurd's fsysopts prints it", async () => {
    const { admin, user } = await world();
    await settrans(user.fs, '/home/hello', ['/hurd/hello', '--contents=x\n'], { create: true });
    expect(await fsysoptsArgv(user.fs, '/home/hello')).toEqual(['/hurd/hello', '--contents=x\n']);
    // The root filesystem (file_getcontrol) says its own name too.
    expect(await fsysoptsArgv(admin.fs, '/')).toEqual(['fs', '--writable']);
  });

  it("a passive translator that fails to start: every operation through it reports the translator's own words", async () => {
    const { user } = await world();
    await settrans(user.fs, '/home/bad', ['hello', '--bogus'], { create: true });
    const r = await user.fs.readFile('/home/bad', 'utf8').then(() => null, (x: NodeJS.ErrnoException) => x);
    expect([r?.code, r?.syscall, r?.path, r?.message]).toEqual(['EIO', 'open', '/home/bad', `EIO: i/o error, open '/home/bad': hello: bad arguments ["--bogus"]`]);
    const e = await user.fs.stat('/home/bad').then(() => null, (x: Error) => x);
    expect(e?.message).toBe(`EIO: i/o error, stat '/home/bad': hello: bad arguments ["--bogus"]`);
    // An error that is not a start failure keeps Node's message as it is.
    const missing = await user.fs.stat('/home/none').then(() => null, (x: Error) => x);
    expect(missing?.message).toBe("ENOENT: no such file or directory, stat '/home/none'");
  });

  it('an empty command line clears the passive setting', async () => {
    const { user } = await world();
    await settrans(user.fs, '/home/hello', ['hello'], { create: true });
    await settrans(user.fs, '/home/hello', [], { goaway: true });
    expect(await showtrans(user.fs, '/home/hello')).toEqual([]);
    expect(await user.fs.readFile('/home/hello', 'utf8')).toBe('');
  });

  it('an active translator attached from its control port (-a); no passive setting', async () => {
    const { w, user } = await world();
    await user.fs.writeFile('/home/node', 'underneath');
    const { control } = startHello(w, user.task, ['hello', '--contents=active\n']);
    await settrans(user.fs, '/home/node', [], { active: control });
    expect(await user.fs.readFile('/home/node', 'utf8')).toBe('active\n');
    expect(await showtrans(user.fs, '/home/node')).toEqual([]);
    expect(await fsysopts(user.fs, '/home/node')).toEqual(['--contents=active\n']);
  });

  it("a control cap its attacher revokes detaches the translator; another client's cap that refills the slot is never called or deleted", async () => {
    const { w, admin, user } = await world();
    await user.fs.writeFile('/home/node', 'underneath');
    const a = startHello(w, user.task, ['hello', '--contents=user\n']);
    await settrans(user.fs, '/home/node', [], { active: a.control });
    expect(await user.fs.readFile('/home/node', 'utf8')).toBe('user\n');
    // The attacher takes its cap back: the server's copy goes, and its slot is free.
    const stale = [...w.fs.fs.children.keys()][0]!.control;
    new HostSys(w.k, user.task).revoke(a.control);
    expect(w.fs.fs.ops.identify(stale)).toBeNull();
    // Another client's translator, and its control cap refilling the very slot the server kept.
    await admin.fs.writeFile('/other', 'under other');
    const b = startHello(w, admin.task, ['hello', '--contents=admin\n']);
    await settrans(admin.fs, '/other', [], { active: b.control });
    w.k.grant(admin.task, b.control, w.fs.fs.task!, { slot: stale });
    // The user's node is itself again; it never answers with the other client's translator.
    expect(await user.fs.readFile('/home/node', 'utf8')).toBe('underneath');
    // Asking the gone translator to go away leaves the other one attached and answering.
    await settrans(user.fs, '/home/node', [], { goaway: true });
    expect(await admin.fs.readFile('/other', 'utf8')).toBe('admin\n');
  });

  it('exclusive (-x) refuses a node with an active translator: EBUSY', async () => {
    const { w, user } = await world();
    await user.fs.writeFile('/home/node', 'x');
    const a = startHello(w, user.task);
    const b = startHello(w, user.task);
    await settrans(user.fs, '/home/node', [], { active: a.control });
    await rejectsWith(settrans(user.fs, '/home/node', [], { active: b.control, exclusive: true }), {
      code: 'EBUSY',
      syscall: 'settrans',
      path: '/home/node',
    });
  });

  it('goaway stops the active translator; the node is itself again', async () => {
    const { w, user } = await world();
    await user.fs.writeFile('/home/node', 'underneath');
    const { control } = startHello(w, user.task);
    await settrans(user.fs, '/home/node', [], { active: control });
    expect(await user.fs.readFile('/home/node', 'utf8')).toBe(HELLO_TEXT);
    await settrans(user.fs, '/home/node', [], { goaway: true });
    expect(await user.fs.readFile('/home/node', 'utf8')).toBe('underneath');
  });

  it('goaway while the translator is in use: EBUSY unless forced', async () => {
    const { user } = await world();
    await settrans(user.fs, '/home/hello', ['hello'], { create: true });
    const h = await user.fs.open('/home/hello');
    await rejectsWith(settrans(user.fs, '/home/hello', [], { goaway: true }), { code: 'EBUSY', syscall: 'settrans', path: '/home/hello' });
    await settrans(user.fs, '/home/hello', [], { goaway: true, force: true });
    expect(await showtrans(user.fs, '/home/hello')).toEqual([]);
    await h.close();
  });

  it('errors: ENOENT for a missing node, EPERM on a node of someone else, EPERM for the filesystem\'s own options unless root', async () => {
    const { user } = await world();
    await rejectsWith(showtrans(user.fs, '/home/none'), { code: 'ENOENT', syscall: 'showtrans', path: '/home/none' });
    await rejectsWith(settrans(user.fs, '/etc-file', ['hello']), { code: 'EPERM', syscall: 'settrans', path: '/etc-file' });
    await user.fs.writeFile('/home/plain', 'x');
    // No translator on the node: fsysopts asks the filesystem serving it (file_getcontrol), root only.
    await rejectsWith(fsysopts(user.fs, '/home/plain'), { code: 'EPERM', syscall: 'fsysopts', path: '/home/plain' });
  });

  it('bad arguments are argument errors, rejected, never thrown', async () => {
    const { user } = await world();
    await expect(settrans(user.fs, '/home/x', 'hello' as unknown as string[])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(settrans(user.fs, '/home/x', [], { active: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(showtrans(user.fs, 42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('the tools leave no port behind in the client task', async () => {
    const { user } = await world();
    const base = capCount(user.task);
    await settrans(user.fs, '/home/hello', ['hello'], { create: true });
    await showtrans(user.fs, '/home/hello');
    await fsysopts(user.fs, '/home/hello');
    await fsysopts(user.fs, '/home/hello', ['--contents=x']);
    await fsysopts(user.fs, '/home').catch(() => undefined);
    expect(capCount(user.task)).toBe(base);
  });
});
