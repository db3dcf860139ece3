// One watcher's bounded event queue (Hurd dir_notice_changes): a sync event first, then
// one event per change with the namespace's tick, so a gap in ticks shows dropped
// events. Posting never blocks: a full queue drops the event; a waiting next() gets it.

/** An event as the Watcher interface answers it. */
export interface WatchEvent {
  readonly tick: number;
  readonly kind: 'sync' | 'registered' | 'removed' | 'attached';
  readonly name: string;
}

/** Events a watcher keeps undelivered before it drops new ones. */
export const WATCH_QUEUE_CAPACITY = 64;

/** Someone waiting in next(): called once with the event; false when nobody took it (its caller is gone). */
export type EventWaiter = (e: WatchEvent) => boolean;

/** A watcher's queue: bounded, never blocking the poster, handing events to a waiting next(). */
export class WatchQueue {
  private readonly events: WatchEvent[] = [];
  private readonly waiting: EventWaiter[] = [];
  /** Events dropped because the queue was full. */
  dropped = 0;
  /** Events posted (delivered, queued or dropped). */
  posted = 0;

  constructor(readonly capacity: number = WATCH_QUEUE_CAPACITY) {}

  /** Queue or hand over one event; never blocks. False when it was dropped. */
  post(e: WatchEvent): boolean {
    this.posted++;
    // The first waiter that takes it; waiters whose caller is gone decline and are dropped.
    for (let w = this.waiting.shift(); w !== undefined; w = this.waiting.shift()) if (w(e)) return true;
    if (this.events.length >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.events.push(e);
    return true;
  }

  /** The oldest queued event, or undefined. */
  take(): WatchEvent | undefined {
    return this.events.shift();
  }

  /** Wait for the next event; returns a function that withdraws the wait. */
  wait(w: EventWaiter): () => void {
    this.waiting.push(w);
    return () => {
      const i = this.waiting.indexOf(w);
      if (i >= 0) this.waiting.splice(i, 1);
    };
  }

  get queued(): number {
    return this.events.length;
  }

  /** Forget everything (the watcher object is being reused). */
  reset(): void {
    this.events.length = 0;
    this.waiting.length = 0;
    this.dropped = 0;
    this.posted = 0;
  }
}
