// A single-producer, single-consumer message ring in a dataspace, with notifications
// for wake-ups only (the Dresden lecture's zero-copy producer/consumer, DS7). Not a
// general allocator and not multi-producer.
//
// Layout (pages of the ring's dataspace; each side maps only what it must write as
// writable, so neither can scribble over the other's state):
//   page 0  producer page  tail (u32), producer's wait token (u32), geometry      W by producer, R by consumer
//   page 1  consumer page  head (u32), consumer's wait token (u32)                W by consumer, R by producer
//   page 2+ slots          slot i at i * slotSize: length (u32), then the bytes   W by producer, R by consumer
// tail and head count messages (mod 2^32); tail - head is the number waiting.
//
// The atomicity problem, and why this protocol has neither failure of the lecture.
// A side that finds nothing to do "announces" it will sleep by bumping its wait token
// in its own page (the lecture's "I am ready" flag), checks the ring once more, then
// waits on its notification. The other side, after publishing, compares the token with
// the last one it answered and, when it changed, signals that notification.
// - Story 1 (evil consumer sets the flag and never waits; a blocking send would hang the
//   producer): a signal never blocks (N1), so the producer's put never waits for the
//   consumer; a consumer that lies about sleeping only makes the producer signal once
//   per token it writes, and one that never consumes makes put answer Full.
// - Story 2 (a consumer preempted between setting the flag and waiting; a zero-timeout
//   send would be dropped and it would sleep forever): the signal sent meanwhile stays
//   pending in the notification (N3), so the wait that follows returns at once.
// - A peer that writes garbage into its own page (a head past the tail, a length past
//   the slot) gets Corrupt answered on the other side, which never throws, never blocks
//   and never writes outside the ring: a liar hurts only itself. A peer that unmaps or
//   revokes the ring makes the other side's next access fault (DS5).
//
// Publish order. The counters and tokens are 32-bit words read and written with Atomics
// (MemView.load32/store32, and Atomics.store on the producer's own raw page), so the
// protocol holds when the two sides run in parallel, each in a worker over the same
// SharedArrayBuffer (core/isolate): the producer writes a slot's bytes and length, then
// stores tail; the consumer loads tail, then reads the slot (a sequentially consistent
// store and load order the plain accesses around them); the consumer copies a message
// out, then stores head, and the producer loads head before reusing a slot. A side about
// to sleep stores its token, then loads the other side's counter again; the other side
// stores its counter, then loads the token: with both pairs sequentially consistent, at
// least one of them sees the other's store, so either the sleeper finds the work or the
// publisher signals (no lost wake-up). In one kernel the same code runs on plain
// ArrayBuffers, where Atomics cost no more than plain accesses.
//
// Raw arrays. The producer writes its own page and the slots through raw arrays (the
// dataspace is its own, created by it), and hands the slots' array out (`bytes`) for
// messages built in place. The consumer reads the producer's page and the slots through
// checked views only, so a revocation of the ring stops it at its next access, in a
// worker too. Its own page it writes through a raw array only while the kernel can cut
// that array (memory no worker shares): over shared memory a raw array cannot be cut
// (docs/dataspaces.md), so there it uses the checked store32.
//
// Cost. Everything a message costs is in tryReserve/publish and tryPeek/release: no
// division (slot offsets advance by addition), the peer's counter read once per lap
// (limit, seen), and the cold paths (re-reading the peer's counter, fetching a cut raw
// array again) in methods of their own, so that V8 inlines the hot paths whole into the
// caller's loop (its inlining budget is counted in bytecode). wakeNeeded may be asked
// once per batch instead of once per message. spins bounds a busy re-check of the ring
// before a side announces a sleep: worth it only when the peer runs in parallel.

import { NEVER, PAGE_SIZE, Status, type MemAccess, type Sys, type SysGen } from '../core/index.ts';

/** Outcome of a ring operation: errors are values. */
export const RingStatus = {
  Ok: 0,
  /** put: no free slot (the consumer has not caught up). */
  Full: 1,
  /** take: nothing waiting. */
  Empty: 2,
  /** put: the message does not fit a slot (EMSGSIZE). */
  TooBig: 3,
  /** The peer wrote an impossible head, tail or length into the ring (EPROTO). */
  Corrupt: 4,
  /** A wait with a timeout ended before the other side moved (ETIMEDOUT). */
  TimedOut: 5,
  /** The wait failed otherwise (the notification is gone, the thread was cancelled). */
  Failed: 6,
} as const;
export type RingStatusCode = (typeof RingStatus)[keyof typeof RingStatus];

