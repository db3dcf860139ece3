// The benchmark and tracing examples run and say what they measured and traced (no
// timing is asserted: only that figures are reported and the path was right).

import { expect, it } from 'vitest';
import { main as bench } from '../../examples/benchmark-your-rpc.ts';
import { main as trace } from '../../examples/trace-to-perfetto.ts';

it('examples/benchmark-your-rpc: reports in-thread, host and await figures with their spread (rows sampled in-process)', async () => {
  const lines: string[] = [];
  await bench((l) => lines.push(l), { samples: 1, inProcess: true });
  expect(lines[0]).toMatch(/^kv\.get, in-thread stub: +\d+ ns per call \([\d.]+x an await\), MAD [\d.]+, p99 \d+$/);
  expect(lines[1]).toMatch(/^kv\.get, host connect\(\): +\d+ ns per call/);
  expect(lines[2]).toMatch(/^await of an async function: [\d.]+ ns, MAD [\d.]+$/);
  expect(lines.join('\n')).toMatch(/^row +median +mad +p75 +p99 +min +unit +x await$/m);
});

it('examples/trace-to-perfetto: decoded lines for a read through a translator, and a trace with slices', async () => {
  const lines: string[] = [];
  await trace((l) => lines.push(l), null);
  expect(lines).toContain('user->dir.lookup(name="hello", flags=0, mode=420)');
  expect(lines.some((l) => /^fs->fsys\.getroot\(/.test(l))).toBe(true);
  expect(lines.some((l) => /->io\.read\(amount=/.test(l))).toBe(true);
  expect(lines).toContain('read: "Hello, world!\\n"');
  expect(lines[lines.length - 1]).toMatch(/^\d+ messages, \d+ slices on \d+ task tracks$/);
});
