// One row in a fresh Node process: the harness's entry (run.ts, or run.js when built)
// again with `--child <row>` (and `--file` for a user's rows file). A fresh V8 gets no JIT
// state from another row; the parent's execArgv (the tsx loader, when it has one) is
// inherited, with --expose-gc for the memory rows. The child sends its RowResult back over
// the IPC channel; a row that throws, or a process that dies or outlives the timeout, is
// a failed Outcome saying why.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Outcome } from './report.ts';
import type { RowResult } from './sample.ts';
import { summarize } from './stats.ts';

/** A row's process is killed after this long. */
export const ROW_TIMEOUT_MS = 120_000;

/** What a row's process sends its parent. */
export type ChildMessage = { readonly ok: true; readonly result: RowResult } | { readonly ok: false; readonly error: string };

/** The harness entry beside this module (same extension: .ts in the repository, .js built). */
const ENTRY = fileURLToPath(new URL(`./run${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url));

export interface RowProcessOptions {
  /** Samples per row (the row's own count when absent). */
  readonly samples?: number | undefined;
  /** A user's rows file (absolute path) the row is defined in; the registry's rows when absent. */
  readonly file?: string | undefined;
}

/** Run one row in a fresh process; resolves with its result or why it failed. */
export function runRowProcess(name: string, opts: RowProcessOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const args = ['--child', name];
    if (opts.samples !== undefined) args.push('--samples', String(opts.samples));
    if (opts.file !== undefined) args.push('--file', opts.file);
    const child = fork(ENTRY, args, {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      timeout: ROW_TIMEOUT_MS,
    });
    let answer: ChildMessage | null = null;
    child.on('message', (m) => {
      answer = m as ChildMessage;
    });
    child.on('error', (e) => resolve({ ok: false, name, error: e.message }));
    // 'close' comes after the IPC channel has delivered everything ('exit' may come first).
    child.on('close', (code, signal) => {
      const a = answer as ChildMessage | null;
      if (a === null) resolve({ ok: false, name, error: `row process exited (code ${code}, signal ${signal}) without a result` });
      else if (a.ok) resolve({ ok: true, result: a.result });
      else resolve({ ok: false, name, error: a.error });
    });
  });
}

/** What runRowsInRounds tells as it goes. */
export interface RoundHooks {
  /** After each row process (round counts from 1). */
  readonly onProcess?: (name: string, round: number, outcome: Outcome, ms: number) => void;
  /** When a row is done: its pooled result after its last round, or its first failure. */
  readonly onRow?: (outcome: Outcome) => void;
}

/**
 * Run every row of `names` in `processes` fresh processes, in rounds: one process of each
 * row in order, then the next round, and pool each row's samples. A row's processes are
 * then spread over the whole run instead of one after another: this VM's CPUs (and many
 * shared machines') change speed for minutes at a time, and rows run back to back can land
 * in different phases, so two rows a target compares would be judged on different
 * machines. In rounds each row samples every phase the run went through. A row that fails
 * is not run again; its first failure is its Outcome. One Outcome per name, in order.
 */
export async function runRowsInRounds(names: readonly string[], processes: number, opts: RowProcessOptions = {}, hooks: RoundHooks = {}): Promise<Outcome[]> {
  if (!(Number.isInteger(processes) && processes >= 1)) throw new RangeError('processes must be a positive integer');
  const results: RowResult[][] = names.map(() => []);
  const done: (Outcome | null)[] = names.map(() => null);
  for (let round = 1; round <= processes; round++) {
    for (let i = 0; i < names.length; i++) {
      if (done[i] !== null) continue;
      const t0 = performance.now();
      const o = await runRowProcess(names[i]!, opts);
      hooks.onProcess?.(names[i]!, round, o, performance.now() - t0);
      if (o.ok) results[i]!.push(o.result);
      if (!o.ok || round === processes) {
        const row: Outcome = o.ok ? { ok: true, result: poolResults(results[i]!) } : o;
        done[i] = row;
        hooks.onRow?.(row);
      }
    }
  }
  return done.map((o) => o!);
}

/** One result from several processes' results of the same row: their samples pooled and summarised again. */
export function poolResults(results: readonly RowResult[]): RowResult {
  if (results.length === 0) throw new RangeError('pooling needs at least one result');
  if (results.length === 1) return results[0]!;
  const samples = results.flatMap((r) => r.samples);
  const { cpus: _first, ...first } = results[0]!;
  const cpus = results.every((r) => r.cpus !== undefined) ? { cpus: results.flatMap((r) => r.cpus!) } : {};
  return { ...first, ...summarize(samples), samples, processes: results.length, ...cpus };
}
