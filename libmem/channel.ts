// A request/response channel between two tasks over two libmem rings: the data of every
// call and answer goes through shared memory, and the kernel takes part only in wake-ups
// (a side that found nothing to do and went to sleep), as L4Re's shared-memory sessions
// do beside IPC. Not a replacement for kernel calls: no caps cross it, and it serves one
// client (one call in flight at a time), set up by one kernel call that carries both
// rings' ranges (map items) and notifications.
//
// Each side creates the ring it produces into (its factory pays the memory): the client
// the request ring, offered in the open call; the server the answer ring, offered in the
// reply. So the death of either side destroys the ring it owned, and the other side's
// next access through its checked view faults: a side waiting for its peer wakes every
// `checkMs` (DEFAULT_CHANNEL_CHECK_MS) to look, and answers PeerGone. Nothing hangs on a
// dead peer; a peer alive but silent costs the caller its own timeout (TimedOut).
//
// Every message starts with a 32-bit sequence number: a call's answer carries the call's
// number, and an answer to an earlier call that timed out is dropped when it comes late,
// so it can never pass for a later call's answer (the kernel's rule 3 for late replies).
// A server never waits for a client to read: an answer that finds the answer ring full
// (a client that stopped reading) is dropped, and only that client loses.

import { NEVER, Status, type Sys, type SysGen } from '../core/index.ts';
import { RingStatus, type RingConsumer, type RingGeometry, type RingProducer } from './ring.ts';
import { consumerOf, expectOffer, prepareOffer } from './setup.ts';

/** Outcome of a channel operation: errors are values. */
export const ChannelStatus = {
  Ok: 0,
  /** The message does not fit a slot, or the answer does not fit the buffer (EMSGSIZE). */
  TooBig: 1,
  /** The peer wrote an impossible head, tail, length or sequence number (EPROTO). */
  Corrupt: 2,
  /** The timeout ran out before the peer answered (ETIMEDOUT). */
  TimedOut: 3,
  /** The peer's ring is gone: it died, or unmapped or revoked it (EPIPE). */
  PeerGone: 4,
  /** A wait failed otherwise (the notification is gone, the thread was cancelled). */
  Failed: 5,
  /** answer: the client does not read its answers and the answer ring is full; the answer was dropped. */
  Dropped: 6,
} as const;
export type ChannelStatusCode = (typeof ChannelStatus)[keyof typeof ChannelStatus];

/** Label of the open call (and its reply). */
export const CHANNEL_OPEN = 0x4348414e;

/** How often a side waiting for its peer checks that the peer's ring is still there (ms). */
export const DEFAULT_CHANNEL_CHECK_MS = 100;

/** Bytes of the header each message starts with (the sequence number). */
const HEADER = 4;

/** Free slots of a task for the ring a side offers, and for the two caps of the ring it accepts. */
export interface ChannelSlots {
  /** The dataspace of the ring this side produces into. */
  readonly dataspace: number;
  /** Its two notifications. */
  readonly data: number;
  readonly space: number;
  /** Where the peer's two notification caps land. */
  readonly recv: [number, number];
  /** The memory window the peer's ring is mapped into (page-aligned, big enough for it). */
  readonly window: { base: number; size: number };
}

/**
 * True when `e` is a page fault of a checked view (the class is per heap, so a worker's
 * faults are matched by name).
 */
function isFault(e: unknown): boolean {
  return e instanceof Error && e.name === 'PageFault';
}

/**
 * Wait until `c` has a message (Ok), its producer lied (Corrupt), `timeout` ms passed
 * from when the side first went to sleep (TimedOut) or the producer's ring went away
 * (PeerGone). Spins first (c.spins), then announces a sleep and waits on the data
 * notification in slices of `checkMs`.
 */
function* awaitMessage(sys: Sys, c: RingConsumer, timeout: number, checkMs: number): SysGen<ChannelStatusCode> {
  // The deadline is read off the clock only when the side first sleeps: in a worker the
  // clock is a syscall, which a call answered during the spin never pays.
  let deadline = -1;
  for (;;) {
    const st = c.tryPeek();
    if (st === RingStatus.Ok) return ChannelStatus.Ok;
    if (st === RingStatus.Corrupt) return ChannelStatus.Corrupt;
    if (c.spinFor()) continue;
    c.announceWait();
    if (c.available() !== 0) continue;
    if (deadline === -1) deadline = timeout === NEVER ? NEVER : sys.now() + timeout;
    const left = deadline === NEVER ? checkMs : Math.min(checkMs, deadline - sys.now());
    if (left <= 0) return ChannelStatus.TimedOut;
    const w: number = yield sys.wait(c.dataCap, left);
    if (w !== Status.Ok && (w & 0x3f) !== Status.Timeout) return ChannelStatus.Failed;
    // Woken or a slice passed: the next tryPeek reads the producer's page through a
    // checked view, which faults when the ring has gone.
  }
}

