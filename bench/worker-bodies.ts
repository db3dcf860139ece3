// Thread bodies the worker rows (bench/rows/worker.ts, and mem.ring.1k.worker in
// bench/rows/mem.ts) load into isolated tasks: a 4-word echo server, a timed caller that
// waits for a go signal, a libcap stub client, and the two ends of a libmem ring. Each
// export is a body factory (`factory = true`) given the cap slots.

import { NEVER, Status, type Continuation, type Sys } from '../core/index.ts';
import { Bucket, defineClass, defineInterface, isSession, openSession, RpcFailure, sessionStub, stub } from '../libcap/index.ts';
import { acceptChannel, acceptRing, CHANNEL_OPEN, ChannelStatus, expectOffer, offerRing, openChannel, RingConsumer, RingProducer, RingStatus, type ChannelSlots } from '../libmem/index.ts';

/** The interface of the null RPC rows. */
export const NullBench = defineInterface('bench.null', { nop: { op: 1 } });

type Factory<A> = ((a: A) => (sys: Sys) => Generator<unknown, unknown, number> | Continuation) & { factory?: boolean };

/**
 * Answer every call with its 4 words, MR0 incremented; with `direct`, serving the
 * endpoint directly (calls from isolated tasks skip the main thread: core/isolate/direct.ts).
 * A continuation thread (as kernel.call.fast's), or with `gen` a generator.
 */
export const server: Factory<{ ep: number; direct?: boolean; gen?: boolean }> = ({ ep, direct = false, gen = false }) =>
  gen
    ? function* (sys) {
        serveDirectly(sys, ep, direct);
        const mr = sys.utcb.mr;
        let st = yield sys.recv(ep);
        while (st === Status.Ok) {
          mr[0] = mr[0]! + 1;
          st = yield sys.replyRecv(ep, 0, 4);
        }
      }
    : (sys) => {
        serveDirectly(sys, ep, direct);
        const mr = sys.utcb.mr;
        let started = false;
        return (st) => {
          if (!started) {
            started = true;
            return sys.recv(ep);
          }
          if (st !== Status.Ok) return null;
          mr[0] = mr[0]! + 1;
          return sys.replyRecv(ep, 0, 4);
        };
      };
server.factory = true;

function serveDirectly(sys: Sys, ep: number, direct: boolean): void {
  if (direct && sys.serveDirect(ep) !== Status.Ok) throw new Error(`server: serveDirect answered ${sys.utcb.error?.message}`);
}

interface CallerArg {
  ep: number;
  report: number;
  go: number;
  warm: number;
  n: number;
  /**
   * 'kernel': call with 4 words; 'null': libcap nop through a stub; 'session': the same
   * nop through a session opened on the cap; 'channel': 16 bytes through a libmem
   * channel opened on `ep`.
   */
  kind: 'kernel' | 'null' | 'session' | 'channel';
  /** Re-checks of the channel's rings before a side sleeps ('channel'). */
  spins?: number;
  /** 'kernel' as a generator thread (else a continuation, as kernel.call.fast's). */
  gen?: boolean;
}

/** Geometry of the channel rows' rings: a few slots of 16 bytes and the header. */
const CHANNEL_BENCH = { slots: 8, slotSize: 32 } as const;

/** Slots of the channel rows' tasks for their ring and the peer's (free in a fresh task). */
const CHANNEL_SLOTS: ChannelSlots = { dataspace: 20, data: 21, space: 22, recv: [23, 24], window: { base: 0x40000000, size: 1 << 20 } };

/**
 * The channel row's server: accepts one channel on `ep` and answers each 16-byte
 * request with its first word incremented, until the client goes.
 */
export const channelServer: Factory<{ ep: number; spins: number }> = ({ ep, spins }) =>
  function* (sys) {
    expectOffer(sys, CHANNEL_SLOTS.window, CHANNEL_SLOTS.recv);
    const st: number = yield sys.recv(ep);
    if (st !== Status.Ok || sys.utcb.label !== CHANNEL_OPEN) throw new Error(`channelServer: no open call (${st})`);
    const ch = yield* acceptChannel(sys, CHANNEL_BENCH, CHANNEL_SLOTS);
    if (typeof ch === 'number') throw new Error(`channelServer: accept answered ${ch}`);
    ch.spins = spins;
    const buf = new Uint8Array(16);
    const words = new Uint32Array(buf.buffer);
    while ((yield* ch.next(sys, buf)) === ChannelStatus.Ok) {
      words[0] = words[0]! + 1;
      yield* ch.answer(sys, buf);
    }
  };
channelServer.factory = true;

