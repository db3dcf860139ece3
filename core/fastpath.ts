// The IPC fast path, as seL4 takes it: call and replyRecv with a register-sized message
// (at most 4 words, no caps, no items), the partner already waiting, a valid cap with the
// needed rights, infinite timeouts, and no higher-priority thread ready. It copies the
// words and switches straight to the partner, skipping decode, cap transfer and the run
// queues. Anything else returns `undefined` and the slow path (ipc.ts) runs instead.
// The result must be indistinguishable from the slow path's: same words, badges, thread
// states and trace events; only counters.fastpath tells them apart.

import type { Endpoint } from './endpoint.ts';
import { EpState } from './endpoint.ts';
import { Status } from './errors.ts';
import { blockEvent, ipcEvent } from './ipc.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { FASTPATH_MRS } from './limits.ts';
import { Rights } from './rights.ts';
import { ThreadState, type Thread } from './thread.ts';
import type { Utcb } from './utcb.ts';

// Everything this file reads on every RPC is bound here, locally: V8 does not
// constant-fold imported bindings, so `Status.Ok` or `ThreadState.X` in the body would be
// a cell load each time and would block inlining.
const INF = Number.POSITIVE_INFINITY;
const OK = Status.Ok;
const ENDPOINT = Kind.Endpoint;
const EP_IDLE = EpState.Idle;
const EP_SEND = EpState.Send;
const EP_RECV = EpState.Recv;
const READ = Rights.Read;
const WRITE = Rights.Write;
const GRANT = Rights.Grant;
const CALL_RIGHTS = Rights.Grant | Rights.GrantReply;
const BLOCKED_REPLY = ThreadState.BlockedReply;
const BLOCKED_RECV = ThreadState.BlockedRecv;
const MAX_FAST_WORDS = FASTPATH_MRS;
const traceIpc = ipcEvent;
const traceBlock = blockEvent;

/**
 * Set the receiver's tag exactly as the slow path does; the words were copied by the
 * caller (each read once, in the check that they are uint32 words).
 */
function setTag(ru: Utcb, label: number, len: number, badge: number): void {
  ru.label = label;
  ru.length = len;
  ru.badge = badge;
  // Items past itemCount are always null; clear the ones the last message left.
  const n = ru.itemCount;
  if (n !== 0) {
    for (let i = 0; i < n; i++) ru.itemsIn[i] = null;
    ru.itemCount = 0;
  }
  ru.capCount = 0;
  ru.unwrapped = 0;
  ru.truncated = 0;
}

/** Fast call: returns the receiver to switch to, or undefined to take the slow path. */
export function fastCall(k: Kernel, t: Thread): Thread | undefined {
  const cap = t.cslots[t.a0];
  if (cap === undefined || cap === null) return undefined;
  const ep = cap.obj as Endpoint;
  const rights = cap.rights;
  if (ep.kind !== ENDPOINT || ep.state !== EP_RECV) return undefined;
  if ((rights & WRITE) === 0 || (rights & CALL_RIGHTS) === 0) return undefined;
  if (t.sendTimeout !== INF || t.recvTimeout !== INF) return undefined;
  const q = ep.queue;
  const r = q.head!;
  if (k.runq.count !== 0 && r.prio < k.runq.highest()) return undefined;
  // The message is register-sized (label a1, length a2 <= 4, no caps a3, no items a4)
  // and every word a uint32 (the slow path answers InvalidArgument otherwise). Written
  // out here and again in fastReplyRecv, not called: as a function of its own (it was
  // fastMessage) V8 called it twice per round trip instead of inlining it, and read each
  // word twice. Inline, kernel.call.fast measured about 2 ns (4%) faster, pinned to one
  // CPU and alternated with the old build six times.
  const len = t.a2;
  if (t.a3 !== 0 || t.a4 !== 0 || !(t.a1 >>> 0 === t.a1) || !(len >>> 0 === len) || len > MAX_FAST_WORDS) return undefined;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  if (len !== 0) {
    const smr = t.utcb.mr;
    w0 = smr[0]!;
    if (w0 >>> 0 !== w0) return undefined;
    if (len > 1) {
      w1 = smr[1]!;
      if (w1 >>> 0 !== w1) return undefined;
      if (len > 2) {
        w2 = smr[2]!;
        if (w2 >>> 0 !== w2) return undefined;
        if (len > 3) {
          w3 = smr[3]!;
          if (w3 >>> 0 !== w3) return undefined;
        }
      }
    }
  }

  q.shift();
  if (q.length === 0) ep.state = EP_IDLE;
  if (r.deadline !== INF) k.timers.cancel(r);
  const badge = cap.badge;
  const ru = r.utcb;
  if (len !== 0) {
    const rmr = ru.mr;
    rmr[0] = w0;
    if (len > 1) {
      rmr[1] = w1;
      if (len > 2) {
        rmr[2] = w2;
        if (len > 3) rmr[3] = w3;
      }
    }
  }
  setTag(ru, t.a1, len, badge);
  // What the slow path's deliver() leaves behind for a call; nothing else is read later.
  const id = ++k.callCounter;
  t.callSeq = id;
  r.replyTo = t;
  r.replySeq = id;
  r.replyCanGrant = r.recvCanGrant;
  t.state = BLOCKED_REPLY;
  r.blockedOn = null;
  r.result = OK;
  k.nFast++;
  if (k.tracer !== null) traceIpc(k, 'call', t, r, ep.id, badge, id);
  return r;
}

