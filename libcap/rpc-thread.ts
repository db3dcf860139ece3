// Client stubs for continuation threads (stackless, as a bucket's workers are): each
// method marshals, returns the call's syscall, and hands the result to a callback that
// answers the thread's next syscall. The same calls as the generator stubs of client.ts
// (one call object, reused for every call of the thread), without a generator to resume.

import { NEVER, Status, type Continuation, type Sys, type Syscall, type ThreadBody } from '../core/index.ts';
import { marshal, marshalled, nextSequence, NO_OPTIONS, OK_EMPTY, resultOf, RpcCall, type CallOptions, type RpcResult } from './client.ts';
import type { ArgsOf, Interface, MethodDef, MethodSpecs, ReplyOf } from './interface.ts';

/** What a continuation call goes on with: its result in, the thread's next syscall out (null: the thread exits). */
export type Then<R> = (result: RpcResult<R>) => Syscall | null;

type ThenCallable<A, R> = keyof A extends never
  ? (args: A | undefined, then: Then<R>, opts?: CallOptions) => Syscall | null
  : (args: A, then: Then<R>, opts?: CallOptions) => Syscall | null;

/** A continuation client: `return fs.stat({ path }, (r) => ...)` from a continuation. */
export type ContClient<M extends MethodSpecs> = {
  readonly [K in keyof M]: ThenCallable<ArgsOf<M[K]>, ReplyOf<M[K]>>;
};

const OK = Status.Ok;
const FOREVER = NEVER;
/**
 * Calls answered at once (refused before they were sent: bad arguments, a signal
 * already aborted) nested in one another's callbacks before the next such answer waits
 * for a yield: a loop of refused calls runs in bounded stack.
 */
const MAX_NESTED = 16;

/**
 * The RPC side of one continuation thread: stubs to call through, and the thread's
 * continuation, which passes each status to the call that is out or, when none is, to
 * the thread's own continuation. A thread makes one call at a time (its callback may
 * make the next). Semantics are those of `stub` (client.ts): EINVAL for arguments the
 * interface rejects (nothing sent), the kernel's and the server's errors as values,
 * `timeout` answering ETIMEDOUT after telling the server, `signal` cancelling the call
 * (EINTR), reply caps landing in slots reserved for the call. As with a generator
 * thread, a thread killed while its call is out keeps the slots reserved for reply caps
 * and its abort listener until the signal (if any) goes.
 */
export class RpcThread {
  private readonly call: RpcCall;
  /** The callback of the call that is out, or null. */
  private then: Then<unknown> | null = null;
  /** An answer held over a yield (see MAX_NESTED). */
  private ready: RpcResult<unknown> | null = null;
  private nested = 0;
  /** The continuation of statuses that are not a call's (set by rpcThread). */
  private own: Continuation | null = null;
  /**
   * The method of a plain call that is out (no options, no reply caps, answered): made
   * here without the call object, as it needs none of its states (no timeout, no signal
   * to listen to, no receive windows to swap).
   */
  private plain: MethodDef | null = null;

  constructor(readonly sys: Sys) {
    this.call = new RpcCall(sys, 0, null as unknown as MethodDef, undefined, NO_OPTIONS, undefined);
  }

  /** The thread's continuation: each status to the call that is out, else to `own`. */
  readonly step: Continuation = (status: number): Syscall | null => {
    const then = this.then;
    if (then === null) {
      const own = this.own;
      if (own === null) throw new Error('RpcThread: a status came with no call out and no continuation of the thread');
      return own(status);
    }
    const m = this.plain;
    if (m !== null) {
      this.plain = null;
      this.then = null;
      // An empty answer to a method answering nothing is the shared result: checked here
      // so that resultOf stays out of line where it is not needed (V8's inlining budget).
      const sys = this.sys;
      return then(status === OK && m.replyCodec.empty && sys.utcb.label === 0 ? OK_EMPTY : resultOf(sys, m, status, null));
    }
    const ready = this.ready;
    if (ready !== null) {
      this.ready = null;
      this.then = null;
      return then(ready);
    }
    const r = this.call.next(status);
    if (r.done !== true) return r.value as Syscall;
    this.then = null;
    return then(r.value as RpcResult<unknown>);
  };

  /**
   * Call method `m` through `cap` (a slot of this thread's task); `then` gets the result
   * and answers the thread's next syscall. Return what this returns from the thread's
   * continuation. Throws (a bug) if a call is already out.
   */
  invoke(cap: number, m: MethodDef, args: unknown, then: Then<unknown>, opts: CallOptions = NO_OPTIONS): Syscall | null {
    // The plain call, kept small so that V8 inlines it into the caller's continuation;
    // everything else goes on in invokeCall.
    if (this.then === null && opts === NO_OPTIONS && m.replyCodec.maxCaps === 0 && !m.oneway) {
      const sys = this.sys;
      const bad = marshal(sys.utcb, m, args, sys.threadId, nextSequence());
      if (bad === null) {
        this.then = then;
        this.plain = m;
        const cur = marshalled;
        return sys.call(cap, m.op, cur.w, cur.c, cur.i, FOREVER, FOREVER);
      }
      return this.answerNow(bad, then);
    }
    return this.invokeCall(cap, m, args, then, opts);
  }

  /** invoke's other cases: a call already out (a bug), options, reply caps, one-way. */
  private invokeCall(cap: number, m: MethodDef, args: unknown, then: Then<unknown>, opts: CallOptions): Syscall | null {
    if (this.then !== null) throw new Error(`${m.fullName}: the thread already has a call out`);
    const c = this.call;
    c.reset(cap, m, args, opts);
    const r = c.next(OK);
    if (r.done !== true) {
      this.then = then;
      return r.value as Syscall;
    }
    // Answered at once (nothing was sent).
    return this.answerNow(r.value as RpcResult<unknown>, then);
  }

  /** A call answered before it was sent: `then` now, or after a yield when nested deep. */
  private answerNow(result: RpcResult<unknown>, then: Then<unknown>): Syscall | null {
    if (this.nested >= MAX_NESTED) {
      this.then = then;
      this.ready = result;
      return this.sys.yield();
    }
    this.nested++;
    try {
      return then(result);
    } finally {
      this.nested--;
    }
  }

  /** A client of `iface` through `cap`: each method is `(args, then, opts?) => syscall`. */
  stub<M extends MethodSpecs>(iface: Interface<M>, cap: number): ContClient<M> {
    const out: Record<string, unknown> = {};
    for (const m of iface.list) {
      out[m.name] = (args: unknown, then: Then<unknown>, opts?: CallOptions) => this.invoke(cap, m, args, then, opts);
    }
    return out as ContClient<M>;
  }

  /** @internal Set the thread's own continuation (rpcThread does). */
  setOwn(own: Continuation): void {
    this.own = own;
  }
}

/**
 * A continuation thread body that makes RPCs: `body` gets the thread's RpcThread (its
 * `sys`, its stubs) and returns the thread's own continuation, which gets the first
 * status (Ok) and the status of every syscall that is not a stub's call.
 *
 *     k.spawn(task, rpcThread((t) => {
 *       const fs = t.stub(Fs, cap);
 *       return () => fs.stat({ path: '/' }, (r) => { ...; return null; });
 *     }));
 */
export function rpcThread(body: (t: RpcThread) => Continuation): ThreadBody {
  return (sys: Sys): Continuation => {
    const t = new RpcThread(sys);
    t.setOwn(body(t));
    return t.step;
  };
}
