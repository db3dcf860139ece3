// The IPC slow path: send, nbsend, call, recv, nbrecv, reply, replyRecv, signal, wait,
// poll, sleep, yield. Each op decodes and validates its whole request first, then
// performs it; each returns the thread to run next (see the switch policy in kernel.ts).
// The fast path (written out in Kernel.runFrom, kernel.ts) short-cuts call and replyRecv
// and must be indistinguishable from what these functions do; a syscall that comes here
// (the fast path declined it, or it is restarted) takes the slow path.

import { deleteCap } from './cap-ops.ts';
import { Cap } from './cspace.ts';
import { Endpoint, EpState } from './endpoint.ts';
import { RECV_PHASE, Status } from './errors.ts';
import { faultReplied, sendFault } from './fault.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { isValidTimeout } from './limits.ts';
import type { Notification } from './notification.ts';
import type { Reply } from './reply.ts';
import { Rights } from './rights.ts';
import { Op, ThreadState, type Thread } from './thread.ts';
import { decodeMessage, transferMessage, type DecodeFault } from './transfer.ts';

// Enum members bound locally (V8 does not constant-fold imported bindings): read on
// every slow-path syscall.
const EP_IDLE = EpState.Idle;
const EP_RECV = EpState.Recv;
const EP_SEND = EpState.Send;
const K_ENDPOINT = Kind.Endpoint;
const K_NOTIFICATION = Kind.Notification;
const K_REPLY = Kind.Reply;
const R_ALL = Rights.All;
const R_GRANT = Rights.Grant;
const R_GRANT_REPLY = Rights.GrantReply;
const R_READ = Rights.Read;
const R_WRITE = Rights.Write;
const ABORTED = Status.Aborted;
const DEAD_PARTNER = Status.DeadPartner;
const FAILED_LOOKUP = Status.FailedLookup;
const ILLEGAL_OPERATION = Status.IllegalOperation;
const INVALID_ARGUMENT = Status.InvalidArgument;
const INVALID_CAPABILITY = Status.InvalidCapability;
const NOTIFICATION = Status.Notification;
const OK = Status.Ok;
const TIMEOUT = Status.Timeout;
const TS_BLOCKED_NOTIFICATION = ThreadState.BlockedNotification;
const TS_BLOCKED_RECV = ThreadState.BlockedRecv;
const TS_BLOCKED_REPLY = ThreadState.BlockedReply;
const TS_BLOCKED_SEND = ThreadState.BlockedSend;
const TS_PARKED = ThreadState.Parked;
const TS_SLEEPING = ThreadState.Sleeping;

// The dispatch switch runs on every syscall: its constants are bound locally too.
const OP_NONE = Op.None;
const OP_SEND = Op.Send;
const OP_NBSEND = Op.NBSend;
const OP_CALL = Op.Call;
const OP_RECV = Op.Recv;
const OP_NBRECV = Op.NBRecv;
const OP_REPLY = Op.Reply;
const OP_REPLY_RECV = Op.ReplyRecv;
const OP_SIGNAL = Op.Signal;
const OP_WAIT = Op.Wait;
const OP_POLL = Op.Poll;
const OP_SLEEP = Op.Sleep;
const OP_YIELD = Op.Yield;
const OP_HOST_WAIT = Op.HostWait;
const OP_PARK = Op.Park;
const OP_FAULT = Op.Fault;

/** Perform the syscall `t` yielded; returns the thread to run next, or null. */
export function dispatch(k: Kernel, t: Thread): Thread | null {
  const op = t.op;
  t.op = OP_NONE;
    switch (op) {
    case OP_CALL:
      return doCall(k, t);
    case OP_REPLY_RECV:
      return doReplyRecv(k, t);
    case OP_SEND:
      return doSend(k, t, false);
    case OP_NBSEND:
      return doSend(k, t, true);
    case OP_RECV:
      k.nSlow++;
      return recvPhase(k, t, t.recvTimeout, null);
    case OP_NBRECV:
      k.nSlow++;
      return recvPhase(k, t, 0, null);
    case OP_REPLY:
      return doReply(k, t);
    case OP_SIGNAL:
      return doSignal(k, t);
    case OP_WAIT:
      return doWait(k, t, false);
    case OP_POLL:
      return doWait(k, t, true);
    case OP_SLEEP:
      return doSleep(k, t);
    case OP_YIELD:
      t.result = OK;
      if (k.runq.count === 0 || k.runq.highest() < t.prio) return t;
      k.makeReady(t, OK);
      return null;
    case OP_PARK:
      t.state = TS_PARKED;
      return null;
    case OP_FAULT:
      return sendFault(k, t);
    case OP_HOST_WAIT: {
      const p = t.hostPromise;
      t.hostPromise = null;
      return k.hostWait(t, p!);
    }
    default:
      throw new Error(`kernel bug: unknown op ${op}`);
  }
}

