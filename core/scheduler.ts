// Run queues: one FIFO per priority and a bitmap to find the highest ready priority in
// constant time (seL4's ksReadyQueues and its L1/L2 bitmap, flattened to eight words).

import { MAX_PRIORITY } from './limits.ts';
import { ThreadQueue } from './thread-queue.ts';
import type { Thread } from './thread.ts';

export class RunQueues {
  private readonly queues: ThreadQueue[] = [];
  private readonly bitmap = new Uint32Array(8);
  /** Highest priority with a ready thread, or -1 (kept current, so highest() is a load). */
  private top = -1;
  /** Number of ready threads. */
  count = 0;

  constructor() {
    for (let p = 0; p <= MAX_PRIORITY; p++) this.queues.push(new ThreadQueue());
  }

  /** Highest priority with a ready thread, or -1. */
  highest(): number {
    return this.top;
  }

  /** Append a thread to the tail of its priority's queue. */
  push(t: Thread): void {
    this.queues[t.prio]!.enqueue(t);
    this.mark(t.prio);
  }

  /** Put a preempted thread at the head of its priority's queue. */
  pushFront(t: Thread): void {
    this.queues[t.prio]!.unshift(t);
    this.mark(t.prio);
  }

  /** Remove and return the first thread of the highest priority, or null. */
  pop(): Thread | null {
    const p = this.top;
    if (p < 0) return null;
    const q = this.queues[p]!;
    const t = q.shift();
    this.count--;
    if (q.length === 0) this.clear(p);
    return t;
  }

  /** Remove a thread that is in a run queue. */
  remove(t: Thread): void {
    const q = t.queue;
    if (q === null) return;
    q.remove(t);
    this.count--;
    if (q.length === 0) this.clear(t.prio);
  }

  private mark(p: number): void {
    this.count++;
    this.bitmap[p >> 5]! |= 1 << (p & 31);
    if (p > this.top) this.top = p;
  }

  /** Priority `p` has no ready thread any more: drop its bit, find the new top. */
  private clear(p: number): void {
    if (this.count === 0) {
      // Nothing ready at all (the usual case after a switch): no word to scan.
      this.bitmap[p >> 5] = 0;
      this.top = -1;
      return;
    }
    this.bitmap[p >> 5]! &= ~(1 << (p & 31));
    if (p !== this.top) return;
    for (let w = p >> 5; w >= 0; w--) {
      const bits = this.bitmap[w]!;
      if (bits !== 0) {
        this.top = w * 32 + 31 - Math.clz32(bits);
        return;
      }
    }
    this.top = -1;
  }
}
