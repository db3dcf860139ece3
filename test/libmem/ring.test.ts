// The producer/consumer ring (DS7): messages in order through shared memory, wake-ups
// by notifications, setup by map items over IPC, and the lecture's two failure stories
// (the evil consumer, the preempted consumer) shown with the naive protocols and
// answered by the ring, on virtual time.

import { describe, expect, it } from 'vitest';
import {
  Kernel,
  PageFault,
  Rights,
  Status,
  taskSnapshot,
  threadInfo,
  VirtualClock,
  type Sys,
  type Task,
  type Thread,
} from '../../core/index.ts';
import { acceptRing, createRing, MAX_RING_SPINS, offerRing, RingConsumer, RingProducer, RingStatus } from '../../libmem/index.ts';

function kernel(): Kernel {
  return new Kernel({ clock: new VirtualClock() });
}

function state(t: Thread): string {
  return threadInfo(t).state;
}

function msg(i: number, n = 16): Uint8Array {
  const b = new Uint8Array(n);
  for (let j = 0; j < n; j++) b[j] = (i * 31 + j) & 0xff;
  return b;
}

function pair(k: Kernel): { p: Task; c: Task } {
  return { p: k.createTask('producer'), c: k.createTask('consumer') };
}

describe('ring: messages through shared memory', () => {
  it('DS7: every message arrives once, in order, through a ring smaller than the stream; wake-ups by notification', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 4, slotSize: 64 });
    const got: number[][] = [];
    const statuses: number[] = [];
    k.spawn(c, function* (sys: Sys) {
      const dst = new Uint8Array(60);
      for (let i = 0; i < 50; i++) {
        const st = yield* ring.consumer.take(sys, dst);
        statuses.push(st);
        got.push(Array.from(dst.subarray(0, ring.consumer.length)));
      }
    });
    k.spawn(p, function* (sys: Sys) {
      for (let i = 0; i < 50; i++) {
        const st = yield* ring.producer.put(sys, msg(i, 1 + (i % 60)), 1000);
        statuses.push(st);
      }
    });
    k.run();
    expect(statuses.every((s) => s === RingStatus.Ok)).toBe(true);
    expect(statuses).toHaveLength(100);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => Array.from(msg(i, 1 + (i % 60)))));
  });

  it('put answers TooBig for a message over the slot, Full at once when no timeout is given, TimedOut after one', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 16 });
    const out: number[] = [];
    k.spawn(p, function* (sys: Sys) {
      out.push(yield* ring.producer.put(sys, new Uint8Array(13)));
      out.push(yield* ring.producer.put(sys, new Uint8Array(12)));
      out.push(yield* ring.producer.put(sys, new Uint8Array(12)));
      out.push(yield* ring.producer.put(sys, new Uint8Array(12)));
      out.push(yield* ring.producer.put(sys, new Uint8Array(12), 50));
      out.push(sys.now());
    });
    k.run();
    k.advance(100);
    expect(out).toEqual([RingStatus.TooBig, RingStatus.Ok, RingStatus.Ok, RingStatus.Full, RingStatus.TimedOut, 50]);
    expect(ring.consumer.tryTake(new Uint8Array(4))).toBe(RingStatus.TooBig);
    expect(ring.consumer.tryTake(new Uint8Array(12))).toBe(RingStatus.Ok);
  });

  it('DS3: a producer thread sets the ring up by IPC: map items with per-range rights, caps for the notifications', () => {
    const k = kernel();
    const p = k.createTask('producer', { quota: 10, memQuota: 1 << 20 });
    const c = k.createTask('consumer');
    const ep = k.createEndpoint(c);
    const pep = k.grant(c, ep, p, { rights: Rights.Write | Rights.Grant });
    let consumer: RingConsumer | number = -1;
    let producer: RingProducer | number = -1;
    const got: string[] = [];
    k.spawn(c, function* (sys: Sys) {
      consumer = yield* acceptRing(sys, ep, { base: 0x40000000, size: 1 << 20 }, [100, 101]);
      if (typeof consumer === 'number') return;
      const dst = new Uint8Array(100);
      for (let i = 0; i < 3; i++) {
        yield* consumer.take(sys, dst);
        got.push(new TextDecoder().decode(dst.subarray(0, consumer.length)));
      }
    });
    k.spawn(p, function* (sys: Sys) {
      producer = yield* offerRing(sys, pep, { slots: 8, slotSize: 128 }, { dataspace: 20, data: 21, space: 22 });
      if (typeof producer === 'number') return;
      for (const s of ['one', 'two', 'three']) yield* producer.put(sys, new TextEncoder().encode(s));
    });
    k.run();
    expect(typeof consumer).toBe('object');
    expect(got).toEqual(['one', 'two', 'three']);
    // The consumer got the producer's page and the slots read-only: it cannot scribble there.
    const maps = taskMappings(c);
    expect(maps).toEqual([
      [0x40000000, 4096, 'R---'],
      [0x40001000, 4096, 'RW--'],
      [0x40002000, 8 * 128 < 4096 ? 4096 : 8 * 128, 'R---'],
    ]);
  });
});

