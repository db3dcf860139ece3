// Shared-memory rows: 1 KiB messages through the libmem ring in a dataspace (wake-ups by
// notifications) against the same payload as a typed item through an endpoint, the same
// ring between two isolated tasks (each in a worker, the ring in shared memory), and the
// cost of copying 1 MiB in plain JavaScript as the yardstick for bulk data.

import { availableParallelism } from 'node:os';
import { Kernel, NEVER, Rights, Status, ThreadState, VirtualClock, type Sys } from '../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../core/isolate/index.ts';
import { createRing, RingStatus } from '../../libmem/index.ts';
import { moduleBeside, nsPer, type RowGroup } from '../row.ts';

const KIB = 1024;

/** A 1 KiB message whose first word carries its sequence number. */
function payload(): Uint8Array {
  const b = new Uint8Array(KIB);
  for (let i = 0; i < KIB; i++) b[i] = i & 0xff;
  return b;
}

function timed(k: Kernel): number {
  const t0 = performance.now();
  k.run();
  return performance.now() - t0;
}

/**
 * n messages of 1 KiB from a producer task to a consumer task through a 64-slot
 * ring. `inplace`: the producer builds each message in its slot (the sequence word
 * written through its raw array, the rest of the payload left from the slot's first
 * fill) and publishes it; `put`: it copies each message in from its own buffer. The
 * consumer reads each in place through its read-only checked view (the sequence word,
 * as kernel.send.1k's receiver checks its buffer) or, with `copy`, copies it out into
 * its own buffer first. Each side works through what the ring allows (the producer
 * until it is full, the consumer until it is empty), then asks once whether the other
 * side announced a sleep and signals it if so (batched wake-ups: none is lost, since
 * each side asks before it sleeps or stops), then announces its own sleep, re-checks
 * and waits on its notification. The consumer runs at a higher priority than the
 * producer, as kernel.send.1k's receiver does: the producer's signal switches to it,
 * it drains the ring and sleeps, and the producer goes on without sleeping (one
 * notification per 64 messages). Checks every message arrived whole and in order and
 * that the consumer was woken by a signal each lap; returns ns per message.
 */
