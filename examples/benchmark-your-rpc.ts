// Benchmark an RPC path of your own: declare an interface, serve it, and time calls from
// a client thread (the in-thread stub) and from host code (connect()), next to a plain
// `await` in the same run. Ratios taken in one run are what to compare.
// Run it: npx tsx examples/benchmark-your-rpc.ts

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
    init: () => new Map<string, number>(),
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

/** ns per operation of `n` calls of `op`. */
async function time(n: number, op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return ((performance.now() - t0) * 1e6) / n;
}

export async function main(out: (line: string) => void = console.log, n = 20_000): Promise<void> {
  const { k, client, cap } = serve();
  // In-thread: a kernel thread of the client task calls through the generated stub.
  let inThread = 0;
  await k.exec(client, function* (sys: Sys): SysGen<void> {
    const kv = stub(Kv, sys, cap);
    yield* kv.put({ key: 'answer', value: 42 });
    for (let round = 0; round < 2; round++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const r = yield* kv.get({ key: 'answer' });
        if (!r.ok || r.value.value !== 42) throw new Error('wrong answer');
      }
      inThread = ((performance.now() - t0) * 1e6) / n;
    }
  });
  // From host code: the Promise-based client.
  const kv = connect(Kv, k, client, cap);
  await time(n / 4, () => kv.get({ key: 'answer' }));
  const host = await time(n, () => kv.get({ key: 'answer' }));
  // A yardstick from the same run.
  const incAsync = async (x: number): Promise<number> => x + 1;
  let x = 0;
  const awaitNs = await time(n * 10, async () => (x = await incAsync(x)));
  out(`kv.get, in-thread stub:  ${inThread.toFixed(0)} ns per call (${(inThread / awaitNs).toFixed(1)}x an await)`);
  out(`kv.get, host connect():  ${host.toFixed(0)} ns per call (${(host / awaitNs).toFixed(1)}x an await)`);
  out(`await of an async function: ${awaitNs.toFixed(1)} ns`);
  out(`fast-path syscalls so far: ${k.counters.fastpath}, slow-path: ${k.counters.slowpath}`);
}

if (isMain(import.meta.url)) await main();
