// The command-line tools answer --help, and a user's mistake prints one line (never a
// stack trace) with a non-zero status: the trace CLI and the bench CLI, run as processes.

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const TIMEOUT_MS = 60_000;

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', TSX, resolve(ROOT, script), ...args], { cwd: ROOT, timeout: TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

const oneLine = (s: string): void => {
  expect(s.trimEnd().split('\n')).toHaveLength(1);
  expect(s).not.toMatch(/^\s+at /m);
};

describe('trace CLI (npm run trace)', () => {
  it('answers --help with its usage', async () => {
    const r = await run('tools/trace-cli.ts', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: hurdle-rpctrace <script>/);
    expect(r.stdout).toContain('--timestamps');
  }, 2 * TIMEOUT_MS);

  it.each([
    [['nosuch.ts'], 'rpctrace: nosuch.ts: no such file (--help shows the usage)'],
    [[], 'rpctrace: no script given (--help shows the usage)'],
    [['examples/counter.ts', '--bogus'], 'rpctrace: unknown option --bogus (--help shows the usage)'],
    [['examples/counter.ts', '--limit', 'x'], 'rpctrace: --limit needs a positive integer (--help shows the usage)'],
  ])('%j: one line, status 2', async (args, line) => {
    const r = await run('tools/trace-cli.ts', args);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr.trim()).toBe(line);
  }, 2 * TIMEOUT_MS);
});

describe('bench CLI (npm run bench)', () => {
  it('answers --help with its usage', async () => {
    const r = await run('bench/run.ts', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: hurdle-bench /);
  }, 2 * TIMEOUT_MS);

  it.each([
    [['--bogus'], /^hurdle bench: Unknown option '--bogus'/],
    [['--samples', 'x'], /^hurdle bench: --samples needs a positive integer, not x/],
    [['stray'], /^hurdle bench: Unexpected argument 'stray'/],
  ])('%j: one line, status 2', async (args, line) => {
    const r = await run('bench/run.ts', args);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(line);
  }, 2 * TIMEOUT_MS);
});
