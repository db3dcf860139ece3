// Memory rows, in bytes: what a thread blocked in recv costs, what a libcap client
// holding caps costs a server, and whether the heap grows over a million calls once
// warm (it should not). Figures are heap plus ArrayBuffer
// stores after a full collection, so they carry a little noise either way.

import { Kernel, ThreadState, VirtualClock, type Sys, type Task, type ThreadBody } from '../../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, type CapObject } from '../../libcap/index.ts';
import { callPair, type CallPairOptions } from '../kernel-loops.ts';
import { settledMemory, type BenchRow, type RowGroup } from '../row.ts';

/** Bytes per thread of `n` threads of one task, all blocked in recv on one endpoint. */
function blockedThreads(n: number, body: (ep: number) => ThreadBody, row: string): number {
  const k = new Kernel({ clock: new VirtualClock() });
  const task = k.createTask('server');
  const ep = k.createEndpoint(task);
  const make = body(ep);
  k.run();
  const before = settledMemory();
  for (let i = 0; i < n; i++) k.spawn(task, make);
  k.run();
  const after = settledMemory();
  let blocked = 0;
  for (const t of k.threads) if (t.state === ThreadState.BlockedRecv) blocked++;
  if (blocked !== n) throw new Error(`${row}: ${blocked} of ${n} threads blocked in recv`);
  return (after - before) / n;
}

/**
 * Bytes per client of `n` client tasks each given caps to `capsEach` objects of one
 * bucket: the client record with its task cap (for death notice), an entry per object
 * with its badged root cap in the server's space, and the cap in the client's space.
 * The tasks exist before the first measurement: their own cost is not counted.
 */
function libcapClients(n: number, capsEach: number): number {
  const k = new Kernel({ clock: new VirtualClock() });
  const server = k.createTask('server', { slots: 1 << 20 });
  const iface = defineInterface('held', { ping: { op: 1 } });
  const cls = defineClass({ name: 'held', interface: iface, init: () => ({}), handlers: { ping: () => undefined } });
  const bucket = Bucket.start(k, server);
  const objects: CapObject[] = [];
  for (let i = 0; i < capsEach; i++) {
    const o = bucket.create(cls, undefined);
    if (o instanceof RpcFailure) throw new Error(`create failed: ${o.error}`);
    objects.push(o);
  }
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) tasks.push(k.createTask(`client${i}`));
  k.run();
  const before = settledMemory();
  for (const t of tasks) for (const o of objects) bucket.install(o, t);
  const after = settledMemory();
  const st = bucket.stats();
  if (st.clients !== n || st.outstanding !== n * capsEach) {
    throw new Error(`mem.libcap.client: ${st.clients} clients and ${st.outstanding} entries, expected ${n} and ${n * capsEach}`);
  }
  return (after - before) / n;
}

/** Heap growth over `n` calls on a pair already warmed up with a first batch. */
function callGrowth(n: number, o: CallPairOptions): number {
  const pair = callPair(o);
  pair.calls(Math.min(n, 200_000));
  pair.calls(Math.min(n, 200_000));
  const before = settledMemory();
  pair.calls(n);
  const after = settledMemory();
  return after - before;
}

const growthRow = (name: string, what: string, o: CallPairOptions): BenchRow => ({
  name,
  what,
  unit: 'bytes',
  per: '1M calls',
  iterations: 1_000_000,
  samples: 3,
  warmup: 0,
  run: (n) => (callGrowth(n, o) * 1_000_000) / n,
});

export const group: RowGroup = {
  name: 'memory',
  rank: 90,
  rows: [
    {
      name: 'mem.thread.blocked',
      what: 'heap + ArrayBuffer bytes per continuation thread blocked in recv, 100,000 threads',
      unit: 'bytes',
      per: 'thread',
      iterations: 100_000,
      samples: 3,
      warmup: 0,
      run: (n) =>
        blockedThreads(n, (ep) => (sys: Sys) => () => sys.recv(ep), 'mem.thread.blocked'),
    },
    {
      name: 'mem.thread.blocked.gen',
      what: 'mem.thread.blocked with generator threads',
      unit: 'bytes',
      per: 'thread',
      iterations: 100_000,
      samples: 3,
      warmup: 0,
      run: (n) =>
        blockedThreads(
          n,
          (ep) =>
            function* (sys: Sys) {
              for (;;) yield sys.recv(ep);
            },
          'mem.thread.blocked.gen',
        ),
    },
    {
      name: 'mem.libcap.client',
      what: 'heap + ArrayBuffer bytes a bucket and the kernel spend per client holding caps to 10 objects, 10,000 clients',
      unit: 'bytes',
      per: 'client',
      iterations: 10_000,
      samples: 3,
      warmup: 0,
      run: (n) => libcapClients(n, 10),
    },
    growthRow('mem.call.growth', 'heap growth over 1,000,000 kernel.call.fast round trips after warm-up', {
      form: 'continuation',
      words: 4,
    }),
    growthRow('mem.call.growth.slow', 'heap growth over 1,000,000 kernel.call.slow round trips (a cap mapped and deleted each)', {
      form: 'continuation',
      words: 16,
      passCap: true,
    }),
  ],
};