function taskMappings(task: Task): [number, number, string][] {
  return taskSnapshot(task).mappings.map((m) => [m.vaddr, m.length, m.rights]);
}

describe('ring: the lecture\'s first story (an evil consumer sets "ready" and never waits)', () => {
  it('naive: a producer that notifies with a blocking send stays blocked forever', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ep = k.createEndpoint(c);
    const pep = k.grant(c, ep, p, { rights: Rights.Write });
    const flag = { ready: false };
    k.spawn(c, function* () {
      flag.ready = true; // "I am ready to receive" ... and it never calls recv
    });
    const producer = k.spawn(p, function* (sys: Sys) {
      if (flag.ready) yield sys.send(pep, 1); // infinite timeout
    });
    k.run();
    k.advance(1_000_000);
    expect(state(producer)).toBe('blocked-send');
  });

  it('ring: the producer never blocks; the liar costs it one signal per announcement and gets Full, nothing else', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 4, slotSize: 32 });
    k.spawn(c, function* () {
      ring.consumer.announceWait(); // claims to sleep; never waits, never consumes
    });
    const out: number[] = [];
    const producer = k.spawn(p, function* (sys: Sys) {
      for (let i = 0; i < 6; i++) out.push(yield* ring.producer.put(sys, msg(i)));
    });
    const signalsBefore = k.counters.signals;
    k.run();
    expect(out).toEqual([RingStatus.Ok, RingStatus.Ok, RingStatus.Ok, RingStatus.Ok, RingStatus.Full, RingStatus.Full]);
    expect(state(producer)).toBe('exited');
    expect(k.counters.signals - signalsBefore).toBe(1);
  });

  it('ring: a consumer lying about its head or a producer about a length hurts only itself: the other side gets Corrupt', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 4, slotSize: 32 });
    // The consumer writes a head 100 messages ahead of the tail into its own page.
    const evilHead = k.map(c, ring.consumerDataspace);
    evilHead.setUint32(0, 100);
    expect(ring.producer.tryPut(msg(1))).toBe(RingStatus.Corrupt);
    expect(ring.producer.pending()).toBe(-1);
    evilHead.setUint32(0, 0);
    expect(ring.producer.tryPut(msg(1))).toBe(RingStatus.Ok);
    // The producer writes a length past the slot: the consumer refuses it.
    const pds = k.map(p, ring.dataspace, { offset: 4096, length: 4096 });
    pds.setUint32(0, 1000);
    expect(ring.consumer.tryTake(new Uint8Array(2000))).toBe(RingStatus.Corrupt);
  });
});

