// Mounting translators over a memfs filesystem: a user sets the hello translator on a
// file of hers and tmpfs on a directory (passive settings, started on first access, as
// her), reads and writes through them with the fs.promises client, changes hello's text
// with fsysopts, steps out of tmpfs with "..", hits EXDEV renaming across, and makes
// tmpfs go away. Uses only public APIs.
// Run it: npx tsx examples/mount-translators.ts

import { Kernel, VirtualClock } from '../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../servers/auth/index.ts';
import { fsServer } from '../servers/fs/index.ts';
import { createFsClient, fsysopts, settrans, showtrans, type FsClient } from '../clients/fs/index.ts';
import { installService } from '../libcap/server.ts';
import { defaultRegistry } from '../servers/translators/index.ts';
import { isMain } from './is-main.ts';

/** The error code a promise rejects with, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const authTask = kernel.createTask('auth', { quota: 100_000, slots: 1 << 14 });
  const auth = (await authServer()({ kernel, task: authTask, caps: new Map() })) as AuthInstance;
  const fsTask = kernel.createTask('fs', { quota: 100_000, slots: 1 << 16 });
  const fs = fsServer({ registry: defaultRegistry() })({
    kernel,
    task: fsTask,
    caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]),
  });

  /** A client task for a user: a root protid and an auth handle from the servers, an fs client over them. */
  const login = (name: string, uid: number, gid: number): FsClient => {
    const task = kernel.createTask(name);
    const ids = idsFor(uid, gid);
    return createFsClient(kernel, task, { root: fs.install(task, ids), auth: installService(auth, task, ids), umask: 0o022 });
  };
  const root = login('root', 0, 0);
  await root.mkdir('/home');
  await root.mkdir('/home/alice', 0o755);
  await root.chown('/home/alice', 1000, 100);
  const alice = login('alice', 1000, 100);

  // hello: a passive translator on a file of hers, started on first access.
  await alice.writeFile('/home/alice/hello', 'the plain file underneath\n');
  await settrans(alice, '/home/alice/hello', ['hello']);
  out(`showtrans /home/alice/hello: ${JSON.stringify(await showtrans(alice, '/home/alice/hello'))}`);
  out(`cat /home/alice/hello: ${JSON.stringify(await alice.readFile('/home/alice/hello', 'utf8'))}`);
  const st = await alice.stat('/home/alice/hello');
  out(`stat: mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid} (the translator runs as alice)`);
  out(`write to it: ${await outcome(alice.writeFile('/home/alice/hello', 'x'))}`);
  out(`fsysopts: ${JSON.stringify(await fsysopts(alice, '/home/alice/hello', ['--contents=Bonjour, monde !\n']))}`);
  out(`cat /home/alice/hello: ${JSON.stringify(await alice.readFile('/home/alice/hello', 'utf8'))}`);

  // tmpfs: a fresh memfs volume on a directory of hers.
  await alice.mkdir('/home/alice/tmp');
  await settrans(alice, '/home/alice/tmp', ['tmpfs', '--mode=0700']);
  await alice.writeFile('/home/alice/tmp/notes.txt', 'kept in tmpfs\n');
  await alice.mkdir('/home/alice/tmp/sub');
  out(`ls /home/alice/tmp: ${(await alice.readdir('/home/alice/tmp')).join(' ')}`);
  out(`in the parent's volume too? ${fs.volume.existsSync('/home/alice/tmp/notes.txt') ? 'yes' : 'no'}`);
  out(`cat /home/alice/tmp/../hello: ${JSON.stringify(await alice.readFile('/home/alice/tmp/../hello', 'utf8'))}`);
  out(`mv tmp/notes.txt to the parent: ${await outcome(alice.rename('/home/alice/tmp/notes.txt', '/home/alice/notes.txt'))}`);
  out(`bob reads tmp/notes.txt: ${await outcome(login('bob', 1001, 100).readFile('/home/alice/tmp/notes.txt'))}`);

  // settrans -g: tmpfs goes away (forced: nobody needs to close first); its files go with it.
  await settrans(alice, '/home/alice/tmp', [], { goaway: true, force: true });
  out(`after settrans -gf, ls /home/alice/tmp: [${(await alice.readdir('/home/alice/tmp')).join(' ')}]`);
  const running = [...kernel.tasks.values()].filter((t) => t.name.startsWith('fs:') && t.alive).map((t) => t.name);
  out(`translator tasks still running: ${running.join(', ')}`);
}

if (isMain(import.meta.url)) await main();
