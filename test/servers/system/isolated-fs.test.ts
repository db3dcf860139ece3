// The fs server in its own isolated task (a worker thread), booted by boot(): the same
// client program, through the fs client, gets the same answers from an isolated fs as
// from an in-process one: create, write, read, stat, readdir, rename, unlink, a
// permission refusal for a non-root user, a 1 MiB write and read (the transfer-buffer
// dataspace path, mapped by the worker and by the client; and again by a client in a
// worker of its own), a change notification (the
// fs's poster in the worker posting to the in-process notify service), and passive
// translators (started through boot's launcher when isolated): one that answers, one
// not registered (ENOENT), one that fails (EIO with its words), one that never starts
// (ETIMEDOUT); goaway ends the translator's task. The worker dying ends its translators'
// tasks (the tether) and gives the clients EPIPE while an in-process fs of the same
// system keeps answering. Real time: every wait is bounded.

import { describe, expect, it } from 'vitest';
import { Kernel, Status, type Sys, type SysGen } from '../../../core/index.ts';
import { stub } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { O, Protid } from '../../../protocol/fs.ts';
import { createIsolatedTask } from '../../../core/isolate/index.ts';
import { pattern } from './fixtures/fs-client-body.ts';
import { createFsClient, settrans, type FsClient } from '../../../clients/fs/index.ts';
import { authServer, ROOT_IDS } from '../../../servers/auth/index.ts';
import { fsServer, TranslatorRegistry, type TranslatorInstance } from '../../../servers/fs/index.ts';
import { hello } from '../../../servers/translators/index.ts';
import { notifyServer, type NotifyInstance } from '../../../servers/notify/index.ts';
import { boot, type System } from '../../../servers/system/index.ts';
import { holder, shutdownReport, within } from './harness.ts';


const ALICE = { uid: 1000, gid: 100 };

/**
 * The translators both filesystems may start: hello, one that throws, one that never
 * starts, and hello that never exits on its own (goaway answers, its task stays: the fs
 * must end it).
 */
function registry(): TranslatorRegistry {
  return new TranslatorRegistry([
    ['hello', hello],
    ['deaf', (env) => hello({ ...env, exit: () => {} })],
    [
      'broken',
      () => {
        throw new Error('bad arguments');
      },
    ],
    ['stuck', () => new Promise<TranslatorInstance>(() => {})],
  ]);
}

/** Translator tasks of the fs (named "fs:<translator> <path>") that are alive. */
function translatorTasks(k: Kernel): string[] {
  return [...k.tasks.values()].filter((t) => t.alive && t.name.startsWith('fs:')).map((t) => t.name);
}
const MIB = 1 << 20;

async function bootFs(isolate: boolean): Promise<{ k: Kernel; sys: System }> {
  const k = new Kernel();
  const fsUses = { auth: { service: 'auth', params: ROOT_IDS }, notify: 'notify' };
  const sys = await within(
    boot(k, {
      auth: { server: authServer() },
      notify: { server: notifyServer() },
      fs: { server: fsServer({ files: { '/etc/motd': 'welcome\n', '/home': null }, registry: registry(), translatorTimeout: 500 }), uses: fsUses, isolate },
      other: { server: fsServer({ name: 'other', files: { '/x': 'bystander\n' } }), uses: fsUses },
      root: { program: holder, uses: { fs: 'fs', auth: 'auth', notify: 'notify' } },
      alice: {
        program: holder,
        uses: {
          fs: { service: 'fs', params: ALICE },
          // A protid made for root, handed to alice: reauthenticating it gives her own.
          rootsFs: { service: 'fs', params: ROOT_IDS },
          other: { service: 'other', params: ALICE },
          auth: { service: 'auth', params: ALICE },
          notify: 'notify',
        },
      },
    }),
    20_000,
    'boot',
  );
  return { k, sys };
}

