// Filesystem rows: stat on memfs directly (the yardstick), stat through the fs client
// and the filesystem server, stat through one translator hop (a tmpfs mounted in the
// server), 4 KiB preads and pwrites on an open file, and a stat whose lookup walks 10
// directories; 1 MiB preads and pwrites through the booted default system's fs server
// (transfer buffers), and the same with the server given no memory for them (typed
// items), against baseline.copy1m. The small client rows run their loop in a kernel
// thread of the client's task with the in-thread client (ThreadFs: no promise or thread
// per call); the `.promise` row and the 1 MiB rows use the promise API a program uses
// (one kernel thread per call).
// Every row checks every answer and that the client kept no port.
//
// The loop thread runs at priority 90, below the servers' bucket managers (99). A
// stat's port is dropped at the end of each call, and the server reclaims it when its
// manager handles the no-senders notification; a client at the workers' priority (100)
// that never blocks between calls starves the manager, ports pile up in the server and
// every new port then costs a walk of the kernel's sibling list (Cap.addChild), so the
// row would measure that pile-up (about 6x slower per stat at 20,000 calls) rather than
// a stat. Between promise-API calls the kernel goes idle and the manager runs anyway.

import { createFsFromVolume, Volume } from 'memfs';
import { Kernel, VirtualClock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../../servers/auth/index.ts';
import { fsServer, O } from '../../servers/fs/index.ts';
import { createFsClient, settrans, ThreadFs, type FsClient } from '../../clients/fs/index.ts';
import { installService } from '../../libcap/server.ts';
import { boot, defaultSystem } from '../../servers/system/index.ts';
import { defaultRegistry } from '../../servers/translators/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

const FILE = '/bench/f';
const MOUNTED = '/mnt/f';
const DEEP = '/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/f';
const BLOCK = 4096;
/** Priority of the loop threads: below the bucket managers' (see the top of the file). */
const CLIENT_PRIORITY = 90;

interface Setup {
  readonly k: Kernel;
  readonly task: Task;
  readonly fs: FsClient;
}

/** Auth, the fs server, and a user (uid 1000) owning /bench, /mnt (a tmpfs) and a 10-deep tree. */
async function setup(): Promise<Setup> {
  const k = new Kernel({ clock: new VirtualClock() });
  const auth = authServer()({ kernel: k, task: k.createTask('auth', { quota: 100_000, slots: 1 << 14 }), caps: new Map() }) as AuthInstance;
  const fsTask = k.createTask('fs', { quota: 1_000_000, slots: 1 << 16 });
  const server = fsServer({ registry: defaultRegistry() })({
    kernel: k,
    task: fsTask,
    caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]),
  });
  const client = (name: string, uid: number): { task: Task; fs: FsClient } => {
    const task = k.createTask(name, { slots: 1 << 12 });
    const root = server.install(task, idsFor(uid, uid));
    return { task, fs: createFsClient(k, task, { root, auth: installService(auth, task, idsFor(uid, uid)) }) };
  };
  const admin = client('admin', 0).fs;
  for (const d of ['/bench', '/mnt', '/d0']) {
    await admin.mkdir(d);
    await admin.chown(d, 1000, 1000);
  }
  const user = client('user', 1000);
  await user.fs.writeFile(FILE, new Uint8Array(BLOCK).fill(1));
  await user.fs.mkdir(DEEP.slice(0, DEEP.lastIndexOf('/')), { recursive: true });
  await user.fs.writeFile(DEEP, 'deep');
  await settrans(user.fs, '/mnt', ['tmpfs']);
  await user.fs.writeFile(MOUNTED, 'mounted');
  return { k, task: user.task, fs: user.fs };
}

function capCount(task: Task): number {
  let n = 0;
  for (const _ of task.cspace.entries()) n++;
  return n;
}

/**
 * Run `body` `n` times in a kernel thread of the client task (after one untimed call),
 * with `open` opened first and closed after (its fd passed to `body`); ns per call.
 * `body` answers an error string or null.
 */
