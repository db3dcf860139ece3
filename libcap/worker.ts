// A bucket's worker thread, written as a continuation (stackless, Mach-style) so that
// serving a request costs a function call, not a generator resume. It receives on the
// bucket's endpoint, runs the handler, and answers with replyRecv (the kernel's fast
// path when the message is small). Between requests it sends deferred answers that are
// ready and takes queued requests before waiting again. A generator handler (one that
// calls other servers) runs nested inside the continuation: its syscalls pass through.
//
// Phases: Start -> Recv (waiting on the endpoint) -> [handler] -> answer:
//   live request: reply / replyRecv through the implicit reply cap;
//   queued request or generator handler: send through the saved reply cap (Sent);
//   deferred: nothing now (the completion is sent later by whoever is free).

import { CODE_MASK, isSyscall, NEVER, RECV_PHASE, Status, type Continuation, type Sys, type Syscall, type ThreadBody } from '../core/index.ts';
import { handlerFailed, type Bucket } from './bucket.ts';
import type { Entry } from './client-table.ts';
import type { MethodDef } from './interface.ts';
import { drainingLevels, InhibitState, pausedLevels } from './inhibit.ts';
import { Op } from '../core/thread.ts';
import { ERRNO } from './errno.ts';
import { DEFERRED, Rpc, RpcState } from './rpc.ts';
import { RpcFailure } from './rpc.ts';
import { CHANNEL_OPEN as SESSION_OPEN } from '../libmem/channel.ts';
import { openSession } from './session-server.ts';
import { HEADER_WORDS, LABEL_CANCEL } from './interface.ts';
import { NO_FIELDS } from './codec.ts';

const Phase = { Start: 0, Recv: 1, Gen: 2, Sent: 3, Replied: 4 } as const;
const TIMEOUT = Status.Timeout | RECV_PHASE;

// Bound locally: read on every request (V8 does not constant-fold imported bindings).
const OK = Status.Ok;
const NOTIFICATION = Status.Notification;
const CANCELLED = Status.Cancelled;
const FOREVER = NEVER;
const DEFERRED_ANSWER = DEFERRED;
const isToken = isSyscall;
const OP_CALL = Op.Call;
const OP_SEND = Op.Send;
const SERVING = InhibitState.Serving;
const SESSION_OPEN_LABEL = SESSION_OPEN;
const NO_ROOM = new RpcFailure('ENOMEM', 'the server has no free cap slot');
const HEADER = HEADER_WORDS;
const CANCEL_LABEL = LABEL_CANCEL;
const RUNNING = RpcState.Running;
const DONE = RpcState.Done;
const NO_ARGS = NO_FIELDS as never;

