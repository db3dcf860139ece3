// A mailbox's bounded event queue: a ring of fixed capacity that numbers events with
// ticks. When it is full the oldest event is overwritten and counted as dropped, so a
// flood costs no memory beyond the capacity and the owner sees the gap in the ticks.
// Pure data: no kernel, no caps (the service in notify-server.ts drives it).

import type { NotifyEvent } from '../../protocol/notify.ts';

/** The largest value a u32 counter reports. */
const U32_MAX = 0xffffffff;

export class EventQueue {
  /** The slots; never longer than the capacity. */
  private readonly ring: (NotifyEvent | undefined)[];
  /** Index of the oldest queued event. */
  private head = 0;
  private count = 0;
  /** Tick of the last event numbered (0 is the sync event). Wraps at 2^32. */
  private tick = 0;
  /** Events servers posted (or posters reported lost), and those the owner will never see. */
  private nPosted = 0;
  private nDropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('an event queue needs a capacity of at least 1');
    this.ring = new Array<NotifyEvent | undefined>(capacity).fill(undefined);
    this.ring[0] = { tick: 0, type: 'sync', source: '', data: '' };
    this.count = 1;
  }

  /** Events queued now. */
  get length(): number {
    return this.count;
  }

  /** Slots the queue holds in memory (the capacity, whatever was posted). */
  get storage(): number {
    return this.ring.length;
  }

  get posted(): number {
    return Math.min(this.nPosted, U32_MAX);
  }

  get dropped(): number {
    return Math.min(this.nDropped, U32_MAX);
  }

  /** Number the next posted event: its tick. */
  nextTick(): number {
    this.tick = (this.tick + 1) >>> 0;
    this.nPosted++;
    return this.tick;
  }

  /** Queue an event; when full, the oldest one goes (counted as dropped). */
  push(ev: NotifyEvent): void {
    const cap = this.capacity;
    if (this.count === cap) {
      this.ring[this.head] = ev;
      this.head = (this.head + 1) % cap;
      this.nDropped++;
      return;
    }
    this.ring[(this.head + this.count) % cap] = ev;
    this.count++;
  }

  /** The oldest queued event, without taking it. */
  peek(): NotifyEvent | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Take the oldest queued event. */
  shift(): NotifyEvent | undefined {
    if (this.count === 0) return undefined;
    const ev = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return ev;
  }

  /** Take the oldest queued event and count it as dropped (it could not be delivered). */
  discard(): void {
    if (this.shift() !== undefined) this.nDropped++;
  }

  /** `n` events were lost before they reached the queue: skip their ticks. */
  skip(n: number): void {
    this.tick = (this.tick + n) >>> 0;
    this.nPosted += n;
    this.nDropped += n;
  }

  /** Forget every queued event (the mailbox is gone). */
  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