/** Byte offsets inside the control pages. */
const TAIL = 0;
const HEAD = 0;
const TOKEN = 4;
const SLOTS = 8;
const SLOT_SIZE = 12;
const MAGIC = 16;
const RING_MAGIC = 0x72696e67; // "ring"

/** Geometry of a ring: number of slots and bytes per slot (4 of them hold the length). */
export interface RingGeometry {
  readonly slots: number;
  readonly slotSize: number;
}

/** Most slots and largest slot a ring may have. */
export const MAX_RING_SLOTS = 1 << 16;
export const MAX_RING_SLOT_SIZE = 1 << 20;
/** Most re-checks a side may be asked to spin (`spins`). */
export const MAX_RING_SPINS = 1 << 30;

/** Bytes of dataspace a ring with this geometry needs: two control pages and the slots, in pages. */
export function ringBytes(g: RingGeometry): number {
  return 2 * PAGE_SIZE + Math.ceil((g.slots * g.slotSize) / PAGE_SIZE) * PAGE_SIZE;
}

/** Throws RangeError unless the geometry is usable (a composer's mistake, not a peer's). */
export function checkGeometry(g: RingGeometry): void {
  if (!Number.isInteger(g.slots) || g.slots < 1 || g.slots > MAX_RING_SLOTS) throw new RangeError(`slots must be 1..${MAX_RING_SLOTS}`);
  if (!Number.isInteger(g.slotSize) || g.slotSize < 8 || g.slotSize > MAX_RING_SLOT_SIZE || g.slotSize % 4 !== 0) {
    throw new RangeError(`slotSize must be a multiple of 4 in 8..${MAX_RING_SLOT_SIZE}`);
  }
}

/**
 * A writable view's raw array (no check per access) and the same bytes as words,
 * fetched again whenever the kernel cut them (a revocation anywhere on the dataspace
 * detaches every raw array over it: length 0). If this side's own mapping is gone,
 * the refresh throws PageFault, as a checked access would.
 */
class RawWindow {
  u8: Uint8Array;
  i32: Int32Array;
  /** Over a SharedArrayBuffer (another thread may see it, and nothing can cut it). */
  shared: boolean;
  constructor(private readonly view: MemAccess) {
    this.u8 = view.raw();
    this.i32 = words(this.u8);
    this.shared = this.u8.buffer instanceof SharedArrayBuffer;
  }
  /** Fetch the arrays again if the kernel cut them (PageFault when this side's mapping is gone). */
  check(): void {
    if (this.u8.length === 0) this.refresh();
  }
  private refresh(): void {
    this.u8 = this.view.raw();
    this.i32 = words(this.u8);
    this.shared = this.u8.buffer instanceof SharedArrayBuffer;
  }
}

function words(a: Uint8Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
}

/** Words in an Int32Array are in the platform's byte order; the ring's are little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Store a little-endian length word at byte `at` (a multiple of 4) of a raw window:
 * one word store where words are little-endian (chosen once, so the hot path stays small).
 */
const putLength: (w: RawWindow, at: number, v: number) => void = LITTLE_ENDIAN
  ? (w, at, v) => {
      w.i32[at >> 2] = v;
    }
  : (w, at, v) => {
      const a = w.u8;
      a[at] = v;
      a[at + 1] = v >>> 8;
      a[at + 2] = v >>> 16;
      a[at + 3] = v >>> 24;
    };

/** Store this side's counter or token in its own page: atomic when another thread may read it. */
function publishWord(w: RawWindow, at: number, v: number): void {
  if (w.shared) Atomics.store(w.i32, at >> 2, v);
  else w.i32[at >> 2] = v;
}

/**
 * An adaptive bound on busy re-checks of the ring (as adaptive mutexes bound their
 * spin): the budget doubles, up to `max`, each time a spin saw the other side move, and
 * halves, down to max/64, each time it ran out and the side went to sleep anyway. When
 * the other side has a core of its own the spins pay and grow, and wake-ups become
 * rare; when it has none (the machine is oversubscribed, and the other side may be
 * waiting for this very core) they fail and shrink to a few hundred re-checks.
 */