async function threadLoop(
  row: string,
  n: number,
  body: (fs: ThreadFs, fd: number) => SysGen<string | null>,
  open?: { path: string; flags: number },
): Promise<number> {
  const s = await setup();
  const before = capCount(s.task);
  let failure: string | null = null;
  let ms = 0;
  const loop = function* (sys: Sys): SysGen<void> {
    const fs = new ThreadFs(sys, s.fs);
    let fd = 0;
    if (open !== undefined) {
      const o = yield* fs.open(open.path, open.flags);
      if (!o.ok) {
        failure = o.error.message;
        return;
      }
      fd = o.value;
    }
    failure = yield* body(fs, fd);
    if (failure === null) {
      const t0 = performance.now();
      for (let i = 0; i < n && failure === null; i++) failure = yield* body(fs, fd);
      ms = performance.now() - t0;
    }
    if (fd !== 0) fs.close(fd);
  };
  await s.k.exec(s.task, loop, { priority: CLIENT_PRIORITY });
  if (failure !== null) throw new Error(`${row}: ${failure}`);
  const after = capCount(s.task);
  if (after !== before) throw new Error(`${row}: the client holds ${after - before} more caps after the loop`);
  return nsPer(ms, n);
}

function statOf(path: string, size: number): (fs: ThreadFs) => SysGen<string | null> {
  return function* (fs) {
    const r = yield* fs.stat(path);
    if (!r.ok) return r.error.message;
    return r.value.size === size && r.value.isFile() ? null : `wrong stat: size ${r.value.size}`;
  };
}

const MIB = 1 << 20;

/** The default system booted (the fs task given `fsMemQuota` if set), a root client, and /big holding 1 MiB. */
async function bootedWithFile(fsMemQuota?: number): Promise<{ task: Task; fs: FsClient; data: Uint8Array }> {
  const k = new Kernel({ clock: new VirtualClock() });
  const spec = defaultSystem();
  const sys = await boot(k, fsMemQuota === undefined ? spec : { ...spec, fs: { ...spec.fs!, memQuota: fsMemQuota } });
  const task = k.createTask('user', { slots: 1 << 12 });
  const fs = createFsClient(k, task, { root: sys.instance('fs').install!(task, idsFor(0, 0)) });
  const data = new Uint8Array(MIB);
  for (let i = 0; i < MIB; i++) data[i] = (i * 7) & 0xff;
  await fs.writeFile('/big', data);
  return { task, fs, data };
}

/** A program that ends at once: its task stays, holding the caps boot gave it. */
function* holder(_sys: Sys): SysGen<void> {}

/**
 * The default system with the fs server isolated (its own task in a worker, real time),
 * a root client in the main thread through a cap boot installed for a program, and /big
 * holding 1 MiB. `stop` ends the system (the worker with it).
 */
async function isolatedWithFile(): Promise<{ task: Task; fs: FsClient; data: Uint8Array; stop: () => Promise<unknown> }> {
  const k = new Kernel();
  const spec = defaultSystem();
  const sys = await boot(k, {
    ...spec,
    fs: { ...spec.fs!, isolate: true },
    user: { program: holder, uses: { fs: { service: 'fs', params: idsFor(0, 0) } } },
  });
  const task = sys.task('user');
  const fs = createFsClient(k, task, { root: sys.caps('user').get('fs')! });
  const data = new Uint8Array(MIB);
  for (let i = 0; i < MIB; i++) data[i] = (i * 7) & 0xff;
  await fs.writeFile('/big', data);
  return { task, fs, data, stop: () => sys.shutdown({ force: true }) };
}

/**
 * `n` 1 MiB preads (or pwrites) at offset 0 of a 1 MiB file through the promise API
 * (FileHandle.read into the caller's buffer / FileHandle.write), on the default system
 * booted as `hurdle` boots it; the fs server's task gets `fsMemQuota` bytes of
 * dataspaces (boot's default: transfer buffers; 0: none, so the client falls back to
 * typed items), or ('isolated') the fs server runs in its own worker and the transfer
 * buffer is memory shared between the worker and the client in the main thread. Checks the bytes and that the client kept no cap; ns per call.
 */
async function bigLoop(row: string, n: number, write: boolean, fsMemQuota?: number | 'isolated'): Promise<number> {
  if (fsMemQuota === 'isolated') {
    const setup = await isolatedWithFile();
    try {
      return await bigLoopOn(row, n, write, setup, ISOLATED_WARM_CALLS);
    } finally {
      await setup.stop();
    }
  }
  return bigLoopOn(row, n, write, await bootedWithFile(fsMemQuota));
}

/**
 * Calls before the timed ones when the fs server is isolated: each sample starts a fresh
 * worker, whose server code V8 compiles (in background threads that otherwise take a core
 * during the timed calls) only after some calls; in-process rows are warm from the
 * harness's warm-up runs in the same process.
 */
