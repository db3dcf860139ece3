// More stock translators, mounted by a user over memfs and used through the fs.promises
// client: filter (an upper-case view of her notes, and a rot13 view that writes
// through), firmlink (a name under her home that continues at a shared directory, and
// its ".." quirk), json (a settings file as a directory tree, a value changed and
// written back), and proc (the kernel's tasks and counters as files, live). Ends with
// settrans -gf. Uses only public APIs.
// Run it: npx tsx examples/more-translators.ts

import { Kernel, VirtualClock } from '../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../servers/auth/index.ts';
import { fsServer, O } from '../servers/fs/index.ts';
import { createFsClient, fsysopts, settrans, type FsClient } from '../clients/fs/index.ts';
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
  const fs = fsServer({ registry: defaultRegistry() })({ kernel, task: fsTask, caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]) });
  const login = (name: string, uid: number, gid: number): FsClient => {
    const task = kernel.createTask(name);
    const ids = idsFor(uid, gid);
    return createFsClient(kernel, task, { root: fs.install(task, ids), auth: installService(auth, task, ids), umask: 0o022 });
  };
  const root = login('root', 0, 0);
  await root.mkdir('/home/alice', { recursive: true });
  await root.chown('/home/alice', 1000, 100);
  await root.mkdir('/usr/share/doc/hurdle', { recursive: true });
  await root.writeFile('/usr/share/doc/hurdle/README', 'Translators are servers on nodes.\n');
  const alice = login('alice', 1000, 100);

  // Alice sets up her translators: two filters (views of another file, read through the
  // parent filesystem at every read) and a firmlink (lookups continue at the target,
  // resolved by the translator).
  await alice.writeFile('/home/alice/notes.txt', 'Buy milk. Call Bob.\n');
  await alice.writeFile('/home/alice/NOTES', '');
  await settrans(alice, '/home/alice/NOTES', ['filter', '--upper', 'notes.txt']);
  await alice.writeFile('/home/alice/diary.rot13', 'Qrne qvnel,\n');
  await alice.writeFile('/home/alice/diary', '');
  await settrans(alice, '/home/alice/diary', ['filter', '--rot13', 'diary.rot13']);
  await alice.writeFile('/home/alice/docs', '');
  await settrans(alice, '/home/alice/docs', ['firmlink', '/usr/share/doc/hurdle']);

  out(`cat NOTES: ${JSON.stringify(await alice.readFile('/home/alice/NOTES', 'utf8'))}`);
  await alice.appendFile('/home/alice/diary', 'Today the translators worked.\n');
  out(`ls docs: ${(await alice.readdir('/home/alice/docs')).join(' ')}`);
  await alice.appendFile('/home/alice/notes.txt', 'Fix the fast path.\n');
  out(`after appending to notes.txt: ${JSON.stringify(await alice.readFile('/home/alice/NOTES', 'utf8'))}`);
  out(`write to NOTES: ${await outcome(alice.writeFile('/home/alice/NOTES', 'x'))}`);
  out(`cat diary: ${JSON.stringify(await alice.readFile('/home/alice/diary', 'utf8'))}`);
  out(`cat diary.rot13: ${JSON.stringify(await alice.readFile('/home/alice/diary.rot13', 'utf8'))}`);
  out(`cat docs/README: ${JSON.stringify(await alice.readFile('/home/alice/docs/README', 'utf8'))}`);
  out(`ls docs/.. (the target's parent): ${(await alice.readdir('/home/alice/docs/..')).join(' ')}`);

  // json: a settings file as a tree; a leaf written goes back into the file.
  await alice.writeFile('/home/alice/settings.json', '{\n  "editor": "ed",\n  "tabs": 8,\n  "plugins": ["spell", "lint"]\n}\n');
  await settrans(alice, '/home/alice/settings.json', ['json']);
  out(`ls settings.json: ${(await alice.readdir('/home/alice/settings.json')).join(' ')}`);
  out(`cat settings.json/plugins/1: ${JSON.stringify(await alice.readFile('/home/alice/settings.json/plugins/1', 'utf8'))}`);
  await alice.writeFile('/home/alice/settings.json/tabs', '4\n');
  await alice.writeFile('/home/alice/settings.json/editor', 'emacs');
  const underneath = await alice.readFile('/home/alice/settings.json', { encoding: 'utf8', flag: O.RDONLY | O.NOTRANS });
  out(`the file underneath: ${JSON.stringify(JSON.parse(underneath))}`);
  out(`mkdir settings.json/new: ${await outcome(alice.mkdir('/home/alice/settings.json/new'))}`);

  // proc: the kernel's live state as files (root mounts it on /proc).
  await root.mkdir('/proc');
  await settrans(root, '/proc', ['proc']);
  const names = async (): Promise<string[]> =>
    Promise.all((await root.readdir('/proc/tasks')).map(async (id) => (await root.readFile(`/proc/tasks/${id}/name`, 'utf8')).trim()));
  out(`tasks: ${(await names()).join(' ')}`);
  kernel.createTask('newcomer');
  out(`after creating a task: ${(await names()).includes('newcomer') ? 'newcomer listed' : 'not listed'}`);
  const counters = (await root.readFile('/proc/counters', 'utf8')).split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '');
  out(`counters: ${counters.join(' ')}`);
  out(`fsysopts NOTES: ${JSON.stringify(await fsysopts(alice, '/home/alice/NOTES', ['--lower']))}`);
  out(`cat NOTES: ${JSON.stringify(await alice.readFile('/home/alice/NOTES', 'utf8'))}`);

  for (const [who, path] of [[root, '/proc'], [alice, '/home/alice/settings.json'], [alice, '/home/alice/NOTES']] as const) {
    await settrans(who, path, [], { goaway: true, force: true });
  }
  out(`ls /proc after settrans -gf: [${(await root.readdir('/proc')).join(' ')}]`);
}

if (isMain(import.meta.url)) await main();