/** The body of a worker thread of `b`. */
export function workerBody(b: Bucket): ThreadBody {
  return (sys: Sys): Continuation => {
    const u = sys.utcb;
    let phase: number = Phase.Start;
    /** The RPC a generator handler or a send through a saved reply cap is working on. */
    let rpc: Rpc | null = null;
    let gen: Generator<unknown, unknown, number> | null = null;
    /** The RPC answered by the last reply: its caps are cleaned up once the reply has gone. */
    let answered: Rpc | null = null;
    /** Caps may have landed in the receive windows since they were last prepared. */
    let windowsUsed = true;
    /** Blocked in an outgoing call of its handler: counted in b.lent, not against maxWorkers. */
    let lent = false;
    /** This worker serves the endpoint directly (an isolated task's first worker; Bucket.serveDirectly). */
    let direct = false;
    /** The lane's request whose blind handler runs without its context yet: its entry. */
    let laneEntry: Entry | null = null;
    /** That request's context, made while its handler ran (laneContext). */
    let laneRpc: Rpc | null = null;

    /**
     * Accept the lane's request (acceptRequest) and start it (Bucket.serve): its context,
     * counted in flight through its entry. (A new context and a renewed one are both
     * already running: serve's state store is not needed.) The object's reference for
     * the RPC is taken apart, before the handler.
     */
    function enter(e: Entry, m: MethodDef): Rpc {
      const r = b.argumentless(e, m, u.mr[0]! | 0, u.mr[1]! | 0);
      r.sys = sys;
      e.rpcs++;
      return r;
    }

    /**
     * Something looked at the client's RPCs in flight while the lane's blind handler ran:
     * its context, made now as the general way made it before the handler. (The request
     * is still in this worker's UTCB: the worker makes no syscall until it answers.)
     */
    const laneContext = (): void => {
      const e = laneEntry!;
      laneEntry = null;
      laneRpc = enter(e, e.lanes[u.label | 0]!.method);
    };


    function prepareWindows(): void {
      if (windowsUsed) {
        b.prepareWindows(u);
        windowsUsed = false;
      } else if (u.memWindowBase !== b.sessionWindow) b.prepareWindows(u); // a session open spent the window
    }

    function exit(): null {
      b.releaseWindows(u);
      // Its direct serving ends with the thread: the next worker to start takes it on.
      if (direct) b.directServed = false;
      return null;
    }

    /** Workers above the minimum time out when idle; the others wait forever (fast path). */
    function idleTimeout(): number {
      return b.workers > b.minWorkers ? b.workerTimeout : FOREVER;
    }

    function waitNext(): Syscall {
      phase = Phase.Recv;
      b.idleWorkers++;
      prepareWindows();
      return sys.recv(b.ep, idleTimeout());
    }

    /** Work left after an answer: deferred answers to send, queued requests, else wait. */
    function afterWork(): Syscall | null {
      const c = b.takeCompletion();
      if (c !== undefined) {
        if (c.rpc.replySlot === 0) {
          b.finish(c.rpc);
          b.cleanup(c.rpc);
          return afterWork();
        }
        return sendSaved(c.rpc, c.value);
      }
      // Workers started while others were lent to outgoing calls go once those are back.
      if (b.overSoftMax()) {
        b.workers--;
        return exit();
      }
      const p = b.takePending();
      if (p !== null) return run(p, false);
      if (b.finishing) {
        b.workers--;
        return exit();
      }
      return waitNext();
    }

    /** Answer through the saved reply cap (queued requests, generator handlers, completions). */
    function sendSaved(r: Rpc, value: unknown): Syscall | null {
      const session = r.session;
      if (session !== null) {
        session.deliver(r, value);
        return afterWork();
      }
      if (r.replySlot === 0) {
        b.finish(r);
        b.cleanup(r);
        return afterWork();
      }
      const t = b.encodeAnswer(r, value, u);
      b.finish(r);
      answered = r;
      phase = Phase.Sent;
      return sys.send(r.replySlot, t.label, t.words, t.caps, t.items);
    }

    /** Answer a live request through the implicit reply cap. */
    function replyLive(r: Rpc | null, label: number, words: number, caps: number, items: number): Syscall {
      if (r !== null) b.finish(r);
      // Received caps, granted caps and unsent entries are cleaned up right after the
      // reply: with replyRecv that would wait for the next request, holding them while
      // idle, and by then a granted cap's slot may hold another cap (a saved reply cap).
      const cleanup = r !== null && r.needsCleanup;
      answered = cleanup ? r : null;
      if (cleanup || b.completions.length !== 0 || b.pending.length !== 0 || b.finishing) {
        phase = Phase.Replied;
        return sys.reply(label, words, caps, items);
      }
      phase = Phase.Recv;
      b.idleWorkers++;
      prepareWindows();
      return sys.replyRecv(b.ep, label, words, caps, items, idleTimeout());
    }

    /** Run an accepted RPC; `live` when the worker holds its implicit reply cap. */
    function run(r: Rpc, live: boolean): Syscall | null {
      // Paused or ended levels are rare: the full check only when some level is.
      if (live && (b.inh.state !== SERVING || pausedLevels.count !== 0) && b.blocked(r)) {
        r.replySlot = save();
        // No slot for the reply cap (the server's cap space is full): ENOMEM now.
        if (r.replySlot === 0 && sys.hasCaller) return replyLive(b.refuse(r), ERRNO.ENOMEM, 0, 0, 0);
        b.enqueue(r);
        return afterWork();
      }
      const res = b.serve(r, sys);
      // The usual answer: nothing (an empty reply) or a reply object, at once. (Had a
      // handler moved the reply cap away, the reply part of replyRecv sends nothing.)
      if (res === undefined) {
        if (live && r.method.replyCodec.empty) {
          const blind = r.object.cls.blindOf(r.method.op);
          const next = replyLive(r, 0, 0, 0, 0);
          if (blind) b.recycle(r);
          return next;
        }
        return answer(r, res, live);
      }
      if (res === DEFERRED_ANSWER || isGen(res)) return later(r, res, live);
      return answer(r, res, live);
    }

    /**
     * What run() does once the handler returned, for a request the null lane took whose
     * handler answered something other than an empty reply at once.
     */
    function served(r: Rpc, res: unknown): Syscall | null {
      const v = res === undefined ? res : b.settle(r, res);
      if (v === DEFERRED_ANSWER || (v !== undefined && isGen(v))) return later(r, v, true);
      return answer(r, v, true);
    }

    /** The handler deferred its answer, or is a generator to run. */
    function later(r: Rpc, res: unknown, live: boolean): Syscall | null {
      if (res === DEFERRED_ANSWER) {
        // Answered before the handler returned: kept for us to send, or (a queued request
        // with a saved reply cap) already queued as a completion.
        if (r.answered) return r.replySlot === 0 ? answer(r, r.earlyAnswer, live) : afterWork();
        if (live) r.replySlot = save();
        if (r.replySlot === 0) {
          if (sys.hasCaller) return giveUp(r);
          // One-way: nothing will be answered.
          b.finish(r);
          b.cleanup(r);
        }
        return afterWork();
      }
      const g = res as Generator<unknown, unknown, number>;
      // Its nested calls swap the windows (and put them back): prepare them again after.
      windowsUsed = true;
      if (live) r.replySlot = save();
      if (r.replySlot === 0 && live && sys.hasCaller) {
        void g.return(undefined);
        return giveUp(r);
      }
      rpc = r;
      gen = g;
      phase = Phase.Gen;
      return stepGen(OK);
    }

    function answer(r: Rpc, value: unknown, live: boolean): Syscall | null {
      if (!live) return sendSaved(r, value);
      if (!sys.hasCaller) {
        // A one-way request: no answer goes back.
        b.finish(r);
        b.cleanup(r);
        return afterWork();
      }
      const t = b.encodeAnswer(r, value, u);
      return replyLive(r, t.label, t.words, t.caps, t.items);
    }

    /** Move the implicit reply cap to a fresh slot so the answer can come later (0: no slot free). */
    function save(): number {
      if (!sys.hasCaller) return 0;
      const slot = b.tryAllocSlot();
      if (slot === 0) return 0;
      return sys.saveCaller(slot) === OK ? slot : 0;
    }

    /**
     * A running handler must answer later but the reply cap cannot be kept (the server's
     * cap space is full): the call answers ENOMEM now, its signal aborts, and the
     * handler's later answer is ignored (its Deferred.reply returns false).
     */
    function giveUp(r: Rpc): Syscall {
      r.answered = true;
      r.markCancelled();
      const t = b.encodeAnswer(r, NO_ROOM, u);
      return replyLive(r, t.label, t.words, t.caps, t.items);
    }

    function stepGen(status: number): Syscall | null {
      const g = gen!;
      const r = rpc!;
      let res: IteratorResult<unknown, unknown>;
      try {
        res = g.next(status);
      } catch (e) {
        gen = null;
        return sendSaved(r, handlerFailed(r, e));
      }
      if (res.done !== true) {
        if (isToken(res.value)) {
          // A nested call (or send) may wait on a server that calls back into this
          // bucket: lend this worker's place so the callback finds a worker (item 9).
          const op = b.host.opOf(sys);
          if (op === OP_CALL || op === OP_SEND) {
            lent = true;
            b.lent++;
            if (b.pending.length !== 0) b.wantWorkers();
          }
          return res.value;
        }
        gen = null;
        void g.return(undefined);
        return sendSaved(r, handlerFailed(r, new TypeError('handler yielded a value that is not a syscall')));
      }
      gen = null;
      return sendSaved(r, res.value);
    }

    function received(status: number): Syscall | null {
      if (status !== OK) return receiveFailed(status);
      if (u.capCount !== 0) windowsUsed = true;
      if (u.badge === 0) return afterWork(); // a kick: queued work is waiting
      const live = sys.hasCaller;
      if (u.label === SESSION_OPEN_LABEL && b.sessions !== null && live) {
        windowsUsed = true; // the offer's caps are the session's now
        const t = openSession(b, sys);
        return replyLive(null, t.label, t.words, t.caps, t.items);
      }
      const a = b.accept(u, live);
      if (a === null) return afterWork();
      if (typeof a === 'number') return live ? replyLive(null, a, 0, 0, 0) : afterWork();
      return run(a, true);
    }

    /** The receive failed: timed out, interrupted, or the endpoint is dead. */
    function receiveFailed(status: number): Syscall | null {
      if (status === TIMEOUT) {
        // Work queued while the timeout fired (its kick may find nobody waiting): take it.
        if (b.pending.length !== 0 || b.completions.length !== 0) return afterWork();
        return b.retire() ? exit() : waitNext();
      }
      // A notification, or suspended and resumed while receiving (Decision 5): again.
      if (status === NOTIFICATION || (status & CODE_MASK) === CANCELLED) return waitNext();
      // The endpoint is dead: the bucket ended.
      b.workers--;
      return exit();
    }

    // Named, so that profiles and traces show it.
    const workerStep = (status: number): Syscall | null => {
      if (answered !== null) {
        const r = answered;
        answered = null;
        if (r.needsCleanup) b.cleanup(r);
      }
      switch (phase) {
        case Phase.Recv: {
          b.idleWorkers--;
          b.housekeep();
          // The null lane: a call of the header alone, to a method without arguments,
          // accepted and served by the general way's steps written out here. Split into
          // received, accept, run, serve and replyLive, the same work costs calls V8
          // will not inline (docs/libcap.md, "The null lane"). The lane takes only a
          // request the general way would serve at once; what it leaves goes there
          // untouched, and what the handler answers other than an empty reply goes on
          // in served(). test/libcap/lane.test.ts runs scenarios both ways.
          if (status === OK && u.capCount === 0 && u.length === HEADER && u.itemCount === 0 && b.lane) {
            const badge = u.badge;
            const label = u.label | 0;
            const e = badge === 0 || label === CANCEL_LABEL || label === SESSION_OPEN_LABEL ? undefined : b.lookup(badge);
            if (e !== undefined && sys.hasCaller) {
              const obj = e.object;
              // A two-way method without arguments, with a handler (CapClass.lanes, read
              // through the entry's copy of the class's table).
              const lanes = e.lanes;
              const lop = label < lanes.length ? lanes[label] : undefined;
              const c = e.client;
              const inflight = c.inflight;
              if (
                lop !== undefined &&
                inflight.size === 0 &&
                c.tombstones.size === 0 &&
                (lop.rpcs >= 0 ? lop.rpcs : c.limits.rpcs) > 0 &&
                b.inh.state === SERVING &&
                pausedLevels.count === 0 &&
                obj.alive
              ) {
                // Accept (acceptRequest) and serve (Bucket.serve).
                const h = lop.handler;
                b.laneServed++;
                obj.refs++;
                let r: Rpc;
                let res: unknown;
                if (lop.blind) {
                  // A handler that never sees its context runs without one. It is made
                  // when something looks at the client's RPCs in flight while the handler
                  // runs (InflightList.lazy: stats, usage, an inhibition counting or
                  // cancelling, a revoke dropping the client), or after the handler when
                  // its answer needs one. Nothing else can see it is missing: the worker
                  // serves nothing else until the handler returns.
                  laneEntry = e;
                  inflight.lazy = laneContext;
                  let failed = false;
                  let thrown: unknown;
                  try {
                    res = h(undefined as never, NO_ARGS);
                  } catch (err) {
                    failed = true;
                    thrown = err;
                  }
                  if (inflight.lazy !== null) {
                    inflight.lazy = null;
                    laneEntry = null;
                    if (!failed && res === undefined && lop.emptyReply && !c.dead && c.count !== 0) {
                      // Answered at once with nothing, and nobody looked: no context at all.
                      b.served++;
                      obj.unref();
                      return replyLive(null, 0, 0, 0, 0);
                    }
                    r = enter(e, lop.method);
                  } else {
                    r = laneRpc!;
                    laneRpc = null;
                  }
                  if (failed) res = handlerFailed(r, thrown);
                } else {
                  r = enter(e, lop.method);
                  try {
                    res = h(r, NO_ARGS);
                  } catch (err) {
                    res = handlerFailed(r, err);
                  }
                }
                if (res !== undefined || !lop.emptyReply) return served(r, res);
                // Finish (Bucket.finish) as it goes when nothing drains and the client stays.
                // (Still running means never deferred, so never counted in `deferred`.)
                if (r.state === RUNNING && drainingLevels.count === 0 && !c.dead && c.count !== 0) {
                  r.state = DONE;
                  b.served++;
                  inflight.remove(r);
                  e.rpcs--;
                  obj.unref();
                } else b.finish(r);
                // A handler that never saw its context kept nothing of it (Bucket.recycle).
                if (lop.blind && r.reusable) b.spare = r;
                // Answer (replyLive).
                if (r.needsCleanup) {
                  answered = r;
                  phase = Phase.Replied;
                  return sys.reply(0, 0, 0, 0);
                }
                return replyLive(null, 0, 0, 0, 0);
              }
            }
          }
          return received(status);
        }
        case Phase.Gen:
          if (lent) {
            lent = false;
            b.lent--;
          }
          return stepGen(status);
        case Phase.Start:
          b.starting--;
          direct = b.serveDirectly(sys);
          return afterWork();
        case Phase.Sent:
        case Phase.Replied:
        default:
          return afterWork();
      }
    };
    return workerStep;
  };
}

function isGen(x: unknown): x is Generator<unknown, unknown, number> {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { next?: unknown }).next === 'function' &&
    typeof (x as { throw?: unknown }).throw === 'function' &&
    !(x instanceof RpcFailure)
  );
}
