#!/usr/bin/env node
// npm run bench (the package's `hurdle-bench`): runs every registered row (bench/rows/*.ts, see registry.ts) in its own
// Node process, one after another, and prints the table, the targets and the machine.
// `npm run bench` builds first (tsc, as `npm run build`) and runs the compiled harness,
// the code the package ships; `npm run bench:source` (or `npx tsx bench/run.ts`) runs
// the TypeScript sources through tsx, with no build, at the speed tsx's output runs.
//
//   npm run bench                      all rows
//   npm run bench -- --only kernel.    rows whose name starts with a prefix (repeatable)
//   npm run bench -- --json out.json   also write {"machine", "rows", "targets"} to a file
//   npm run bench -- --list            list the rows and what each measures
//   npm run bench -- --samples 3       fewer samples per row (quicker, noisier)
//   npm run bench -- --processes 3     each row in 3 processes (3 rounds of all rows), samples pooled
//   npm run bench -- --help            this usage
//
// A row's process is this file again with `--child <row>`: a fresh V8 (no JIT state from
// another row), the parent's execArgv (the tsx loader, when it has one), and --expose-gc for the memory
// rows. It sends its RowResult back over the IPC channel. The exit code is 1 when a row
// failed (threw, or its process died); a missed target is reported, not an error.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchFileError, loadBenchFile } from './user-file.ts';
import { runRowsInRounds, type ChildMessage } from './row-process.ts';
import type { BenchRow } from './row.ts';
import { allRows, allTargets, loadGroups, selectRows } from './registry.ts';
import {
  busyWarning,
  describeMachine,
  formatCpuSplits,
  formatMachine,
  formatResults,
  formatTargets,
  judge,
  jsonReport,
  loadNow,
  type Outcome,
  type RunInfo,
} from './report.ts';
import { sampleRow, type RowResult, type SampleOptions } from './sample.ts';

/**
 * What code the rows run: the compiled JavaScript (`npm run bench`, and the package's
 * hurdle-bench), or the TypeScript sources through tsx (`npx tsx bench/run.ts`). The two
 * differ in speed: esbuild's output is not tsc's, and tsx's loader detaches an
 * ArrayBuffer as it starts (`node --trace-protector-invalidation`), after which V8 checks
 * every typed-array access in the process for detachment (docs/dataspaces.md).
 */
const RUNS = import.meta.url.endsWith('.ts') ? 'running the TypeScript sources through tsx' : 'running the compiled JavaScript';

const USAGE = `usage: hurdle-bench [--file ROWS] [--only PREFIX]... [--json FILE] [--samples N] [--processes N] [--list] [--help]
       (in the repository: npm run bench -- [options], which builds first and runs the
        compiled harness; npm run bench:source -- [options] runs the sources through tsx)
  --file ROWS     run the rows of your own file (export default defineBench([...]) from
                  'hurdle/bench') instead of hurdle's; a .ts file needs tsx to load
  --only PREFIX   run the rows whose name starts with PREFIX (repeatable), e.g. --only kernel.
  --json FILE     also write {"machine", "run", "rows", "targets"} to FILE
  --samples N     samples per row (fewer: quicker and noisier)
  --processes N   run each row in N processes and pool their samples (default 1), in N
                  rounds of one process a row, so that each row samples the whole run; a
                  row whose speed differs between processes reports the speed most land on
  --list          list the rows and what each measures, run nothing
  --help          this text
Each row runs in its own Node process; the exit status is 1 when a row failed.`;

/** A mistake in the command line: reported as one line, never a stack trace. */
class UsageError extends Error {}

