// The server's side of sessions (session.ts has the client's): calls through shared
// memory on a cap a bucket gave, for a client and a server that talk a lot, as L4Re
// pairs IPC with shared-memory sessions. Opt-in per bucket (BucketOptions.sessions).
//
// Open: the client calls its cap with label SESSION_OPEN and the offer of its request
// ring (libmem channel); the worker that receives it (its memory window set to this
// bucket's next session window) takes the ring, creates the answer ring from the server
// task's factory (the server's memory quota pays), replies with that ring's offer, and
// starts a session thread bound to the cap's entry: the same object, the same client
// record, the same limits. Refusals: EBADF (no such cap), EAGAIN (the client's `sessions`
// limit), EINVAL (an incomplete offer), ENOMEM (no memory or thread for it).
//
// Serving: the session thread takes each request from the ring and passes it through
// exactly what a worker does with a kernel message: accept (validation, cancels,
// limits), the inhibition check, the handler. An answer at once goes straight into the
// answer ring; an RPC that must wait (parked by inhibition, deferred, a generator the
// thread runs itself) is marked as a session RPC, and whoever answers it later (a worker
// sending completions, the manager) delivers into the ring instead of a reply cap. So
// inhibition, cancellation, deferral and accounting are the kernel path's.
//
// Close: when the client's ring goes (the client closed it or died: PeerGone), the
// session's entry is gone (EBADF answered, then closed), the ring turns corrupt, or the
// bucket ends (each seen within DEFAULT_SESSION_IDLE_CHECK_MS), the thread unmaps the client's ring, deletes its own (the client's next
// call answers EPIPE) and the notifications, and gives the client's `sessions` back.

import { CAP_SELF, PAGE_SIZE, Status, Utcb, type Sys, type SysGen } from '../core/index.ts';
import { CHANNEL_OPEN, ChannelServer, ChannelStatus, consumerOf, DEFAULT_CHANNEL_CHECK_MS, offerSlots, prepareOffer, type RingGeometry } from '../libmem/index.ts';
import { handlerFailed, type Bucket } from './bucket.ts';
import type { Entry } from './client-table.ts';
import { ERRNO } from './errno.ts';
import { DEFERRED, type Rpc, type SessionSink } from './rpc.ts';
import { readMessage, writeMessage } from './session-wire.ts';

/** Label of a session open (a libmem channel's open). */
export const SESSION_OPEN = CHANNEL_OPEN;

/** Label of the answer that closes a session whose cap was revoked: EBADF, and the server's side is gone. */
export const SESSION_CLOSED = 0x10002;

/** How a bucket serves sessions. */
export interface SessionOptions {
  /** The answer ring each session gets (default 4 slots of 1 KiB: any words-only answer fits). */
  readonly answers?: RingGeometry;
  /** Most bytes of a client's request ring (the memory window it lands in; default 64 KiB). */
  readonly windowBytes?: number;
  /** Re-checks of the request ring before the session thread sleeps (default: 20000 in an isolated task, else 0). */
  readonly spins?: number;
}

/** SessionOptions with the defaults filled in. */
export interface ResolvedSessionOptions {
  readonly answers: RingGeometry;
  readonly windowBytes: number;
  readonly spins: number | null;
}

/** Default answer ring of a session. */
export const DEFAULT_SESSION_ANSWERS: RingGeometry = { slots: 4, slotSize: 1024 };
/** Default memory window for a client's request ring. */
export const DEFAULT_SESSION_WINDOW = 64 * 1024;
/** Where session windows start in a server task's address space (its own maps go lowest first). */
export const SESSION_WINDOW_BASE = 0xc000_0000;
/**
 * How often an idle session thread wakes to check that its client and its bucket are
 * still there (ms): a client's death or close, or the bucket's end, is noticed within
 * this. Longer than a waiting client's check (DEFAULT_CHANNEL_CHECK_MS) because every
 * open session pays it while idle, and in a worker each wake is a syscall.
 */
export const DEFAULT_SESSION_IDLE_CHECK_MS = 1000;

/** The spin of a session's side in an isolated task (adaptive: it shrinks when it misses). */
export const DEFAULT_SESSION_SPINS = 20_000;

/** @internal Fill in the defaults (null: sessions are off). */
export function resolveSessionOptions(o: SessionOptions | boolean | undefined): ResolvedSessionOptions | null {
  if (o === undefined || o === false) return null;
  const given = o === true ? {} : o;
  const windowBytes = given.windowBytes ?? DEFAULT_SESSION_WINDOW;
  if (!Number.isInteger(windowBytes) || windowBytes < 3 * PAGE_SIZE || windowBytes % PAGE_SIZE !== 0) {
    throw new RangeError(`sessions.windowBytes must be a whole number of pages, at least 3`);
  }
  return { answers: given.answers ?? DEFAULT_SESSION_ANSWERS, windowBytes, spins: given.spins ?? null };
}

