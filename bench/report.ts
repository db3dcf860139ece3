// The harness's output: the machine description, the results table with ratio columns,
// target verdicts (a miss is always printed as a miss), and the --json document.

import { arch, cpus, loadavg, release, type as osType } from 'node:os';
import type { Target } from './row.ts';
import type { RowResult } from './sample.ts';
import { median } from './stats.ts';

/** Rows every ns/op figure is compared with, as table columns. */
export const REFERENCE_ROWS = ['baseline.await', 'kernel.call.fast', 'libcap.rpc.null'] as const;

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly date: string;
  /** 1, 5 and 15 minute load averages when the run started: other work skews the figures. */
  readonly load: readonly number[];
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    date: new Date().toISOString(),
    load: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A row that ran, or one whose process failed. */
export type Outcome = { readonly ok: true; readonly result: RowResult } | { readonly ok: false; readonly name: string; readonly error: string; readonly skipped?: boolean };

export interface TargetVerdict {
  readonly target: Target;
  readonly label: string;
  /** The factor from medians (row/reference for at-most, reference/row for faster-by); null if a row is missing. */
  readonly measured: number | null;
  /** The same factor from the two rows' minimum samples (less disturbed by other load). */
  readonly measuredMin: number | null;
  /** Judged on the medians. */
  readonly pass: boolean | null;
  /**
   * The factor on each CPU that ran at least two samples of both rows (their medians on
   * that CPU): like against like where a machine's CPUs run at different speeds (cpuSplits).
   * Empty where the samples do not say their CPU.
   */
  readonly byCpu: ReadonlyMap<number, number>;
}

function label(t: Target): string {
  return t.kind === 'at-most'
    ? `${t.row} <= ${t.factor}x ${t.reference}`
    : `${t.row} >= ${t.factor}x faster than ${t.reference}`;
}

export function judge(targets: readonly Target[], results: ReadonlyMap<string, RowResult>): TargetVerdict[] {
  return targets.map((t) => {
    const row = results.get(t.row);
    const ref = results.get(t.reference);
    if (row === undefined || ref === undefined) {
      return { target: t, label: label(t), measured: null, measuredMin: null, pass: null, byCpu: new Map() };
    }
    const factor = (rowValue: number, refValue: number): number =>
      t.kind === 'at-most' ? rowValue / refValue : refValue / rowValue;
    const measured = factor(row.median, ref.median);
    const pass = t.kind === 'at-most' ? measured <= t.factor : measured >= t.factor;
    const byCpu = new Map<number, number>();
    const refByCpu = mediansByCpu(ref);
    for (const [cpu, m] of mediansByCpu(row)) {
      const r = refByCpu.get(cpu);
      if (r !== undefined) byCpu.set(cpu, factor(m, r));
    }
    return { target: t, label: label(t), measured, measuredMin: factor(row.min, ref.min), pass, byCpu };
  });
}

/** A row's median on each CPU that ran at least two of its samples, by CPU number (empty when not told). */
export function mediansByCpu(r: RowResult): Map<number, number> {
  const out = new Map<number, number>();
  if (r.cpus === undefined) return out;
  const groups = new Map<number, number[]>();
  r.cpus.forEach((cpu, i) => {
    const g = groups.get(cpu);
    if (g === undefined) groups.set(cpu, [r.samples[i]!]);
    else g.push(r.samples[i]!);
  });
  for (const [cpu, xs] of [...groups].sort((a, b) => a[0] - b[0])) if (xs.length >= 2) out.set(cpu, median(xs));
  return out;
}

