// Timeout queue: a binary min-heap of (deadline, sequence) with lazy cancellation. A
// thread's timer is valid while its generation matches; stale entries are dropped when
// they surface, and the heap is compacted when they outnumber the live ones.

import type { Thread } from './thread.ts';

interface Entry {
  deadline: number;
  seq: number;
  thread: Thread;
  gen: number;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  /** Arm (or re-arm) the timer of `thread` for `deadline`. */
  arm(thread: Thread, deadline: number): void {
    this.cancel(thread);
    const gen = ++thread.timerGen;
    thread.deadline = deadline;
    this.live++;
    this.push({ deadline, seq: this.seq++, thread, gen });
    if (this.heap.length > 64 && this.heap.length > 4 * this.live) this.compact();
  }

  /** Invalidate the thread's pending timer, if any. */
  cancel(thread: Thread): void {
    if (thread.deadline !== Number.POSITIVE_INFINITY) {
      thread.deadline = Number.POSITIVE_INFINITY;
      thread.timerGen++;
      this.live--;
    }
  }

  /** Earliest live deadline, or Infinity. */
  next(): number {
    this.dropStale();
    const top = this.heap[0];
    return top === undefined ? Number.POSITIVE_INFINITY : top.deadline;
  }

  /** Remove and return the thread of the earliest live timer due at or before `now`. */
  popDue(now: number): Thread | null {
    this.dropStale();
    const top = this.heap[0];
    if (top === undefined || top.deadline > now) return null;
    this.pop();
    this.live--;
    top.thread.deadline = Number.POSITIVE_INFINITY;
    top.thread.timerGen++;
    return top.thread;
  }

  get size(): number {
    return this.live;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.gen === top.thread.timerGen) return;
      this.pop();
    }
  }

  private compact(): void {
    const keep = this.heap.filter((e) => e.gen === e.thread.timerGen);
    this.heap = [];
    for (const e of keep) this.push(e);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