describe('ring: the lecture\'s second story (a consumer preempted between "ready" and waiting)', () => {
  it('naive: with a zero-timeout send the notification is dropped and the consumer sleeps forever', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ep = k.createEndpoint(c);
    const pep = k.grant(c, ep, p, { rights: Rights.Write });
    const flag = { ready: false };
    const consumer = k.spawn(c, function* (sys: Sys) {
      flag.ready = true;
      yield sys.sleep(10); // preempted right before waiting
      yield sys.recv(ep);
    });
    k.spawn(p, function* (sys: Sys) {
      yield sys.sleep(5);
      if (flag.ready) yield sys.nbsend(pep, 1); // timeout zero: nobody waits yet, dropped
    });
    k.run();
    k.advance(1_000_000);
    expect(state(consumer)).toBe('blocked-recv');
  });

  it('ring: the signal sent meanwhile stays pending, and the wait that follows returns at once', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 4, slotSize: 32 });
    const got: number[] = [];
    const consumer = k.spawn(c, function* (sys: Sys) {
      const dst = new Uint8Array(28);
      expect(ring.consumer.tryTake(dst)).toBe(RingStatus.Empty);
      ring.consumer.announceWait();
      expect(ring.consumer.available()).toBe(0);
      yield sys.sleep(10); // preempted right before waiting
      const w = yield sys.wait(ring.consumer.dataCap);
      got.push(w, sys.now(), ring.consumer.tryTake(dst), dst[0]!);
    });
    k.spawn(p, function* (sys: Sys) {
      yield sys.sleep(5);
      got.push(yield* ring.producer.put(sys, msg(3)));
    });
    k.run();
    k.advance(100);
    expect(got).toEqual([RingStatus.Ok, Status.Ok, 10, RingStatus.Ok, msg(3)[0]!]);
    expect(state(consumer)).toBe('exited');
  });

  it('ring: take() itself loses no wake-up when the producer publishes between its check and its wait', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 32 });
    const got: number[] = [];
    // The consumer outranks the producer, so it checks, announces and waits before each put.
    k.spawn(
      c,
      function* (sys: Sys) {
        const dst = new Uint8Array(28);
        for (let i = 0; i < 20; i++) {
          expect(yield* ring.consumer.take(sys, dst)).toBe(RingStatus.Ok);
          got.push(dst[0]!);
        }
      },
      { priority: 150 },
    );
    k.spawn(p, function* (sys: Sys) {
      for (let i = 0; i < 20; i++) {
        expect(yield* ring.producer.put(sys, msg(i), 1000)).toBe(RingStatus.Ok);
        if (i % 3 === 0) yield sys.sleep(1);
      }
    });
    k.run();
    k.advance(100);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => msg(i)[0]!));
  });
});

describe('ring: revocation', () => {
  it('DS4, DS5: revoking the ring dataspace cuts the consumer off; its next access faults, the producer goes on', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 4, slotSize: 32 });
    expect(ring.producer.tryPut(msg(1))).toBe(RingStatus.Ok);
    k.spawn(p, function* (sys: Sys) {
      sys.revoke(ring.dataspace);
    });
    k.run();
    expect(() => ring.consumer.tryTake(new Uint8Array(28))).toThrow(PageFault);
    // The revocation detached every raw array over the ring, the producer's too: its next
    // put fetches fresh ones, and the bytes really land.
    expect(ring.producer.tryPut(msg(2))).toBe(RingStatus.Ok);
    const check = k.map(p, ring.dataspace, { offset: 4096, length: 4096 });
    expect(check.getUint32(32)).toBe(16);
    expect(Array.from(check.bytes(36, 16))).toEqual(Array.from(msg(2)));
  });

  it('tryPeek and release read a message in place (zero copy) through the read-only view', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 32 });
    expect(ring.consumer.tryPeek()).toBe(RingStatus.Empty);
    ring.producer.tryPut(msg(7, 20));
    expect(ring.consumer.tryPeek()).toBe(RingStatus.Ok);
    expect(Array.from(ring.consumer.data.bytes(ring.consumer.offset, ring.consumer.length))).toEqual(Array.from(msg(7, 20)));
    expect(() => ring.consumer.data.setUint8(ring.consumer.offset, 0)).toThrow(/rights/);
    // Until release the slot stays taken.
    ring.producer.tryPut(msg(8));
    expect(ring.producer.tryPut(msg(9))).toBe(RingStatus.Full);
    ring.consumer.release();
    expect(ring.producer.tryPut(msg(9))).toBe(RingStatus.Ok);
  });

  it('tryReserve and publish build a message in place in the slot (zero copy); nothing is seen before publish', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 32 });
    const { producer, consumer } = ring;
    expect(producer.publish(4)).toBe(RingStatus.Full); // nothing reserved
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    producer.data.write(producer.offset, msg(3, 12));
    expect(consumer.tryPeek()).toBe(RingStatus.Empty); // reserved, not published
    expect(producer.publish(29)).toBe(RingStatus.TooBig); // past the slot (28 bytes)
    expect(producer.publish(12)).toBe(RingStatus.Ok);
    expect(producer.publish(12)).toBe(RingStatus.Full); // once per reservation
    expect(consumer.tryPeek()).toBe(RingStatus.Ok);
    expect(Array.from(consumer.data.bytes(consumer.offset, consumer.length))).toEqual(Array.from(msg(3, 12)));
    consumer.release();
    // A full ring reserves nothing; the consumer's release frees a slot again.
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    producer.publish(0);
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    producer.publish(1);
    expect(producer.tryReserve()).toBe(RingStatus.Full);
    expect(consumer.tryPeek()).toBe(RingStatus.Ok);
    expect(consumer.length).toBe(0);
    consumer.release();
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
  });
});