class SpinBudget {
  max = 0;
  cur = 0;
  set(max: number): void {
    if (!(Number.isInteger(max) && max >= 0 && max <= MAX_RING_SPINS)) throw new RangeError(`spins must be an integer in 0..${MAX_RING_SPINS}`);
    this.max = max;
    this.cur = max;
  }
  hit(): void {
    this.cur = Math.min(this.max, this.cur * 2);
  }
  miss(): void {
    this.cur = Math.max(this.max >> 6, this.cur >> 1, this.max === 0 ? 0 : 1);
  }
}

/** The three views one side holds: its own control page, the peer's, and the slots. */
export interface RingViews {
  readonly producerPage: MemAccess;
  readonly consumerPage: MemAccess;
  readonly slots: MemAccess;
}

/**
 * The producer's side. `tryPut` and `tryReserve`/`publish` never block and never make a
 * syscall; `put` is the generator a thread yields through, which adds the wake-up
 * signal and, only if asked with a timeout, waits for space.
 */
export class RingProducer {
  /** Messages published (mod 2^32, kept as an int32). */
  private tail = 0;
  /** tail may run up to here before head must be read again (head + slots, as last read). */
  private limit = 0;
  /** The consumer's wait token last answered with a signal. */
  private answered = 0;
  /** Byte offset, in the slots, of the slot the next message goes to (tail mod slots). */
  private next = 0;
  private readonly end: number;
  private readonly slots: number;
  private readonly slotSize: number;
  private readonly own: RawWindow;
  private readonly raw: RawWindow;
  private readonly peer: MemAccess;
  /** Where the slot tryReserve found starts its bytes (write them through `bytes` or `data`, then publish). */
  offset = 0;
  private reserved = false;
  private readonly spin = new SpinBudget();

  /**
   * @param views the producer's mappings (its page and the slots writable)
   * @param dataCap a notification cap with Write: signals the consumer
   * @param spaceCap a notification cap with Read: the consumer signals it when space frees
   */
  constructor(
    private readonly views: RingViews,
    readonly dataCap: number,
    readonly spaceCap: number,
    geometry: RingGeometry,
  ) {
    checkGeometry(geometry);
    this.slots = geometry.slots;
    this.slotSize = geometry.slotSize;
    this.end = geometry.slots * geometry.slotSize;
    const p = views.producerPage;
    p.setUint32(SLOTS, geometry.slots);
    p.setUint32(SLOT_SIZE, geometry.slotSize);
    p.setUint32(MAGIC, RING_MAGIC);
    this.tail = p.load32(TAIL) | 0;
    this.limit = this.tail;
    this.next = ((this.tail >>> 0) % this.slots) * this.slotSize;
    // The producer writes its own page and the slots through raw arrays (its own
    // dataspace: nobody else can take it away), and reads the consumer's page checked.
    this.own = new RawWindow(p);
    this.raw = new RawWindow(views.slots);
    this.peer = views.consumerPage;
  }

  /** Largest message that fits a slot. */
  get maxMessage(): number {
    return this.slotSize - 4;
  }

  /** Messages published and not yet taken, as far as the consumer's head can be believed; -1 if it cannot. */
  pending(): number {
    const used = (this.tail - this.peer.load32(HEAD)) >>> 0;
    return used > this.slots ? -1 : used;
  }

  /** The slots, writable, as a checked view: after tryReserve, a message's bytes go at `offset`. */
  get data(): MemAccess {
    return this.views.slots;
  }

  /**
   * The slots as a raw array (no check per access; the producer's own memory): after
   * tryReserve, write a message's bytes at `offset`, then publish. Fetch it again after
   * each tryReserve: a revocation on the ring's dataspace cuts it and tryReserve then
   * fetches a fresh one. No allocation.
   */
  get bytes(): Uint8Array {
    return this.raw.u8;
  }

  /** Ok when a slot is free, Full or Corrupt. Reads the consumer's head only once per lap. */
  private free(): RingStatusCode {
    // Only now read the consumer's head: it is the one value a liar controls.
    const head = this.peer.load32(HEAD);
    const used = (this.tail - head) >>> 0;
    if (used > this.slots) return RingStatus.Corrupt;
    if (used === this.slots) return RingStatus.Full;
    this.limit = (head + this.slots) | 0;
    return RingStatus.Ok;
  }