function failDecode(k: Kernel, t: Thread, f: DecodeFault, phase: number): Thread {
  const extra: { item?: number; slot?: number } = {};
  if (f.item !== undefined) extra.item = f.item;
  if (f.slot !== undefined) extra.slot = f.slot;
  return k.fail(t, f.status | phase, f.argument, extra);
}

// ------------------------------------------------------------------ send / nbsend

function doSend(k: Kernel, t: Thread, nb: boolean): Thread | null {
  k.nSlow++;
  const cap = t.task.cspace.get(t.a0);
  // E5 / E2: a send through a bad cap is silent.
  if (cap === null) return ok(t);
  if (cap.obj.kind === K_REPLY) return sendOnReply(k, t, cap);
  if (cap.obj.kind !== K_ENDPOINT || (cap.rights & R_WRITE) === 0) return ok(t);
  const timeout = nb ? 0 : t.sendTimeout;
  if (!isValidTimeout(timeout)) return k.fail(t, INVALID_ARGUMENT, 'timeout');
  const canGrant = (cap.rights & R_GRANT) !== 0;
  const bad = decodeMessage(t);
  if (bad !== null) return failDecode(k, t, bad, 0);
  const ep = cap.obj as Endpoint;
  // Decision 10: a blocking send to a dead endpoint fails at once; nbsend stays silent.
  if (ep.dead) return nb ? ok(t) : k.fail(t, DEAD_PARTNER, 'cap', { slot: t.a0 });
  t.sendBadge = cap.badge;
  t.sendCanGrant = canGrant;
  t.sendIsCall = false;
  t.inFault = false;
  if (ep.state === EP_RECV) {
    const r = takeHead(ep);
    k.timers.cancel(r);
    deliver(k, t, r, ep, false);
    t.result = OK;
    return k.wakeBeside(t, r, OK);
  }
  if (isOver(k, timeout)) return ok(t); // E2: dropped, and the sender cannot tell.
  blockSending(k, t, ep, timeout);
  return null;
}

function ok(t: Thread): Thread {
  t.result = OK;
  return t;
}

/** Dequeue the first waiter of an endpoint, leaving the queue state right. */
function takeHead(ep: Endpoint): Thread {
  const r = ep.queue.shift()!;
  if (ep.queue.length === 0) ep.state = EP_IDLE;
  return r;
}

function blockSending(k: Kernel, t: Thread, ep: Endpoint, timeout: number): void {
  t.state = TS_BLOCKED_SEND;
  t.blockedOn = ep;
  ep.queue.enqueue(t);
  ep.state = EP_SEND;
  k.armTimeout(t, timeout);
  if (k.tracer !== null) blockEvent(k, t, ep.id, t.a1);
  // A thread serving the endpoint directly spins outside the kernel: call it back.
  if (ep.direct !== null) ep.direct.senderBlocked();
}

/**
 * Deliver the message of sender `s` (blocked or current) to receiver `r` through `ep`.
 * For a call, `s` now waits for its reply and `r` holds the implicit reply cap.
 */
export function deliver(k: Kernel, s: Thread, r: Thread, ep: Endpoint, isCall: boolean): void {
  transferMessage(s, r, ep, s.sendBadge, s.sendCanGrant, k.capHook());
  k.nMsgs++;
  let callId = 0;
  if (isCall) {
    callId = ++k.callCounter;
    s.callSeq = callId;
    s.savedReply = null;
    r.replyTo = s;
    r.replySeq = callId;
    r.replyCanGrant = r.recvCanGrant;
    s.blockedOn = null;
    if (waitsForReply(k, s)) {
      s.state = TS_BLOCKED_REPLY;
      k.armTimeout(s, s.recvTimeout);
    }
  }
  if (k.tracer !== null) ipcEvent(k, isCall ? 'call' : 'send', s, r, ep.id, s.sendBadge, callId);
  if (isCall && s.state !== TS_BLOCKED_REPLY) zeroReplyWait(k, s);
}

/**
 * Whether a caller whose message was just delivered waits for the reply: not with a
 * receive timeout that is already over (0, or below the clock's resolution). T1 as
 * settled: the reply cannot exist before the server runs, so such a call always ends in
 * Timeout (receive phase), whichever other threads are ready.
 */