/** Publish `length` bytes of `msg` after a header holding `seq`, in the slot `p` reserved. */
function publishMessage(p: RingProducer, seq: number, msg: Uint8Array, length: number): void {
  const at = p.offset;
  p.data.setUint32(at, seq);
  p.bytes.set(length === msg.length ? msg : msg.subarray(0, length), at + HEADER);
  p.publish(length + HEADER);
}

/** publishMessage, then wake the consumer if it sleeps. */
function* send(sys: Sys, p: RingProducer, seq: number, msg: Uint8Array, length: number): SysGen<void> {
  publishMessage(p, seq, msg, length);
  if (p.wakeNeeded()) yield sys.signal(p.dataCap);
}

/**
 * The client's end: `call` sends a request and waits for its answer. One call at a time
 * (a thread's calls follow each other, as its kernel calls do).
 */
export class ChannelClient {
  /** Bytes of the last answer call put into `dst`. */
  length = 0;
  private seq = 0;

  constructor(
    /** The request ring (this side produces). */
    readonly requests: RingProducer,
    /** The answer ring (this side consumes). */
    readonly answers: RingConsumer,
    readonly checkMs = DEFAULT_CHANNEL_CHECK_MS,
  ) {}

  /** Largest request, in bytes. */
  get maxRequest(): number {
    return this.requests.maxMessage - HEADER;
  }

  /** Re-checks of the answer ring before the client sleeps (and of a full request ring); see RingConsumer.spins. */
  set spins(n: number) {
    this.requests.spins = n;
    this.answers.spins = n;
  }

  /**
   * Send the first `length` bytes of `msg` (all of it by default) and wait up to
   * `timeout` ms (default forever; counted from when the caller first sleeps, so a spin
   * before that is not counted) for the answer, copied into `dst` (its length in
   * `this.length`). Ok, TooBig (the request does not fit a slot, or the answer `dst`:
   * that answer is dropped), Corrupt, TimedOut, PeerGone or Failed.
   */
  *call(sys: Sys, msg: Uint8Array, dst: Uint8Array, timeout = NEVER, length = msg.length): SysGen<ChannelStatusCode> {
    if (length > this.maxRequest || length > msg.length) return ChannelStatus.TooBig;
    let deadline = -1; // read off the clock when first needed (awaitMessage)
    const seq = (this.seq = (this.seq + 1) | 0);
    try {
      for (;;) {
        const st = this.requests.tryReserve();
        if (st === RingStatus.Ok) break;
        if (st === RingStatus.Corrupt) return ChannelStatus.Corrupt;
        // Full: only after calls that timed out while the server lags. Wait for space as
        // for an answer, in slices: the server's consumer page tells when it moved.
        if (this.requests.spinFor()) continue;
        if (deadline === -1) deadline = timeout === NEVER ? NEVER : sys.now() + timeout;
        if (deadline !== NEVER && sys.now() >= deadline) return ChannelStatus.TimedOut;
        this.requests.announceWait();
        if (this.requests.tryReserve() !== RingStatus.Full) continue;
        const w: number = yield sys.wait(this.requests.spaceCap, deadline === NEVER ? this.checkMs : Math.max(1, Math.min(this.checkMs, deadline - sys.now())));
        if (w !== Status.Ok && (w & 0x3f) !== Status.Timeout) return ChannelStatus.Failed;
        this.answers.available(); // faults when the server's ring has gone
      }
      yield* send(sys, this.requests, seq, msg, length);
      const a = this.answers;
      for (;;) {
        const st: ChannelStatusCode = yield* awaitMessage(sys, a, deadline === -1 ? timeout : Math.max(0, deadline - sys.now()), this.checkMs);
        if (st !== ChannelStatus.Ok) return st;
        const got = a.data.getUint32(a.offset);
        const n = a.length - HEADER;
        let out: ChannelStatusCode = ChannelStatus.Ok;
        if (n < 0) out = ChannelStatus.Corrupt;
        else if (got === seq >>> 0 && n > dst.length) out = ChannelStatus.TooBig;
        else if (got === seq >>> 0) {
          a.data.read(a.offset + HEADER, dst, 0, n);
          this.length = n;
        }
        a.release();
        if (a.wakeNeeded()) yield sys.signal(a.spaceCap);
        if (got === seq >>> 0 || out === ChannelStatus.Corrupt) return out;
        // A late answer to an earlier call that timed out: dropped.
      }
    } catch (e) {
      if (isFault(e)) return ChannelStatus.PeerGone;
      throw e;
    }
  }
}

/** The server's end: `next` takes a request, `answer` answers it. */
export class ChannelServer {
  /** Bytes of the request next put into `dst`. */
  length = 0;
  private seq = 0;

  constructor(
    /** The request ring (this side consumes). */
    readonly requests: RingConsumer,
    /** The answer ring (this side produces). */
    readonly answers: RingProducer,
    readonly checkMs = DEFAULT_CHANNEL_CHECK_MS,
  ) {}

  /** Largest answer, in bytes. */
  get maxAnswer(): number {
    return this.answers.maxMessage - HEADER;
  }