/**
 * Session windows per task (by its task's id): the next unused one and the ones closed
 * sessions gave back. A task's buckets and its own sessions as a client share the range.
 */
const windows = new Map<number, { next: number; free: Map<number, number[]> }>();

/** @internal A free session window of `bytes` in task `task`'s address space. */
export function takeTaskWindow(task: number, bytes: number): number {
  let w = windows.get(task);
  if (w === undefined) windows.set(task, (w = { next: SESSION_WINDOW_BASE, free: new Map() }));
  const again = w.free.get(bytes)?.pop();
  if (again !== undefined) return again;
  const at = w.next;
  w.next += bytes;
  return at;
}

/** @internal Give back a window of `bytes` that takeTaskWindow gave. */
export function giveTaskWindow(task: number, at: number, bytes: number): void {
  const w = windows.get(task);
  if (w === undefined) return;
  let list = w.free.get(bytes);
  if (list === undefined) w.free.set(bytes, (list = []));
  list.push(at);
}

/** @internal A free session window of the bucket's task. */
export function takeWindow(b: Bucket, o: ResolvedSessionOptions): number {
  return takeTaskWindow(b.ops.identify(CAP_SELF)?.object ?? 0, o.windowBytes);
}

function giveWindow(b: Bucket, at: number): void {
  giveTaskWindow(b.ops.identify(CAP_SELF)?.object ?? 0, at, b.sessions!.windowBytes);
}

/** A tag the worker replies with. */
export interface OpenAnswer {
  readonly label: number;
  readonly words: number;
  readonly caps: number;
  readonly items: number;
}

const REFUSED = (errno: number): OpenAnswer => ({ label: errno, words: 0, caps: 0, items: 0 });

/**
 * @internal A worker of `b` received a session open (in `sys`'s UTCB, with the bucket's
 * session window set). Two opens received at once by two workers share one window: the
 * second finds it taken, its ring does not land, and it is answered EINVAL (open again). Take the client's ring, make the answer ring, start the session
 * thread; answers what to reply (the answer ring's offer, or an errno). The offer's caps
 * and mappings are the session's, or deleted on refusal.
 */
export function openSession(b: Bucket, sys: Sys): OpenAnswer {
  const u = sys.utcb;
  const o = b.sessions!;
  const recv: [number, number] = [u.recvSlots[0]!, u.recvSlots[1]!];
  const window = u.memWindowBase;
  const landed = [u.mapsIn[0], u.mapsIn[1], u.mapsIn[2]];
  // The window is spent as soon as anything landed in it: the next open gets another.
  if (landed.some((v) => v !== null && v !== undefined)) b.sessionWindow = takeWindow(b, o);
  const drop = (): void => {
    for (const s of recv) if (s !== 0 && b.host.capSerial(s) !== 0) b.ops.delete(s);
    for (const v of landed) if (v !== null && v !== undefined) sys.unmap(v.vaddr);
  };
  const e = b.lookup(u.badge);
  if (e === undefined) {
    drop();
    return REFUSED(ERRNO.EBADF);
  }
  const c = consumerOf(sys, recv);
  if (typeof c === 'number') {
    drop();
    return REFUSED(ERRNO.EINVAL);
  }
  const over = e.client.charge('sessions', 1, e.object.cls.limits ?? null);
  if (over !== null) {
    drop();
    return REFUSED(ERRNO[over]);
  }
  const slots = offerSlots(sys);
  if (slots === null) {
    e.client.release('sessions');
    drop();
    return REFUSED(ERRNO.ENOMEM);
  }
  const p = prepareOffer(sys, o.answers, slots);
  const own = [slots.dataspace, slots.data, slots.space];
  const undo = (): void => {
    for (const s of own) if (b.host.capSerial(s) !== 0) b.ops.delete(s);
    e.client.release('sessions');
    drop();
  };
  if (typeof p === 'number') {
    undo();
    return REFUSED((p & 0x3f) === Status.NotEnoughMemory ? ERRNO.ENOMEM : ERRNO.EIO);
  }
  const ch = new ChannelServer(c, p, DEFAULT_SESSION_IDLE_CHECK_MS);
  const session = new ServerSession(b, e, ch, { recv, own, window, views: landed.map((v) => v!.vaddr) });
  const st = b.spawnThread(sessionBody(b, session), `${b.name}.session`, true);
  if (st !== Status.Ok) {
    undo();
    return REFUSED(ERRNO.ENOMEM);
  }
  return { label: SESSION_OPEN, words: 2, caps: 2, items: 3 };
}

/** What a session holds in the server task, to give back at close. */
interface Held {
  /** Slots of the client's two notification caps. */
  readonly recv: readonly number[];
  /** Slots of the answer ring's dataspace and its two notifications. */
  readonly own: readonly number[];
  /** The window the client's ring landed in, and the addresses of its three views. */
  readonly window: number;
  readonly views: readonly number[];
}

