// An RPC being served, and the context its handler gets: who called (client, entry,
// object), the decoded arguments, an AbortSignal for cancellation, and the ways to
// answer: return a reply, return ctx.fail(errno), or defer (ctx.defer(), or return a
// promise) and answer later, exactly once.

import type { Sys, Syscall } from '../core/index.ts';
import type { Bucket } from './bucket.ts';
import type { CapObject } from './cap-object.ts';
import type { Client, Entry } from './client-table.ts';
import { ERRNO, type ErrnoName } from './errno.ts';
import type { LimitErrnoOf, LimitKind } from './limits.ts';
import type { Cancellable } from './inhibit.ts';
import type { ArgsOf, ErrorsOf, MethodDef, MethodSpec, MethodSpecs, ReplyOf } from './interface.ts';

/** A failed answer: the method's error. Build it with ctx.fail() or fail(). */
export class RpcFailure<E extends ErrnoName = ErrnoName> {
  constructor(
    readonly error: E,
    readonly message = '',
  ) {}
  get errno(): number {
    return ERRNO[this.error];
  }
}

/** A failed answer with any error name (prefer ctx.fail, which checks the method's list). */
export function fail<E extends ErrnoName>(error: E, message = ''): RpcFailure<E> {
  return new RpcFailure(error, message);
}

type Empty<R> = keyof R extends never ? true : false;
/** What a handler may answer with at once. */
export type ReplyValue<S extends MethodSpec> = Empty<ReplyOf<S>> extends true ? ReplyOf<S> | void : ReplyOf<S>;
export type Answer<S extends MethodSpec> = ReplyValue<S> | RpcFailure<ErrorsOf<S>>;

/** What a handler returns. */
export type HandlerResult<S extends MethodSpec> =
  | Answer<S>
  | Deferred<S>
  | PromiseLike<Answer<S>>
  | Generator<Syscall, Answer<S>, number>;

export type Handler<S extends MethodSpec, D> = (ctx: Rpc<D, S>, args: ArgsOf<S>) => HandlerResult<S>;
export type Handlers<M extends MethodSpecs, D> = { readonly [K in keyof M]?: Handler<M[K], D> };

/** Marker the bucket returns when a handler deferred its answer. */
export const DEFERRED: unique symbol = Symbol('deferred');

export const RpcState = {
  /** Waiting for inhibition to lift (reply cap saved). */
  Parked: 0,
  /** Accepted, waiting for a free worker (reply cap saved). */
  Pending: 1,
  /** Its handler is running. */
  Running: 2,
  /** The handler deferred its answer. */
  Deferred: 3,
  /** Answered (or its caller is gone). */
  Done: 4,
} as const;

/**
 * A deferred answer: keep it, answer later with reply() or fail(), exactly once. A
 * second answer is a bug and throws; an answer after the call was cancelled or its
 * object or bucket died is ignored (the caller already got EINTR / ECANCELED).
 */
export class Deferred<S extends MethodSpec = MethodSpec> {
  constructor(private readonly rpc: Rpc<unknown, S>) {}

  /** Aborted when the client cancels or the server ends the call. */
  get signal(): AbortSignal {
    return this.rpc.signal;
  }

  /** True once answered, by this handle or by the library (cancel, end). */
  get done(): boolean {
    return this.rpc.state === RpcState.Done || this.rpc.answered;
  }

  /** Answer with a reply; false when the call was already answered for us. */
  reply(value: ReplyValue<S>): boolean {
    return this.answer(value);
  }

  fail(error: ErrorsOf<S>, message = ''): boolean {
    return this.answer(new RpcFailure(error, message));
  }

  private answer(v: unknown): boolean {
    if (this.rpc.answeredByHandler) throw new Error(`${this.rpc.method.fullName}: deferred reply answered twice`);
    this.rpc.answeredByHandler = true;
    return this.rpc.bucket.complete(this.rpc as Rpc, v);
  }
}

/**
 * What only some RPCs need: caps they carry or give, a deferred or early answer, an
 * abort signal, cancel hooks. Kept apart so that a plain RPC (words in, words out,
 * answered at once) allocates a smaller context and initialises fewer fields.
 */
