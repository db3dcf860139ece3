// Baseline rows: what the same `inc(x)` costs with plain JavaScript mechanisms (a call,
// an await, a MessageChannel round trip), the yardsticks every kernel row is read against.

import { MessageChannel } from 'node:worker_threads';
import { nsPer, type RowGroup } from '../row.ts';

function inc(x: number): number {
  return x + 1;
}

async function incAsync(x: number): Promise<number> {
  return x + 1;
}

function checkCount(row: string, x: number, n: number): void {
  if (x !== n) throw new Error(`${row}: counted ${x}, expected ${n}`);
}

export const group: RowGroup = {
  name: 'baseline',
  rank: 0,
  rows: [
    {
      name: 'baseline.call',
      what: 'direct function call x = inc(x)',
      iterations: 100_000_000,
      run(n) {
        let x = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) x = inc(x);
        const ms = performance.now() - t0;
        checkCount('baseline.call', x, n);
        return nsPer(ms, n);
      },
    },
    {
      name: 'baseline.await',
      what: 'x = await inc(x), inc an async function, sequential loop',
      iterations: 3_000_000,
      async run(n) {
        let x = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) x = await incAsync(x);
        const ms = performance.now() - t0;
        checkCount('baseline.await', x, n);
        return nsPer(ms, n);
      },
    },
    {
      name: 'baseline.messagechannel',
      what: 'same-thread MessageChannel round trip: request on port1, reply on port2, awaited in sequence',
      iterations: 25_000,
      async run(n) {
        const { port1, port2 } = new MessageChannel();
        port2.on('message', (x: number) => port2.postMessage(inc(x)));
        let answer: (x: number) => void = () => {};
        port1.on('message', (x: number) => answer(x));
        const request = (x: number): Promise<number> =>
          new Promise<number>((resolve) => {
            answer = resolve;
            port1.postMessage(x);
          });
        let x = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) x = await request(x);
        const ms = performance.now() - t0;
        port1.close();
        port2.close();
        checkCount('baseline.messagechannel', x, n);
        return nsPer(ms, n);
      },
    },
  ],
};
