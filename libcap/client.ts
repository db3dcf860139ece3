// Client stubs derived from an interface declaration. Two forms over one marshalling
// path: `stub(iface, sys, cap)` for code running in a kernel thread (each method returns
// an iterator to `yield*`, answering a result value), and `connect(iface, kernel, task,
// cap)` for host code (each method is an async function resolving to the reply or
// rejecting with an RpcError; `.attempt` gives result values instead). Cancellation: an
// AbortSignal in the options sends a cancel naming the call; the call answers EINTR. A
// call that times out waiting for its reply sends one too, then answers ETIMEDOUT.

import {
  NEVER,
  RECV_PHASE,
  Status,
  statusName,
  type Kernel,
  type Sys,
  type Syscall,
  type SysGen,
  type Task,
  type Utcb,
} from '../core/index.ts';
import { ERRNO, errnoMessage, errnoName, type ErrnoName } from './errno.ts';
import { callFromHost } from './host-caller.ts';
import { NO_FIELDS } from './codec.ts';
import {
  HEADER_WORDS,
  LABEL_CANCEL,
  type ArgsOf,
  type Interface,
  type MethodDef,
  type MethodSpecs,
  type ReplyOf,
} from './interface.ts';

// Bound locally: read on every call (V8 does not constant-fold imported bindings).
const HEADER = HEADER_WORDS;
const OK = Status.Ok;
const FOREVER = NEVER;
const RECV_TIMEOUT = Status.Timeout | RECV_PHASE;

/** A result value: the reply, or the error the server (or kernel) answered. */
export type RpcResult<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: ErrnoName; readonly message: string };

export interface CallOptions {
  /** Give up after this many ms (send and receive phases each): ETIMEDOUT. */
  readonly timeout?: number;
  /** Cancel the call: the server is told, and the call answers EINTR. */
  readonly signal?: AbortSignal;
}

/** An error as Node reports them: `code`, negative `errno`, and the method as `syscall`. */
export class RpcError extends Error {
  readonly errno: number;
  constructor(
    readonly code: ErrnoName,
    readonly syscall: string,
    detail = '',
  ) {
    super(`${code}: ${errnoMessage(code)}, ${syscall}${detail === '' ? '' : ` (${detail})`}`);
    this.name = 'RpcError';
    this.errno = -ERRNO[code];
  }
}

type Callable<A, R> = keyof A extends never ? (args?: A, opts?: CallOptions) => R : (args: A, opts?: CallOptions) => R;

/** In-thread client: each method returns an iterator to `yield*`, answering an RpcResult. */
export type ThreadClient<M extends MethodSpecs> = {
  readonly [K in keyof M]: Callable<ArgsOf<M[K]>, SysGen<RpcResult<ReplyOf<M[K]>>>>;
};

/** Host client: each method is async; `attempt` holds the non-throwing forms. */
export type AsyncClient<M extends MethodSpecs> = {
  readonly [K in keyof M]: Callable<ArgsOf<M[K]>, Promise<ReplyOf<M[K]>>>;
} & {
  readonly attempt: { readonly [K in keyof M]: Callable<ArgsOf<M[K]>, Promise<RpcResult<ReplyOf<M[K]>>>> };
  /** The cap slot (in the client's task) this client calls. */
  readonly cap: number;
};

let sequence = 0;
/** @internal The next request sequence number (every stub of the process shares the count). */
export function nextSequence(): number {
  return (sequence = (sequence + 1) >>> 0);
}
/** @internal Restart the count at `n` (tests that compare two runs of one scenario). */
export function restartSequence(n: number): void {
  sequence = n >>> 0;
}
function noCaps(): number {
  return -1;
}
/** @internal The options of a call given none (shared, frozen). */
export const NO_OPTIONS: CallOptions = Object.freeze({});
/** The value of a one-way call's result (shared, frozen). */
const NO_REPLY: Record<string, never> = Object.freeze({});
// Encoding and decoding run to completion synchronously: one scratch cursor is enough.
const scratch = { w: 0, i: 0, c: 0 };
/** @internal The result of every call answered with an empty reply (shared, frozen: one allocation fewer per call). */
export const OK_EMPTY: RpcResult<unknown> = Object.freeze({ ok: true, value: NO_FIELDS });

/**
 * @internal Write a request into `u`: the header (cancel key, sequence) and the
 * arguments. Null when written (`marshalled` then holds its words, items and caps), else
 * the EINVAL result saying what is wrong with an argument (nothing is to be sent).
 */
export function marshal(u: Utcb, m: MethodDef, args: unknown, key: number, seq: number): RpcResult<never> | null {
  u.mr[0] = key;
  u.mr[1] = seq;
  u.grantMask = 0;
  const cur = scratch;
  cur.w = HEADER;
  cur.i = 0;
  cur.c = 0;
  // Nothing to write (extra fields are ignored, as encode does).
  return m.argsCodec.empty ? null : marshalArgs(u, m, args, cur);
}