function waitsForReply(k: Kernel, s: Thread): boolean {
  return !isOver(k, s.recvTimeout);
}

/**
 * True for a valid timeout that is over as soon as it starts: 0, or a time so small that
 * now + ms is not after now on the kernel clock. Such a phase never blocks and never
 * arms a timer, so its outcome cannot depend on when the scheduler next fires timers.
 */
function isOver(k: Kernel, ms: number): boolean {
  if (ms === 0) return true;
  if (ms === Number.POSITIVE_INFINITY) return false;
  const now = k.clock.now();
  return now + ms <= now;
}

/**
 * The zero receive phase of a call: kill its reply cap (Decision 3) and report Timeout.
 * No timer was armed, so none fires and the timeouts counter does not move (as recv 0).
 */
function zeroReplyWait(k: Kernel, s: Thread): void {
  s.callSeq = ++k.callCounter;
  s.result = TIMEOUT | RECV_PHASE;
}

// ------------------------------------------------------------------ call

function doCall(k: Kernel, t: Thread): Thread | null {
  k.nSlow++;
  const cs = t.task.cspace;
  const cap = cs.get(t.a0);
  if (cap === null) return k.fail(t, cs.missStatus(t.a0, INVALID_CAPABILITY), 'cap', { slot: t.a0 });
  const r = cap.rights;
  // E5, R3: call needs an endpoint cap with Write and Grant or GrantReply.
  if (cap.obj.kind !== K_ENDPOINT || (r & R_WRITE) === 0 || (r & (R_GRANT | R_GRANT_REPLY)) === 0) {
    return k.fail(t, INVALID_CAPABILITY, 'cap', { slot: t.a0 });
  }
  if (!isValidTimeout(t.sendTimeout)) return k.fail(t, INVALID_ARGUMENT, 'sendTimeout');
  if (!isValidTimeout(t.recvTimeout)) return k.fail(t, INVALID_ARGUMENT, 'recvTimeout');
  const canGrant = (r & R_GRANT) !== 0;
  const bad = decodeMessage(t);
  if (bad !== null) return failDecode(k, t, bad, 0);
  const ep = cap.obj as Endpoint;
  if (ep.dead) return k.fail(t, DEAD_PARTNER, 'cap', { slot: t.a0 });
  t.sendBadge = cap.badge;
  t.sendCanGrant = canGrant;
  t.sendIsCall = true;
  t.inFault = false;
  return callOn(k, t, ep);
}

/** The send phase of a decoded call (also the kernel-made call of a fault, F1). */
export function callOn(k: Kernel, t: Thread, ep: Endpoint): Thread | null {
  if (ep.state === EP_RECV) {
    const r = takeHead(ep);
    k.timers.cancel(r);
    deliver(k, t, r, ep, true);
    // A zero receive phase leaves the caller runnable with Timeout (T1).
    if (t.state !== TS_BLOCKED_REPLY) return k.wakeBeside(t, r, OK);
    return k.switchToWoken(r, OK);
  }
  if (isOver(k, t.sendTimeout)) return k.fail(t, TIMEOUT, 'sendTimeout');
  blockSending(k, t, ep, t.sendTimeout);
  return null;
}

// ------------------------------------------------------------------ recv

/**
 * The receive phase of recv, nbrecv and replyRecv. `woken` is a caller the reply phase
 * just answered (or null); it is scheduled by the policy matching what happens here.
 */
