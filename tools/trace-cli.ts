// `npm run trace -- <script> [--out trace.json] [--timestamps] [--limit N] [--no-raw]`:
// run a script (an example exporting main(out), or any module) with rpctrace attached to
// every kernel it creates; trace lines go to stderr, the Perfetto JSON to --out.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kernelObservers, type Kernel } from '../core/index.ts';
import { Rpctrace, toChromeTrace, type ChromeTrace } from './rpctrace/index.ts';

interface CliOptions {
  script: string;
  out: string | null;
  timestamps: boolean;
  limit: number;
  raw: boolean;
}

function parse(argv: string[]): CliOptions | string {
  const o: CliOptions = { script: '', out: null, timestamps: false, limit: 80, raw: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out' || a === '-o') o.out = argv[++i] ?? null;
    else if (a === '--timestamps' || a === '-t') o.timestamps = true;
    else if (a === '--limit') o.limit = Number(argv[++i]);
    else if (a === '--no-raw') o.raw = false;
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (o.script === '') o.script = a;
    else return `unexpected argument ${a}`;
  }
  if (o.script === '') return 'usage: npm run trace -- <script> [--out trace.json] [--timestamps] [--limit N] [--no-raw]';
  if (!(o.limit > 0)) return '--limit needs a positive number';
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
  if (typeof o === 'string') {
    console.error(o);
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
  try {
    const mod = (await import(pathToFileURL(resolve(o.script)).href)) as { main?: (out: (line: string) => void) => unknown };
    if (typeof mod.main === 'function') await mod.main((line) => console.log(line));
  } finally {
    kernelObservers.delete(observe);
  }
  const calls = traces.reduce((n, t) => n + t.records.length, 0);
  console.error(`rpctrace: ${calls} messages traced in ${traces.length} kernel(s)`);
  if (o.out !== null) {
    writeFileSync(o.out, JSON.stringify(merge(traces.map((t) => toChromeTrace(t)))));
    console.error(`rpctrace: wrote ${o.out} (open it in https://ui.perfetto.dev or chrome://tracing)`);
  }
  return 0;
}

process.exitCode = await main();