/** marshal's arguments (apart, so that a call without them inlines less). */
function marshalArgs(u: Utcb, m: MethodDef, args: unknown, cur: typeof scratch): RpcResult<never> | null {
  const bad = m.argsCodec.encode(u, (args ?? NO_OPTIONS) as Record<string, unknown>, cur);
  return bad === null ? null : { ok: false, error: 'EINVAL', message: `${m.fullName}: ${bad}` };
}

/** @internal What the last marshal() wrote (valid until the next). */
export const marshalled: { readonly w: number; readonly i: number; readonly c: number } = scratch;

/**
 * @internal The result of call `m` that returned `st` (the reply in `sys`'s UTCB):
 * the kernel's or the server's error, EPROTO for a reply the interface does not allow
 * (its caps deleted), else the decoded reply. `got` holds the slots reserved for reply
 * caps, or null when the method answers none.
 */
export function resultOf(sys: Sys, m: MethodDef, st: number, got: number[] | null): RpcResult<unknown> {
  if (st !== OK) return { ok: false, error: kernelErrno(st), message: `${m.fullName}: kernel ${statusName(st)}` };
  return replyResult(sys.utcb, m, sys, got);
}

/**
 * @internal The result of the answer to `m` in `u` (the errno it carries, EPROTO for a
 * reply the interface does not allow, else the decoded reply). `got` as for resultOf;
 * `sys` checks the reply caps that landed there (unused when `got` is null).
 */
export function replyResult(u: Utcb, m: MethodDef, sys: Sys | null, got: number[] | null): RpcResult<unknown> {
  if (m.oneway) return { ok: true, value: NO_REPLY };
  if (u.label !== 0) {
    const name = errnoName(u.label) ?? 'EIO';
    return { ok: false, error: name, message: m.fullName };
  }
  // An empty reply decodes to the shared frozen value whatever came: its result is shared too.
  if (m.replyCodec.empty) return OK_EMPTY;
  return decodeReply(u, sys, m, got);
}

/**
 * The reply in `sys`'s UTCB decoded (resultOf's last step). Apart, so that its closure
 * for caps does not make every call allocate a context.
 */
function decodeReply(u: Utcb, sys: Sys | null, m: MethodDef, got: number[] | null): RpcResult<unknown> {
  const cur = scratch;
  cur.w = 0;
  cur.i = 0;
  cur.c = 0;
  const value = m.replyCodec.decode(u, cur, got === null || sys === null ? noCaps : (i) => {
    const slot = got[i]!;
    return sys.identify(slot) === null ? -1 : slot;
  });
  if (typeof value === 'string') {
    // The server answered something that does not match the interface: drop its caps.
    if (got !== null && sys !== null) for (const s of got) if (sys.identify(s) !== null) sys.delete(s);
    return { ok: false, error: 'EPROTO', message: `${m.fullName}: bad reply: ${value}` };
  }
  // An empty reply decodes to the shared frozen value: its result is shared too.
  return value === NO_FIELDS ? OK_EMPTY : { ok: true, value };
}

/** The kernel status of a failed IPC, as the errno a client sees. */
export function kernelErrno(status: number): ErrnoName {
  switch (status & 0x3f) {
    case Status.InvalidCapability:
    case Status.RangeError:
      return 'EBADF';
    case Status.DeadPartner:
      return 'EPIPE';
    case Status.Aborted:
      return 'ECONNABORTED';
    case Status.Timeout:
      return 'ETIMEDOUT';
    case Status.Cancelled:
      return 'EINTR';
    case Status.InvalidArgument:
      return 'EINVAL';
    default:
      return 'EIO';
  }
}

/** Which call a cancel names: the calling thread and the call's sequence number. */
export interface CallId {
  key: number;
  seq: number;
}

/**
 * Perform one RPC from a kernel thread: marshal, call (or send, for one-way methods),
 * unmarshal. Reply caps land in slots reserved for the call. `onStart` learns the call's
 * id before it blocks (for cancellation). Use it as `const r = yield* invoke(...)`.
 */
export function invoke(
  sys: Sys,
  cap: number,
  m: MethodDef,
  args: unknown,
  opts: CallOptions = NO_OPTIONS,
  onStart?: (id: CallId) => void,
): SysGen<RpcResult<unknown>> {
  return new RpcCall(sys, cap, m, args, opts, onStart);
}

const FRESH = 0;
const IN_CALL = 1;
const OVER = 2;
/** Timed out: the thread sends the cancel itself before the call answers ETIMEDOUT. */
const CANCELLING = 3;