function client(k: Kernel, sys: System, path: string, name = 'fs'): FsClient {
  const caps = sys.caps(path);
  return createFsClient(k, sys.task(path), { root: caps.get(name)!, auth: caps.get('auth')!, notify: caps.get('notify')! });
}

/** What an fs call answered: its value, or its error code. */
async function answer<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** What an fs call answered: its value, or its error code and message. */
async function failure<T>(p: Promise<T>): Promise<T | { code: string; message: string }> {
  try {
    return await p;
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
}

/**
 * io.reauthenticate from alice's task on the root protid she was handed, through her own
 * auth handle (the fs meets auth from host code: invokeFromHost); what mkdir in /etc
 * answers on the old port and on the new one.
 */
function reauthAsAlice(k: Kernel, sys: System): Promise<string[]> {
  const caps = sys.caps('alice');
  const rootsPort = caps.get('rootsFs')!;
  const authSlot = caps.get('auth')!;
  return k.exec(sys.task('alice'), function* (s: Sys): SysGen<string[]> {
    const etc = yield* stub(Protid, s, rootsPort).lookup({ name: 'etc', flags: O.RDONLY, mode: 0 });
    if (!etc.ok || etc.value.port === undefined) return ['no /etc'];
    const auth = stub(Auth, s, authSlot);
    const r = yield* auth.rendezvous();
    if (!r.ok) return [r.error];
    const rv = r.value.rendezvous;
    yield* stub(Protid, s, etc.value.port).reauthenticate({ rendezvous: rv });
    const u = yield* auth.userAuthenticate({ rendezvous: rv, timeout: 5000 });
    if (!u.ok) return [u.error];
    const asRoot = yield* stub(Protid, s, etc.value.port).mkdir({ name: 'byroot', mode: 0o755 });
    const asAlice = yield* stub(Protid, s, u.value.port).mkdir({ name: 'byalice', mode: 0o755 });
    return [asRoot.ok ? 'ok' : asRoot.error, asAlice.ok ? 'ok' : asAlice.error];
  });
}

/** Wait until `task` has a watch waiting at its mailbox (registration done), bounded. */
async function watching(notify: NotifyInstance, taskId: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (notify.mailboxes().some((m) => m.owner === taskId && m.waiters > 0)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the watch did not register');
}

/**
 * An fs client in its own worker (test/servers/system/fixtures/fs-client-body.ts), given
 * a copy of `path`'s fs root cap: it writes and reads `size` bytes of `file` through the
 * transfer dataspace; what it reported.
 */
async function isolatedClient(k: Kernel, sys: System, path: string, file: string, size: number): Promise<unknown> {
  const home = k.createTask('home', { quota: 100 });
  const report = k.createEndpoint(home);
  const it = createIsolatedTask(k, 'bigio', {
    module: new URL('./fixtures/fs-client-body.ts', import.meta.url),
    export: 'bigIo',
    arg: { fs: 3, report: 4, path: file, size },
    quota: 1000,
  });
  k.grant(sys.task(path), sys.caps(path).get('fs')!, it.task, { slot: 3 });
  k.grant(home, report, it.task, { slot: 4 });
  try {
    const got = k.exec(home, function* (hs: Sys): SysGen<string> {
      const st: number = yield hs.recv(report, 20_000);
      if (st !== Status.Ok) return `recv ${st}`;
      const text = String(hs.utcb.itemsIn[0]);
      yield hs.reply(0, 0, 0);
      return text;
    });
    return JSON.parse(await within(got, 25_000, 'isolated client report')) as unknown;
  } finally {
    await it.kill();
    k.deleteTask(home);
  }
}

/** The same client program against the fs; what it saw. */
async function scenario(isolate: boolean): Promise<Record<string, unknown>> {
  const { k, sys } = await bootFs(isolate);
  try {
    expect(sys.worker('fs') !== null).toBe(isolate);
    const root = client(k, sys, 'root');
    const alice = client(k, sys, 'alice');
    const out: Record<string, unknown> = {};
    out.motd = await root.readFile('/etc/motd', 'utf8');
    // A seeded volume has memfs's modes (0o777 directories, 0o666 files): tighten them as root.
    await root.chmod('/etc', 0o755);
    await root.chmod('/etc/motd', 0o644);
    await root.mkdir('/home/alice');
    await root.chown('/home/alice', 1000, 100);
    await alice.writeFile('/home/alice/a', 'hello\n');
    out.read = await alice.readFile('/home/alice/a', 'utf8');
    const st = await alice.stat('/home/alice/a');
    out.stat = { size: st.size, uid: st.uid, gid: st.gid, mode: st.mode.toString(8), isFile: st.isFile() };
    await alice.rename('/home/alice/a', '/home/alice/b');
    out.readdir = (await alice.readdir('/home/alice')).sort();
    out.eaccesWrite = await answer(alice.writeFile('/etc/motd', 'mine'));
    out.eaccesMkdir = await answer(alice.mkdir('/etc/d'));
    out.enoent = await answer(alice.readFile('/home/alice/a', 'utf8'));
    out.reauth = await within(reauthAsAlice(k, sys), 10_000, 'reauthenticate');
    // 1 MiB both ways: io.mapBuffer's dataspace, mapped by the server (in the worker when isolated) and the client.
    const big = Buffer.alloc(MIB);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
    await alice.writeFile('/home/alice/big', big);
    const back = await alice.readFile('/home/alice/big');
    out.big = { size: back.length, same: Buffer.compare(back, big) === 0, stat: (await alice.stat('/home/alice/big')).size };
    // The same through an fs client in its own worker, as alice: the transfer dataspace mapped in both workers when the fs is isolated.
    out.isolatedClient = await isolatedClient(k, sys, 'alice', 'home/alice/big2', MIB);
    const big2 = await alice.readFile('/home/alice/big2');
    out.big2 = { size: big2.length, same: big2.every((b, i) => b === pattern(i)) };
    await alice.unlink('/home/alice/big2');
    // A change notification: alice watches, root writes.
    const ac = new AbortController();
    const it = alice.watch('/home/alice', { signal: ac.signal })[Symbol.asyncIterator]();
    const first = it.next();
    await watching(sys.instance<NotifyInstance>('notify'), sys.task('alice').id);
    await root.writeFile('/home/alice/from-root', 'x');
    const ev = await within(first, 10_000, 'change event');
    out.event = ev.done === true ? 'done' : `${ev.value.eventType} ${String(ev.value.filename)}`;
    ac.abort();
    await alice.unlink('/home/alice/b');
    out.afterUnlink = (await alice.readdir('/home/alice')).sort();
    // Passive translators: set on nodes; a lookup through each starts it.
    for (const [path, argv] of [
      ['/greet', ['hello', '--contents=hi\n']],
      ['/nope', ['nosuch']],
      ['/broken', ['broken']],
      ['/stuck', ['stuck']],
    ] as const) {
      await root.writeFile(path, '');
      await settrans(root, path, argv);
    }
    out.greet = await alice.readFile('/greet', 'utf8');
    out.greetTasks = translatorTasks(k);
    out.nope = await failure(root.readFile('/nope', 'utf8'));
    out.broken = await failure(root.readFile('/broken', 'utf8'));
    out.stuck = await failure(root.readFile('/stuck', 'utf8'));
    out.afterFailures = translatorTasks(k);
    // goaway ends the translator's task (and clears the passive setting: no argv); a new setting starts a new one.
    await settrans(root, '/greet', [], { goaway: true });
    out.afterGoaway = translatorTasks(k);
    // A translator that does not end itself on goaway: the fs ends its task.
    await root.writeFile('/deaf', '');
    await settrans(root, '/deaf', ['deaf', '--contents=deaf\n']);
    out.deaf = await root.readFile('/deaf', 'utf8');
    out.deafTasks = translatorTasks(k);
    await settrans(root, '/deaf', [], { goaway: true });
    out.afterDeafGoaway = translatorTasks(k);
    out.underneath = await root.readFile('/greet', 'utf8');
    await settrans(root, '/greet', ['hello', '--contents=again\n']);
    out.again = await root.readFile('/greet', 'utf8');
    out.againTasks = translatorTasks(k);
    Object.assign(out, await shutdownReport(sys));
    expect(sys.worker('fs')?.task.alive ?? false).toBe(false);
    return out;
  } finally {
    await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
  }
}

describe('boot with an isolated fs', () => {
  it('gives the fs client the same answers as an in-process fs', async () => {
    const inProcess = await scenario(false);
    const isolated = await scenario(true);
    expect(isolated).toEqual(inProcess);
    expect(inProcess).toMatchObject({
      motd: 'welcome\n',
      read: 'hello\n',
      stat: { size: 6, uid: 1000, gid: 100, isFile: true },
      readdir: ['b'],
      eaccesWrite: 'EACCES',
      eaccesMkdir: 'EACCES',
      enoent: 'ENOENT',
      reauth: ['ok', 'EACCES'],
      big: { size: MIB, same: true, stat: MIB },
      isolatedClient: { lookup: 'ok', mapBuffer: 'ok', map: 'ok', wrote: MIB, read: MIB, same: true },
      big2: { size: MIB, same: true },
      event: 'rename from-root',
      afterUnlink: ['big', 'from-root'],
      greet: 'hi\n',
      greetTasks: ['fs:hello /greet'],
      nope: { code: 'ENOENT' },
      broken: { code: 'EIO', message: expect.stringContaining('broken: bad arguments') },
      stuck: { code: 'ETIMEDOUT' },
      afterFailures: ['fs:hello /greet'],
      afterGoaway: [],
      deaf: 'deaf\n',
      deafTasks: ['fs:deaf /deaf'],
      afterDeafGoaway: [],
      underneath: '',
      again: 'again\n',
      againTasks: ['fs:hello /greet'],
      errors: [],
      tasks: [],
      clean: true,
    });
  }, 90_000);

  it('its worker dying ends its translators and gives its clients EPIPE; an in-process fs of the same system keeps answering', async () => {
    const { k, sys } = await bootFs(true);
    try {
      const alice = client(k, sys, 'alice');
      const root = client(k, sys, 'root');
      expect(await alice.readFile('/etc/motd', 'utf8')).toBe('welcome\n');
      // A translator the isolated fs started through the launcher, and a file open in it.
      await root.writeFile('/greet', '');
      await settrans(root, '/greet', ['hello', '--contents=hi\n']);
      const open = await root.open('/greet');
      expect(translatorTasks(k)).toEqual(['fs:hello /greet']);
      const w = sys.worker('fs')!;
      await w.worker.terminate();
      const why = await within(w.done, 10_000, 'worker end');
      expect(why.reason).not.toBe('returned');
      expect(w.task.alive).toBe(false);
      // The tether ends the translator's task with the fs's.
      for (let i = 0; i < 200 && translatorTasks(k).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(translatorTasks(k)).toEqual([]);
      expect(await within(answer(open.read(Buffer.alloc(8), 0, 8, 0)), 10_000, 'read in the dead translator')).toBe('EPIPE');
      expect(await within(answer(alice.readFile('/etc/motd', 'utf8')), 10_000, 'call after death')).toBe('EPIPE');
      expect(await within(client(k, sys, 'alice', 'other').readFile('/x', 'utf8'), 10_000, 'bystander')).toBe('bystander\n');
      const report = await within(sys.shutdown(), 20_000, 'shutdown');
      expect(report.errors).toEqual([]);
      expect(report.held).toEqual([{ server: 'fs', what: 'its task had died before shutdown' }]);
    } finally {
      await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
    }
  }, 60_000);
});