/** Warm up, report ready (label 8), wait for go, make `n` calls, report the ms taken (label 9, a string item). */
export const caller: Factory<CallerArg> = (arg) => (arg.kind === 'kernel' && arg.gen !== true ? (sys) => kernelCaller(sys, arg) : callerGen(arg));
caller.factory = true;

/** The caller's phases as a continuation: warm-up calls, ready sent, waiting for go, timed calls, report sent. */
const Warm = 0;
const Ready = 1;
const Go = 2;
const Timed = 3;
const Reported = 4;

/** `caller` for 4-word kernel calls, as a continuation thread (as kernel.call.fast's client). */
function kernelCaller(sys: Sys, { ep, report, go, warm, n }: CallerArg): Continuation {
  const u = sys.utcb;
  const mr = u.mr;
  let phase = Warm;
  let left = warm;
  let calling = false;
  let x = 0;
  let ok = 0;
  let t0 = 0;
  return (st) => {
    if (calling) {
      calling = false;
      if (st === Status.Ok && mr[0] === x + 1) ok++;
      x = mr[0]!;
    }
    if (phase === Ready) {
      phase = Go;
      return sys.wait(go);
    }
    if (phase === Go) {
      phase = Timed;
      left = n;
      ok = 0;
      t0 = performance.now();
    }
    if (phase === Reported) return null;
    if (left > 0) {
      left--;
      mr[0] = x;
      mr[1] = 1;
      mr[2] = 2;
      mr[3] = 3;
      calling = true;
      return sys.call(ep, 1, 4);
    }
    if (phase === Warm) {
      phase = Ready;
      return sys.send(report, 8, 0);
    }
    u.items[0] = JSON.stringify({ ok, ms: performance.now() - t0 });
    phase = Reported;
    return sys.send(report, 9, 0, 0, 1);
  };
}

function callerGen({ ep, report, go, warm, n, kind, spins }: CallerArg): (sys: Sys) => Generator<unknown, unknown, number> {
  return function* (sys) {
    const u = sys.utcb;
    let s = stub(NullBench, sys, ep);
    if (kind === 'session') {
      const session = yield* openSession(sys, ep, spins === undefined ? {} : { spins });
      if (!isSession(session)) throw new Error(`caller: openSession answered ${session.ok ? '?' : session.error}`);
      s = sessionStub(NullBench, sys, session);
    }
    const opened = kind === 'channel' ? yield* openChannel(sys, ep, CHANNEL_BENCH, CHANNEL_SLOTS) : null;
    if (typeof opened === 'number') throw new Error(`caller: openChannel answered ${opened}`);
    const ch = opened;
    if (ch !== null) ch.spins = spins ?? 0;
    function* calls(count: number): Generator<unknown, number, number> {
      let ok = 0;
      if (ch !== null) {
        const req = new Uint8Array(16);
        const ans = new Uint8Array(16);
        const rw = new Uint32Array(req.buffer);
        const aw = new Uint32Array(ans.buffer);
        for (let i = 0; i < count; i++) {
          rw[0] = i;
          if ((yield* ch.call(sys, req, ans)) === ChannelStatus.Ok && aw[0] === i + 1) ok++;
        }
        return ok;
      }
      if (kind === 'null' || kind === 'session') {
        for (let i = 0; i < count; i++) if ((yield* s.nop()).ok) ok++;
        return ok;
      }
      let x = 0;
      for (let i = 0; i < count; i++) {
        u.mr[0] = x;
        u.mr[1] = 1;
        u.mr[2] = 2;
        u.mr[3] = 3;
        if ((yield sys.call(ep, 1, 4)) === Status.Ok && u.mr[0] === x + 1) ok++;
        x = u.mr[0]!;
      }
      return ok;
    }
    yield* calls(warm);
    yield sys.send(report, 8, 0);
    yield sys.wait(go);
    const t0 = performance.now();
    const ok = yield* calls(n);
    const ms = performance.now() - t0;
    u.items[0] = JSON.stringify({ ok, ms });
    yield sys.send(report, 9, 0, 0, 1);
  };
}

/**
 * The null RPC server: a Bucket started in this (isolated) task as in any other (serving
 * sessions when asked), a cap to its object sent (a copy) to `boot`; the bucket's
 * threads serve from then on.
 */
export const nullServer: Factory<{ boot: number; sessions?: boolean }> = ({ boot, sessions = false }) =>
  function* (sys) {
    const bucket = Bucket.inTask(sys, { minWorkers: 1, maxWorkers: 1, sessions });
    const cls = defineClass({ name: 'null', interface: NullBench, init: () => ({}), handlers: { nop: () => undefined } });
    const obj = bucket.create(cls, undefined);
    if (obj instanceof RpcFailure) throw new Error(`nullServer: ${obj.error}`);
    sys.utcb.caps[0] = bucket.give(bucket.anonymousClient(), obj);
    sys.utcb.grantMask = 0;
    const st: number = yield sys.send(boot, 1, 0, 1);
    if (st !== Status.Ok) throw new Error(`nullServer: boot send failed (${st})`);
  };
