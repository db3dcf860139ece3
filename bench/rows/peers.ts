// What users would pick instead, each measured as a sequential `x = await inc(x)` round
// trip in this run: a hand-written MessageChannel RPC (id map), worker_threads
// postMessage to a worker, Comlink and birpc (both over a same-thread MessageChannel).

import { createBirpc } from 'birpc';
import { MessageChannel, Worker, type MessagePort as NodePort } from 'node:worker_threads';
import { nsPer, type RowGroup } from '../row.ts';

/** A minimal RPC over a port: requests carry an id, answers resolve the matching promise. */
function handWritten(port: NodePort | Worker): (x: number) => Promise<number> {
  let next = 0;
  const waiting = new Map<number, (x: number) => void>();
  port.on('message', (m: { id: number; x: number }) => {
    const r = waiting.get(m.id);
    waiting.delete(m.id);
    r?.(m.x);
  });
  return (x) =>
    new Promise<number>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      port.postMessage({ id, x });
    });
}

async function loop(n: number, call: (x: number) => Promise<number>): Promise<number> {
  let x = 0;
  for (let i = 0; i < 200; i++) x = await call(x);
  x = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) x = await call(x);
  const ms = performance.now() - t0;
  if (x !== n) throw new Error(`counted ${x}, expected ${n}`);
  return nsPer(ms, n);
}

const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, x: m.x + 1 }));
`;

export const group: RowGroup = {
  name: 'peers',
  rank: 60,
  rows: [
    {
      name: 'peers.messagechannel.rpc',
      what: 'hand-written RPC (id map) over a same-thread MessageChannel',
      iterations: 20_000,
      async run(n) {
        const { port1, port2 } = new MessageChannel();
        port2.on('message', (m: { id: number; x: number }) => port2.postMessage({ id: m.id, x: m.x + 1 }));
        try {
          return await loop(n, handWritten(port1));
        } finally {
          port1.close();
          port2.close();
        }
      },
    },
    {
      name: 'peers.worker.postmessage',
      what: 'hand-written RPC over worker_threads postMessage to a worker',
      iterations: 2_000,
      async run(n) {
        const w = new Worker(WORKER, { eval: true });
        try {
          return await loop(n, handWritten(w));
        } finally {
          await w.terminate();
        }
      },
    },
    {
      name: 'peers.comlink',
      what: 'Comlink 4 (expose/wrap) over a same-thread MessageChannel',
      iterations: 10_000,
      async run(n) {
        // Loaded here, not at the top: every row process imports every rows file, and
        // comlink loaded into a process slowed mem.ring.1k there by 4-5 ns (29 to 34 ns).
        const Comlink = await import('comlink');
        const { port1, port2 } = new globalThis.MessageChannel();
        Comlink.expose({ inc: (x: number) => x + 1 }, port2);
        const api = Comlink.wrap<{ inc(x: number): number }>(port1);
        try {
          return await loop(n, (x) => api.inc(x));
        } finally {
          port1.close();
          port2.close();
        }
      },
    },
    {
      name: 'peers.birpc',
      what: 'birpc 4 over a same-thread MessageChannel',
      iterations: 10_000,
      async run(n) {
        const { port1, port2 } = new MessageChannel();
        createBirpc<Record<string, never>, { inc(x: number): number }>(
          { inc: (x: number) => x + 1 },
          { post: (d: unknown) => port2.postMessage(d), on: (fn: (d: unknown) => void) => port2.on('message', fn) },
        );
        const client = createBirpc<{ inc(x: number): number }, Record<string, never>>(
          {},
          { post: (d: unknown) => port1.postMessage(d), on: (fn: (d: unknown) => void) => port1.on('message', fn) },
        );
        try {
          return await loop(n, (x) => client.inc(x));
        } finally {
          port1.close();
          port2.close();
        }
      },
    },
  ],
};