function ringLoop(n: number, mode: 'inplace' | 'put' | 'copy'): number {
  const slots = 64;
  const copyOut = mode === 'copy';
  const k = new Kernel({ clock: new VirtualClock() });
  const pt = k.createTask('producer');
  const ct = k.createTask('consumer');
  const { producer, consumer } = createRing(k, pt, ct, { slots, slotSize: KIB + 4 });
  // Every slot starts holding the payload; in place, the producer then writes only what
  // changes (the sequence word), as a producer building its messages in the slots does.
  for (let i = 0; i < slots; i++) producer.data.write(i * (KIB + 4) + 4, payload());
  let received = 0;
  let failure: string | null = null;
  k.spawn(
    ct,
    (sys: Sys) => {
      const dst = new Uint8Array(KIB);
      const data = consumer.data;
      return (status: number) => {
        if (status !== Status.Ok) {
          failure = `consumer woke with status ${status}`;
          return null;
        }
        for (;;) {
          let st: number = RingStatus.Empty;
          while (received !== n) {
            let seq: number;
            if (copyOut) {
              st = consumer.tryTake(dst);
              if (st !== RingStatus.Ok) break;
              seq = (dst[0]! | (dst[1]! << 8) | (dst[2]! << 16) | (dst[3]! << 24)) >>> 0;
            } else {
              st = consumer.tryPeek();
              if (st !== RingStatus.Ok) break;
              // The sequence word, read in place through the consumer's read-only view.
              seq = data.getUint32(consumer.offset);
              consumer.release();
            }
            if (seq !== received || consumer.length !== KIB) {
              failure = `message ${received} arrived wrong`;
              return null;
            }
            received++;
          }
          if (consumer.wakeNeeded()) return sys.signal(consumer.spaceCap);
          if (received === n) return null;
          if (st !== RingStatus.Empty) {
            failure = `take answered ${st}`;
            return null;
          }
          consumer.announceWait();
          if (consumer.available() !== 0) continue;
          return sys.wait(consumer.dataCap);
        }
      };
    },
    { name: 'consumer', priority: 101 },
  );
  k.spawn(
    pt,
    (sys: Sys) => {
      const msg = payload();
      let sent = 0;
      return (status: number) => {
        if (status !== Status.Ok) {
          failure = `producer woke with status ${status}`;
          return null;
        }
        for (;;) {
          let st: number = RingStatus.Ok;
          while (sent !== n) {
            if (mode === 'inplace') {
              st = producer.tryReserve();
              if (st !== RingStatus.Ok) break;
              // The sequence word, written in place through the producer's raw array.
              const b = producer.bytes;
              const o = producer.offset;
              b[o] = sent;
              b[o + 1] = sent >>> 8;
              b[o + 2] = sent >>> 16;
              b[o + 3] = sent >>> 24;
              producer.publish(KIB);
            } else {
              msg[0] = sent;
              msg[1] = sent >>> 8;
              msg[2] = sent >>> 16;
              msg[3] = sent >>> 24;
              st = producer.tryPut(msg);
              if (st !== RingStatus.Ok) break;
            }
            sent++;
          }
          if (producer.wakeNeeded()) return sys.signal(producer.dataCap);
          if (sent === n) return null;
          if (st !== RingStatus.Full) {
            failure = `put answered ${st}`;
            return null;
          }
          producer.announceWait();
          if (producer.pending() !== slots) continue;
          return sys.wait(producer.spaceCap, NEVER);
        }
      };
    },
    { name: 'producer', priority: 100 },
  );
  const signals = k.counters.signals;
  const ms = timed(k);
  if (failure !== null) throw new Error(`mem.ring.1k: ${failure}`);
  if (received !== n) throw new Error(`mem.ring.1k: ${received} of ${n} messages arrived`);
  const woke = k.counters.signals - signals;
  if (woke < Math.floor(n / slots)) throw new Error(`mem.ring.1k: ${woke} wake-ups for ${n} messages through ${slots} slots`);
  return nsPer(ms, n);
}

/**
 * n one-way sends of a 1 KiB byte item to a receiver waiting in recv with a 1 KiB
 * receive buffer (the kernel copies the item into it), receiver at a higher priority
 * so each send switches to it. Checks every message; returns ns per message.
 */
function sendItemLoop(n: number): number {
  const k = new Kernel({ clock: new VirtualClock() });
  const rt = k.createTask('receiver');
  const st = k.createTask('sender');
  const ep = k.createEndpoint(rt);
  const sep = k.grant(rt, ep, st, { rights: Rights.Write });
  let received = 0;
  let failure: string | null = null;
  const receiver = k.spawn(
    rt,
    (sys: Sys) => {
      const u = sys.utcb;
      u.buffers[0] = new Uint8Array(KIB);
      let first = true;
      return (status: number) => {
        if (!first) {
          const got = u.itemsIn[0];
          if (status !== Status.Ok || !(got instanceof Uint8Array) || got.length !== KIB || got[0] !== (received & 0xff)) {
            failure = `message ${received} arrived wrong`;
            return null;
          }
          received++;
        }
        first = false;
        return sys.recv(ep);
      };
    },
    { name: 'receiver', priority: 101 },
  );
  k.run();
  if (receiver.state !== ThreadState.BlockedRecv) throw new Error('kernel.send.1k: the receiver is not waiting');
  k.spawn(
    st,
    (sys: Sys) => {
      const u = sys.utcb;
      const msg = payload();
      let sent = 0;
      return () => {
        if (sent === n) return null;
        msg[0] = sent & 0xff;
        sent++;
        u.items[0] = msg;
        return sys.send(sep, 1, 0, 0, 1);
      };
    },
    { name: 'sender', priority: 100 },
  );
  const ms = timed(k);
  if (failure !== null) throw new Error(`kernel.send.1k: ${failure}`);
  if (received !== n) throw new Error(`kernel.send.1k: ${received} of ${n} messages arrived`);
  return nsPer(ms, n);
}