function fmtValue(r: RowResult, v: number): string {
  if (r.unit === 'bytes') return Math.round(v).toLocaleString('en-US');
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function fmtRatio(x: number): string {
  if (x >= 100) return `${x.toFixed(0)}x`;
  if (x >= 10) return `${x.toFixed(1)}x`;
  return x >= 0.01 ? `${x.toFixed(2)}x` : `${x.toFixed(3)}x`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], rightAlign: readonly boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAlign[i] === true ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The results table: median and min per row, and ns rows as multiples of the reference rows. */
/** What formatResults prints besides median, MAD and min. */
export interface ResultColumns {
  /** Rows whose medians each row is divided by, one column each (default REFERENCE_ROWS). */
  readonly references?: readonly string[];
  /** Also the 75th and 99th percentiles of the samples (default false). */
  readonly percentiles?: boolean;
}

/**
 * The results table: per row the median, the MAD of its samples (spread: '±'), optionally
 * p75 and p99, the fastest sample, the unit, and the median's ratio to reference rows.
 */
export function formatResults(outcomes: readonly Outcome[], cols: ResultColumns = {}): string {
  const refs = cols.references ?? REFERENCE_ROWS;
  const pct = cols.percentiles === true;
  const byName = new Map<string, RowResult>();
  for (const o of outcomes) if (o.ok) byName.set(o.result.name, o.result);
  const head = ['row', 'median', 'mad', ...(pct ? ['p75', 'p99'] : []), 'min', 'unit', ...refs.map((r) => `x ${r}`)];
  const blank = (): string[] => [...(pct ? ['', ''] : []), '', '', ...refs.map(() => '')];
  const rows = outcomes.map((o): string[] => {
    if (!o.ok) return [o.name, o.skipped === true ? 'skipped' : 'FAILED', ...blank()];
    const r = o.result;
    const ratios = refs.map((name) => {
      const ref = byName.get(name);
      return r.unit !== 'ns' || ref === undefined ? '-' : fmtRatio(r.median / ref.median);
    });
    const unit = r.unit === 'ns' ? `ns/${r.per}` : `B/${r.per}`;
    const spread = pct ? [fmtValue(r, r.p75), fmtValue(r, r.p99)] : [];
    return [r.name, fmtValue(r, r.median), `±${fmtValue(r, r.mad)}`, ...spread, fmtValue(r, r.min), unit, ...ratios];
  });
  const align = [false, true, true, ...(pct ? [true, true] : []), true, false, ...refs.map(() => true)];
  return table(head, rows, align);
}

/** A row whose samples ran at different speeds on different CPUs: its median on each. */
export interface CpuSplit {
  readonly row: RowResult;
  readonly byCpu: ReadonlyMap<number, number>;
}

/** How much faster one CPU's samples of a row must be before the report says so. */
export const CPU_SPLIT = 1.2;

/**
 * Rows whose samples ran on CPUs of different speeds: for each, the median on each CPU
 * that ran at least two of its samples, when the slowest is CPU_SPLIT times the fastest
 * or more. A shared virtual machine's CPUs can differ for minutes at a time (a busy
 * neighbour on one host core); a process mostly stays on one, so a row then looks
 * bimodal between processes for a reason outside the code.
 */
export function cpuSplits(outcomes: readonly Outcome[]): CpuSplit[] {
  const out: CpuSplit[] = [];
  for (const o of outcomes) {
    // Timings only: a memory row's bytes do not move with a CPU's speed (and may be negative).
    if (!o.ok || o.result.unit !== 'ns') continue;
    const r = o.result;
    const byCpu = mediansByCpu(r);
    if (byCpu.size < 2) continue;
    const ms = [...byCpu.values()];
    if (Math.max(...ms) >= CPU_SPLIT * Math.min(...ms)) out.push({ row: r, byCpu });
  }
  return out;
}

/** The lines saying which rows ran at different speeds on different CPUs, or null. */
export function formatCpuSplits(outcomes: readonly Outcome[]): string | null {
  const splits = cpuSplits(outcomes);
  if (splits.length === 0) return null;
  const lines = splits.map((s) => `  ${s.row.name}: ${[...s.byCpu].map(([cpu, m]) => `${fmtValue(s.row, m)} on cpu${cpu}`).join(', ')}`);
  return [
    'rows whose samples ran at different speeds on different CPUs (medians per CPU; a process mostly stays on one):',
    ...lines,
    'the same code ran at both speeds: on a shared virtual machine one CPU can be slower for minutes at a time.',
    'More processes (--processes) pool past it; taskset -c N pins a run of single-threaded rows to one CPU.',
  ].join('\n');
}

export function formatTargets(verdicts: readonly TargetVerdict[]): string {
  const rows = verdicts.map((v): string[] => {
    if (v.measured === null || v.measuredMin === null || v.pass === null) return [v.label, '-', '-', 'not run', '-'];
    const t = v.target;
    let verdict: string;
    if (v.pass) verdict = 'pass';
    else if (t.kind === 'at-most') verdict = `MISS (${((v.measured / t.factor - 1) * 100).toFixed(0)}% over)`;
    else verdict = `MISS (${((1 - v.measured / t.factor) * 100).toFixed(0)}% short)`;
    const sameCpu = v.byCpu.size === 0 ? '-' : [...v.byCpu].map(([cpu, f]) => `${fmtRatio(f)} cpu${cpu}`).join(', ');
    return [v.label, fmtRatio(v.measured), fmtRatio(v.measuredMin), verdict, sameCpu];
  });
  return table(['target (judged on medians)', 'median', 'min', 'result', 'on one CPU'], rows, [false, true, true, false, false]);
}

export function formatMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.os}, ${m.date}, load ${m.load.join(' ')}`;
}

/** A warning when other work was keeping the cores busy as the run started, else null. */
export function busyWarning(m: Machine): string | null {
  const load = m.load[0] ?? 0;
  if (load <= m.cores / 2) return null;
  return `warning: load average ${load} on ${m.cores} cores: other processes compete with the rows, figures will be noisy`;
}

/** How the run went: its length, and the 1-minute load average at its end (its own row counts ~1). */
export interface RunInfo {
  readonly seconds: number;
  readonly loadAfter: number;
}

/** The 1-minute load average now, rounded. */
export function loadNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** The --json document. */
export function jsonReport(machine: Machine, run: RunInfo, outcomes: readonly Outcome[], verdicts: readonly TargetVerdict[]): unknown {
  return {
    machine,
    run,
    rows: outcomes.map((o) => {
      if (!o.ok) return { name: o.name, error: o.error };
      const r = o.result;
      const value = r.unit === 'ns' ? { ns: r.median } : { bytes: r.median };
      const onCpus = r.cpus === undefined ? {} : { cpus: r.cpus };
      return { name: r.name, ...value, unit: r.unit, per: r.per, min: r.min, max: r.max, iterations: r.iterations, samples: r.samples, ...onCpus, processes: r.processes ?? 1 };
    }),
    targets: verdicts.map((v) => ({ target: v.label, measured: v.measured, measuredMin: v.measuredMin, pass: v.pass, byCpu: Object.fromEntries(v.byCpu) })),
  };
}