  /** Copy `msg` into the next slot and publish it. Ok, Full, TooBig or Corrupt; never blocks. */
  tryPut(msg: Uint8Array): RingStatusCode {
    if (msg.length > this.slotSize - 4) return RingStatus.TooBig;
    if (this.tail === this.limit) {
      const st = this.free();
      if (st !== RingStatus.Ok) return st;
    }
    const raw = this.raw;
    raw.check();
    raw.u8.set(msg, this.next + 4);
    this.reserved = false;
    this.commit(msg.length);
    return RingStatus.Ok;
  }

  /**
   * Zero copy: find the next free slot without publishing it (Ok, Full or Corrupt; never
   * blocks). Write the message in place, up to `maxMessage` bytes at `offset` in `bytes`
   * (or `data`), then publish(length). Until then the consumer cannot see the slot. The
   * slot's bytes are whatever its last message left: write every byte the message is
   * made of.
   */
  tryReserve(): RingStatusCode {
    if (this.tail === this.limit) {
      const st = this.free();
      if (st !== RingStatus.Ok) return st;
    }
    this.raw.check();
    this.offset = this.next + 4;
    this.reserved = true;
    return RingStatus.Ok;
  }

  /** Publish the slot tryReserve found, holding `length` bytes (TooBig past a slot; Full if none was reserved). */
  publish(length: number): RingStatusCode {
    if (!this.reserved) return RingStatus.Full;
    if ((length >>> 0) !== length || length > this.slotSize - 4) return RingStatus.TooBig;
    this.reserved = false;
    this.commit(length);
    return RingStatus.Ok;
  }

  /** Write the length, then publish tail: the atomic store of tail orders the slot's bytes before it. */
  private commit(length: number): void {
    const raw = this.raw;
    raw.check();
    putLength(raw, this.next, length);
    const next = this.next + this.slotSize;
    this.next = next === this.end ? 0 : next;
    this.tail = (this.tail + 1) | 0;
    const own = this.own;
    own.check();
    publishWord(own, TAIL, this.tail);
  }

  /**
   * True when the consumer announced a sleep it has not been woken from yet: signal
   * dataCap now. Answers each announcement once, so a lying consumer costs one signal
   * per token it writes. It may be asked once after a batch of publishes rather than
   * after each: the consumer's wake-up then waits for the end of the batch, and none is
   * lost as long as it is asked before the producer sleeps or stops producing.
   */
  wakeNeeded(): boolean {
    const token = this.peer.load32(TOKEN);
    if (token === this.answered) return false;
    this.answered = token;
    return true;
  }

  /** The producer is about to sleep for space: bump its token (the "ready" flag). */
  announceWait(): void {
    const own = this.own;
    own.check();
    publishWord(own, TOKEN, (this.views.producerPage.load32(TOKEN) + 1) | 0);
  }

  /**
   * Most times `put` and `spinFor()` re-check a full ring before the producer announces
   * a sleep (default 0: no spin). Worth it only when the consumer runs in parallel (a
   * task in a worker with a core of its own): a slot freed during the spin saves two
   * wake-ups through the kernel. The spin adapts between spins/64 and spins (SpinBudget).
   * RangeError unless an integer in 0..MAX_RING_SPINS.
   */
  get spins(): number {
    return this.spin.max;
  }
  set spins(n: number) {
    this.spin.set(n);
  }
  /** Re-checks the next spinFor() makes (the adaptive budget, between spins/64 and spins). */
  get spinBudget(): number {
    return this.spin.cur;
  }

  /**
   * Re-check a full ring without sleeping or making a syscall: true as soon as a slot is
   * free (or the consumer's head is impossible, which the next tryReserve answers with
   * Corrupt), false if none freed. Up to `spins` times if given, else up to the adaptive
   * budget that `spins` set, which this call's outcome then adjusts.
   */
  spinFor(spins?: number): boolean {
    const n = spins ?? this.spin.cur;
    for (let i = 0; i < n; i++) {
      if (this.pending() !== this.slots) {
        if (spins === undefined) this.spin.hit();
        return true;
      }
    }
    if (spins === undefined) this.spin.miss();
    return false;
  }