/** A positive integer option's value. */
function positive(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${option} needs a positive integer, not ${value}`);
  return n;
}

function sampleOptions(samples: string | undefined): SampleOptions {
  return samples === undefined ? {} : { samples: positive('samples', samples) };
}

type Values = {
  child?: string | undefined;
  file?: string | undefined;
  only?: string[] | undefined;
  json?: string | undefined;
  list?: boolean | undefined;
  samples?: string | undefined;
  processes?: string | undefined;
  help?: boolean | undefined;
};

function parseCommandLine(argv: string[]): Values {
  try {
    return parseArgs({
      args: argv,
      options: {
        child: { type: 'string' },
        file: { type: 'string' },
        only: { type: 'string', multiple: true },
        json: { type: 'string' },
        list: { type: 'boolean' },
        samples: { type: 'string' },
        processes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    // parseArgs explains the mistake in its message (unknown option, missing value, ...).
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
}

/** Child mode: run one row and report it to the parent. */
async function runChild(name: string, opts: SampleOptions, file: string | undefined): Promise<void> {
  let msg: ChildMessage;
  try {
    const rows = file === undefined ? allRows(await loadGroups()) : await loadBenchFile(file);
    const row = rows.find((r) => r.name === name);
    if (row === undefined) throw new Error(`no benchmark row named ${name}`);
    msg = { ok: true, result: await sampleRow(row, opts) };
  } catch (e) {
    msg = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  if (process.send === undefined) {
    console.log(JSON.stringify(msg, null, 2));
    process.exit(msg.ok ? 0 : 1);
  }
  process.send!(msg, undefined, undefined, () => process.exit(msg.ok ? 0 : 1));
}

async function main(argv: string[]): Promise<number> {
  const values = parseCommandLine(argv);
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const opts = sampleOptions(values.samples);
  const processes = values.processes === undefined ? 1 : positive('processes', values.processes);
  if (values.child !== undefined) {
    await runChild(values.child, opts, values.file);
    return 0;
  }

  const skipped: string[] = [];
  const file = values.file === undefined ? undefined : resolve(values.file);
  const groups = file === undefined ? await loadGroups(undefined, skipped) : [];
  for (const s of skipped) console.error(`hurdle bench: skipping rows ${s}`);
  const all: BenchRow[] = file === undefined ? allRows(groups) : await loadBenchFile(values.file!);
  const rows = selectRows(all, values.only ?? []);
  if (values.list === true) {
    for (const r of rows) console.log(`${r.name.padEnd(26)} ${r.what}`);
    return 0;
  }
  if (rows.length === 0) {
    console.error(`hurdle bench: no rows match ${(values.only ?? []).join(', ')} (--list shows them)`);
    return 1;
  }

  const machine = describeMachine();
  const each = processes === 1 ? 'each in its own process' : `each in ${processes} processes of its own`;
  console.error(`hurdle bench: ${rows.length} rows, ${each}, ${RUNS} (${formatMachine(machine)})`);
  const busy = busyWarning(machine);
  if (busy !== null) console.error(busy);
  const started = performance.now();
  const skips = new Map<string, Outcome>();
  for (const r of rows) {
    const skipped = r.skip?.() ?? null;
    if (skipped === null) continue;
    console.error(`  ${r.name.padEnd(26)} skipped: ${skipped}`);
    skips.set(r.name, { ok: false, name: r.name, error: skipped, skipped: true });
  }
  // With --processes N the rows run in N rounds (row-process.ts, runRowsInRounds).
  const runnable = rows.filter((r) => !skips.has(r.name)).map((r) => r.name);
  const ran = await runRowsInRounds(runnable, processes, { samples: opts.samples, file }, {
    onProcess(name, round, o, ms) {
      const of = processes === 1 ? '' : ` (round ${round} of ${processes})`;
      console.error(`  ${name.padEnd(26)} ${o.ok ? 'done' : 'FAILED'} in ${(ms / 1000).toFixed(1)} s${of}`);
      if (!o.ok) console.error(o.error.replace(/^/gm, '    '));
    },
  });
  const byName = new Map(runnable.map((name, i) => [name, ran[i]!]));
  const outcomes: Outcome[] = rows.map((r) => skips.get(r.name) ?? byName.get(r.name)!);

  const results = new Map<string, RowResult>();
  for (const o of outcomes) if (o.ok) results.set(o.result.name, o.result);
  const verdicts = judge(allTargets(groups), results).filter((v) => values.only === undefined || v.measured !== null);

  console.log(`\nMachine: ${formatMachine(machine)}`);
  if (busy !== null) console.log(busy);
  console.log('');
  // A user's file: its rows are their own references; the spread in full (p75, p99).
  console.log(formatResults(outcomes, file === undefined ? {} : { references: [], percentiles: true }));
  const splits = formatCpuSplits(outcomes);
  if (splits !== null) console.log(`\n${splits}`);
  if (verdicts.length > 0) console.log(`\n${formatTargets(verdicts)}`);
  const run: RunInfo = { seconds: Math.round(performance.now() - started) / 1000, loadAfter: loadNow() };
  // The row running keeps about one core busy, so only load beyond that is someone else's.
  const noisy = run.loadAfter > 1 + machine.cores / 2 ? ' (other work ran alongside: noisy)' : '';
  console.log(`\n${rows.length} rows in ${run.seconds.toFixed(1)} s; load average at the end ${run.loadAfter}${noisy}`);

  if (values.json !== undefined) {
    try {
      writeFileSync(values.json, `${JSON.stringify(jsonReport(machine, run, outcomes, verdicts), null, 2)}\n`);
    } catch (e) {
      console.error(`hurdle bench: cannot write ${values.json}: ${(e as Error).message}`);
      return 1;
    }
    console.error(`wrote ${values.json}`);
  }
  return outcomes.every((o) => o.ok || o.skipped === true) ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError) && !(e instanceof BenchFileError)) throw e;
  console.error(`hurdle bench: ${e.message} (--help shows the options)`);
  process.exitCode = 2;
}
