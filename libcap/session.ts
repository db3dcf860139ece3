// The client's side of sessions (session-server.ts has the server's): RPCs on a cap
// through shared memory, the kernel taking part only when a side sleeps. A session is
// opened on a cap by one kernel call and serves the methods that carry no caps either
// way; `sessionStub` gives the same stub as `stub()`, sending those through the session
// and everything else (caps, one-way methods, an AbortSignal, a request too big for a
// slot, a closed session) through the kernel, on the same cap. Both paths reach the same
// object as the same client, with the same validation, inhibition, limits and errors.
//
// What differs from the kernel path: a session's timeout covers the whole call (the
// kernel path's covers each phase); a call that times out is cancelled at the server
// through the kernel, as there; a dead server answers EPIPE within
// DEFAULT_CHANNEL_CHECK_MS (a kernel call learns it at once). Close a session with
// `close()`; the server closes its side when it learns (its thread checks as often).

import { CAP_SELF, NEVER, Status, Utcb, type Sys, type SysGen } from '../core/index.ts';
import { ChannelClient, ChannelStatus, consumerOf, expectOffer, offerSlots, prepareOffer, type RingGeometry } from '../libmem/index.ts';
import { invoke, kernelErrno, marshal, marshalled, nextSequence, NO_OPTIONS, replyResult, type CallOptions, type RpcResult, type ThreadClient } from './client.ts';
import { errnoName, type ErrnoName } from './errno.ts';
import { HEADER_WORDS, LABEL_CANCEL, type Interface, type MethodDef, type MethodSpecs } from './interface.ts';
import { isIsolatedSys } from './isolated-host.ts';
import { DEFAULT_SESSION_SPINS, DEFAULT_SESSION_WINDOW, SESSION_CLOSED, SESSION_OPEN, takeTaskWindow, giveTaskWindow } from './session-server.ts';
import { readMessage, writeMessage } from './session-wire.ts';

/** Default request ring: 4 slots of 4 KiB (a request with a few short strings fits). */
export const DEFAULT_SESSION_REQUESTS: RingGeometry = { slots: 4, slotSize: 4096 };

export interface SessionOpenOptions {
  /** The request ring (default DEFAULT_SESSION_REQUESTS; the server refuses one over its window). */
  readonly requests?: RingGeometry;
  /** Bound on the open call (ms; default forever). */
  readonly timeout?: number;
  /** Re-checks of the answer ring before the caller sleeps (default 20000 in an isolated task, else 0). */
  readonly spins?: number;
}

/** An open session on a cap. */
export class Session {
  /** True once closed here, or once the server's ring was found gone (EPIPE). */
  closed = false;
  /** @internal Scratch UTCBs and bytes of requests and answers. */
  readonly req = new Utcb();
  readonly ans = new Utcb();
  readonly reqBytes: Uint8Array;
  readonly reqView: DataView;
  readonly ansBytes: Uint8Array;
  readonly ansView: DataView;

  constructor(
    /** The cap the session was opened on (the kernel path of its stub). */
    readonly cap: number,
    /** @internal The two rings. */
    readonly channel: ChannelClient,
    private readonly held: { readonly slots: readonly number[]; readonly views: readonly number[]; readonly window: number; readonly task: number },
  ) {
    this.reqBytes = new Uint8Array(channel.maxRequest);
    this.reqView = new DataView(this.reqBytes.buffer);
    this.ansBytes = new Uint8Array(channel.answers.maxMessage);
    this.ansView = new DataView(this.ansBytes.buffer);
  }

  /**
   * Close the session: the server's ring is unmapped, ours deleted (the server learns it
   * at its next check and gives the client's `sessions` back). Later calls of its stub
   * go through the kernel.
   */
  close(sys: Sys): void {
    if (this.closed) return;
    this.closed = true;
    for (const v of this.held.views) sys.unmap(v);
    for (const s of this.held.slots) if (sys.identify(s) !== null) sys.delete(s);
    giveTaskWindow(this.held.task, this.held.window, DEFAULT_SESSION_WINDOW);
  }
}

/**
 * Open a session on `cap` (Call and Grant rights: the offer's caps are granted) from a
 * kernel thread. Answers the session, or the errno: the server's (ENOSYS: it serves no
 * sessions; EAGAIN: the client's `sessions` limit; EINVAL; ENOMEM; EBADF) or the
 * kernel's (EBADF, EPIPE, ETIMEDOUT), or ENOMEM when this task has no memory or slots for
 * its ring.
 */