nullServer.factory = true;

/** Wait on `ep` for good (an idle isolated task, for the memory row). */
export const idle: Factory<{ ep: number }> = ({ ep }) =>
  function* (sys) {
    yield sys.recv(ep);
  };
idle.factory = true;

/** Geometry of the ring rows: 64 slots of a 1 KiB message and its length word (as mem.ring.1k). */
export const RING_BENCH = { slots: 64, slotSize: 1028 } as const;
const KIB = 1024;

interface RingArg {
  ep: number;
  report: number;
  go: number;
  warm: number;
  n: number;
  /** Re-checks of the ring before a side announces a sleep (RingProducer/RingConsumer.spins). */
  spins: number;
}

/**
 * The ring row's producer: offers the ring on `ep`, fills every slot with the 1 KiB
 * payload, builds `warm` messages in place (the sequence word through its raw array,
 * then publish), reports ready (label 8), waits for go, then builds `n` more. Wakes the
 * consumer by signal when it announced a sleep; when the ring is full, re-checks it
 * `spins` times, then announces and sleeps on its space notification.
 */
export const ringProducer: Factory<RingArg> = ({ ep, report, go, warm, n, spins }) =>
  function* (sys) {
    const offered = yield* offerRing(sys, ep, RING_BENCH, { dataspace: 10, data: 11, space: 12 });
    if (!(offered instanceof RingProducer)) throw new Error(`ringProducer: offerRing answered ${offered}`);
    const p: RingProducer = offered;
    p.spins = spins;
    const payload = new Uint8Array(KIB);
    for (let i = 0; i < KIB; i++) payload[i] = i & 0xff;
    for (let i = 0; i < RING_BENCH.slots; i++) p.data.write(i * RING_BENCH.slotSize + 4, payload);
    function* run(count: number, base: number): Generator<unknown, void, number> {
      for (let i = 0; i < count; ) {
        const st = p.tryReserve();
        if (st === RingStatus.Ok) {
          const b = p.bytes;
          const o = p.offset;
          const seq = base + i;
          b[o] = seq;
          b[o + 1] = seq >>> 8;
          b[o + 2] = seq >>> 16;
          b[o + 3] = seq >>> 24;
          p.publish(KIB);
          i++;
          if (p.wakeNeeded()) yield sys.signal(p.dataCap);
          continue;
        }
        if (st !== RingStatus.Full) throw new Error(`ringProducer: tryReserve answered ${st}`);
        if (p.wakeNeeded()) yield sys.signal(p.dataCap);
        if (p.spinFor()) continue;
        p.announceWait();
        if (p.pending() !== RING_BENCH.slots) continue;
        yield sys.wait(p.spaceCap, NEVER);
      }
    }
    yield* run(warm, 0);
    yield sys.send(report, 8, 0);
    yield sys.wait(go);
    yield* run(n, warm);
  };
ringProducer.factory = true;

/**
 * The ring row's consumer: accepts the ring, reads `warm + n` messages in place (checks
 * each one's sequence word through its read-only view, then releases the slot); when
 * the ring is empty, re-checks it `spins` times, then announces and sleeps on its data
 * notification; then reports (label 9, mr0 how many were out of order).
 */
export const ringConsumer: Factory<RingArg> = ({ ep, report, warm, n, spins }) =>
  function* (sys) {
    const c = yield* acceptRing(sys, ep, { base: 0x40000000, size: 1 << 20 }, [10, 11]);
    if (!(c instanceof RingConsumer)) throw new Error(`ringConsumer: acceptRing answered ${c}`);
    c.spins = spins;
    const data = c.data;
    let bad = 0;
    const total = warm + n;
    for (let i = 0; i < total; ) {
      const st = c.tryPeek();
      if (st === RingStatus.Ok) {
        if (data.getUint32(c.offset) !== i || c.length !== KIB) bad++;
        c.release();
        i++;
        if (c.wakeNeeded()) yield sys.signal(c.spaceCap);
        continue;
      }
      if (st !== RingStatus.Empty) throw new Error(`ringConsumer: tryPeek answered ${st}`);
      if (c.spinFor()) continue;
      c.announceWait();
      if (c.available() !== 0) continue;
      yield sys.wait(c.dataCap, NEVER);
    }
    sys.utcb.mr[0] = bad;
    yield sys.send(report, 9, 1);
  };
ringConsumer.factory = true;