  /** Re-checks of the request ring before the server sleeps; see RingConsumer.spins. */
  set spins(n: number) {
    this.requests.spins = n;
    this.answers.spins = n;
  }

  /**
   * Wait up to `timeout` ms (default forever) for the next request and copy it into
   * `dst` (its length in `this.length`). Ok, TooBig (the request is dropped), Corrupt,
   * TimedOut, PeerGone (the client has gone: close the channel) or Failed.
   */
  *next(sys: Sys, dst: Uint8Array, timeout = NEVER): SysGen<ChannelStatusCode> {
    const r = this.requests;
    try {
      const st: ChannelStatusCode = yield* awaitMessage(sys, r, timeout, this.checkMs);
      if (st !== ChannelStatus.Ok) return st;
      const n = r.length - HEADER;
      let out: ChannelStatusCode = ChannelStatus.Ok;
      if (n < 0) out = ChannelStatus.Corrupt;
      else if (n > dst.length) out = ChannelStatus.TooBig;
      else {
        this.seq = r.data.getUint32(r.offset);
        r.data.read(r.offset + HEADER, dst, 0, n);
        this.length = n;
      }
      r.release();
      if (r.wakeNeeded()) yield sys.signal(r.spaceCap);
      return out;
    } catch (e) {
      if (isFault(e)) return ChannelStatus.PeerGone;
      throw e;
    }
  }

  /** The sequence number of the request `next` took last (tryAnswer answers it with this). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Answer the request `next` took with the first `length` bytes of `msg`. Never waits
   * for the client: Ok, TooBig, Dropped (the client left its answers unread and the ring
   * is full), Corrupt or PeerGone.
   */
  *answer(sys: Sys, msg: Uint8Array, length = msg.length): SysGen<ChannelStatusCode> {
    const st = this.tryAnswer(this.seq, msg, length);
    if (st === ChannelStatus.Ok && this.answers.wakeNeeded()) yield sys.signal(this.answers.dataCap);
    return st;
  }

  /**
   * Answer the request numbered `seq` (an earlier `lastSeq`: a server that answers later
   * keeps it) without a syscall: the caller signals `answers.dataCap` when
   * `answers.wakeNeeded()` says so, from whatever thread or host code answers. Same
   * statuses as `answer`.
   */
  tryAnswer(seq: number, msg: Uint8Array, length = msg.length): ChannelStatusCode {
    if (length > this.maxAnswer || length > msg.length) return ChannelStatus.TooBig;
    try {
      const p = this.answers;
      const st = p.tryReserve();
      if (st === RingStatus.Full) return ChannelStatus.Dropped;
      if (st !== RingStatus.Ok) return ChannelStatus.Corrupt;
      publishMessage(p, seq, msg, length);
      return ChannelStatus.Ok;
    } catch (e) {
      if (isFault(e)) return ChannelStatus.PeerGone;
      throw e;
    }
  }
}

/**
 * From the client's thread: create the request ring (geometry `g`, from the task's
 * factory) and call `ep` with its offer (label CHANNEL_OPEN); the reply carries the
 * server's answer ring, mapped into `slots.window`. The call's receive phase is bounded
 * by `timeout` (default forever). Returns the client, or a kernel status (the call's, a
 * failed step's, or InvalidArgument when the reply is not a complete offer).
 */
export function* openChannel(sys: Sys, ep: number, g: RingGeometry, slots: ChannelSlots, timeout = NEVER): SysGen<ChannelClient | number> {
  const p = prepareOffer(sys, g, slots);
  if (typeof p === 'number') return p;
  expectOffer(sys, slots.window, slots.recv);
  const st: number = yield sys.call(ep, CHANNEL_OPEN, 2, 2, 3, NEVER, timeout);
  if (st !== Status.Ok) return st;
  if (sys.utcb.label !== CHANNEL_OPEN) return Status.InvalidArgument;
  const c = consumerOf(sys, slots.recv);
  return typeof c === 'number' ? c : new ChannelClient(p, c);
}

/**
 * From the server's thread, right after it received an open call (label CHANNEL_OPEN)
 * with `expectOffer(sys, slots.window, slots.recv)` set before the receive: take the
 * client's request ring, create the answer ring (geometry `g`) and reply with its offer.
 * Returns the server's end, or a status (InvalidArgument for an incomplete offer: the
 * caller is answered with an empty reply of that label).
 */
export function* acceptChannel(sys: Sys, g: RingGeometry, slots: ChannelSlots): SysGen<ChannelServer | number> {
  const c = consumerOf(sys, slots.recv);
  if (typeof c === 'number') {
    yield sys.reply(Status.InvalidArgument, 0);
    return c;
  }
  const p = prepareOffer(sys, g, slots);
  if (typeof p === 'number') {
    yield sys.reply(p, 0);
    return p;
  }
  const st: number = yield sys.reply(CHANNEL_OPEN, 2, 2, 3);
  return st === Status.Ok ? new ChannelServer(c, p) : st;
}