/** Fast replyRecv: returns the caller to switch to, or undefined to take the slow path. */
export function fastReplyRecv(k: Kernel, t: Thread): Thread | undefined {
  const c = t.replyTo;
  if (c === null || c.state !== BLOCKED_REPLY || c.callSeq !== t.replySeq || c.inFault) return undefined;
  if (t.recvTimeout !== INF) return undefined;
  const cap = t.cslots[t.a0];
  if (cap === undefined || cap === null) return undefined;
  const ep = cap.obj as Endpoint;
  if (ep.kind !== ENDPOINT || (cap.rights & READ) === 0 || ep.state === EP_SEND) return undefined;
  const n = t.bound;
  if (n !== null && n.pending) return undefined;
  if (k.runq.count !== 0 && c.prio < k.runq.highest()) return undefined;
  // Register-sized and every word a uint32: as in fastCall (written out there and here).
  const len = t.a2;
  if (t.a3 !== 0 || t.a4 !== 0 || !(t.a1 >>> 0 === t.a1) || !(len >>> 0 === len) || len > MAX_FAST_WORDS) return undefined;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  if (len !== 0) {
    const smr = t.utcb.mr;
    w0 = smr[0]!;
    if (w0 >>> 0 !== w0) return undefined;
    if (len > 1) {
      w1 = smr[1]!;
      if (w1 >>> 0 !== w1) return undefined;
      if (len > 2) {
        w2 = smr[2]!;
        if (w2 >>> 0 !== w2) return undefined;
        if (len > 3) {
          w3 = smr[3]!;
          if (w3 >>> 0 !== w3) return undefined;
        }
      }
    }
  }

  if (c.deadline !== INF) k.timers.cancel(c);
  const cu = c.utcb;
  if (len !== 0) {
    const rmr = cu.mr;
    rmr[0] = w0;
    if (len > 1) {
      rmr[1] = w1;
      if (len > 2) {
        rmr[2] = w2;
        if (len > 3) rmr[3] = w3;
      }
    }
  }
  setTag(cu, t.a1, len, 0);
  t.replyTo = null;
  k.nFast++;
  if (k.tracer !== null) traceIpc(k, 'reply', t, c, -1, 0, c.callSeq);
  t.recvCanGrant = (cap.rights & GRANT) !== 0;
  t.state = BLOCKED_RECV;
  t.blockedOn = ep;
  ep.queue.enqueue(t);
  ep.state = EP_RECV;
  if (k.tracer !== null) traceBlock(k, t, ep.id, 0);
  c.result = OK;
  return c;
}
