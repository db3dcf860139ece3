// Every example runs standalone as its header says (`npx tsx examples/<name>.ts`), also
// started through a symlink whose path has a space in it: each runs as its own process,
// and what it prints is what its main() gives in-process (the examples run on virtual
// time, so the two agree line for line), or, where figures are measured, the right shape.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const TSX = import.meta.resolve('tsx');
/** A bounded wait: an example that hangs fails its test instead of stalling the suite. */
const PROCESS_TIMEOUT_MS = 60_000;
/** Two examples at a time: each process compiles its sources with tsx, on a shared machine. */
const AT_ONCE = 2;
const TEST_TIMEOUT_MS = 4 * PROCESS_TIMEOUT_MS;

let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((go) => queue.push(go));
  running++;
  try {
    return await f();
  } finally {
    running--;
    queue.shift()?.();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hurdle examples '));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run an example through a symlink named with a space, from a scratch working directory. */
function run(name: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const link = join(dir, `the ${name}`);
  symlinkSync(join(EXAMPLES, name), link);
  return slot(() => new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, link, ...args],
      { cwd: dir, timeout: PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  }));
}

async function inProcess(name: string): Promise<string[]> {
  const mod = (await import(join(EXAMPLES, name))) as { main: (out: (l: string) => void) => Promise<void> };
  const lines: string[] = [];
  await mod.main((l) => lines.push(l));
  return lines;
}

const deterministic = [
  'compose-tree.ts',
  'counter.ts',
  'fs-client.ts',
  'kernel-demo.ts',
  'more-translators.ts',
  'mount-translators.ts',
  'notifications-rxjs.ts',
  'reauthenticate.ts',
  'wait-for-service.ts',
  'write-a-translator.ts',
];

describe.concurrent('examples run standalone', () => {
  it('every example is covered here', () => {
    const all = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts') && f !== 'is-main.ts');
    // two-nodes.ts runs as processes over nats-server in test/examples/two-nodes.test.ts.
    expect(all.sort()).toEqual([...deterministic, 'benchmark-your-rpc.ts', 'direct-calls.ts', 'shared-memory.ts', 'start.ts', 'trace-to-perfetto.ts', 'two-nodes.ts'].sort());
  });

  for (const name of deterministic) {
    it(`${name} prints what its main() gives`, async () => {
      const proc = await run(name);
      const expected = await inProcess(name);
      expect(proc.stderr).toBe('');
      expect(proc.code).toBe(0);
      expect(expected.length).toBeGreaterThan(2);
      expect(proc.stdout.split('\n').slice(0, -1)).toEqual(expected.flatMap((l) => l.split('\n')));
    }, TEST_TIMEOUT_MS);
  }

  it('benchmark-your-rpc.ts reports its figures (each row in its own process)', async () => {
    const proc = await run('benchmark-your-rpc.ts', ['--samples', '1']);
    expect(proc.code).toBe(0);
    expect(proc.stdout).toMatch(/^kv\.get, in-thread stub: +\d+ ns per call \([\d.]+x an await\), MAD [\d.]+, p99 \d+$/m);
    expect(proc.stdout).toMatch(/^kv\.get\.host +\d+ +±[\d.]+ /m);
  }, TEST_TIMEOUT_MS);

  it('direct-calls.ts calls worker to worker until the kernel revokes the cap (its workers load it too)', async () => {
    const proc = await run('direct-calls.ts');
    expect(proc.stderr).toBe('');
    expect(proc.code).toBe(0);
    expect(proc.stdout).toContain('first call, through the kernel: Ok, answer 1, badge 7');
    expect(proc.stdout).toMatch(/^100000 calls, worker to worker: 100000 answered, [\d.]+ us a call, \d+ kernel switches in all$/m);
    expect(proc.stdout).toContain("after the kernel revoked the client's cap: InvalidCapability");
  }, TEST_TIMEOUT_MS);

  it('shared-memory.ts shares a ring with a consumer in a worker until the producer revokes its cap', async () => {
    const proc = await run('shared-memory.ts');
    expect(proc.stderr).toBe('');
    expect(proc.code).toBe(0);
    expect(proc.stdout).toMatch(/^1000 messages: 1024000 bytes arrived, 0 wrong; \d+ wake-ups through the kernel$/m);
    expect(proc.stdout).toContain("the consumer's next look at the ring: PageFault (unmapped)");
  }, TEST_TIMEOUT_MS);

  it('trace-to-perfetto.ts prints the decoded lines and writes trace.json where it runs', async () => {
    const proc = await run('trace-to-perfetto.ts');
    expect(proc.code).toBe(0);
    expect(proc.stdout).toContain('read: "Hello, world!\\n"');
    expect(proc.stdout).toContain('wrote trace.json: open it in https://ui.perfetto.dev (or chrome://tracing)');
    expect(JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')).traceEvents.length).toBeGreaterThan(10);
  }, TEST_TIMEOUT_MS);

  it('start.ts (npm start) runs shell commands given with -c', async () => {
    const proc = await run('start.ts', ['-c', 'cat /hello']);
    expect(proc.code).toBe(0);
    expect(proc.stdout).toContain('Hello, world!');
  }, TEST_TIMEOUT_MS);
});
