// What a benchmark row is (a named measurement the harness runs in its own process), the
// group a file in bench/rows/ exports, the targets a group declares, and timing helpers.

/** Units a row reports in: nanoseconds per operation, or bytes. */
export type Unit = 'ns' | 'bytes';

/**
 * One measurement. `run(iterations)` sets up what it needs, times only the part it
 * measures and returns the figure per `per` in `unit` (ns per op, bytes per thread...).
 * It throws when the thing it measured did not happen as intended (wrong path taken,
 * wrong answer): a row that measures the wrong thing must fail loudly, never report.
 */
export interface BenchRow {
  /** Dotted, lowercase; the first part is the group (`kernel.call.fast`). */
  readonly name: string;
  /** One line: what is measured and how. Printed by `--list`. */
  readonly what: string;
  /** Default 'ns'. */
  readonly unit?: Unit;
  /** What one reported figure is per: 'op' (default), 'thread', '1M calls'. */
  readonly per?: string;
  /** Iterations per sample; aim at 100-250 ms per sample on a 2-core VM. */
  readonly iterations: number;
  /** Measured samples (median and min are reported); default 7. */
  readonly samples?: number;
  /** Unreported samples run first (JIT warm-up); default 3. */
  readonly warmup?: number;
  run(iterations: number): number | Promise<number>;
  /** Why this row cannot run here (a missing system part, and how to install it), or null. */
  skip?(): string | null;
}

/**
 * A pass/fail goal over two rows of the same run. 'at-most': row <= factor x reference.
 * 'faster-by': reference >= factor x row (the row is at least `factor` times faster).
 */
export type Target =
  | { readonly kind: 'at-most'; readonly row: string; readonly reference: string; readonly factor: number }
  | { readonly kind: 'faster-by'; readonly row: string; readonly reference: string; readonly factor: number };

/**
 * What each file in bench/rows/ exports as `group`. `rank` orders groups in the table:
 * baseline 0, kernel 10, libcap 20, servers 30, fs 40, memory 90.
 */
export interface RowGroup {
  readonly name: string;
  readonly rank: number;
  readonly rows: readonly BenchRow[];
  readonly targets?: readonly Target[];
}

/**
 * The module `rel` (named with its .ts source) beside the module at `base`: .ts under a
 * TypeScript loader, .js when `base` runs built (the package's hurdle-bench), so that
 * isolated tasks load their bodies without tsx.
 */
export function moduleBeside(rel: string, base: string): URL {
  return new URL(base.endsWith('.ts') ? rel : rel.replace(/\.ts$/, '.js'), base);
}

/** Nanoseconds per iteration of `ms` milliseconds spent on `iterations` iterations. */
export function nsPer(ms: number, iterations: number): number {
  return (ms * 1e6) / iterations;
}

/**
 * Collect garbage (needs `--expose-gc`, which the harness gives every row's process) and
 * return the bytes in use: the V8 heap plus memory held outside it by ArrayBuffers (a
 * thread's message registers are a Float64Array whose store lives there).
 */
export function settledMemory(): number {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('memory rows need node --expose-gc');
  collect();
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