/** One open session: where its RPCs' answers go. */
class ServerSession implements SessionSink {
  closed = false;
  /** Scratch UTCB answers are encoded into, and the bytes they go out as. */
  private readonly out = new Utcb();
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly b: Bucket,
    readonly entry: Entry,
    readonly ch: ChannelServer,
    readonly held: Held,
  ) {
    this.bytes = new Uint8Array(ch.maxAnswer);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Answer `rpc` (encode, finish, publish, wake the client if it sleeps); dropped once closed. */
  deliver(rpc: Rpc, value: unknown): void {
    const b = this.b;
    const t = b.encodeAnswer(rpc, value, this.out);
    b.finish(rpc);
    if (!this.closed) {
      // Caps cannot go through a ring: a method that answers caps is for the kernel path.
      let n = t.caps === 0 ? writeMessage(this.bytes, this.view, t.label, this.out, t.words, t.items) : -1;
      if (n < 0) n = writeMessage(this.bytes, this.view, t.caps === 0 ? ERRNO.EMSGSIZE : ERRNO.EPROTOTYPE, this.out, 0, 0);
      this.answer(rpc.sessionSeq, n);
    }
    b.cleanup(rpc);
  }

  /** An errno answer to request `seq` (refused before any handler ran). */
  refuse(seq: number, errno: number): void {
    this.answer(seq, writeMessage(this.bytes, this.view, errno, this.out, 0, 0));
  }

  private answer(seq: number, n: number): void {
    const st = this.ch.tryAnswer(seq, this.bytes, n);
    if (st === ChannelStatus.Ok && this.ch.answers.wakeNeeded()) this.b.ops.signal(this.ch.answers.dataCap);
  }

  /** Give everything back: the client's ring and caps, our ring, the window, the client's count. */
  close(sys: Sys): void {
    if (this.closed) return;
    this.closed = true;
    const b = this.b;
    for (const v of this.held.views) sys.unmap(v);
    for (const s of [...this.held.recv, ...this.held.own]) if (b.host.capSerial(s) !== 0) b.ops.delete(s);
    giveWindow(b, this.held.window);
    this.entry.client.release('sessions');
  }
}

function isGen(x: unknown): x is Generator<unknown, unknown, number> {
  return typeof x === 'object' && x !== null && typeof (x as { next?: unknown }).next === 'function' && typeof (x as { throw?: unknown }).throw === 'function';
}

/** The session thread: requests from the ring through the bucket, until the session closes. */
function sessionBody(b: Bucket, s: ServerSession) {
  return function* session(sys: Sys): SysGen<void> {
    const ch = s.ch;
    const o = b.sessions!;
    ch.spins = o.spins ?? (b.host.kernel === null ? DEFAULT_SESSION_SPINS : 0);
    const u = new Utcb();
    const buf = new Uint8Array(ch.requests.maxMessage);
    const view = new DataView(buf.buffer);
    try {
      for (;;) {
        if (b.finishing || !b.host.alive()) break;
        const st: number = yield* ch.next(sys, buf, DEFAULT_SESSION_IDLE_CHECK_MS);
        if (st === ChannelStatus.TimedOut) continue;
        if (st !== ChannelStatus.Ok) break; // PeerGone, Corrupt, Failed, TooBig (a ring this big is the client's lie)
        const seq = ch.lastSeq;
        if (!readMessage(buf, view, ch.length, u)) {
          s.refuse(seq, ERRNO.EINVAL);
          continue;
        }
        if (s.entry.revoked) {
          // The cap is gone: say so (the client then closes its side), let the client
          // read it (bounded), then close.
          s.refuse(seq, SESSION_CLOSED);
          for (let waited = 0; waited < DEFAULT_CHANNEL_CHECK_MS && ch.answers.pending() > 0; waited += 10) yield sys.sleep(10);
          break;
        }
        u.badge = s.entry.badge;
        const a = b.accept(u, true);
        if (a === null) continue;
        if (typeof a === 'number') {
          s.refuse(seq, a);
          continue;
        }
        a.viaSession(s, seq);
        if (b.blocked(a)) {
          b.enqueue(a); // answered through the session when it leaves the queue
          continue;
        }
        const res = b.serve(a, sys);
        if (res === DEFERRED) continue;
        if (isGen(res)) {
          yield* runGen(a, res, s);
          continue;
        }
        s.deliver(a, res);
      }
    } finally {
      s.close(sys);
    }
  };
}

/** Run a generator handler in the session thread (its syscalls pass through), then deliver. */
function* runGen(rpc: Rpc, g: Generator<unknown, unknown, number>, s: ServerSession): SysGen<void> {
  let status = Status.Ok as number;
  for (;;) {
    let r: IteratorResult<unknown, unknown>;
    try {
      r = g.next(status);
    } catch (e) {
      s.deliver(rpc, handlerFailed(rpc, e));
      return;
    }
    if (r.done === true) {
      s.deliver(rpc, r.value);
      return;
    }
    status = yield r.value as never;
  }
}
