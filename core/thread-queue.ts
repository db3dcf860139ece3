// Intrusive queues of threads, ordered by priority and FIFO within a priority
// (Decision 1). Endpoints and notifications keep their waiters in one of these.

import type { Thread } from './thread.ts';

/** A queue whose links live in the threads themselves (qNext, qPrev, queue). */
export class ThreadQueue {
  head: Thread | null = null;
  tail: Thread | null = null;
  length = 0;

  /** Insert behind every thread of equal or higher priority. */
  enqueue(t: Thread): void {
    const tail = this.tail;
    if (tail === null || tail.prio >= t.prio) {
      // The common case: append (an empty queue, or no lower-priority thread waiting).
      t.queue = this;
      t.qPrev = tail;
      t.qNext = null;
      if (tail === null) this.head = t;
      else tail.qNext = t;
      this.tail = t;
      this.length++;
      return;
    }
    let after: Thread | null = tail;
    while (after !== null && after.prio < t.prio) after = after.qPrev;
    this.insertAfter(after, t);
  }

  /** Insert at the very head (run queues, where every thread has the same priority). */
  unshift(t: Thread): void {
    const head = this.head;
    t.queue = this;
    t.qPrev = null;
    t.qNext = head;
    if (head === null) this.tail = t;
    else head.qPrev = t;
    this.head = t;
    this.length++;
  }

  /** Insert at the head of its priority band (a preempted thread resumes first). */
  enqueueFront(t: Thread): void {
    let after = this.tail;
    while (after !== null && after.prio <= t.prio) after = after.qPrev;
    this.insertAfter(after, t);
  }

  private insertAfter(after: Thread | null, t: Thread): void {
    t.queue = this;
    t.qPrev = after;
    if (after === null) {
      t.qNext = this.head;
      if (this.head !== null) this.head.qPrev = t;
      this.head = t;
    } else {
      t.qNext = after.qNext;
      if (after.qNext !== null) after.qNext.qPrev = t;
      after.qNext = t;
    }
    if (t.qNext === null) this.tail = t;
    this.length++;
  }

  /** Remove and return the head, or null. */
  shift(): Thread | null {
    const t = this.head;
    if (t === null) return null;
    const n = t.qNext;
    this.head = n;
    if (n === null) this.tail = null;
    else {
      n.qPrev = null;
      t.qNext = null;
    }
    t.queue = null;
    this.length--;
    return t;
  }

  /** Remove a thread known to be in this queue. */
  remove(t: Thread): void {
    if (t.qPrev !== null) t.qPrev.qNext = t.qNext;
    else this.head = t.qNext;
    if (t.qNext !== null) t.qNext.qPrev = t.qPrev;
    else this.tail = t.qPrev;
    t.qNext = null;
    t.qPrev = null;
    t.queue = null;
    this.length--;
  }

  /** The threads, head first (for introspection and bulk release). */
  toArray(): Thread[] {
    const out: Thread[] = [];
    for (let t = this.head; t !== null; t = t.qNext) out.push(t);
    return out;
  }
}