const ISOLATED_WARM_CALLS = 100;

async function bigLoopOn(row: string, n: number, write: boolean, { task, fs, data }: { task: Task; fs: FsClient; data: Uint8Array }, warm = 1): Promise<number> {
  const before = capCount(task);
  const h = await fs.open('/big', write ? 'r+' : 'r');
  const buf = new Uint8Array(MIB);
  const once = async (): Promise<void> => {
    const got = write ? (await h.write(data, 0, MIB, 0)).bytesWritten : (await h.read(buf, 0, MIB, 0)).bytesRead;
    if (got !== MIB) throw new Error(`${row}: moved ${got} bytes`);
  };
  for (let i = 0; i < warm; i++) await once();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  const ms = performance.now() - t0;
  await h.close();
  if (!write && (buf[MIB - 1] !== data[MIB - 1] || buf[12345] !== data[12345])) throw new Error(`${row}: wrong bytes`);
  if (write && Buffer.compare(await fs.readFile('/big'), data) !== 0) throw new Error(`${row}: wrong bytes`);
  if (capCount(task) !== before) throw new Error(`${row}: the client holds ${capCount(task) - before} more caps after the loop`);
  return nsPer(ms, n);
}

export const group: RowGroup = {
  name: 'fs',
  rank: 40,
  rows: [
    {
      name: 'fs.stat.direct',
      what: 'await memfs promises.stat of a file two levels deep (memfs used directly, no kernel)',
      iterations: 100_000,
      async run(n) {
        const fs = createFsFromVolume(new Volume()).promises;
        await fs.mkdir('/bench');
        await fs.writeFile(FILE, new Uint8Array(BLOCK));
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const s = await fs.stat(FILE);
          if (s.size !== BLOCK) throw new Error(`fs.stat.direct: size ${s.size}`);
        }
        return nsPer(performance.now() - t0, n);
      },
    },
    {
      name: 'fs.stat.direct.sync',
      samples: 5,
      what: 'memfs statSync of the same file (memfs without its promise wrapper), for scale',
      iterations: 100_000,
      run(n) {
        const fs = createFsFromVolume(new Volume());
        fs.mkdirSync('/bench');
        fs.writeFileSync(FILE, new Uint8Array(BLOCK));
        const t0 = performance.now();
        for (let i = 0; i < n; i++) if (fs.statSync(FILE).size !== BLOCK) throw new Error('fs.stat.direct.sync: wrong size');
        return nsPer(performance.now() - t0, n);
      },
    },
    {
      name: 'fs.stat.client',
      what: 'stat of a file two levels deep through the fs client and the fs server: dir.lookup (O_PATH) + io.stat + port deleted, in-thread client',
      iterations: 30_000,
      run: (n) => threadLoop('fs.stat.client', n, statOf(FILE, BLOCK)),
    },
    {
      name: 'fs.stat.client.promise',
      samples: 5,
      warmup: 2,
      what: 'fs.stat.client with the promise API (await client.stat: one kernel thread per call)',
      iterations: 8_000,
      async run(n) {
        const s = await setup();
        const before = capCount(s.task);
        await s.fs.stat(FILE);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const st = await s.fs.stat(FILE);
          if (st.size !== BLOCK) throw new Error(`fs.stat.client.promise: size ${st.size}`);
        }
        const ms = performance.now() - t0;
        if (capCount(s.task) !== before) throw new Error('fs.stat.client.promise: the client kept caps');
        return nsPer(ms, n);
      },
    },
    {
      name: 'fs.stat.translator',
      what: 'stat of /mnt/f, /mnt a tmpfs in the fs server: lookup at the fs server (answers a copy of the root it kept from the first crossing: no fsys.getroot), retry, lookup at tmpfs, io.stat, in-thread client',
      iterations: 10_000,
      run: (n) => threadLoop('fs.stat.translator', n, statOf(MOUNTED, 'mounted'.length)),
    },
    {
      name: 'fs.read4k.client',
      what: '4 KiB pread (io.read at offset 0) on a file opened once, through the fs client and server, in-thread client',
      iterations: 30_000,
      run: (n) =>
        threadLoop(
          'fs.read4k.client',
          n,
          function* (fs, fd) {
            const r = yield* fs.read(fd, BLOCK, 0);
            if (!r.ok) return r.error.message;
            return r.value.length === BLOCK ? null : `read ${r.value.length} bytes`;
          },
          { path: FILE, flags: O.RDONLY },
        ),
    },
    {
      name: 'fs.write4k.client',
      what: '4 KiB pwrite (io.write at offset 0) on a file opened once, through the fs client and server, in-thread client',
      iterations: 30_000,
      run: (n) => {
        const data = new Uint8Array(BLOCK).fill(2);
        return threadLoop(
          'fs.write4k.client',
          n,
          function* (fs, fd) {
            const r = yield* fs.write(fd, data, 0);
            if (!r.ok) return r.error.message;
            return r.value === BLOCK ? null : `wrote ${r.value} bytes`;
          },
          { path: FILE, flags: O.WRONLY },
        );
      },
    },
    {
      name: 'fs.read1m.client',
      what: '1 MiB pread (FileHandle.read into the caller\'s buffer) on a file opened once, booted default system: io.readBuffer through the open\'s transfer buffer (a dataspace), copied once in the server and once in the client',
      iterations: 400,
      run: (n) => bigLoop('fs.read1m.client', n, false),
    },
    {
      name: 'fs.write1m.client',
      what: '1 MiB pwrite (FileHandle.write) on a file opened once, booted default system: io.writeBuffer through the open\'s transfer buffer',
      iterations: 400,
      run: (n) => bigLoop('fs.write1m.client', n, true),
    },
    {
      name: 'fs.read1m.isolated',
      what: 'fs.read1m.client with the fs server isolated in its own worker (real time): the transfer buffer is a SharedArrayBuffer the server writes and the client reads',
      iterations: 200,
      samples: 5,
      run: (n) => bigLoop('fs.read1m.isolated', n, false, 'isolated'),
    },
    {
      name: 'fs.write1m.isolated',
      what: 'fs.write1m.client with the fs server isolated in its own worker (real time)',
      iterations: 200,
      samples: 5,
      run: (n) => bigLoop('fs.write1m.isolated', n, true, 'isolated'),
    },
    {
      name: 'fs.readFile1m.client',
      samples: 5,
      what: 'readFile of a 1 MiB file, booted default system: open, a 64 KiB io.read, io.stat, io.mapBuffer (a fresh 1 MiB dataspace), one io.readBuffer into the result, close (the buffer revoked and freed)',
      iterations: 200,
      async run(n) {
        const { task, fs, data } = await bootedWithFile();
        const before = capCount(task);
        let last = await fs.readFile('/big');
        const t0 = performance.now();
        for (let i = 0; i < n; i++) last = await fs.readFile('/big');
        const ms = performance.now() - t0;
        if (Buffer.compare(last, data) !== 0) throw new Error('fs.readFile1m.client: wrong bytes');
        if (capCount(task) !== before) throw new Error('fs.readFile1m.client: the client kept caps');
        return nsPer(ms, n);
      },
    },
    {
      name: 'fs.read1m.client.typed',
      samples: 5,
      what: 'fs.read1m.client with the fs server given no memory for transfer buffers: the client falls back to io.read (a 1 MiB byte item)',
      iterations: 200,
      run: (n) => bigLoop('fs.read1m.client.typed', n, false, 0),
    },
    {
      name: 'fs.write1m.client.typed',
      samples: 5,
      what: 'fs.write1m.client with the fs server given no memory for transfer buffers: io.write (a 1 MiB byte item)',
      iterations: 200,
      run: (n) => bigLoop('fs.write1m.client.typed', n, true, 0),
    },
    {
      name: 'fs.lookup.deep',
      what: 'stat of a file under 10 directories: one dir.lookup walking 11 components in the server + io.stat, in-thread client',
      iterations: 20_000,
      run: (n) => threadLoop('fs.lookup.deep', n, statOf(DEEP, 4)),
    },
  ],
  targets: [
    { kind: 'at-most', row: 'fs.stat.client', reference: 'fs.stat.direct', factor: 10 },
    { kind: 'at-most', row: 'fs.stat.translator', reference: 'fs.stat.client', factor: 1.5 },
    { kind: 'at-most', row: 'fs.read1m.client', reference: 'baseline.copy1m', factor: 3 },
    { kind: 'at-most', row: 'fs.write1m.client', reference: 'baseline.copy1m', factor: 3 },
    { kind: 'at-most', row: 'fs.read1m.isolated', reference: 'baseline.copy1m', factor: 3 },
    { kind: 'at-most', row: 'fs.write1m.isolated', reference: 'baseline.copy1m', factor: 3 },
  ],
};