/**
 * One RPC as an iterator a thread delegates to with `yield*`: the first step marshals
 * and yields the call's syscall, the second unmarshals its answer. A hand-written
 * iterator rather than a generator: no generator object, frame or resume per call. It
 * behaves as a generator would with the cleanup in a `finally`: a thread torn down
 * while blocked in the call (return or throw) restores its receive windows and drops
 * its abort listener. @internal (exported for rpc-thread.ts)
 */
export class RpcCall implements SysGen<RpcResult<unknown>> {
  private phase = FRESH;
  /** The caller's own receive windows (a server worker's, for a nested call), put back after. */
  private saved: number[] | null = null;
  private landed: number[] | null = null;
  private signal: AbortSignal | undefined = undefined;
  private cancel: (() => void) | null = null;
  /** The call's cancel key and sequence (a timed-out call is cancelled at the server). */
  private key = 0;
  private seq = 0;
  /**
   * The iterator result is this object itself (value and done), reused for both steps:
   * yield* reads it at once and passes it on to the kernel, which reads it at once too.
   * Two result objects fewer per call.
   */
  value: unknown = undefined;
  done = false;

  constructor(
    private readonly sys: Sys,
    private cap: number,
    private m: MethodDef,
    private args: unknown,
    private opts: CallOptions,
    private onStart: ((id: CallId) => void) | undefined,
  ) {}

  /**
   * @internal Make this (finished or fresh) call a new one of the same thread: a
   * continuation thread reuses one call object for every call it makes (rpc-thread.ts).
   */
  reset(cap: number, m: MethodDef, args: unknown, opts: CallOptions): void {
    this.phase = FRESH;
    this.cap = cap;
    this.m = m;
    this.args = args;
    this.opts = opts;
    this.onStart = undefined;
    this.saved = null;
    this.landed = null;
    this.signal = undefined;
    this.cancel = null;
    this.value = undefined;
    this.done = false;
  }

  [Symbol.iterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return 'RpcCall';
  }

  next(status?: number): IteratorResult<Syscall, RpcResult<unknown>> {
    if (this.phase === FRESH) return this.start();
    if (this.phase === IN_CALL) {
      this.after();
      const st = status ?? OK;
      if (st === RECV_TIMEOUT && !this.m.oneway) {
        // Timed out waiting for the reply: the request reached the server, which would
        // otherwise keep serving (or waiting for) a caller that is gone. The thread
        // sends the cancel itself, so that it arrives before the thread's next call.
        this.phase = CANCELLING;
        const u = this.sys.utcb;
        u.mr[0] = this.key;
        u.mr[1] = this.seq;
        u.grantMask = 0;
        return this.yields(this.sys.send(this.cap, LABEL_CANCEL, HEADER, 0, 0, this.opts.timeout ?? FOREVER));
      }
      this.phase = OVER;
      return this.returns(this.answer(st));
    }
    if (this.phase === CANCELLING) {
      this.phase = OVER;
      return this.returns(this.answer(RECV_TIMEOUT));
    }
    return { value: undefined as never, done: true };
  }

  return(value: RpcResult<unknown>): IteratorResult<Syscall, RpcResult<unknown>> {
    if (this.phase === IN_CALL) this.after();
    this.phase = OVER;
    return { value, done: true };
  }

  throw(e: unknown): IteratorResult<Syscall, RpcResult<unknown>> {
    if (this.phase === IN_CALL) this.after();
    this.phase = OVER;
    throw e;
  }

  /** Yield `call`: this object is the iterator result (read at once by yield*, never kept). */
  private yields(call: Syscall): IteratorResult<Syscall, RpcResult<unknown>> {
    this.value = call;
    this.done = false;
    return this as IteratorResult<Syscall, RpcResult<unknown>>;
  }

  /** Return `r`: this object is the final iterator result. */
  private returns(r: RpcResult<unknown>): IteratorResult<Syscall, RpcResult<unknown>> {
    this.phase = OVER;
    this.value = r;
    this.done = true;
    return this as IteratorResult<Syscall, RpcResult<unknown>>;
  }

  /** Marshal the arguments and yield the call (or an immediate failure). */
  private start(): IteratorResult<Syscall, RpcResult<unknown>> {
    const { sys, m, opts } = this;
    const u = sys.utcb;
    const key = sys.threadId;
    const seq = nextSequence();
    this.key = key;
    this.seq = seq;
    const bad = marshal(u, m, this.args, key, seq);
    if (bad !== null) return this.returns(bad);
    const cur = marshalled;
    const words = cur.w;
    const caps = cur.c;
    const items = cur.i;
    const onStart = this.onStart;
    // In a kernel thread the caller is blocked in the call: another thread of its task
    // sends the cancel (hostInvoke does the same for host calls).
    const signal = onStart === undefined ? opts.signal : undefined;
    if (signal?.aborted === true) return this.returns({ ok: false, error: 'EINTR', message: `${m.fullName}: aborted` });
    const windows = m.replyCodec.maxCaps;
    if (windows !== 0) {
      this.saved = u.recvSlots.slice(0, windows);
      for (let i = 0; i < windows; i++) u.recvSlots[i] = sys.reserveSlot();
    }
    if (onStart !== undefined) onStart({ key, seq });
    if (signal !== undefined) {
      const cancel = cancelFor(sys, this.cap, key, seq);
      this.signal = signal;
      this.cancel = cancel;
      signal.addEventListener('abort', cancel, { once: true });
    }
    const timeout = opts.timeout ?? FOREVER;
    this.phase = IN_CALL;
    return this.yields(m.oneway ? sys.send(this.cap, m.op, words, caps, items, timeout) : sys.call(this.cap, m.op, words, caps, items, timeout, timeout));
  }

