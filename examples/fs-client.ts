// The fs client where Node's fs would be used: a small program written against the
// fs.promises API (it keeps notes: mkdir -p, write, append, read, copy, rename, list,
// stat, rm -r, and reports an error the Node way) runs once on memfs, as it would on
// node:fs, and once through the Hurd-style servers, as a user with her own identity;
// the two reports are compared line by line (they differ where memfs departs from
// Node: mkdir -p's answer). Then the Hurd part: a translator set on a
// file with settrans, read by the same program's calls, reconfigured with fsysopts.
// Uses only public APIs.
// Run it: npx tsx examples/fs-client.ts

import { createFsFromVolume, Volume } from 'memfs';
import { Kernel, VirtualClock } from '../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../servers/auth/index.ts';
import { fsServer } from '../servers/fs/index.ts';
import { createFsClient, fsysopts, settrans, showtrans, type FsPromisesApi } from '../clients/fs/index.ts';
import { installService } from '../libcap/server.ts';
import { defaultRegistry } from '../servers/translators/index.ts';
import { isMain } from './is-main.ts';

/**
 * The program: it knows nothing of kernels or servers, only the fs.promises calls. It
 * works in `dir` and answers what it did, with paths relative to `dir`.
 */
export async function keepNotes(fs: FsPromisesApi, dir: string): Promise<string[]> {
  const report: string[] = [];
  const rel = (p: string): string => p.slice(dir.length + 1);
  const first = await fs.mkdir(`${dir}/notes/2026/11`, { recursive: true });
  report.push(`mkdir -p made ${first === undefined ? 'nothing' : rel(first)}`);
  await fs.writeFile(`${dir}/notes/2026/11/monday.txt`, 'Kernel: fast path works.\n');
  await fs.writeFile(`${dir}/notes/2026/11/tuesday.txt`, 'Servers: auth, names, fs.\nTranslators next.\n');
  await fs.appendFile(`${dir}/notes/log.txt`, 'monday\n');
  await fs.appendFile(`${dir}/notes/log.txt`, 'tuesday\n');
  await fs.copyFile(`${dir}/notes/2026/11/monday.txt`, `${dir}/notes/2026/11/monday.bak`);
  await fs.rename(`${dir}/notes/2026/11/monday.bak`, `${dir}/notes/backup.txt`);
  await fs.mkdir(`${dir}/tmp/a/b`, { recursive: true });
  await fs.writeFile(`${dir}/tmp/a/b/scratch`, 'x');

  const names = (await fs.readdir(`${dir}/notes`, { recursive: true })).sort();
  report.push(`notes: ${names.join(', ')}`);
  let words = 0;
  for (const n of names) {
    const p = `${dir}/notes/${n}`;
    const st = await fs.stat(p);
    if (!st.isFile()) continue;
    const text = await fs.readFile(p, 'utf8');
    words += text.split(/\s+/).filter((w) => w !== '').length;
    report.push(`  ${n}: ${st.size} bytes, mode ${(st.mode & 0o777).toString(8)}`);
  }
  report.push(`words: ${words}`);
  report.push(`log: ${JSON.stringify(await fs.readFile(`${dir}/notes/log.txt`, 'utf8'))}`);

  const h = await fs.open(`${dir}/notes/2026/11/tuesday.txt`, 'r');
  const buf = new Uint8Array(8);
  const { bytesRead } = await h.read(buf, 0, 8, 9);
  await h.close();
  report.push(`bytes 9..17 of tuesday: ${JSON.stringify(new TextDecoder().decode(buf.subarray(0, bytesRead)))}`);

  await fs.rm(`${dir}/tmp`, { recursive: true });
  report.push(`after rm -r tmp: ${(await fs.readdir(dir)).sort().join(', ')}`);
  try {
    await fs.readFile(`${dir}/notes/wednesday.txt`);
  } catch (e) {
    const err = e as { code: string; syscall: string; message: string };
    report.push(`missing note: ${err.code} from ${err.syscall}: ${err.message.replace(dir, '<dir>')}`);
  }
  return report;
}

/** Run the program on memfs and through the servers, compare, then show a translator. */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  // 1. On memfs, the way it would run on node:fs.
  const memfs = createFsFromVolume(new Volume()).promises as unknown as FsPromisesApi;
  await memfs.mkdir('/home/ada', { recursive: true });
  const direct = await keepNotes(memfs, '/home/ada');
  out('on memfs (as on node:fs):');
  for (const l of direct) out(`  ${l}`);

  // 2. Through the servers: auth, the filesystem server, and a user task with its own
  // root port and auth handle; every call is a thread of that task.
  const kernel = new Kernel({ clock: new VirtualClock() });
  const auth = authServer()({ kernel, task: kernel.createTask('auth', { quota: 100_000, slots: 1 << 14 }), caps: new Map() }) as AuthInstance;
  const fsTask = kernel.createTask('fs', { quota: 1_000_000, slots: 1 << 16 });
  const server = fsServer({ registry: defaultRegistry() })({
    kernel,
    task: fsTask,
    caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]),
  });
  const boot = (name: string, uid: number) => {
    const task = kernel.createTask(name, { slots: 1 << 12 });
    const root = server.install(task, idsFor(uid, uid));
    return createFsClient(kernel, task, { root, auth: installService(auth, task, idsFor(uid, uid)), umask: 0 });
  };
  const admin = boot('admin', 0);
  await admin.mkdir('/home/ada', { recursive: true });
  await admin.chown('/home/ada', 1000, 1000);
  const ada = boot('ada', 1000);
  const served = await keepNotes(ada, '/home/ada');
  out('through the servers (as uid 1000):');
  for (const l of served) out(`  ${l}`);
  const differ = direct.flatMap((l, i) => (l === served[i] ? [] : [[l, served[i] ?? '(missing)'] as const]));
  out(`lines that differ: ${differ.length} of ${direct.length}`);
  for (const [a, b] of differ) out(`  memfs: ${a}  |  servers: ${b}`);
  if (differ.some(([a]) => a.startsWith('mkdir -p'))) {
    out('  (memfs answers the last directory mkdir -p made; Node answers the first, and so does the client)');
  }

  // 3. The Hurd part: a translator on a file, found by the same calls.
  await ada.writeFile('/home/ada/greeting', '');
  await settrans(ada, '/home/ada/greeting', ['hello']);
  out(`showtrans greeting: ${(await showtrans(ada, '/home/ada/greeting')).join(' ')}`);
  out(`readFile greeting: ${JSON.stringify(await ada.readFile('/home/ada/greeting', 'utf8'))}`);
  await fsysopts(ada, '/home/ada/greeting', ['--contents=Hello from a translator.\n']);
  out(`after fsysopts: ${JSON.stringify(await ada.readFile('/home/ada/greeting', 'utf8'))}`);
  const st = await ada.stat('/home/ada/greeting');
  out(`stat greeting: ${st.size} bytes, mode ${(st.mode & 0o777).toString(8)} (the translator's node, read-only)`);
  try {
    await ada.writeFile('/home/ada/greeting', 'no');
  } catch (e) {
    out(`writeFile greeting: ${(e as Error).message}`);
  }
}

if (isMain(import.meta.url)) await main();
