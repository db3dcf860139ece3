// libcap rows: one RPC through the cap library (stubs derived from an interface, a
// bucket's worker, the handler, the reply), from a kernel thread and from host code.

import { Kernel, VirtualClock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, stub, t } from '../../libcap/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

const Bench = defineInterface('bench', {
  nop: { op: 1 },
  inc: { op: 2, args: { x: t.u32 }, reply: { x: t.u32 } },
});

interface World {
  readonly k: Kernel;
  readonly client: Task;
  readonly cap: number;
}

function world(): World {
  const k = new Kernel({ clock: new VirtualClock() });
  const server = k.createTask('server', { quota: 1000, slots: 1 << 12 });
  const client = k.createTask('client');
  const cls = defineClass({
    name: 'bench',
    interface: Bench,
    init: () => ({}),
    handlers: { nop: () => undefined, inc: (_c, { x }) => ({ x: x + 1 }) },
  });
  const b = Bucket.start(k, server, { maxWorkers: 1 });
  const obj = b.create(cls, undefined);
  if (!('refs' in obj)) throw new Error('create failed');
  return { k, client, cap: b.install(obj, client) };
}

/** Time `n` in-thread calls made by `body` in a client thread; checks fast-path use. */
async function inThread(n: number, body: (sys: Sys, cap: number, n: number) => SysGen<number>): Promise<number> {
  const w = world();
  let ms = 0;
  const check = await w.k.exec(w.client, function* (sys: Sys): SysGen<number> {
    yield* body(sys, w.cap, 100); // warm the path
    const t0 = performance.now();
    const r = yield* body(sys, w.cap, n);
    ms = performance.now() - t0;
    return r;
  });
  if (check !== n) throw new Error(`expected ${n} answers, got ${check}`);
  if (w.k.counters.fastpath < 2 * n) throw new Error(`the calls left the kernel fast path (${w.k.counters.fastpath} fast-path syscalls for ${n} calls)`);
  return nsPer(ms, n);
}

export const group: RowGroup = {
  name: 'libcap',
  rank: 20,
  rows: [
    {
      name: 'libcap.rpc.null',
      what: 'null RPC (no arguments, empty reply) through a stub in a client thread to a bucket worker and back',
      iterations: 150_000,
      warmup: 5,
      run: (n) =>
        inThread(n, function* (sys, cap, count) {
          const s = stub(Bench, sys, cap);
          let ok = 0;
          for (let i = 0; i < count; i++) if ((yield* s.nop()).ok) ok++;
          return ok;
        }),
    },
    {
      name: 'libcap.rpc.inc',
      what: 'x = inc(x) through a stub in a client thread (args and reply marshalled, validated)',
      iterations: 150_000,
      warmup: 5,
      run: (n) =>
        inThread(n, function* (sys, cap, count) {
          const s = stub(Bench, sys, cap);
          let x = 0;
          for (let i = 0; i < count; i++) {
            const r = yield* s.inc({ x });
            if (r.ok) x = r.value.x;
          }
          return x;
        }),
    },
    {
      name: 'libcap.rpc.host',
      what: 'x = await client.inc({ x }) from host code (connect(): a pooled proxy thread carries each call)',
      iterations: 50_000,
      warmup: 8,
      async run(n) {
        const w = world();
        const c = connect(Bench, w.k, w.client, w.cap);
        let x = 0;
        for (let i = 0; i < 100; i++) x = (await c.inc({ x })).x;
        x = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) x = (await c.inc({ x })).x;
        const ms = performance.now() - t0;
        if (x !== n) throw new Error(`counted ${x}, expected ${n}`);
        return nsPer(ms, n);
      },
    },
  ],
};