  /**
   * Put one message and wake the consumer if it sleeps. With `timeout` 0 (the default)
   * a full ring answers Full at once: the producer never waits for a consumer. With a
   * timeout it waits that long for the consumer to free a slot, then answers TimedOut.
   */
  *put(sys: Sys, msg: Uint8Array, timeout = 0): SysGen<RingStatusCode> {
    for (;;) {
      const st = this.tryPut(msg);
      if (st === RingStatus.Ok) {
        if (this.wakeNeeded()) yield sys.signal(this.dataCap);
        return st;
      }
      if (st !== RingStatus.Full || timeout === 0) return st;
      // Wake a sleeping consumer before sleeping ourselves, or both could sleep.
      if (this.wakeNeeded()) yield sys.signal(this.dataCap);
      if (this.spinFor()) continue;
      this.announceWait();
      if (this.pending() !== this.slots) continue;
      const w = yield sys.wait(this.spaceCap, timeout);
      if (w !== Status.Ok) return (w & 0x3f) === Status.Timeout ? RingStatus.TimedOut : RingStatus.Failed;
    }
  }
}

/** The consumer's side: `tryTake` and `tryPeek`/`release` never block; `take` sleeps on the data notification. */
export class RingConsumer {
  /** Messages released (mod 2^32, kept as an int32). */
  private head = 0;
  /** head may run up to here before tail must be read again. */
  private seen = 0;
  private answered = 0;
  /** Byte offset, in the slots, of the slot of the next message (head mod slots). */
  private next = 0;
  private readonly end: number;
  private readonly slots: number;
  private readonly slotSize: number;
  private readonly peer: MemAccess;
  private readonly slotView: MemAccess;
  /**
   * The consumer's own page as a raw array, while that array can be cut (memory no
   * worker shares); null once it could not be, and the checked view is used instead.
   */
  private own: RawWindow | null = null;
  /** Length of the message the last successful tryPeek found or tryTake copied. */
  length = 0;
  private readonly spin = new SpinBudget();

  /**
   * @param views the consumer's mappings (its page writable; the producer page and slots read-only)
   * @param dataCap a notification cap with Read: the producer signals it
   * @param spaceCap a notification cap with Write: wakes a producer waiting for space
   */
  constructor(
    private readonly views: RingViews,
    readonly dataCap: number,
    readonly spaceCap: number,
    geometry: RingGeometry,
  ) {
    checkGeometry(geometry);
    this.slots = geometry.slots;
    this.slotSize = geometry.slotSize;
    this.end = geometry.slots * geometry.slotSize;
    this.head = views.consumerPage.load32(HEAD) | 0;
    this.seen = this.head;
    this.next = ((this.head >>> 0) % this.slots) * this.slotSize;
    this.peer = views.producerPage;
    this.slotView = views.slots;
    // Reads of the producer's page and the slots stay checked (a revoked consumer faults
    // at its next access, in a worker too). Its own page it may write raw, but only while
    // a revocation can cut that array: not over shared memory (docs/dataspaces.md).
    if (views.consumerPage.writable) {
      const own = new RawWindow(views.consumerPage);
      if (!own.shared) this.own = own;
    }
  }

  /** The slots, read-only: after tryPeek the message is `length` bytes at `offset` (zero copy). */
  get data(): MemAccess {
    return this.slotView;
  }

  /** Largest message that fits a slot. */
  get maxMessage(): number {
    return this.slotSize - 4;
  }

  /** Offset in `data` of the next message's bytes: the one tryPeek found, until release(). */
  get offset(): number {
    return this.next + 4;
  }

  /**
   * Find the next message without copying it: Ok (its bytes are `length` bytes at
   * `offset` in `data`, until release()), Empty or Corrupt; never blocks.
   */
  tryPeek(): RingStatusCode {
    if (this.head === this.seen) {
      const st = this.refill();
      if (st !== RingStatus.Ok) return st;
    }
    const len = this.slotView.getUint32(this.next);
    if (len > this.slotSize - 4) return RingStatus.Corrupt;
    this.length = len;
    return RingStatus.Ok;
  }

  /** Read the producer's tail again (once per lap, or when the ring looked empty): Ok, Empty or Corrupt. */
  private refill(): RingStatusCode {
    const tail = this.peer.load32(TAIL) | 0;
    const n = (tail - this.head) >>> 0;
    if (n === 0) return RingStatus.Empty;
    if (n > this.slots) return RingStatus.Corrupt;
    this.seen = tail;
    return RingStatus.Ok;
  }

