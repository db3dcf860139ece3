// runBench: the CLI's `--file` as a library call. Every row of a user's rows file runs in
// its own Node process (row-process.ts) with the harness's sampling (sample.ts), one
// after another (in rounds with several processes a row); the answer is one Outcome per
// row, in the file's order.

import { resolve } from 'node:path';
import type { Outcome } from './report.ts';
import type { BenchRow } from './row.ts';
import { runRowsInRounds } from './row-process.ts';
import { loadBenchFile } from './user-file.ts';

export interface RunBenchOptions {
  /** Samples per row (each row's own count, default 7, when absent). */
  readonly samples?: number;
  /** Processes per row, their samples pooled (default 1), run in rounds of one process a row (row-process.ts, runRowsInRounds). */
  readonly processes?: number;
  /** Run only the rows whose name starts with one of these. */
  readonly only?: readonly string[];
  /**
   * The file's rows when the caller has them (a rows file running itself: importing it
   * again from its own top-level await would wait forever); loaded from `file` when absent.
   */
  readonly rows?: readonly BenchRow[];
  /** Told as each row finishes (for progress lines). */
  readonly onRow?: (o: Outcome) => void;
}

/**
 * Run the rows of the file at `file` (export default defineBench([...])), each in a fresh
 * process. The rows file is loaded here too, to learn its rows (setups run only in the
 * row processes). Processes inherit this one's execArgv: a .ts file needs the tsx loader
 * (`npx tsx`, or node --import tsx). Throws BenchFileError when the file is unusable.
 */
export async function runBench(file: string, opts: RunBenchOptions = {}): Promise<Outcome[]> {
  if (opts.samples !== undefined && !(Number.isInteger(opts.samples) && opts.samples >= 1)) throw new RangeError('samples must be a positive integer');
  const full = resolve(file);
  const prefixes = opts.only ?? [];
  const rows = (opts.rows ?? (await loadBenchFile(full))).filter((r) => prefixes.length === 0 || prefixes.some((p) => r.name.startsWith(p)));
  const names = rows.map((r) => r.name);
  const onRow = opts.onRow;
  return runRowsInRounds(names, opts.processes ?? 1, { samples: opts.samples, file: full }, onRow === undefined ? {} : { onRow });
}
