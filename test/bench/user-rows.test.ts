// Benchmarks of a user's own (hurdle/bench): bench() rows and defineBench() checks
// in-process, and the CLI on a tiny rows file: each row in its own process with one
// sample (bounded), the table with median, MAD, p75, p99; --help; a user's mistake is one
// line on stderr, never a stack trace. No timing is asserted.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bench, defineBench, sampleRow } from '../../bench/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const INDEX = join(ROOT, 'bench/index.ts');
const PROCESS_TIMEOUT_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'hurdle-bench-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'bench/run.ts'), ...args],
      { cwd: dir, timeout: PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('bench() and defineBench()', () => {
  it('a bench() row times its operation (sync or async) and calibrates its iterations', async () => {
    let calls = 0;
    let setups = 0;
    const row = bench('count.sync', () => {
      setups++;
      return () => {
        calls++;
      };
    });
    const r = await sampleRow(row, { samples: 2, warmup: 1 });
    expect(setups).toBe(1);
    expect(r.iterations).toBeGreaterThan(1);
    expect(calls).toBeGreaterThan(3 * r.iterations);
    expect(r.median).toBeGreaterThan(0);
    expect(r.samples).toHaveLength(2);
    let awaited = 0;
    const a = bench('count.async', () => async () => void awaited++, { iterations: 50, warmup: 0 });
    const ra = await sampleRow(a, { samples: 1 });
    expect(ra.iterations).toBe(50);
    expect(awaited).toBe(1 + 50);
  });

  it('names, counts and rows are checked', async () => {
    expect(() => bench('has space', () => () => 0)).toThrow(/bench name/);
    expect(() => bench('x', () => () => 0, { samples: 0 })).toThrow(/samples/);
    expect(() => defineBench([])).toThrow(/non-empty/);
    const r = bench('twice', () => () => 0);
    expect(() => defineBench([r, r])).toThrow(/named twice/);
    await expect(sampleRow(bench('bad.setup', () => 42 as never), { samples: 1 })).rejects.toThrow(/setup must answer/);
  });
});

describe('hurdle-bench --file', () => {
  it('runs each row of a rows file in its own process and prints median, MAD, p75, p99', async () => {
    const rows = file(
      'my-rows.ts',
      `import { bench, defineBench } from ${JSON.stringify(INDEX)};
export default defineBench([
  bench('mine.add', () => { let x = 0; return () => { x += process.pid; }; }, { iterations: 1000, warmup: 0 }),
  bench('mine.await', () => async () => 1, { iterations: 1000, warmup: 0 }),
]);
`,
    );
    const r = await cli(['--file', rows, '--samples', '1']);
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^row +median +mad +p75 +p99 +min +unit$/m);
    for (const n of ['mine.add', 'mine.await']) expect(r.stdout).toMatch(new RegExp(`^${n.replace('.', '\\.')} +[\\d.]+ +±[\\d.]+ +[\\d.]+ +[\\d.]+ +[\\d.]+ +ns/op$`, 'm'));
    const only = await cli(['--file', rows, '--samples', '1', '--only', 'mine.await']);
    expect(only.stdout).toMatch(/^mine\.await /m);
    expect(only.stdout).not.toMatch(/^mine\.add /m);
  }, 2 * PROCESS_TIMEOUT_MS);

  it('--processes N runs each row in N processes, in rounds of one process a row, and pools their samples', async () => {
    const rows = file(
      'pooled.ts',
      `import { bench, defineBench } from ${JSON.stringify(INDEX)};
export default defineBench([
  bench('mine.noop', () => () => 1, { iterations: 100, warmup: 0 }),
  bench('mine.other', () => () => 2, { iterations: 100, warmup: 0 }),
]);
`,
    );
    const out = join(dir, 'pooled.json');
    const r = await cli(['--file', rows, '--samples', '2', '--processes', '3', '--json', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('each in 3 processes of its own');
    // Round by round: each row's processes are spread over the run, not back to back.
    const progress = [...r.stderr.matchAll(/^ +(mine\.\w+) +done in [\d.]+ s \(round (\d) of 3\)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(progress).toEqual(['mine.noop 1', 'mine.other 1', 'mine.noop 2', 'mine.other 2', 'mine.noop 3', 'mine.other 3']);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: { name: string; samples: number[]; cpus?: number[]; processes: number }[] };
    for (const [i, name] of ['mine.noop', 'mine.other'].entries()) {
      const row = json.rows[i]!;
      expect([row.name, row.samples.length, row.processes]).toEqual([name, 6, 3]);
      // Each sample's CPU, in the samples' order (Linux: /proc/self/stat).
      if (process.platform === 'linux') expect(row.cpus?.length).toBe(6);
      else expect(row.cpus).toBeUndefined();
    }
  }, 7 * PROCESS_TIMEOUT_MS);

  it('a row that throws is FAILED and the exit status 1', async () => {
    const rows = file('failing.ts', `import { bench, defineBench } from ${JSON.stringify(INDEX)};
export default defineBench([bench('boom', () => () => { throw new Error('boom here'); })]);
`);
    const r = await cli(['--file', rows, '--samples', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/boom +FAILED/);
    expect(r.stderr).toContain('boom here');
  }, PROCESS_TIMEOUT_MS);

  it('--help prints the usage; mistakes are one line, no stack trace', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: hurdle-bench /);
    expect(help.stdout).toContain('--file ROWS');
    const notRows = file('not-rows.ts', 'export const x = 1;\n');
    for (const args of [['--file', join(dir, 'missing.ts')], ['--file', notRows], ['--samples', 'many'], ['--processes', '0'], ['--frobnicate']]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^hurdle bench: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 4 * PROCESS_TIMEOUT_MS);
});
