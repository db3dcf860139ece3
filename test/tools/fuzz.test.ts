// The fuzzer's short run: 10,000 seeded messages from an unprivileged client at every
// server of the default system, then every check (tools/fuzz/fuzz.ts). Long runs:
// `npm run fuzz -- --messages N --seed S`.

import { describe, expect, it } from 'vitest';
import { Rng, runFuzz } from '../../tools/fuzz/fuzz.ts';

describe('fuzz', () => {
  it('the generator is deterministic for a seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 5 }, () => a.int(1000));
    expect(Array.from({ length: 5 }, () => b.int(1000))).toEqual(xs);
    expect(new Rng(8).int(1000)).not.toBe(xs[0]);
  });

  it('10,000 messages leave every server answering, the volume intact and nothing left over', async () => {
    const report = await runFuzz({ messages: 10_000, seed: 1 });
    expect(report.messages).toBe(10_000);
    expect(report.outcomes['ok']).toBeGreaterThan(100);
    expect(report.problems).toEqual([]);
  }, 120_000);

  it('the same seed gives the same run', async () => {
    const a = await runFuzz({ messages: 400, seed: 3 });
    const b = await runFuzz({ messages: 400, seed: 3 });
    expect(b.outcomes).toEqual(a.outcomes);
    expect(b.kernelMs).toBe(a.kernelMs);
  }, 60_000);
});
