// Smoke test of the benchmark harness: the registry loads, and one cheap row runs
// in-process and reports a positive finite figure. No timing is asserted here.

import { describe, expect, it } from 'vitest';
import { allRows, allTargets, loadGroups, selectRows } from '../../bench/registry.ts';
import { formatResults, formatTargets, judge } from '../../bench/report.ts';
import { sampleRow } from '../../bench/sample.ts';

describe('bench harness', () => {
  it('registers the kernel and baseline rows once each, and targets name real rows', async () => {
    const groups = await loadGroups();
    const names = allRows(groups).map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['baseline.await', 'kernel.call.fast', 'kernel.call.slow', 'mem.call.growth']) expect(names).toContain(n);
    for (const t of allTargets(groups)) {
      expect(names).toContain(t.row);
      expect(names).toContain(t.reference);
    }
    expect(selectRows(allRows(groups), ['kernel.']).every((r) => r.name.startsWith('kernel.'))).toBe(true);
  });

  it('runs kernel.call.fast in-process and reports a positive finite figure', async () => {
    const row = allRows(await loadGroups()).find((r) => r.name === 'kernel.call.fast')!;
    const result = await sampleRow(row, { iterations: 1000, samples: 1, warmup: 0 });
    expect(result.median).toBeGreaterThan(0);
    expect(Number.isFinite(result.median)).toBe(true);
    expect(formatResults([{ ok: true, result }])).toContain('kernel.call.fast');
    expect(formatTargets(judge(allTargets(await loadGroups()), new Map([[result.name, result]])))).toContain('not run');
  });
});
