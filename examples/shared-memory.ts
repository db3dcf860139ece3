// Shared memory between protection domains: a producer task in the main thread and a
// consumer task isolated in a worker thread share a libmem ring over a dataspace. The
// producer creates the dataspace against its memory quota and hands the consumer three
// ranges of it in map items (its own page and the slots read-only, the consumer's page
// read-write); the worker gets them as views over a SharedArrayBuffer, so the bytes are
// never copied between the two tasks, and the kernel only carries wake-ups (signals on
// two notifications). Then the producer revokes its dataspace cap: the consumer's
// mappings, derived from it, go, and the consumer's next look at the ring faults, in its
// worker, while the producer's own mappings stay.
// Run it: npx tsx examples/shared-memory.ts

import { isMainThread } from 'node:worker_threads';
import { Kernel, NEVER, PageFault, statusName, type Sys } from '../core/index.ts';
import { createIsolatedTask } from '../core/isolate/index.ts';
import { acceptRing, offerRing, RingConsumer, RingProducer, RingStatus } from '../libmem/index.ts';
import { isMain } from './is-main.ts';

/** 16 slots of 1 KiB messages (each slot also holds the message's 4-byte length). */
const GEOMETRY = { slots: 16, slotSize: 1024 + 4 };
/** The producer's cap slots for the ring's dataspace and its two notifications. */
const RING_SLOTS = { dataspace: 10, data: 11, space: 12 };

/** Byte `j` of message `i`, so that both sides can check every byte. */
const byteOf = (i: number, j: number): number => (i * 31 + j) & 0xff;

/**
 * The consumer's body (runs in its worker), a factory given how many messages to take:
 * accept the ring on its endpoint (slot 3), take `n` messages and report (slot 4, label
 * 1) what arrived; then wait for a signal (slot 5) and look at the ring once more,
 * reporting what that look did (label 2).
 */
export const consumer = ({ n }: { n: number }) =>
  function* (sys: Sys): Generator<unknown, void, number> {
    const [ep, report, go] = [3, 4, 5];
    const u = sys.utcb;
    const c = yield* acceptRing(sys, ep, { base: 0x4000_0000, size: 1 << 20 }, [10, 11]);
    if (!(c instanceof RingConsumer)) throw new Error(`acceptRing: ${statusName(c)}`);
    const msg = new Uint8Array(1024);
    let bytes = 0;
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const st = yield* c.take(sys, msg);
      if (st !== RingStatus.Ok) break;
      bytes += c.length;
      for (let j = 0; j < c.length; j++) if (msg[j] !== byteOf(i, j)) wrong++;
    }
    u.items[0] = JSON.stringify({ bytes, wrong });
    yield sys.send(report, 1, 0, 0, 1);
    yield sys.wait(go, NEVER);
    let after: string;
    try {
      after = `tryPeek answered ${c.tryPeek()}`;
    } catch (e) {
      after = e instanceof PageFault ? `PageFault (${e.reason})` : String(e);
    }
    u.items[0] = JSON.stringify({ after });
    yield sys.send(report, 2, 0, 0, 1);
  };
consumer.factory = true;

export async function main(out: (line: string) => void = console.log, n = 1000): Promise<void> {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const go = k.createNotification(home);
  // The producer: an in-process task with a memory quota for the ring's dataspace.
  const producer = k.createTask('producer', { quota: 100, memQuota: 1 << 20 });
  k.grant(home, ep, producer, { slot: 3 });
  const cons = createIsolatedTask(k, 'consumer', { module: new URL(import.meta.url), export: 'consumer', arg: { n } });
  k.grant(home, ep, cons.task, { slot: 3 });
  k.grant(home, report, cons.task, { slot: 4 });
  k.grant(home, go, cons.task, { slot: 5 });
  const next = (): Promise<Record<string, unknown>> =>
    k.exec(home, function* (sys) {
      yield sys.recv(report);
      return JSON.parse(String(sys.utcb.itemsIn[0])) as Record<string, unknown>;
    });
  try {
    const signals = k.counters.signals;
    const sent = k.exec(producer, function* (sys) {
      const p = yield* offerRing(sys, 3, GEOMETRY, RING_SLOTS);
      if (!(p instanceof RingProducer)) throw new Error(`offerRing: ${statusName(p)}`);
      const msg = new Uint8Array(1024);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < msg.length; j++) msg[j] = byteOf(i, j);
        // Wait for space as long as it takes (a put with no timeout never blocks).
        const st = yield* p.put(sys, msg, NEVER);
        if (st !== RingStatus.Ok) throw new Error(`put ${i}: ${st}`);
      }
      return p;
    });
    const got = await next();
    const p = await sent;
    out(`ring: ${GEOMETRY.slots} slots of 1 KiB in a dataspace of the producer, mapped into the consumer's worker (shared memory)`);
    out(`${n} messages: ${got.bytes} bytes arrived, ${got.wrong} wrong; ${k.counters.signals - signals} wake-ups through the kernel`);
    // The producer takes the memory back: revoke reaches every mapping derived through its cap.
    const own = await k.exec(producer, function* (sys) {
      const st = sys.revoke(RING_SLOTS.dataspace);
      // Its own mappings stay: it can still write its slots.
      p.data.setUint32(0, 7);
      return statusName(st);
    });
    const after = next();
    await k.exec(home, function* (sys) {
      yield sys.signal(go);
    });
    out(`producer revoked its dataspace cap (${own}); its own mappings stay`);
    out(`the consumer's next look at the ring: ${(await after).after}`);
  } finally {
    await cons.kill();
  }
}

// (The worker loads this module for the consumer's body; only the program itself runs main.)
if (isMainThread && isMain(import.meta.url)) await main();