export function* openSession(sys: Sys, cap: number, opts: SessionOpenOptions = {}): SysGen<Session | RpcResult<never>> {
  const fail = (error: ErrnoName, message: string): RpcResult<never> => ({ ok: false, error, message: `session open: ${message}` });
  const task = sys.identify(CAP_SELF)?.object ?? 0;
  const slots = offerSlots(sys) ?? { dataspace: 0, data: 0, space: 0 };
  const recv: [number, number] = [sys.reserveSlot(), sys.reserveSlot()];
  const window = takeTaskWindow(task, DEFAULT_SESSION_WINDOW);
  const own = [slots.dataspace, slots.data, slots.space];
  const undo = (views: readonly number[]): void => {
    for (const v of views) sys.unmap(v);
    for (const s of [...own, ...recv]) if (s !== 0 && sys.identify(s) !== null) sys.delete(s);
    for (const s of recv) sys.unreserveSlot(s);
    giveTaskWindow(task, window, DEFAULT_SESSION_WINDOW);
  };
  if (own.includes(0) || recv.includes(0)) {
    undo([]);
    return fail('ENOMEM', 'no free cap slots');
  }
  const p = prepareOffer(sys, opts.requests ?? DEFAULT_SESSION_REQUESTS, slots);
  if (typeof p === 'number') {
    undo([]);
    return fail((p & 0x3f) === Status.NotEnoughMemory ? 'ENOMEM' : kernelErrno(p), 'cannot make the request ring');
  }
  const u = sys.utcb;
  // The caller's receive windows (a server worker's, when a handler opens a session) go back after.
  const saved = [u.recvSlots[0]!, u.recvSlots[1]!, u.memWindowBase, u.memWindowSize] as const;
  expectOffer(sys, { base: window, size: DEFAULT_SESSION_WINDOW }, recv);
  const timeout = opts.timeout ?? NEVER;
  const st: number = yield sys.call(cap, SESSION_OPEN, 2, 2, 3, timeout, timeout);
  const landed = [u.mapsIn[0], u.mapsIn[1], u.mapsIn[2]].filter((v) => v !== null && v !== undefined).map((v) => v!.vaddr);
  u.recvSlots[0] = saved[0];
  u.recvSlots[1] = saved[1];
  u.setMemWindow(saved[2], saved[3]);
  if (st !== Status.Ok || u.label !== SESSION_OPEN) {
    const error = st !== Status.Ok ? kernelErrno(st) : (errnoName(u.label) ?? 'EIO');
    undo(st === Status.Ok ? landed : []);
    return fail(error, st !== Status.Ok ? `kernel status ${st}` : 'refused by the server');
  }
  const c = consumerOf(sys, recv);
  for (const s of recv) sys.unreserveSlot(s);
  if (typeof c === 'number') {
    undo(landed);
    return fail('EPROTO', 'the server answered an incomplete offer');
  }
  const ch = new ChannelClient(p, c);
  ch.spins = opts.spins ?? (isIsolatedSys(sys) ? DEFAULT_SESSION_SPINS : 0);
  return new Session(cap, ch, { slots: [...own, ...recv], views: landed, window, task });
}

/** True for a session opened, false for an errno answered by openSession. */
export function isSession(x: Session | RpcResult<never>): x is Session {
  return x instanceof Session;
}

/** Whether `m` can go through a session: it carries no caps either way and is answered. */
function sessionable(m: MethodDef): boolean {
  return !m.oneway && m.argsCodec.maxCaps === 0 && m.replyCodec.maxCaps === 0;
}

/**
 * A stub for code in a kernel thread, as `stub(iface, sys, session.cap)`, that sends the
 * methods it can through the session (see the top of this file for which).
 */
export function sessionStub<M extends MethodSpecs>(iface: Interface<M>, sys: Sys, s: Session): ThreadClient<M> {
  const out: Record<string, unknown> = {};
  for (const m of iface.list) {
    out[m.name] = sessionable(m)
      ? (args?: unknown, opts?: CallOptions) => sessionCall(sys, s, m, args, opts)
      : (args?: unknown, opts?: CallOptions) => invoke(sys, s.cap, m, args, opts);
  }
  return out as ThreadClient<M>;
}

/** One call through the session, or through the kernel when it cannot go there. */
function* sessionCall(sys: Sys, s: Session, m: MethodDef, args: unknown, opts: CallOptions = NO_OPTIONS): SysGen<RpcResult<unknown>> {
  if (s.closed || opts.signal !== undefined) return yield* invoke(sys, s.cap, m, args, opts);
  const u = s.req;
  const key = sys.threadId;
  const seq = nextSequence();
  const bad = marshal(u, m, args, key, seq);
  if (bad !== null) return bad;
  const n = writeMessage(s.reqBytes, s.reqView, m.op, u, marshalled.w, marshalled.i);
  if (n < 0) return yield* invoke(sys, s.cap, m, args, opts); // too big for a slot
  const st: number = yield* s.channel.call(sys, s.reqBytes, s.ansBytes, opts.timeout ?? NEVER, n);
  switch (st) {
    case ChannelStatus.Ok:
      if (!readMessage(s.ansBytes, s.ansView, s.channel.length, s.ans)) return { ok: false, error: 'EPROTO', message: `${m.fullName}: malformed answer` };
      if (s.ans.label === SESSION_CLOSED) {
        s.close(sys); // the cap was revoked: the server closed its side
        return { ok: false, error: 'EBADF', message: `${m.fullName}: the cap was revoked` };
      }
      return replyResult(s.ans, m, null, null);
    case ChannelStatus.TimedOut: {
      // As the kernel path: tell the server, so that it stops serving a caller that is gone.
      const k = sys.utcb;
      k.mr[0] = key;
      k.mr[1] = seq;
      k.grantMask = 0;
      yield sys.send(s.cap, LABEL_CANCEL, HEADER_WORDS, 0, 0, opts.timeout ?? NEVER);
      return { ok: false, error: 'ETIMEDOUT', message: `${m.fullName}: timed out` };
    }
    case ChannelStatus.PeerGone:
      s.close(sys);
      return { ok: false, error: 'EPIPE', message: `${m.fullName}: the server's session is gone` };
    case ChannelStatus.Failed:
      return { ok: false, error: 'EIO', message: `${m.fullName}: the session's wait failed` };
    default:
      return { ok: false, error: 'EPROTO', message: `${m.fullName}: the server broke the session's ring` };
  }
}
