// Benchmarks of your own, measured the way the harness measures its rows: `bench(name,
// setup)` makes a row that times an operation, `defineBench(rows)` is what a rows file
// exports (default export), and `runBench(file)` runs every row of such a file in its own
// Node process (warm-up runs, then samples, each the mean of a timed loop) and answers
// median, MAD, p75/p99 and min per row. The CLI does the same: `hurdle-bench --file FILE`.
//
//   // my-rows.ts
//   import { bench, defineBench } from 'hurdle/bench';
//   export default defineBench([
//     bench('kv.get', async () => {                    // setup: once per row process
//       const kv = await startMyServer();
//       return () => kv.get({ key: 'answer' });        // the operation timed
//     }),
//   ]);
//
// An operation may be synchronous or answer a promise (then each call is awaited before
// the next). Unless the row names its iterations, they are calibrated once per process
// so that a sample takes about SAMPLE_MS. A row that times itself is a BenchRow
// (row.ts): `run(iterations)` answering ns per op, as the harness's own rows do.

import type { BenchRow } from './row.ts';

/** The operation a row times; its result is awaited when it is a promise. */
export type BenchOp = () => unknown;

/** Options of a row made with bench(). */
export interface BenchOptions {
  /** One line on what is measured (`--list` prints it). */
  readonly what?: string;
  /** Calls per sample (default: calibrated so that a sample takes about SAMPLE_MS). */
  readonly iterations?: number;
  /** Measured samples (default 7). */
  readonly samples?: number;
  /** Unreported samples run first, for the JIT (default 3). */
  readonly warmup?: number;
}

/** What a sample aims at when a row does not name its iterations, ms. */
export const SAMPLE_MS = 100;

/** A rows file's default export. */
export interface BenchFile {
  readonly kind: 'hurdle-bench';
  readonly rows: readonly BenchRow[];
}

/** Row names: what the harness's rows look like (dotted, no spaces), at most 64 characters. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,63}$/;

/**
 * A row timing `op`, which `setup` makes (once per row process: start servers there).
 * The figure is ns per call of `op`.
 */
export function bench(name: string, setup: () => BenchOp | Promise<BenchOp>, opts: BenchOptions = {}): BenchRow {
  if (!NAME.test(name)) throw new TypeError(`bench name ${JSON.stringify(name)}: letters, digits and _ . : / - only, at most 64`);
  for (const k of ['iterations', 'samples', 'warmup'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'warmup' ? 0 : 1))) throw new RangeError(`bench ${name}: ${k} must be a positive integer`);
  }
  let op: Promise<{ op: BenchOp; async: boolean }> | null = null;
  let calibrated = opts.iterations ?? 0;
  const prepared = (): Promise<{ op: BenchOp; async: boolean }> =>
    (op ??= (async () => {
      const f = await setup();
      if (typeof f !== 'function') throw new TypeError(`bench ${name}: setup must answer the operation to time (a function)`);
      // One call decides whether calls are awaited (and checks the operation works).
      const first = f();
      const isAsync = typeof (first as { then?: unknown } | null)?.then === 'function';
      if (isAsync) await first;
      return { op: f, async: isAsync };
    })());
  const timed = async (n: number): Promise<number> => {
    const { op: f, async: isAsync } = await prepared();
    const t0 = performance.now();
    if (isAsync) for (let i = 0; i < n; i++) await f();
    else for (let i = 0; i < n; i++) f();
    return performance.now() - t0;
  };
  return {
    name,
    what: opts.what ?? `${name} (ns per call)`,
    get iterations() {
      return calibrated === 0 ? 1 : calibrated;
    },
    ...(opts.samples === undefined ? {} : { samples: opts.samples }),
    ...(opts.warmup === undefined ? {} : { warmup: opts.warmup }),
    async run(iterations: number): Promise<number> {
      let n = iterations;
      if (opts.iterations === undefined && calibrated === 0) {
        calibrated = await calibrate(timed);
        n = calibrated;
      } else if (opts.iterations === undefined) n = calibrated;
      return ((await timed(n)) * 1e6) / n;
    },
  };
}

/** Calls per sample so that one takes about SAMPLE_MS: double from 1 until 10 ms, then scale. */
async function calibrate(timed: (n: number) => Promise<number>): Promise<number> {
  let n = 1;
  for (;;) {
    const ms = await timed(n);
    if (ms >= SAMPLE_MS / 10 || n >= 1 << 30) return Math.max(1, Math.round((n * SAMPLE_MS) / Math.max(ms, 1e-3)));
    n *= 2;
  }
}

/** The default export of a rows file: its rows, checked (names unique). */
export function defineBench(rows: readonly BenchRow[]): BenchFile {
  if (!Array.isArray(rows) || rows.length === 0) throw new TypeError('defineBench needs a non-empty list of rows');
  const seen = new Set<string>();
  for (const r of rows) {
    if (typeof r?.name !== 'string' || typeof r.run !== 'function') throw new TypeError('defineBench: each row comes from bench() or is a BenchRow');
    if (seen.has(r.name)) throw new TypeError(`defineBench: row ${r.name} named twice`);
    seen.add(r.name);
  }
  return { kind: 'hurdle-bench', rows: [...rows] };
}
