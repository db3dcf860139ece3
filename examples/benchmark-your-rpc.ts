// Benchmark an RPC path of your own with hurdle/bench, the way hurdle measures its rows:
// declare an interface and serve it, define rows (calls from a client thread through the
// in-thread stub, calls from host code through connect(), and a plain `await` as the
// yardstick), and run each row in its own Node process: warm-up runs, then samples, each
// the mean of a timed loop; the median is reported with the spread (MAD, p75, p99). Ratios
// taken in one run are what to compare. This file is also a rows file for the CLI:
//   npx tsx bench/run.ts --file examples/benchmark-your-rpc.ts   (hurdle-bench --file, installed)
// Run it: npx tsx examples/benchmark-your-rpc.ts [--samples N]

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bench, defineBench, formatResults, runBench, sampleRow, type BenchRow, type Outcome, type RowResult } from '../bench/index.ts';
import { Kernel, VirtualClock, type Sys, type SysGen } from '../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, stub, t } from '../libcap/index.ts';
import { isMain } from './is-main.ts';

const Kv = defineInterface('kv', {
  put: { op: 1, args: { key: t.string(64), value: t.u32 } },
  get: { op: 2, args: { key: t.string(64) }, reply: { value: t.u32 }, errors: ['ENOENT'] },
});

function serve() {
  const k = new Kernel({ clock: new VirtualClock() });
  const cls = defineClass({
    name: 'kv',
    interface: Kv,
    init: () => new Map<string, number>([['answer', 42]]),
    handlers: {
      put: (ctx, { key, value }) => void ctx.data.set(key, value),
      get: (ctx, { key }) => {
        const v = ctx.data.get(key);
        return v === undefined ? ctx.fail('ENOENT') : { value: v };
      },
    },
  });
  const bucket = Bucket.start(k, k.createTask('kv', { quota: 100, slots: 1024 }));
  const obj = bucket.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error(obj.error);
  const client = k.createTask('client');
  return { k, client, cap: bucket.install(obj, client) };
}

/** In-thread: a kernel thread of the client task calls through the stub. This row times itself. */
function inThreadRow(): BenchRow {
  let world: ReturnType<typeof serve> | null = null;
  return {
    name: 'kv.get.thread',
    what: 'kv.get from a client thread through the in-thread stub (ns per call)',
    iterations: 20_000,
    async run(n) {
      const { k, client, cap } = (world ??= serve());
      const fast = k.counters.fastpath;
      let ns = 0;
      await k.exec(client, function* (sys: Sys): SysGen<void> {
        const kv = stub(Kv, sys, cap);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const r = yield* kv.get({ key: 'answer' });
          if (!r.ok || r.value.value !== 42) throw new Error('wrong answer');
        }
        ns = ((performance.now() - t0) * 1e6) / n;
      });
      // A row that measured the wrong path must fail, not report.
      if (k.counters.fastpath - fast < n) throw new Error('kv.get.thread: the calls did not take the kernel fast path');
      return ns;
    },
  };
}

const rows = defineBench([
  inThreadRow(),
  // From host code: the Promise-based client; setup runs once per row process.
  bench(
    'kv.get.host',
    () => {
      const { k, client, cap } = serve();
      const kv = connect(Kv, k, client, cap);
      return async () => {
        if ((await kv.get({ key: 'answer' })).value !== 42) throw new Error('wrong answer');
      };
    },
    { what: 'kv.get from host code through connect() (ns per call)' },
  ),
  // The yardstick: an await of an async function.
  bench(
    'await',
    () => {
      const inc = async (x: number): Promise<number> => x + 1;
      // The promise is what the loop awaits: one await per call, as the harness's baseline.await.
      return () => inc(1);
    },
    { what: 'await of an async function (ns per await)' },
  ),
]);
export default rows;

/** The example's lines: each row's median against the await, with its spread, then the table. */
function report(outcomes: readonly Outcome[], out: (line: string) => void): void {
  const got = new Map<string, RowResult>();
  for (const o of outcomes) {
    if (!o.ok) throw new Error(`${o.name} failed: ${o.error.split('\n')[0]}`);
    got.set(o.result.name, o.result);
  }
  const awaitNs = got.get('await')!.median;
  const line = (label: string, r: RowResult): string =>
    `${label} ${r.median.toFixed(0)} ns per call (${(r.median / awaitNs).toFixed(1)}x an await), MAD ${r.mad.toFixed(1)}, p99 ${r.p99.toFixed(0)}`;
  out(line('kv.get, in-thread stub: ', got.get('kv.get.thread')!));
  out(line('kv.get, host connect(): ', got.get('kv.get.host')!));
  out(`await of an async function: ${awaitNs.toFixed(1)} ns, MAD ${got.get('await')!.mad.toFixed(1)}`);
  out('');
  out(formatResults(outcomes, { references: ['await'], percentiles: true }));
}

/**
 * Measure and print. By default each row runs in its own process (runBench on this file);
 * `inProcess` samples the rows here instead, one after another (quicker, for tests).
 */
export async function main(out: (line: string) => void = console.log, opts: { samples?: number; inProcess?: boolean } = {}): Promise<void> {
  const samples = opts.samples ?? 7;
  let outcomes: Outcome[];
  if (opts.inProcess === true) {
    outcomes = [];
    for (const r of rows.rows) outcomes.push({ ok: true, result: await sampleRow(r, { samples, warmup: 1 }) });
  } else {
    // This module is the rows file; its rows are passed so that runBench need not load it again.
    outcomes = await runBench(fileURLToPath(import.meta.url), { samples, rows: rows.rows });
  }
  report(outcomes, out);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { samples: { type: 'string' } } });
  const samples = values.samples === undefined ? undefined : Number(values.samples);
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1)) {
    console.error('benchmark-your-rpc: --samples needs a positive integer');
    process.exitCode = 2;
  } else await main(console.log, samples === undefined ? {} : { samples });
}
