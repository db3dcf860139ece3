// Running one row: warm-up runs, then measured samples, reduced to median and min. This
// is what a row's child process does; the smoke test calls it in-process.
//
// Every sample is preceded by a full collection (when --expose-gc is on, as the harness
// runs rows). Kernel rows build a fresh kernel per sample, so the collection is where the
// previous sample's kernel dies; V8 then drops the optimised code that had embedded that
// kernel's objects (its thread closures, as constants). After the warm-up runs the code
// no longer depends on one particular pair of threads, the state of a system with many
// threads; a single kernel reused across samples lets the JIT specialise on its two
// threads and measures faster than the kernel will run in a real system.

import type { BenchRow, Unit } from './row.ts';

/** One row's figures, as the child sends them to the harness and --json writes them. */
export interface RowResult {
  readonly name: string;
  readonly unit: Unit;
  readonly per: string;
  readonly iterations: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export interface SampleOptions {
  iterations?: number;
  samples?: number;
  warmup?: number;
}

/** The median of a non-empty list (mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Warm the row up, take its samples and summarise them. Throws what the row throws. */
export async function sampleRow(row: BenchRow, opts: SampleOptions = {}): Promise<RowResult> {
  const iterations = opts.iterations ?? row.iterations;
  const count = opts.samples ?? row.samples ?? 7;
  const warmup = opts.warmup ?? row.warmup ?? 3;
  if (!(count >= 1)) throw new RangeError('a row needs at least one sample');
  for (let i = 0; i < warmup; i++) await row.run(iterations);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    // See the top of the file; it also keeps one sample's garbage out of the next's time.
    globalThis.gc?.();
    const v = await row.run(iterations);
    if (!Number.isFinite(v)) throw new Error(`${row.name} returned ${v}`);
    samples.push(v);
  }
  return {
    name: row.name,
    unit: row.unit ?? 'ns',
    per: row.per ?? 'op',
    iterations,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples,
  };
}