  /** Free the slot of the message tryPeek found; the producer may reuse it from now on. */
  release(): void {
    const head = (this.head + 1) | 0;
    this.head = head;
    const next = this.next + this.slotSize;
    this.next = next === this.end ? 0 : next;
    const own = this.own;
    // own only ever holds arrays over memory no worker shares: a plain store.
    if (own !== null && own.u8.length !== 0) own.i32[HEAD >> 2] = head;
    else this.storeOwn(HEAD, head);
  }

  /** Store a word of the consumer's page: raw while the raw array can be cut, else checked. */
  private storeOwn(at: number, v: number): void {
    const own = this.own;
    if (own !== null) {
      own.check();
      if (!own.shared) {
        own.i32[at >> 2] = v;
        return;
      }
      this.own = null; // a worker shares the page now: raw arrays over it cannot be cut
    }
    this.views.consumerPage.store32(at, v);
  }

  /** Messages waiting, or -1 when the producer's tail cannot be believed. */
  available(): number {
    const n = (this.peer.load32(TAIL) - this.head) >>> 0;
    return n > this.slots ? -1 : n;
  }

  /**
   * Copy the next message into `dst` (its length in `this.length`) and free its slot.
   * Ok, Empty, TooBig (dst too small; the message stays) or Corrupt; never blocks.
   */
  tryTake(dst: Uint8Array): RingStatusCode {
    const st = this.tryPeek();
    if (st !== RingStatus.Ok) return st;
    if (this.length > dst.length) return RingStatus.TooBig;
    this.slotView.read(this.offset, dst, 0, this.length);
    this.release();
    return RingStatus.Ok;
  }

  /**
   * True when the producer announced a sleep for space not yet answered: signal
   * spaceCap. May be asked once after a batch of releases rather than after each (the
   * producer's wake-up then waits for the end of the batch), as long as it is asked
   * before the consumer sleeps or stops consuming.
   */
  wakeNeeded(): boolean {
    const token = this.peer.load32(TOKEN);
    if (token === this.answered) return false;
    this.answered = token;
    return true;
  }

  /** The consumer is about to sleep: bump its token (the lecture's "I am ready" flag). */
  announceWait(): void {
    this.storeOwn(TOKEN, (this.views.consumerPage.load32(TOKEN) + 1) | 0);
  }

  /**
   * Most times `take` and `spinFor()` re-check an empty ring before the consumer
   * announces a sleep (default 0: no spin). Worth it only when the producer runs in
   * parallel (a task in a worker with a core of its own): a message arriving during the
   * spin saves two wake-ups through the kernel. The spin adapts between spins/64 and
   * spins (SpinBudget). RangeError unless an integer in 0..MAX_RING_SPINS.
   */
  get spins(): number {
    return this.spin.max;
  }
  set spins(n: number) {
    this.spin.set(n);
  }
  /** Re-checks the next spinFor() makes (the adaptive budget, between spins/64 and spins). */
  get spinBudget(): number {
    return this.spin.cur;
  }

  /**
   * Re-check an empty ring without sleeping or making a syscall: true as soon as a
   * message waits (or the producer's tail is impossible, which the next tryPeek answers
   * with Corrupt), false if none came. Up to `spins` times if given, else up to the
   * adaptive budget that `spins` set, which this call's outcome then adjusts.
   */
  spinFor(spins?: number): boolean {
    const n = spins ?? this.spin.cur;
    for (let i = 0; i < n; i++) {
      if (this.available() !== 0) {
        if (spins === undefined) this.spin.hit();
        return true;
      }
    }
    if (spins === undefined) this.spin.miss();
    return false;
  }

  /**
   * Take one message into `dst`, sleeping on the data notification while the ring is
   * empty (up to `timeout` ms; default forever). Announce, re-check, wait: a signal
   * sent between the announcement and the wait stays pending, so none is lost.
   */
  *take(sys: Sys, dst: Uint8Array, timeout = NEVER): SysGen<RingStatusCode> {
    for (;;) {
      const st = this.tryTake(dst);
      if (st === RingStatus.Ok) {
        if (this.wakeNeeded()) yield sys.signal(this.spaceCap);
        return st;
      }
      if (st !== RingStatus.Empty) return st;
      if (this.spinFor()) continue;
      this.announceWait();
      if (this.available() !== 0) continue;
      const w = yield sys.wait(this.dataCap, timeout);
      if (w !== Status.Ok) return (w & 0x3f) === Status.Timeout ? RingStatus.TimedOut : RingStatus.Failed;
    }
  }
}
