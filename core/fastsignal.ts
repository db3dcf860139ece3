// The notification fast path: signal with a thread waiting on the notification, and a
// wait with no timeout (its word already pending, or blocking). Both are what the slow
// path (ipc.ts: doSignal, doWait and Kernel.signalCore) does for these cases, written flat:
// no dispatch switch, no cap-space indirection, no helper calls on the way. Anything else
// (no waiter, a bound thread to wake, a bad cap, a timeout) returns `undefined` and the slow
// path runs. The result must be indistinguishable from the slow path's: same words,
// thread states, queues, counters and trace events.

import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import type { Notification } from './notification.ts';
import { Status } from './errors.ts';
import { Rights } from './rights.ts';
import { ThreadState, type Thread } from './thread.ts';
import { blockEvent } from './ipc.ts';

// Bound locally, as for the IPC fast path in the run loop (kernel.ts): these are read on
// every signal and wait.
const INF = Number.POSITIVE_INFINITY;
const OK = Status.Ok;
const NOTIFICATION = Kind.Notification;
const READ = Rights.Read;
const WRITE = Rights.Write;
const READY = ThreadState.Ready;
const BLOCKED_NOTIFICATION = ThreadState.BlockedNotification;
const traceBlock = blockEvent;

/**
 * Fast signal: the notification has a waiter. Returns the thread to run next (the waiter
 * when it preempts the signaller, else the signaller), or undefined for the slow path.
 */
export function fastSignal(k: Kernel, t: Thread): Thread | undefined {
  const cap = t.cslots[t.a0];
  if (cap === undefined || cap === null) return undefined;
  const n = cap.obj as Notification;
  if (n.kind !== NOTIFICATION || (cap.rights & WRITE) === 0) return undefined;
  const w = n.waiters.head;
  if (w === null) return undefined;

  // Kernel.signalCore: OR the badge in, hand the word to the first waiter, clear it.
  k.nSignals++;
  const badge = cap.badge;
  w.utcb.badge = (n.word | badge) >>> 0;
  n.word = 0;
  n.pending = false;
  n.waiters.shift();
  if (w.deadline !== INF) k.timers.cancel(w);
  if (k.tracer !== null) k.signalEvent(n, badge, t, w);
  t.result = OK;
  // Kernel.wakeBeside: the signaller stays runnable; the waiter preempts it only with a
  // higher priority and when no ready thread outranks the waiter.
  w.result = OK;
  w.blockedOn = null;
  const runq = k.runq;
  if (w.prio > t.prio && (runq.count === 0 || w.prio >= runq.highest())) {
    t.state = READY;
    runq.pushFront(t);
    return w;
  }
  w.state = READY;
  runq.push(w);
  return t;
}

/**
 * Fast wait, no timeout: take a pending word and go on (returns `t`), or block on the
 * notification (returns null). Undefined for the slow path.
 */
export function fastWait(k: Kernel, t: Thread): Thread | null | undefined {
  if (t.recvTimeout !== INF) return undefined;
  const cap = t.cslots[t.a0];
  if (cap === undefined || cap === null) return undefined;
  const n = cap.obj as Notification;
  if (n.kind !== NOTIFICATION || (cap.rights & READ) === 0) return undefined;
  const b = n.boundThread;
  if (b !== null && b !== t) return undefined;
  if (n.pending) {
    t.utcb.badge = n.word;
    n.word = 0;
    n.pending = false;
    t.result = OK;
    return t;
  }
  t.state = BLOCKED_NOTIFICATION;
  t.blockedOn = n;
  n.waiters.enqueue(t);
  if (k.tracer !== null) traceBlock(k, t, n.id, 0);
  return null;
}
