// Running one row: warm-up runs, then measured samples, reduced to median, min and spread
// (stats.ts). This
// is what a row's child process does; the smoke test calls it in-process.
//
// Timing rows measure the steady state: no forced collection between samples (after a
// forced full GC, V8 ran the kernel's fast path ~60% slower for the whole sample, 105
// against 65 ns: that measures the forced GC, not the path). Kernel rows build a fresh
// kernel per sample, so the code cannot stay specialised on one pair of thread objects;
// what a system with many different thread bodies costs has its own row
// (kernel.call.fast.mixed), where the run loop's call site sees many bodies. Memory rows
// (unit 'bytes') are preceded by a full collection.

import { readFileSync } from 'node:fs';
import type { BenchRow, Unit } from './row.ts';
import { summarize } from './stats.ts';

export { median } from './stats.ts';

/** One row's figures, as the child sends them to the harness and --json writes them. */
export interface RowResult {
  readonly name: string;
  readonly unit: Unit;
  readonly per: string;
  readonly iterations: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Spread of the samples (stats.ts): median absolute deviation, 75th and 99th percentiles. */
  readonly mad: number;
  readonly p75: number;
  readonly p99: number;
  readonly samples: readonly number[];
  /** Processes the samples came from (pooled: row-process.ts); absent for one. */
  readonly processes?: number;
  /**
   * The CPU the process was on as each sample ended (Linux: /proc/self/stat), one per
   * sample; absent where the system does not tell. On a virtual machine whose CPUs run
   * at different speeds, this is what tells a row's two speeds apart (report.ts).
   */
  readonly cpus?: readonly number[];
}

/** The CPU this process last ran on, or null where /proc/self/stat does not say. */
export function currentCpu(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces): the 3rd
    // field of the line is the first here, and the 39th ('processor') is at index 36.
    const cpu = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
    return Number.isInteger(cpu) && cpu >= 0 ? cpu : null;
  } catch {
    return null;
  }
}

export interface SampleOptions {
  iterations?: number;
  samples?: number;
  warmup?: number;
}

/** Warm the row up, take its samples and summarise them. Throws what the row throws. */
export async function sampleRow(row: BenchRow, opts: SampleOptions = {}): Promise<RowResult> {
  const iterations = opts.iterations ?? row.iterations;
  const count = opts.samples ?? row.samples ?? 7;
  const warmup = opts.warmup ?? row.warmup ?? 3;
  if (!(count >= 1)) throw new RangeError('a row needs at least one sample');
  for (let i = 0; i < warmup; i++) await row.run(iterations);
  const samples: number[] = [];
  const cpus: number[] = [];
  const collect = row.unit === 'bytes';
  for (let i = 0; i < count; i++) {
    if (collect) globalThis.gc?.();
    const v = await row.run(iterations);
    if (!Number.isFinite(v)) throw new Error(`${row.name} returned ${v}`);
    samples.push(v);
    const cpu = currentCpu();
    if (cpu !== null) cpus.push(cpu);
  }
  return {
    name: row.name,
    unit: row.unit ?? 'ns',
    per: row.per ?? 'op',
    // Read again: a row made with bench() calibrates its iterations in its first run.
    iterations: opts.iterations ?? row.iterations,
    ...summarize(samples),
    samples,
    ...(cpus.length === samples.length ? { cpus } : {}),
  };
}