class RpcExtra {
  answeredByHandler = false;
  earlyAnswer: unknown = undefined;
  capSlots: number[] | null = null;
  grantSlots: number[] | null = null;
  ownedCaps: Map<number, number> | null = null;
  newEntries: Entry[] | null = null;
  deferredCounted = false;
  ac: AbortController | null = null;
  hooks: (() => void)[] | null = null;
  session: SessionSink | null = null;
  sessionSeq = 0;
}

/**
 * Where the answer of an RPC that came through a session (session-server.ts) goes: its
 * ring, instead of a reply cap. `deliver` encodes and sends the answer (or drops it when
 * the session has closed) and finishes the RPC.
 */
export interface SessionSink {
  readonly closed: boolean;
  deliver(rpc: Rpc, value: unknown): void;
}

/**
 * replySlot of an RPC that came through a session: no reply cap, but "answered later,
 * through a queue", as for a saved reply cap (completions, parked and generator RPCs).
 */
export const SESSION_REPLY = -1;

export class Rpc<D = unknown, S extends MethodSpec = MethodSpec> implements Cancellable {
  state: number = RpcState.Running;
  /** Slot of the saved reply cap; 0 while the worker holds the implicit one. */
  replySlot = 0;
  cancelled = false;
  /** The library answered (cancel, end, revoke) or the answer is queued. */
  answered = false;
  /** The worker's syscall interface (for generator handlers that call other servers). */
  sys: Sys | null = null;
  /** The rarely used part, made on first use. */
  private x: RpcExtra | null = null;

  /** @internal The session the RPC came through (its answer goes there), or null: a kernel call. */
  get session(): SessionSink | null {
    return this.x === null ? null : this.x.session;
  }

  /** @internal Mark the RPC as one that came through `sink`, as request `seq` of its channel. */
  viaSession(sink: SessionSink, seq: number): void {
    const x = this.extra;
    x.session = sink;
    x.sessionSeq = seq;
    this.replySlot = SESSION_REPLY;
  }

  /** @internal The channel sequence number of a session RPC's request. */
  get sessionSeq(): number {
    return this.x === null ? 0 : this.x.sessionSeq;
  }

  private get extra(): RpcExtra {
    return (this.x ??= new RpcExtra());
  }

  /** The handler (through its Deferred) answered. */
  get answeredByHandler(): boolean {
    return this.x !== null && this.x.answeredByHandler;
  }
  set answeredByHandler(v: boolean) {
    if (v || this.x !== null) this.extra.answeredByHandler = v;
  }

  /** An answer given (through a Deferred) before the handler even returned. */
  get earlyAnswer(): unknown {
    return this.x === null ? undefined : this.x.earlyAnswer;
  }
  set earlyAnswer(v: unknown) {
    if (v !== undefined || this.x !== null) this.extra.earlyAnswer = v;
  }

  /** Slots of caps received as arguments; deleted after the RPC unless kept. */
  get capSlots(): number[] | null {
    return this.x === null ? null : this.x.capSlots;
  }
  set capSlots(v: number[] | null) {
    if (v !== null || this.x !== null) this.extra.capSlots = v;
  }

  /** Slots the answer grants away; any still held after the answer went are deleted. */
  get grantSlots(): number[] | null {
    return this.x === null ? null : this.x.grantSlots;
  }
  set grantSlots(v: number[] | null) {
    if (v !== null || this.x !== null) this.extra.grantSlots = v;
  }

  /** @internal The caps of capSlots and grantSlots as they were (cleanup deletes only these). */
  get ownedCaps(): Map<number, number> | null {
    return this.x === null ? null : this.x.ownedCaps;
  }
  set ownedCaps(v: Map<number, number> | null) {
    if (v !== null || this.x !== null) this.extra.ownedCaps = v;
  }

  /** Entries created by give() during this RPC, released if the reply did not carry them. */
  get newEntries(): Entry[] | null {
    return this.x === null ? null : this.x.newEntries;
  }
  set newEntries(v: Entry[] | null) {
    if (v !== null || this.x !== null) this.extra.newEntries = v;
  }

  /** @internal Counted in its client's `deferred`. */
  get deferredCounted(): boolean {
    return this.x !== null && this.x.deferredCounted;
  }
  set deferredCounted(v: boolean) {
    if (v || this.x !== null) this.extra.deferredCounted = v;
  }