describe('ring: the fast paths (raw producer bytes, batched wake-ups, bounded spins)', () => {
  it('bytes: the producer writes a message in place through its raw array; after the kernel cut it, tryReserve fetches a live one', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 32 });
    const { producer, consumer } = ring;
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    producer.bytes.set(msg(4, 10), producer.offset);
    expect(producer.publish(10)).toBe(RingStatus.Ok);
    expect(consumer.tryPeek()).toBe(RingStatus.Ok);
    expect(Array.from(consumer.data.bytes(consumer.offset, consumer.length))).toEqual(Array.from(msg(4, 10)));
    consumer.release();
    const before = producer.bytes;
    // Another mapping of the ring's dataspace gives out a raw array and is unmapped: the
    // kernel cuts every raw array over the dataspace, the producer's too.
    k.spawn(p, function* (sys: Sys) {
      const extra = sys.map(ring.dataspace);
      if (!extra.ok) throw new Error('map failed');
      extra.value.raw();
      sys.unmap(extra.value.vaddr);
    });
    k.run();
    expect(before.length).toBe(0);
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    expect(producer.bytes.length).toBeGreaterThan(0);
    producer.bytes.set(msg(5, 6), producer.offset);
    expect(producer.publish(6)).toBe(RingStatus.Ok);
    const check = k.map(p, ring.dataspace, { offset: 4096, length: 4096 });
    expect(check.getUint32(32)).toBe(6);
    expect(Array.from(check.bytes(36, 6))).toEqual(Array.from(msg(5, 6)));
  });

  it('publish refuses a length that is not a whole number of bytes in the slot', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const { producer } = createRing(k, p, c, { slots: 2, slotSize: 32 });
    expect(producer.tryReserve()).toBe(RingStatus.Ok);
    for (const bad of [-1, 1.5, Number.NaN, 29, 2 ** 32]) expect(producer.publish(bad)).toBe(RingStatus.TooBig);
    expect(producer.publish(28)).toBe(RingStatus.Ok);
  });

  it('batched wake-ups: a producer that asks once after a batch signals once, and the sleeping consumer gets every message', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 8, slotSize: 16 });
    const got: number[] = [];
    const woke: number[] = [];
    k.spawn(c, function* (sys: Sys) {
      while (got.length < 5) {
        while (ring.consumer.tryPeek() === RingStatus.Ok) {
          got.push(ring.consumer.data.getUint8(ring.consumer.offset));
          ring.consumer.release();
        }
        if (got.length === 5) break;
        ring.consumer.announceWait();
        if (ring.consumer.available() !== 0) continue;
        yield sys.wait(ring.consumer.dataCap);
        woke.push(sys.now());
      }
    });
    const signalsBefore = k.counters.signals;
    k.spawn(p, function* (sys: Sys) {
      yield sys.sleep(10); // the consumer is asleep by now
      for (let i = 0; i < 5; i++) {
        expect(ring.producer.tryReserve()).toBe(RingStatus.Ok);
        ring.producer.bytes[ring.producer.offset] = 100 + i;
        ring.producer.publish(1);
      }
      if (ring.producer.wakeNeeded()) yield sys.signal(ring.producer.dataCap);
      expect(ring.producer.wakeNeeded()).toBe(false); // answered once
    });
    k.run();
    k.advance(20);
    expect(got).toEqual([100, 101, 102, 103, 104]);
    expect(woke).toEqual([10]);
    expect(k.counters.signals - signalsBefore).toBe(1);
  });

  it('spinFor: re-checks without sleeping and answers whether the other side moved; put and take spin before sleeping', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const ring = createRing(k, p, c, { slots: 2, slotSize: 16 });
    const { producer, consumer } = ring;
    expect(consumer.spinFor(5)).toBe(false);
    expect(producer.tryPut(msg(1, 4))).toBe(RingStatus.Ok);
    expect(consumer.spinFor(5)).toBe(true);
    expect(producer.tryPut(msg(2, 4))).toBe(RingStatus.Ok);
    expect(producer.spinFor(5)).toBe(false); // full
    expect(consumer.tryTake(new Uint8Array(12))).toBe(RingStatus.Ok);
    expect(producer.spinFor(5)).toBe(true);
    expect(producer.spinFor(0)).toBe(false); // no spins: no look
    consumer.tryTake(new Uint8Array(12));
    // With spins set, put and take still sleep when the other side does not move, and wake.
    producer.spins = 50;
    consumer.spins = 50;
    const got: number[] = [];
    k.spawn(c, function* (sys: Sys) {
      const dst = new Uint8Array(12);
      for (let i = 0; i < 6; i++) {
        expect(yield* consumer.take(sys, dst)).toBe(RingStatus.Ok);
        got.push(dst[0]!);
        if (i === 2) yield sys.sleep(5);
      }
    });
    k.spawn(p, function* (sys: Sys) {
      for (let i = 0; i < 6; i++) expect(yield* producer.put(sys, msg(10 + i, 4), 1000)).toBe(RingStatus.Ok);
    });
    k.run();
    k.advance(10);
    expect(got).toEqual([10, 11, 12, 13, 14, 15].map((i) => msg(i, 4)[0]!));
  });

  it('the spin adapts: it halves, down to spins/64, each time it runs out, and doubles, up to spins, each time the other side moved', () => {
    const k = kernel();
    const { p, c } = pair(k);
    const { producer, consumer } = createRing(k, p, c, { slots: 2, slotSize: 16 });
    expect(() => (consumer.spins = -1)).toThrow(RangeError);
    expect(() => (producer.spins = 1.5)).toThrow(RangeError);
    expect(() => (producer.spins = MAX_RING_SPINS + 1)).toThrow(RangeError);
    consumer.spins = 640;
    expect(consumer.spinBudget).toBe(640);
    const budgets: number[] = [];
    for (let i = 0; i < 8; i++) {
      expect(consumer.spinFor()).toBe(false); // nothing comes: the producer does not run
      budgets.push(consumer.spinBudget);
    }
    expect(budgets).toEqual([320, 160, 80, 40, 20, 10, 10, 10]);
    producer.tryPut(msg(1, 4));
    expect(consumer.spinFor()).toBe(true);
    expect(consumer.spinBudget).toBe(20);
    expect(consumer.spinFor(3)).toBe(true); // an explicit count leaves the budget alone
    expect(consumer.spinBudget).toBe(20);
    for (let i = 0; i < 8; i++) consumer.spinFor();
    expect(consumer.spinBudget).toBe(640); // capped at spins
    // The producer's side adapts the same way on a full ring.
    producer.spins = 128;
    producer.tryPut(msg(2, 4));
    expect(producer.spinFor()).toBe(false);
    expect(producer.spinBudget).toBe(64);
    consumer.tryTake(new Uint8Array(12));
    expect(producer.spinFor()).toBe(true);
    expect(producer.spinBudget).toBe(128);
    producer.spins = 0;
    expect(producer.spinFor()).toBe(false);
    expect(producer.spinBudget).toBe(0);
  });

  it('a consumer whose page the producer revoked faults at release instead of writing its head into a dead array', () => {
    const k = kernel();
    const p = k.createTask('producer', { quota: 10, memQuota: 1 << 20 });
    const c = k.createTask('consumer');
    const ep = k.createEndpoint(c);
    const pep = k.grant(c, ep, p, { rights: Rights.Write | Rights.Grant });
    const ends: { consumer: RingConsumer | number; producer: RingProducer | number } = { consumer: -1, producer: -1 };
    k.spawn(c, function* (sys: Sys) {
      ends.consumer = yield* acceptRing(sys, ep, { base: 0x40000000, size: 1 << 20 }, [100, 101]);
    });
    k.spawn(p, function* (sys: Sys) {
      ends.producer = yield* offerRing(sys, pep, { slots: 4, slotSize: 32 }, { dataspace: 20, data: 21, space: 22 });
    });
    k.run();
    const cons = ends.consumer;
    const prod = ends.producer;
    if (!(cons instanceof RingConsumer) || !(prod instanceof RingProducer)) throw new Error('ring setup failed');
    expect(prod.tryPut(msg(1))).toBe(RingStatus.Ok);
    expect(cons.tryPeek()).toBe(RingStatus.Ok);
    k.spawn(p, function* (sys: Sys) {
      sys.revoke(20);
    });
    k.run();
    expect(() => cons.release()).toThrow(PageFault);
    expect(() => cons.tryPeek()).toThrow(PageFault);
  });
});
