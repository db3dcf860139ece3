// Memory rows, in bytes: what a thread blocked in recv costs, and whether the heap grows
// over a million calls once warm (it should not). Figures are heap plus ArrayBuffer
// stores after a full collection, so they carry a little noise either way.

import { Kernel, ThreadState, VirtualClock, type Sys, type ThreadBody } from '../../core/index.ts';
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