  /** @internal Received caps, granted caps or new entries to clean up after the answer. */
  get needsCleanup(): boolean {
    const x = this.x;
    return x !== null && (x.capSlots !== null || x.newEntries !== null || x.grantSlots !== null);
  }

  constructor(
    readonly bucket: Bucket,
    readonly client: Client,
    readonly entry: Entry,
    readonly object: CapObject<D>,
    readonly method: MethodDef<S>,
    readonly args: ArgsOf<S>,
    /** The client's cancel key (its thread) and request sequence. */
    readonly key: number,
    readonly seq: number,
  ) {}

  /**
   * @internal Make this finished RPC (see `reusable`) a new one of the same bucket: a
   * context its handler never saw is reused rather than made again for every request.
   */
  renew(client: Client, entry: Entry, object: CapObject<D>, method: MethodDef<S>, args: ArgsOf<S>, key: number, seq: number): void {
    const w = this as { -readonly [K in keyof Rpc<D, S>]: Rpc<D, S>[K] };
    this.state = RpcState.Running;
    this.replySlot = 0;
    this.sys = null;
    w.client = client;
    w.entry = entry;
    w.object = object;
    w.method = method;
    w.args = args;
    w.key = key;
    w.seq = seq;
  }

  /**
   * @internal Answered, and nothing of it was kept: never cancelled or answered by the
   * library, no caps, hooks, signal or deferred handle (nothing made on first use).
   */
  get reusable(): boolean {
    return this.state === RpcState.Done && this.x === null && !this.cancelled && !this.answered;
  }

  /** The object's data. */
  get data(): D {
    return this.object.data;
  }

  /** Aborted when the client cancels the call (it then gets EINTR) or the server ends. */
  get signal(): AbortSignal {
    const x = this.extra;
    if (x.ac === null) {
      x.ac = new AbortController();
      if (this.cancelled) x.ac.abort();
    }
    return x.ac.signal;
  }

  /** A failed answer with one of this method's errors. */
  fail<E extends ErrorsOf<S>>(error: E, message = ''): RpcFailure<E> {
    return new RpcFailure(error, message);
  }

  /** Answer later: return the handle from the handler, keep it, answer exactly once. */
  defer(): Deferred<S> {
    return new Deferred(this);
  }

  /**
   * A cap to `obj` for this RPC's client (the same handle if it already holds one), as
   * a slot in the server's space to put in the reply (transferred by map).
   */
  give(obj: CapObject): number {
    return this.bucket.give(this.client, obj, this);
  }

  /**
   * give(), answering the failure as a value: EMFILE when the client is at its `caps`
   * limit, ENOMEM when the server's cap space is full.
   */
  tryGive(obj: CapObject): number | RpcFailure<'EMFILE' | 'ENOMEM'> {
    return this.bucket.tryGive(this.client, obj, this);
  }

  /**
   * Charge `n` units of `kind` (watchers, waiters, kept, bytes, or a kind of the
   * server's own) to this RPC's client, under this class's limits if it sets them, else
   * the bucket's: null when charged, else the errno the limit answers (EMFILE, EAGAIN,
   * EDQUOT) and nothing is charged. Give units back with ctx.client.release(kind, n)
   * when the server lets go of what they stand for.
   */
  charge<K extends LimitKind>(kind: K, n = 1): LimitErrnoOf<K> | null {
    return this.client.charge(kind, n, this.object.cls.limits);
  }

  /** Keep a received cap argument past the end of the RPC (it is yours to delete). */
  keep(slot: number): void {
    const s = this.capSlots;
    if (s === null) return;
    const i = s.indexOf(slot);
    if (i >= 0) s.splice(i, 1);
  }

  onCancel(fn: () => void): void {
    if (this.cancelled) {
      fn();
      return;
    }
    (this.extra.hooks ??= []).push(fn);
  }

  /** @internal Mark cancelled, abort the signal, run the hooks. */
  markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const x = this.x;
    if (x === null) return;
    if (x.ac !== null) x.ac.abort();
    const hs = x.hooks;
    x.hooks = null;
    if (hs !== null) for (const h of hs) h();
  }
}
