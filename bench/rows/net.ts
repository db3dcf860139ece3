// Across kernels through a real nats-server on loopback (skipped, with how to install
// it, when nats-server is missing): the floor, NATS request/reply between two
// connections of this process with a 32-byte payload, sequential and with 64 in flight;
// and a libcap null RPC through a netmsg-imported cap, likewise.

import type { NatsConnection } from '@nats-io/transport-node';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kernel } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface } from '../../libcap/index.ts';
import { findNatsServer, inboxPrefix, natsServerMissing, Netmsg, startNatsServer, type NatsServer } from '../../servers/netmsg/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

const IN_FLIGHT = 64;

const Null = defineInterface('null', { nop: { op: 1 } });
const nullClass = defineClass({ name: 'null', interface: Null, init: () => ({}), handlers: { nop: () => undefined } });

function skip(): string | null {
  return findNatsServer() === null ? natsServerMissing() : null;
}

async function withNats<T>(f: (s: NatsServer, a: NatsConnection, b: NatsConnection) => Promise<T>): Promise<T> {
  const s = await startNatsServer(['a', 'b']);
  const conn = (n: string) => natsConnect({ servers: s.url, user: n, pass: s.users.get(n)!.pass, inboxPrefix: inboxPrefix(n) });
  const a = await conn('a');
  const b = await conn('b');
  try {
    return await f(s, a, b);
  } finally {
    await a.close();
    await b.close();
    await s.stop();
  }
}

/** Time `n` operations, `inFlight` at a time; returns ns per operation. */
async function timed(n: number, inFlight: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await op();
  const t0 = performance.now();
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < n) {
      issued++;
      await op();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return nsPer(performance.now() - t0, n);
}

async function rawRow(n: number, inFlight: number): Promise<number> {
  return withNats(async (_s, a, b) => {
    const payload = new Uint8Array(32);
    b.subscribe('hurdle.b.x.bench', { callback: (_e, m) => void m.respond(payload) });
    await b.flush();
    return timed(n, inFlight, async () => {
      const m = await a.request('hurdle.b.x.bench', payload, { timeout: 10_000 });
      if (m.data.length !== 32) throw new Error('wrong answer');
    });
  });
}

async function callRow(n: number, inFlight: number): Promise<number> {
  return withNats(async (_s, a, b) => {
    const ka = new Kernel();
    const kb = new Kernel();
    const ba = await Netmsg.start(ka, { nc: a, node: 'a' });
    const bb = await Netmsg.start(kb, { nc: b, node: 'b' });
    try {
      const st = ka.createTask('server', { quota: 1000, slots: 4096 });
      const bucket = Bucket.start(ka, st, { maxWorkers: IN_FLIGHT });
      const o = bucket.create(nullClass, undefined);
      if (!('data' in o)) throw new Error('create');
      const holder = ka.createTask('holder');
      ba.publish('null', holder, bucket.install(o, holder));
      const ct = kb.createTask('client', { slots: 1024 });
      const stub = connect(Null, kb, ct, await bb.lookup('a', 'null', ct));
      const calls = ba.stats.callsIn;
      const ns = await timed(n, inFlight, () => stub.nop({}));
      if (ba.stats.callsIn - calls < n) throw new Error(`only ${ba.stats.callsIn - calls} calls crossed`);
      return ns;
    } finally {
      await bb.stop();
      await ba.stop();
    }
  });
}

export const group: RowGroup = {
  name: 'net',
  rank: 70,
  rows: [
    { name: 'net.nats.raw', what: 'NATS request/reply, 32 bytes, two connections of one process, sequential (the floor)', iterations: 1000, samples: 5, skip, run: (n) => rawRow(n, 1) },
    { name: 'net.nats.raw.pipelined', what: 'the same with 64 requests in flight (ns per request)', iterations: 4000, samples: 5, skip, run: (n) => rawRow(n, IN_FLIGHT) },
    { name: 'net.call.null', what: 'libcap null RPC through a netmsg-imported cap (two kernels, one nats-server), sequential', iterations: 1000, samples: 5, skip, run: (n) => callRow(n, 1) },
    { name: 'net.call.null.pipelined', what: 'the same with 64 calls in flight from 64 client threads (ns per call)', iterations: 4000, samples: 5, skip, run: (n) => callRow(n, IN_FLIGHT) },
  ],
  targets: [
    { kind: 'at-most', row: 'net.call.null', reference: 'net.nats.raw', factor: 1.3 },
    { kind: 'at-most', row: 'net.call.null.pipelined', reference: 'net.nats.raw.pipelined', factor: 1.3 },
  ],
};
