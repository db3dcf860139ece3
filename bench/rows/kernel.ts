// Kernel rows: IPC round trips on the fast and slow paths, with continuation and generator
// threads, one-way sends, notification wake-ups and the cost of an attached tracer. Every
// row checks the kernel counters and fails if the kernel took another path than intended.

import { callPair, CountingTracer, mixedCalls, sendLoop, signalLoop, type LoopRun } from '../kernel-loops.ts';
import { nsPer, type RowGroup } from '../row.ts';

function expect(row: string, what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${row}: ${what} was ${got}, expected ${want}`);
}

/** Check both halves of every round trip took the fast path; return ns per round trip. */
function fastRoundTrips(row: string, r: LoopRun, n: number): number {
  expect(row, 'counters.fastpath (2 per round trip)', r.fast, 2 * n);
  expect(row, 'counters.slowpath', r.slow, 0);
  return nsPer(r.ms, n);
}

export const group: RowGroup = {
  name: 'kernel',
  rank: 10,
  rows: [
    {
      name: 'kernel.call.fast',
      what: 'call + replyRecv round trip, 4 words, server waiting, continuation threads, fast path both ways',
      iterations: 2_000_000,
      run: (n) => fastRoundTrips('kernel.call.fast', callPair({ form: 'continuation', words: 4 }).calls(n), n),
    },
    {
      name: 'kernel.call.fast.mixed',
      what: 'kernel.call.fast spread over 8 servers with 8 different thread bodies (the run loop cannot specialise on one pair)',
      iterations: 2_000_000,
      run: (n) => fastRoundTrips('kernel.call.fast.mixed', mixedCalls(n), n),
    },
    {
      name: 'kernel.call.fast.gen',
      what: 'kernel.call.fast with generator threads on both sides',
      iterations: 1_500_000,
      run: (n) => fastRoundTrips('kernel.call.fast.gen', callPair({ form: 'generator', words: 4 }).calls(n), n),
    },
    {
      name: 'kernel.call.slow',
      what: 'call + replyRecv round trip, 16 words each way and 1 cap mapped per call (server deletes it), slow path',
      iterations: 300_000,
      run(n) {
        const r = callPair({ form: 'continuation', words: 16, passCap: true }).calls(n);
        expect('kernel.call.slow', 'counters.fastpath', r.fast, 0);
        expect('kernel.call.slow', 'counters.slowpath (2 per round trip)', r.slow, 2 * n);
        return nsPer(r.ms, n);
      },
    },
    {
      name: 'kernel.send.recv',
      what: 'one-way send of 4 words to a receiver waiting in recv (higher priority), per message',
      iterations: 1_000_000,
      run(n) {
        const r = sendLoop(n, 4);
        expect('kernel.send.recv', 'counters.messages', r.messages, n);
        return nsPer(r.ms, n);
      },
    },
    {
      name: 'kernel.signal.wait',
      what: 'signal to a higher-priority thread blocked in wait, until it runs and waits again, per signal',
      iterations: 2_000_000,
      run(n) {
        const r = signalLoop(n);
        expect('kernel.signal.wait', 'counters.signals', r.signals, n);
        return nsPer(r.ms, n);
      },
    },
    {
      name: 'kernel.call.traced',
      what: 'kernel.call.fast with a tracer attached that counts events',
      iterations: 150_000,
      run(n) {
        const tracer = new CountingTracer();
        const r = callPair({ form: 'continuation', words: 4, tracer }).calls(n);
        // call, reply and the server's block: three events per round trip.
        if (tracer.count < 3 * n) throw new Error(`kernel.call.traced: ${tracer.count} events for ${n} round trips`);
        return fastRoundTrips('kernel.call.traced', r, n);
      },
    },
  ],
  targets: [
    { kind: 'at-most', row: 'kernel.call.fast', reference: 'baseline.await', factor: 1.5 },
    { kind: 'faster-by', row: 'kernel.call.fast', reference: 'baseline.messagechannel', factor: 30 },
    { kind: 'at-most', row: 'kernel.call.slow', reference: 'kernel.call.fast', factor: 5 },
    { kind: 'at-most', row: 'kernel.signal.wait', reference: 'baseline.await', factor: 1.5 },
  ],
};