  /** The call returned (or the thread is torn down): listener off, windows back. */
  private after(): void {
    const cancel = this.cancel;
    if (cancel !== null) {
      this.cancel = null;
      this.signal!.removeEventListener('abort', cancel);
    }
    const saved = this.saved;
    if (saved !== null) {
      const sys = this.sys;
      const u = sys.utcb;
      const n = saved.length;
      const landed = u.recvSlots.slice(0, n);
      this.landed = landed;
      for (let i = 0; i < n; i++) {
        sys.unreserveSlot(landed[i]!);
        u.recvSlots[i] = saved[i]!;
      }
    }
  }

  /** Unmarshal the answer of a call that returned `st`. */
  private answer(st: number): RpcResult<unknown> {
    return resultOf(this.sys, this.m, st, this.landed);
  }
}

/** A stub for code in a kernel thread: `const r = yield* fs.stat({ path })`. */
export function stub<M extends MethodSpecs>(iface: Interface<M>, sys: Sys, cap: number): ThreadClient<M> {
  const out: Record<string, unknown> = {};
  for (const m of iface.list) {
    out[m.name] = (args?: unknown, opts?: CallOptions) => invoke(sys, cap, m, args, opts);
  }
  return out as ThreadClient<M>;
}

/**
 * A client for host code: every call runs as a short-lived thread of `task` calling
 * through the cap in `cap` (a slot of `task`).
 */
export function connect<M extends MethodSpecs>(iface: Interface<M>, kernel: Kernel, task: Task, cap: number): AsyncClient<M> {
  const attempt: Record<string, unknown> = {};
  const out: Record<string, unknown> = { cap, attempt };
  for (const m of iface.list) {
    const tryCall = (args?: unknown, opts: CallOptions = {}): Promise<RpcResult<unknown>> =>
      hostInvoke(kernel, task, cap, m, args, opts);
    attempt[m.name] = tryCall;
    out[m.name] = async (args?: unknown, opts?: CallOptions): Promise<unknown> => {
      const r = await tryCall(args, opts);
      if (r.ok) return r.value;
      throw new RpcError(r.error, m.fullName, r.message === m.fullName ? '' : r.message);
    };
  }
  return out as AsyncClient<M>;
}

/** What an abort listener runs to cancel call (key, seq) (apart: no context per call without a signal). */
function cancelFor(sys: Sys, cap: number, key: number, seq: number): () => void {
  return () => sendCancel(sys.kernel, sys.task, cap, key, seq);
}

/** Tell the server to cancel call (key, seq): a short-lived thread of `task` sends it. */
function sendCancel(kernel: Kernel, task: Task, cap: number, key: number, seq: number): void {
  void kernel.exec(task, function* cancel(sys: Sys): SysGen<void> {
    sys.utcb.mr[0] = key;
    sys.utcb.mr[1] = seq;
    yield sys.send(cap, LABEL_CANCEL, HEADER, 0, 0, 1000);
  });
}

/** One call from host code, with cancellation through an AbortSignal. */
export function hostInvoke(
  kernel: Kernel,
  task: Task,
  cap: number,
  m: MethodDef,
  args: unknown,
  opts: CallOptions,
): Promise<RpcResult<unknown>> {
  const signal = opts.signal;
  if (signal?.aborted === true) return Promise.resolve({ ok: false, error: 'EINTR', message: `${m.fullName}: aborted` });
  let id: CallId | null = null;
  let cancelled = false;
  const sendCancelOnce = (): void => {
    if (id === null || cancelled) return;
    cancelled = true;
    sendCancel(kernel, task, cap, id.key, id.seq);
  };
  signal?.addEventListener('abort', sendCancelOnce, { once: true });
  const started = (i: CallId): void => {
    id = i;
    if (signal?.aborted === true) sendCancelOnce();
  };
  const p = callFromHost(kernel, task, cap, m, args, opts, started);
  return signal === undefined ? p : p.finally(() => signal.removeEventListener('abort', sendCancelOnce));
}