const WORKER_BODIES = moduleBeside('../worker-bodies.ts', import.meta.url);

/**
 * Most re-checks of the ring a side in a worker makes before it announces a sleep (the
 * ring's `spins`; the spin adapts between this and 1/64 of it): a few hundred
 * microseconds at most, against a wake-up through the kernel that costs tens of
 * microseconds and more on a loaded machine. Measured on the 2-core VM, per message:
 * with a fixed spin at load about 3, 0 re-checks 1.6-2.9 us, 300 0.7-1.0 us, 3000
 * 0.14-0.43 us, 10000 0.14-0.15 us, 30000 0.12 us, 100000 0.13-0.17 us; but at load 5
 * to 6 a fixed 20000 gave 3.5-11 us against 2.2-3.0 us without (the other side waited
 * for the spinning side's core), hence the adaptive spin, which at load 4 to 5 gave
 * 0.49-0.63 us against 1.9-3.6 us without. With one core the other side cannot run
 * during a spin, so the row spins only with two cores or more.
 */
const RING_WORKER_SPINS = 20_000;

/**
 * n messages of 1 KiB through a 64-slot ring between two isolated tasks, each in its own
 * worker (bench/worker-bodies.ts: ringProducer, ringConsumer): the producer offers the
 * ring by IPC (map items into the consumer), both run `warm` messages, the producer
 * reports ready and waits for go; the figure is wall time from go to the consumer's
 * report after the n-th message, per message. The consumer reads through its checked
 * views, the producer writes its own dataspace through raw arrays, both in shared
 * memory; a side with nothing to do re-checks the ring (up to RING_WORKER_SPINS times,
 * adaptive) before it announces a sleep, so that with a core for each side the kernel
 * (main thread) takes part only in rare wake-ups.
 */
async function ringWorkers(n: number): Promise<number> {
  const spins = availableParallelism() >= 2 ? RING_WORKER_SPINS : 0;
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const go = k.createNotification(home);
  const warm = 20_000;
  const live: IsolatedTask[] = [];
  try {
    const arg = { ep: 3, report: 4, go: 5, warm, n, spins };
    const prod = createIsolatedTask(k, 'producer', { module: WORKER_BODIES, export: 'ringProducer', arg, quota: 100, memQuota: 1 << 20 });
    live.push(prod);
    const cons = createIsolatedTask(k, 'consumer', { module: WORKER_BODIES, export: 'ringConsumer', arg, quota: 100 });
    live.push(cons);
    for (const t of [prod.task, cons.task]) {
      k.grant(home, ep, t, { slot: 3 });
      k.grant(home, report, t, { slot: 4 });
      k.grant(home, go, t, { slot: 5 });
    }
    const wait = (label: number): Promise<number> =>
      k.exec(home, function* (sys) {
        const st: number = yield sys.recv(report);
        if (st !== Status.Ok || sys.utcb.label !== label) throw new Error(`mem.ring.1k.worker: report ${label} failed (${st}, ${sys.utcb.label})`);
        return sys.utcb.mr[0]!;
      });
    await wait(8);
    const t0 = performance.now();
    const done = wait(9);
    await k.exec(home, function* (sys) {
      yield sys.signal(go);
    });
    const bad = await done;
    const ms = performance.now() - t0;
    if (bad !== 0) throw new Error(`mem.ring.1k.worker: ${bad} messages arrived out of order`);
    return nsPer(ms, n);
  } finally {
    await Promise.all(live.map((it) => it.kill()));
  }
}