function recvPhase(k: Kernel, t: Thread, timeout: number, woken: Thread | null): Thread | null {
  // Decision 4: receiving again without replying fails the stranded caller.
  if (t.replyTo !== null) k.abortCaller(t, ABORTED | RECV_PHASE);
  const cs = t.task.cspace;
  const cap = cs.get(t.a0);
  let err = 0;
  if (cap === null) err = cs.missStatus(t.a0, INVALID_CAPABILITY);
  else if (cap.obj.kind !== K_ENDPOINT || (cap.rights & R_READ) === 0) err = INVALID_CAPABILITY;
  else if (!isValidTimeout(timeout)) err = INVALID_ARGUMENT;
  if (err !== 0) {
    k.fail(t, err | RECV_PHASE, err === INVALID_ARGUMENT ? 'timeout' : 'cap', { slot: t.a0 });
    return continueWith(k, t, woken);
  }
  const ep = (cap as Cap).obj as Endpoint;
  t.recvCanGrant = ((cap as Cap).rights & R_GRANT) !== 0;
  // N5: a pending bound notification comes before queued senders.
  const n = t.bound;
  if (n !== null && n.pending) {
    t.utcb.badge = n.consume();
    t.result = NOTIFICATION;
    return continueWith(k, t, woken);
  }
  if (ep.state === EP_SEND) {
    const s = takeHead(ep);
    k.timers.cancel(s);
    deliver(k, s, t, ep, s.sendIsCall);
    t.result = OK;
    let next = continueWith(k, t, woken);
    // A sender, or a caller with a zero receive phase (its status is set), runs on.
    if (s.state !== TS_BLOCKED_REPLY) {
      const st = s.sendIsCall ? s.result : OK;
      if (next === t) next = k.wakeBeside(t, s, st);
      else k.makeReady(s, st);
    }
    return next;
  }
  if (isOver(k, timeout)) {
    // E3: nothing received, reported as a receive-phase timeout, never as a message.
    t.result = TIMEOUT | RECV_PHASE;
    return continueWith(k, t, woken);
  }
  t.state = TS_BLOCKED_RECV;
  t.blockedOn = ep;
  ep.queue.enqueue(t);
  ep.state = EP_RECV;
  k.armTimeout(t, timeout);
  if (k.tracer !== null) blockEvent(k, t, ep.id, 0);
  return woken === null ? null : k.switchToWoken(woken, woken.result);
}

/** `t` keeps running; schedule the caller its reply woke, if any. */
function continueWith(k: Kernel, t: Thread, woken: Thread | null): Thread {
  return woken === null ? t : k.wakeBeside(t, woken, woken.result);
}

// ------------------------------------------------------------------ reply

function doReply(k: Kernel, t: Thread): Thread | null {
  k.nSlow++;
  // P3: no pending caller, nothing to do.
  if (t.replyTo === null) return ok(t);
  const bad = decodeMessage(t);
  if (bad !== null) return failDecode(k, t, bad, 0);
  const c = replyPart(k, t);
  t.result = OK;
  return continueWith(k, t, c);
}

function doReplyRecv(k: Kernel, t: Thread): Thread | null {
  k.nSlow++;
  let c: Thread | null = null;
  if (t.replyTo !== null) {
    const bad = decodeMessage(t);
    if (bad !== null) return failDecode(k, t, bad, 0);
    c = replyPart(k, t);
  }
  return recvPhase(k, t, t.recvTimeout, c);
}

/** Answer the implicit reply cap; returns the caller to wake (status set) or null. */
function replyPart(k: Kernel, t: Thread): Thread | null {
  const c = t.replyTo;
  t.replyTo = null;
  // P1, P2, Decision 3: only a caller still waiting for this very call gets it.
  if (c === null || c.state !== TS_BLOCKED_REPLY || c.callSeq !== t.replySeq) return null;
  return deliverReply(k, t, c, t.replyCanGrant);
}

/** Copy a reply to its waiting caller. Returns the caller to wake, or null (stopped). */
function deliverReply(k: Kernel, s: Thread, c: Thread, canGrant: boolean): Thread | null {
  k.timers.cancel(c);
  transferMessage(s, c, null, 0, canGrant, k.capHook());
  k.nMsgs++;
  c.savedReply = null;
  if (k.tracer !== null) ipcEvent(k, 'reply', s, c, -1, 0, c.callSeq);
  if (c.inFault) return faultReplied(k, c);
  c.result = OK;
  return c;
}

/** send/nbsend on a saved reply cap answers that caller and uses the cap up (saveCaller). */
function sendOnReply(k: Kernel, t: Thread, cap: Cap): Thread | null {
  const r = cap.obj as Reply;
  const bad = decodeMessage(t);
  if (bad !== null) return failDecode(k, t, bad, 0);
  const c = r.caller;
  const live = r.live && c !== null && c.state === TS_BLOCKED_REPLY;
  r.caller = null; // used: deleting the cap must not fail the caller
  deleteCap(cap);
  if (!live) return ok(t);
  const w = deliverReply(k, t, c, r.canGrant);
  t.result = OK;
  return continueWith(k, t, w);
}

/** Move the implicit reply cap into `slot` so another thread or a later turn can answer. */
export function saveCaller(k: Kernel, t: Thread, slot: number): number {
  const cs = t.task.cspace;
  const free = cs.checkFree(slot);
  if (free !== OK) return free;
  const c = t.replyTo;
  t.replyTo = null;
  if (c === null || c.state !== TS_BLOCKED_REPLY || c.callSeq !== t.replySeq) return FAILED_LOOKUP;
  const r = k.makeReply(c, t.replySeq, t.replyCanGrant);
  c.savedReply = r;
  cs.put(slot, new Cap(r, R_ALL, 0));
  return OK;
}

