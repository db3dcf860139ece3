// The harness's statistics on fixed samples: median, quantiles by linear interpolation
// between order statistics, the MAD, and what summarize() reports (deterministic: no
// timing here).

import { describe, expect, it } from 'vitest';
import { cpuSplits, formatCpuSplits, formatTargets, judge, type Outcome } from '../../bench/report.ts';
import { poolResults } from '../../bench/row-process.ts';
import { currentCpu, type RowResult } from '../../bench/sample.ts';
import { median, quantile, summarize } from '../../bench/stats.ts';

describe('bench statistics', () => {
  it('median: the middle one, or the mean of the middle two; order does not matter', () => {
    expect(median([5])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('quantiles interpolate between order statistics (p0 is the min, p1 the max)', () => {
    const xs = [10, 20, 30, 40, 50];
    expect(quantile(xs, 0)).toBe(10);
    expect(quantile(xs, 1)).toBe(50);
    expect(quantile(xs, 0.75)).toBe(40);
    expect(quantile(xs, 0.99)).toBeCloseTo(49.6, 10);
    expect(quantile([1, 2], 0.75)).toBe(1.75);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('summarize: median, extremes, MAD, p75, p99 of seven samples with one outlier', () => {
    const s = summarize([100, 102, 98, 101, 99, 100, 250]);
    expect(s.median).toBe(100);
    expect(s.min).toBe(98);
    expect(s.max).toBe(250);
    // Deviations 0, 2, 2, 1, 1, 0, 150: their median is 1 (the outlier does not move it).
    expect(s.mad).toBe(1);
    expect(s.p75).toBe(101.5);
    expect(s.p99).toBeCloseTo(241.12, 10);
  });

  it('one sample: every figure is that sample, the MAD 0', () => {
    expect(summarize([42])).toEqual({ median: 42, min: 42, max: 42, mad: 0, p75: 42, p99: 42 });
    expect(() => summarize([])).toThrow(RangeError);
  });

  it('pooling processes: the samples of all, summarised again, so the median follows the speed most processes land on', () => {
    const one = (samples: number[]): RowResult => ({ name: 'r', unit: 'ns', per: 'op', iterations: 10, ...summarize(samples), samples });
    const fast = one([30, 31, 32]);
    const slow = one([58, 59, 60]);
    const pooled = poolResults([fast, slow, one([31, 32, 33])]);
    expect(pooled.samples).toEqual([30, 31, 32, 58, 59, 60, 31, 32, 33]);
    expect([pooled.median, pooled.min, pooled.max, pooled.processes]).toEqual([32, 30, 60, 3]);
    expect(poolResults([slow])).toBe(slow);
  });

  it('pooling keeps the CPU of every sample, in the samples\' order, when every process told it', () => {
    const one = (samples: number[], cpus?: number[]): RowResult => ({ name: 'r', unit: 'ns', per: 'op', iterations: 10, ...summarize(samples), samples, ...(cpus ? { cpus } : {}) });
    expect(poolResults([one([1, 2], [0, 0]), one([3, 4], [1, 0])]).cpus).toEqual([0, 0, 1, 0]);
    expect(poolResults([one([1, 2], [0, 0]), one([3, 4])]).cpus).toBeUndefined();
  });

  it('rows whose samples ran at different speeds on different CPUs are named, with the median on each', () => {
    const ok = (name: string, samples: number[], cpus?: number[]): Outcome => ({ ok: true, result: { name, unit: 'ns', per: 'op', iterations: 10, ...summarize(samples), samples, ...(cpus ? { cpus } : {}) } });
    const outcomes: Outcome[] = [
      ok('split', [52, 53, 54, 88, 90, 91], [0, 0, 0, 1, 1, 1]),
      ok('even', [52, 53, 54, 55, 53, 54], [0, 0, 0, 1, 1, 1]),
      ok('one.cpu', [52, 90, 54], [1, 1, 1]),
      ok('lone.sample', [52, 53, 90], [0, 0, 1]),
      ok('not.told', [52, 90]),
      { ok: true, result: { name: 'bytes', unit: 'bytes', per: 'op', iterations: 10, ...summarize([-1500, -1600, -6000, -5900]), samples: [-1500, -1600, -6000, -5900], cpus: [0, 0, 1, 1] } },
    ];
    const splits = cpuSplits(outcomes);
    expect(splits.map((s) => [s.row.name, [...s.byCpu]])).toEqual([['split', [[0, 53], [1, 90]]]]);
    expect(formatCpuSplits(outcomes)).toContain('  split: 53.0 on cpu0, 90.0 on cpu1');
    expect(formatCpuSplits(outcomes.slice(1))).toBeNull();
  });

  it('currentCpu: a CPU number where /proc/self/stat tells it (Linux), else null', () => {
    const cpu = currentCpu();
    if (process.platform === 'linux') expect(cpu !== null && Number.isInteger(cpu) && cpu >= 0 && cpu < 4096).toBe(true);
    else expect(cpu).toBeNull();
  });

  it('a target is also judged on each CPU that ran both rows, like against like', () => {
    const res = (name: string, samples: number[], cpus?: number[]): RowResult => ({ name, unit: 'ns', per: 'op', iterations: 10, ...summarize(samples), samples, ...(cpus ? { cpus } : {}) });
    // The row ran on the slow CPU 1 mostly, its reference on the fast CPU 0 mostly: the
    // pooled medians say 3.5x, each CPU says 2x.
    const results = new Map([
      ['row', res('row', [100, 101, 180, 181, 182], [0, 0, 1, 1, 1])],
      ['ref', res('ref', [50, 50, 51, 90, 91], [0, 0, 0, 1, 1])],
    ]);
    const [v] = judge([{ kind: 'at-most', row: 'row', reference: 'ref', factor: 2.1 }], results);
    expect(v!.pass).toBe(false);
    expect(v!.measured).toBeCloseTo(180 / 51, 10);
    expect([...v!.byCpu].map(([cpu, f]) => [cpu, Number(f.toFixed(3))])).toEqual([[0, 2.01], [1, 2]]);
    expect(formatTargets([v!])).toContain('2.01x cpu0, 2.00x cpu1');
    const [untold] = judge([{ kind: 'at-most', row: 'row', reference: 'ref', factor: 2 }], new Map([['row', res('row', [1, 2])], ['ref', res('ref', [1, 2])]]));
    expect(untold!.byCpu.size).toBe(0);
  });
});