/**
 * Map a 64 KiB dataspace into a task and unmap it, n times, from host code; with `raw`
 * a raw array is taken from each mapping first, so each unmap must cut it (the
 * dataspace's memory moves to a fresh ArrayBuffer object and the old one is detached).
 * Checks the raw arrays really died; returns ns per map + unmap.
 */
function mapUnmap(n: number, raw: boolean): number {
  const k = new Kernel({ clock: new VirtualClock() });
  const task = k.createTask('t');
  const ds = k.createDataspace(task, 64 * KIB);
  let live = 0;
  let ms = 0;
  k.spawn(task, (sys: Sys) => () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = sys.map(ds);
      if (!r.ok) throw new Error('map failed');
      const a = raw ? r.value.raw() : null;
      sys.unmap(r.value.vaddr);
      if (a !== null && a.length !== 0) live++;
    }
    ms = performance.now() - t0;
    return null;
  });
  k.run();
  if (live !== 0) throw new Error(`mem.map.unmap.raw: ${live} raw arrays survived their unmap`);
  return nsPer(ms, n);
}

export const group: RowGroup = {
  name: 'dataspace',
  rank: 15,
  rows: [
    {
      name: 'baseline.copy1m',
      what: 'copy a 1 MiB ArrayBuffer (Uint8Array.prototype.slice), per copy',
      iterations: 400,
      run(n) {
        const src = new Uint8Array(1 << 20);
        src[12345] = 7;
        let sum = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) sum += src.slice()[12345]!;
        const ms = performance.now() - t0;
        if (sum !== 7 * n) throw new Error('baseline.copy1m: the copies were wrong');
        return nsPer(ms, n);
      },
    },
    {
      name: 'kernel.send.1k',
      what: 'one-way send of a 1 KiB byte item into the receive buffer of a waiting, higher-priority receiver, per message',
      iterations: 600_000,
      run: sendItemLoop,
    },
    {
      name: 'mem.ring.1k',
      what: '1 KiB messages through a 64-slot libmem ring between two tasks, zero copy: built in place in the slot (tryReserve, the sequence word written through the producer\'s raw array, publish), checked in place through the consumer\'s read-only view; notifications for wake-ups, each side asking once per batch whether the other sleeps; consumer at a higher priority (as kernel.send.1k\'s receiver), per message',
      iterations: 3_000_000,
      run: (n) => ringLoop(n, 'inplace'),
    },
    {
      name: 'mem.ring.1k.put',
      what: 'mem.ring.1k with the producer copying each message in from its own buffer (tryPut), read in place',
      iterations: 1_500_000,
      run: (n) => ringLoop(n, 'put'),
    },
    {
      name: 'mem.ring.1k.copy',
      what: 'mem.ring.1k with a copy at each end: copied in (tryPut) and copied out into the consumer\'s buffer (tryTake)',
      iterations: 1_000_000,
      run: (n) => ringLoop(n, 'copy'),
    },
    {
      name: 'mem.ring.1k.worker',
      what: 'mem.ring.1k between two isolated tasks, each in its own worker: the ring in shared memory (SharedArrayBuffer), publish order by Atomics, an adaptive bounded spin (up to 20000 re-checks, with two cores or more) before a side announces a sleep, wake-ups by notifications through the kernel, per message',
      iterations: 500_000,
      samples: 5,
      warmup: 1,
      run: ringWorkers,
    },
    {
      name: 'mem.map.unmap',
      what: 'map a 64 KiB dataspace and unmap it (a thread of the task), per pair',
      iterations: 200_000,
      run: (n) => mapUnmap(n, false),
    },
    {
      name: 'mem.map.unmap.raw',
      what: 'mem.map.unmap with a raw array taken from each mapping, which the unmap cuts (detach), per pair',
      iterations: 50_000,
      run: (n) => mapUnmap(n, true),
    },
  ],
  targets: [{ kind: 'faster-by', row: 'mem.ring.1k', reference: 'kernel.send.1k', factor: 5 }],
};
