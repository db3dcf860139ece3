#!/usr/bin/env node
// `npm run trace -- <script> [--out trace.json] [--timestamps] [--limit N] [--no-raw]`
// (the package's `hurdle-rpctrace`): run a script (an example exporting main(out), or any module) with rpctrace attached to
// every kernel it creates; trace lines go to stderr, the Perfetto JSON to --out.

import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kernelObservers, type Kernel } from '../core/index.ts';
import { Rpctrace, toChromeTrace, type ChromeTrace } from './rpctrace/index.ts';

const USAGE = `usage: hurdle-rpctrace <script> [--out FILE] [--timestamps] [--limit N] [--no-raw]
       (in the repository: npm run trace -- <script> [options])
Runs <script> (a module; when it exports main(out), main is called) with rpctrace attached
to every kernel it creates. Decoded request and reply lines go to stderr.
  -o, --out FILE     write Chrome Trace Event JSON (open it in https://ui.perfetto.dev)
  -t, --timestamps   prefix each line with kernel time in ms (and the event number on virtual time)
  --limit N          cut strings at N characters (default 80)
  --no-raw           leave out messages no interface decodes and libcap's own
  -h, --help         this text
From the package, <script> must be JavaScript (or run node with a TypeScript loader).`;

interface CliOptions {
  script: string;
  out: string | null;
  timestamps: boolean;
  limit: number;
  raw: boolean;
}

/** The options, 'help', or a one-line account of the mistake. */
function parse(argv: string[]): CliOptions | 'help' | string {
  const o: CliOptions = { script: '', out: null, timestamps: false, limit: 80, raw: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--out' || a === '-o') {
      const f = argv[++i];
      if (f === undefined) return `${a} needs a file name`;
      o.out = f;
    } else if (a === '--timestamps' || a === '-t') o.timestamps = true;
    else if (a === '--limit') {
      o.limit = Number(argv[++i]);
      if (!Number.isInteger(o.limit) || o.limit < 1) return '--limit needs a positive integer';
    } else if (a === '--no-raw') o.raw = false;
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (o.script === '') o.script = a;
    else return `unexpected argument ${a} (one script at a time)`;
  }
  if (o.script === '') return 'no script given';
  if (!existsSync(o.script)) return `${o.script}: no such file`;
  return o;
}

/** Merge the traces of several kernels into one file (process ids kept apart). */
function merge(traces: ChromeTrace[]): ChromeTrace {
  if (traces.length === 1) return traces[0]!;
  const events = traces.flatMap((t, k) => t.traceEvents.map((e) => ({ ...e, pid: e.pid + k * 1_000_000 })));
  return { traceEvents: events, displayTimeUnit: 'ms', metadata: { tool: 'hurdle rpctrace', kernels: traces.length } };
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (o === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (typeof o === 'string') {
    console.error(`rpctrace: ${o} (--help shows the usage)`);
    return 2;
  }
  const traces: Rpctrace[] = [];
  const observe = (k: Kernel): void => {
    const n = traces.length;
    const tr = new Rpctrace(k, {
      timestamps: o.timestamps,
      stringLimit: o.limit,
      raw: o.raw,
      out: (line) => process.stderr.write(`${traces.length > 1 ? `k${n}: ` : ''}${line}\n`),
    });
    tr.attach();
    traces.push(tr);
  };
  kernelObservers.add(observe);
  let status = 0;
  try {
    let mod: { main?: (out: (line: string) => void) => unknown };
    try {
      mod = (await import(pathToFileURL(resolve(o.script)).href)) as typeof mod;
    } catch (e) {
      // A script that cannot be loaded (a syntax error, a missing import, TypeScript
      // without a loader) is the user's to fix: say why in one line.
      console.error(`rpctrace: cannot load ${o.script}: ${firstLine(e)}`);
      return 1;
    }
    if (typeof mod.main === 'function') {
      try {
        await mod.main((line) => console.log(line));
      } catch (e) {
        console.error(`rpctrace: ${o.script} failed: ${firstLine(e)}`);
        status = 1;
      }
    }
  } finally {
    kernelObservers.delete(observe);
  }
  const calls = traces.reduce((n, t) => n + t.records.length, 0);
  console.error(`rpctrace: ${calls} messages traced in ${traces.length} kernel(s)`);
  if (o.out !== null) {
    try {
      writeFileSync(o.out, JSON.stringify(merge(traces.map((t) => toChromeTrace(t)))));
    } catch (e) {
      console.error(`rpctrace: cannot write ${o.out}: ${firstLine(e)}`);
      return 1;
    }
    console.error(`rpctrace: wrote ${o.out} (open it in https://ui.perfetto.dev or chrome://tracing)`);
  }
  return status;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

process.exitCode = await main();