// ------------------------------------------------------------------ notifications

// Signal and wait run per event (the enum members they read are bound at the top).
const RECV_TIMEOUT = TIMEOUT | RECV_PHASE;
const FOREVER_MS = Number.POSITIVE_INFINITY;

function notificationCap(t: Thread, need: number): Cap | number {
  const cs = t.task.cspace;
  const cap = cs.get(t.a0);
  if (cap === null) return cs.missStatus(t.a0, INVALID_CAPABILITY);
  if (cap.obj.kind !== K_NOTIFICATION || (cap.rights & need) === 0) return INVALID_CAPABILITY;
  return cap;
}

function doSignal(k: Kernel, t: Thread): Thread | null {
  const cap = notificationCap(t, R_WRITE);
  if (typeof cap === 'number') return k.fail(t, cap, 'cap', { slot: t.a0 });
  const w = k.signalCore(cap.obj as Notification, cap.badge, t);
  t.result = OK;
  return w === null ? t : k.wakeBeside(t, w, w.result);
}

/**
 * Wait (or poll) on a notification. The timeout is read here, not passed in: a double
 * passed to a call the JIT does not inline is boxed, a heap number per wait.
 */
function doWait(k: Kernel, t: Thread, poll: boolean): Thread | null {
  const timeout = poll ? 0 : t.recvTimeout;
  // The usual wait has no timeout: it calls none of the helpers that take one.
  const forever = timeout === FOREVER_MS;
  const cap = notificationCap(t, R_READ);
  if (typeof cap === 'number') return k.fail(t, cap | RECV_PHASE, 'cap', { slot: t.a0 });
  if (!forever && !isValidTimeout(timeout)) return k.fail(t, INVALID_ARGUMENT | RECV_PHASE, 'timeout');
  const n = cap.obj as Notification;
  if (n.boundThread !== null && n.boundThread !== t) return k.fail(t, ILLEGAL_OPERATION | RECV_PHASE, 'cap');
  if (n.pending) {
    t.utcb.badge = n.consume();
    t.result = OK;
    return t;
  }
  if (!forever && isOver(k, timeout)) {
    // poll: nothing pending, word 0.
    t.utcb.badge = 0;
    t.result = RECV_TIMEOUT;
    return t;
  }
  t.state = TS_BLOCKED_NOTIFICATION;
  t.blockedOn = n;
  n.waiters.enqueue(t);
  if (!forever) k.armTimeout(t, timeout);
  if (k.tracer !== null) blockEvent(k, t, n.id, 0);
  return null;
}

function doSleep(k: Kernel, t: Thread): Thread | null {
  const ms = t.recvTimeout;
  if (!isValidTimeout(ms)) return k.fail(t, INVALID_ARGUMENT | RECV_PHASE, 'timeout');
  // T2: sleep is a receive that cannot be satisfied; it ends in a receive timeout.
  if (isOver(k, ms)) {
    t.result = TIMEOUT | RECV_PHASE;
    return t;
  }
  t.state = TS_SLEEPING;
  k.armTimeout(t, ms);
  if (k.tracer !== null) blockEvent(k, t, -1, 0);
  return null;
}

// ------------------------------------------------------------------ trace helpers

/** @internal Emit an IPC event for a message just copied from s to r. */
export function ipcEvent(
  k: Kernel,
  op: 'send' | 'call' | 'reply',
  s: Thread,
  r: Thread,
  endpoint: number,
  badge: number,
  callId: number,
): void {
  const ru = r.utcb;
  const items = [];
  for (let i = 0; i < ru.itemCount; i++) items.push(ru.itemsIn[i]!);
  // A plain loop: Array.from over a typed-array view costs ~50x more on Node 20.
  const words: number[] = new Array<number>(ru.length);
  for (let i = 0; i < ru.length; i++) words[i] = ru.mr[i]!;
  k.emit({
    type: 'ipc',
    op,
    seq: 0,
    time: k.clock.now(),
    sender: s.id,
    senderTask: s.task.id,
    receiver: r.id,
    receiverTask: r.task.id,
    endpoint,
    badge,
    label: ru.label,
    words,
    items,
    caps: ru.capCount,
    unwrapped: ru.unwrapped,
    callId,
  });
}

/** @internal */
export function blockEvent(k: Kernel, t: Thread, object: number, label: number): void {
  k.emit({
    type: 'block',
    seq: 0,
    time: k.clock.now(),
    thread: t.id,
    task: t.task.id,
    state: t.stateName,
    object,
    label,
  });
}
