// hurdle as a user's project gets it: `npm pack` (which builds dist/ through prepack), the
// tarball installed into a fresh project, then used from plain `node` (no tsx, no loader):
// boot the default system, read a file through the fs client, serve an interface of its
// own; the bins answer; and a TypeScript consumer with `tsc --init`'s settings
// type-checks against the shipped .d.ts. The install is offline: the project gets a
// lockfile naming the tarball and this repository's locked runtime packages, which
// `npm ci` in the repository has put in the npm cache, so no registry is asked.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** Each step is a process with a bounded wait; the build is the longest. */
const STEP_TIMEOUT_MS = 150_000;
const SETUP_TIMEOUT_MS = 4 * STEP_TIMEOUT_MS;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  // npm and the bins find `node` on the PATH: put this very node first.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
  // A nested npm must not inherit the lifecycle of the `npm test` running this (its
  // package, its prefix), but keeps where the cache and the user's settings are.
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  for (const k of Object.keys(env)) if ((k.toLowerCase().startsWith('npm_') && !keep.has(k.toLowerCase())) || k === 'NODE_OPTIONS') delete env[k];
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env, timeout: STEP_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

function ok(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

type LockEntry = { version?: string; dev?: boolean; [k: string]: unknown };

/** A package-lock.json for the consumer: the tarball, and this repository's locked packages it needs. */
function consumerLock(tarball: string, pkg: { version: string; dependencies: Record<string, string>; bin: unknown; engines: unknown }) {
  const repo = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const dev = { typescript: repo.packages['node_modules/typescript']!.version!, '@types/node': repo.packages['node_modules/@types/node']!.version! };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { hurdle: 'file:hurdle.tgz' }, devDependencies: dev },
    'node_modules/hurdle': {
      version: pkg.version,
      resolved: 'file:hurdle.tgz',
      integrity,
      license: 'MIT',
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  // The runtime packages: everything the repository's lock does not mark as dev.
  for (const [path, entry] of Object.entries(repo.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
  for (const path of ['node_modules/typescript', 'node_modules/@types/node', 'node_modules/undici-types']) {
    packages[path] = repo.packages[path];
  }
  return {
    manifest: { name: 'consumer', private: true, type: 'module', dependencies: { hurdle: 'file:hurdle.tgz' }, devDependencies: dev },
    lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages },
  };
}

const APP = `
import { boot, defaultSystem, Kernel, VirtualClock, createFsClient, defineInterface, defineClass, Bucket, connect, RpcFailure, t } from 'hurdle';
import { statusName } from 'hurdle/core';
import { fsServer } from 'hurdle/servers/fs';
import { Rpctrace } from 'hurdle/tools/rpctrace';

function* holder() {}
const kernel = new Kernel({ clock: new VirtualClock() });
const trace = new Rpctrace(kernel, { raw: false });
trace.attach();
const root = { uid: 0, gid: 0 };
const sys = await boot(kernel, defaultSystem({ extra: { app: { program: holder, uses: { fs: { service: 'fs', params: root }, auth: { service: 'auth', params: root } } } } }));
const caps = sys.caps('app');
const fs = createFsClient(kernel, sys.task('app'), { root: caps.get('fs'), auth: caps.get('auth') });
await fs.writeFile('/note', 'kept by a package user\\n');
console.log('read: ' + JSON.stringify(await fs.readFile('/note', 'utf8')));
console.log('hello translator: ' + JSON.stringify(await fs.readFile('/hello', 'utf8').catch((e) => e.code)));

const Greeter = defineInterface('greeter', {
  greet: { op: 1, args: { name: t.string(16) }, reply: { text: t.string() }, errors: ['EINVAL'] },
});
const greeter = defineClass({
  name: 'greeter', interface: Greeter, init: () => ({ n: 0 }),
  handlers: { greet: (ctx, { name }) => ({ text: 'hello, ' + name + ' #' + ++ctx.data.n }) },
});
const task = kernel.createTask('greeter', { quota: 100, slots: 4096 });
const bucket = Bucket.start(kernel, task, { maxWorkers: 2 });
const obj = bucket.create(greeter, undefined);
if (obj instanceof RpcFailure) throw new Error(obj.error);
const me = kernel.createTask('me');
const g = connect(Greeter, kernel, me, bucket.install(obj, me));
console.log('greet: ' + (await g.greet({ name: 'package' })).text);
console.log('too long: ' + (await g.attempt.greet({ name: 'x'.repeat(40) })).error); // refused before it is sent
console.log('traced: ' + trace.lines.filter((l) => l.startsWith('me->greeter.greet(')).length + ' greet requests');
console.log('status 0: ' + statusName(0) + ', fsServer: ' + typeof fsServer);
await bucket.end(true);
console.log('shutdown clean: ' + (await sys.shutdown({ force: true })).clean);
`;

/** A user's benchmark rows file, importing the hurdle/bench entry. */
const ROWS = `
import { bench, defineBench } from 'hurdle/bench';
export default defineBench([bench('consumer.add', () => { let x = 0; return () => { x++; }; }, { iterations: 1000, warmup: 0 })]);
`;

const TYPED = `
import { boot, defaultSystem, Kernel, VirtualClock, createFsClient, defineInterface, defineClass, t, type FsClient } from 'hurdle';
import type { Sys, SysGen } from 'hurdle/core';
import { connect, RpcFailure, Bucket } from 'hurdle/libcap';
import { toChromeTrace, type ChromeTrace } from 'hurdle/tools/rpctrace';
import { ringBytes, type RingGeometry } from 'hurdle/libmem';
import type { IsolatedTask } from 'hurdle/isolate';

function* holder(_sys: Sys): SysGen<void> {}
export async function main(): Promise<string> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const sys = await boot(kernel, defaultSystem({ extra: { app: { program: holder, uses: { fs: 'fs' } } } }));
  const root = sys.caps('app').get('fs');
  if (root === undefined) throw new Error('no fs');
  const fs: FsClient = createFsClient(kernel, sys.task('app'), { root });
  const text: string = await fs.readFile('/hello', 'utf8');
  const Kv = defineInterface('kv', { get: { op: 1, args: { key: t.string(8) }, reply: { value: t.u32 } } });
  const cls = defineClass({ name: 'kv', interface: Kv, init: () => ({}), handlers: { get: () => ({ value: 1 }) } });
  const b = Bucket.start(kernel, kernel.createTask('kv'), { maxWorkers: 1 });
  const o = b.create(cls, undefined);
  if (o instanceof RpcFailure) return o.error;
  const kv = connect(Kv, kernel, kernel.createTask('c'), b.install(o, kernel.createTask('c')));
  const n: number = (await kv.get({ key: 'a' })).value;
  // @ts-expect-error: the declaration types the arguments (key is a string)
  await kv.get({ key: 5 });
  const empty: ChromeTrace | null = null;
  void toChromeTrace;
  const g: RingGeometry = { slots: 4, slotSize: 64 };
  const bytes: number = ringBytes(g);
  const none: IsolatedTask | null = null;
  return text + n + String(empty) + bytes + String(none);
}
`;

/**
 * Shared memory across protection domains from the package: a ring (hurdle/libmem) over
 * a dataspace between a producer in the main thread and a consumer isolated in a worker
 * (hurdle/isolate) that loads this very file for its body; then revocation.
 */
const SHARED = `
import { isMainThread } from 'node:worker_threads';
import { Kernel, NEVER, PageFault, statusName } from 'hurdle/core';
import { createIsolatedTask } from 'hurdle/isolate';
import { acceptRing, offerRing, RingConsumer, RingProducer, RingStatus } from 'hurdle/libmem';

const G = { slots: 8, slotSize: 260 };
export function* consumer(sys) {
  const c = yield* acceptRing(sys, 3, { base: 0x40000000, size: 1 << 20 }, [10, 11]);
  if (!(c instanceof RingConsumer)) throw new Error('acceptRing: ' + statusName(c));
  const msg = new Uint8Array(256);
  let sum = 0;
  for (let i = 0; i < 500; i++) {
    if ((yield* c.take(sys, msg)) !== RingStatus.Ok) break;
    for (let j = 0; j < c.length; j++) sum += msg[j];
  }
  sys.utcb.mr[0] = sum;
  yield sys.send(4, 1, 1);
  yield sys.wait(5, NEVER);
  try { c.tryPeek(); sys.utcb.mr[0] = 0; } catch (e) { sys.utcb.mr[0] = e instanceof PageFault ? 1 : 2; }
  yield sys.send(4, 2, 1);
}

if (isMainThread) {
  const k = new Kernel();
  const home = k.createTask('home');
  const [ep, report, go] = [k.createEndpoint(home), k.createEndpoint(home), k.createNotification(home)];
  const producer = k.createTask('producer', { quota: 100, memQuota: 1 << 20 });
  k.grant(home, ep, producer, { slot: 3 });
  const cons = createIsolatedTask(k, 'consumer', { module: new URL(import.meta.url), export: 'consumer' });
  k.grant(home, ep, cons.task, { slot: 3 });
  k.grant(home, report, cons.task, { slot: 4 });
  k.grant(home, go, cons.task, { slot: 5 });
  const next = () => k.exec(home, function* (sys) { yield sys.recv(report); return sys.utcb.mr[0]; });
  const sent = k.exec(producer, function* (sys) {
    const p = yield* offerRing(sys, 3, G, { dataspace: 10, data: 11, space: 12 });
    if (!(p instanceof RingProducer)) throw new Error('offerRing: ' + statusName(p));
    const msg = new Uint8Array(256);
    for (let i = 0; i < 500; i++) { msg.fill(i & 0xff); yield* p.put(sys, msg, NEVER); }
  });
  const sum = await next();
  await sent;
  let want = 0;
  for (let i = 0; i < 500; i++) want += 256 * (i & 0xff);
  console.log('ring through a worker: ' + (sum === want ? 'every byte' : sum + ' != ' + want));
  await k.exec(producer, function* (sys) { sys.revoke(10); });
  const after = next();
  await k.exec(home, function* (sys) { yield sys.signal(go); });
  console.log('after revoke: ' + ['no fault', 'PageFault', 'another error'][await after]);
  await cons.kill();
}
`;

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-package-'));
  const project = join(dir, 'consumer');
  let packed: { files: { path: string }[]; filename: string } | null = null;

  beforeAll(async () => {
    const pack = ok(await run('npm', ['pack', '--json', '--pack-destination', dir], ROOT), 'npm pack');
    packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { files: { path: string }[]; filename: string }[])[0]!;
    mkdirSync(project);
    const tarball = join(project, 'hurdle.tgz');
    cpSync(join(dir, packed.filename), tarball);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const { manifest, lock } = consumerLock(tarball, pkg);
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
    writeFileSync(join(project, 'app.mjs'), APP);
    writeFileSync(join(project, 'typed.ts'), TYPED);
    writeFileSync(join(project, 'rows.mjs'), ROWS);
    writeFileSync(join(project, 'shared.mjs'), SHARED);
    ok(await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project), 'npm ci --offline');
  }, SETUP_TIMEOUT_MS);

  afterAll(() => rmSync(dir, { recursive: true, force: true }), STEP_TIMEOUT_MS);

  it('ships compiled JavaScript, .d.ts, the LICENSE and the docs, and no tests, sources or CI', () => {
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/core/index.js', 'dist/examples/start.js', 'docs/hurd-semantics.md']));
    expect(files.filter((f) => /^(test|\.ci|node_modules|bench|core|libcap|libmem|servers|tools|examples)\//.test(f) || /(?<!\.d)\.ts$/.test(f))).toEqual([]);
  }, STEP_TIMEOUT_MS);

  it('runs from plain node: boots the default system, reads through the fs client, serves its own interface', async () => {
    const r = await run(process.execPath, ['app.mjs'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      'read: "kept by a package user\\n"',
      'hello translator: "ENOENT"',
      'greet: hello, package #1',
      'too long: EINVAL',
      'traced: 1 greet requests',
      'status 0: Ok, fsServer: function',
      'shutdown clean: true',
    ]);
  }, STEP_TIMEOUT_MS);

  it('runs isolated tasks and shared memory from plain node: a ring between the main thread and a worker, then revocation', async () => {
    const r = await run(process.execPath, ['shared.mjs'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['ring through a worker: every byte', 'after revoke: PageFault']);
  }, STEP_TIMEOUT_MS);

  it('needs no tsx at run time: nothing in dist imports it, and it is no dependency', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/hurdle/package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(pkg.private).toBeUndefined();
    expect(pkg.engines.node).toBe('>=20.19');
    for (const f of packed!.files.map((x) => x.path).filter((p) => p.endsWith('.js'))) {
      const js = readFileSync(join(project, 'node_modules/hurdle', f), 'utf8');
      expect(js).not.toMatch(/\bfrom\s+['"](tsx|[^'"]+\.ts)['"]|\bimport\(\s*['"](tsx|[^'"]+\.ts)['"]\s*\)/);
    }
  }, STEP_TIMEOUT_MS);

  it('installs the bins: hurdle runs shell commands, hurdle-rpctrace and hurdle-bench answer --help', async () => {
    const bin = (name: string): string => join(project, 'node_modules', '.bin', name);
    const shell = await run(bin('hurdle'), ['-c', 'cat /hello'], project);
    expect(shell.code).toBe(0);
    expect(shell.stdout).toContain('Hello, world!');
    // Its usage names the installed command (not the repository's npm script).
    const help = await run(bin('hurdle'), ['--help'], project);
    expect(help.stdout).toMatch(/^usage: hurdle \[-c "commands"\] /);
    const trace = await run(bin('hurdle-rpctrace'), ['--help'], project);
    expect(trace.stdout).toMatch(/^usage: hurdle-rpctrace /);
    const traced = await run(bin('hurdle-rpctrace'), ['app.mjs'], project);
    expect(traced.code).toBe(0);
    expect(traced.stderr).toContain('me->greeter.greet(name="package")');
    const bench = await run(bin('hurdle-bench'), ['--list'], project);
    expect(bench.code).toBe(0);
    expect(bench.stdout).toMatch(/^kernel\.call\.fast /m);
    const mine = await run(bin('hurdle-bench'), ['--file', 'rows.mjs', '--samples', '1'], project);
    expect(mine.code).toBe(0);
    expect(mine.stdout).toMatch(/^consumer\.add +[\d.]+ +±[\d.]+ /m);
    // A TypeScript rows file needs tsx: the message names the command, from where it runs.
    writeFileSync(join(project, 'rows.ts'), ROWS);
    const ts = await run(bin('hurdle-bench'), ['--file', 'rows.ts', '--samples', '1'], project);
    expect(ts.code).not.toBe(0);
    expect(ts.stderr).toContain('rows.ts is TypeScript: run hurdle-bench through tsx (npx tsx node_modules/hurdle/dist/bench/run.js --file rows.ts)');
    // A row of isolated tasks: their workers load the bench's thread bodies as compiled
    // JavaScript, with no tsx in the project.
    const worker = await run(bin('hurdle-bench'), ['--only', 'worker.call.kernel.gen', '--samples', '1'], project);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(/^worker\.call\.kernel\.gen +[\d.]+ +±[\d.]+ /m);
  }, STEP_TIMEOUT_MS);

  it("type-checks a TypeScript consumer with tsc --init's settings against the shipped .d.ts", async () => {
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    ok(await run(process.execPath, [tsc, '--init'], project), 'tsc --init');
    // As the generated file says for Node projects: "types": ["node"] with @types/node installed.
    const config = readFileSync(join(project, 'tsconfig.json'), 'utf8').replace('"types": []', '"types": ["node"]');
    writeFileSync(join(project, 'tsconfig.json'), config);
    expect(config).toMatch(/"module": "nodenext"/);
    const r = await run(process.execPath, [tsc, '--noEmit', '-p', '.'], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, STEP_TIMEOUT_MS);
});
