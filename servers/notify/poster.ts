// A server's outbox to the notification service: handlers post without doing IPC, and a
// dedicated thread of the server's task sends the events through the sender caps. It is
// not the service: it only keeps a server's handlers from ever waiting on a post.
//
// Bounds. Each sender has a queue of at most `limit` events; when a handler posts faster
// than the thread sends, the oldest queued event goes and is counted, and the thread tells
// the service (Sender.skip) before the next event, so the owner still sees the gap in the
// ticks. A sender whose post fails (revoked, mailbox gone) is dropped, as the Hurd drops a
// watcher on a send error: its slot is deleted and `onDrop` is told. A sender revoked
// from under the server is dropped the same way, and the poster never sends through or
// deletes whatever cap later lands in the slot it had.
//
// Unresponsive receivers. The thread never waits for a receiver: each post is a call with
// a send-phase timeout of 0, so it is delivered only if a thread is waiting on the other
// side (the notify service always has one: its bucket's manager). A sender whose receiver
// is not there is set aside (its events stay queued, within `limit`) and retried every
// RETRY_MS while the others are served; once it has refused every post for `giveUp` ms of
// kernel time (default 1000) it is dropped (onDrop ETIMEDOUT) and its queued events are
// counted lost. A receiver that takes a post but does not answer within `timeout` (default
// 1000) is dropped at once. So one bad receiver costs the others nothing, and one that
// takes but never answers costs them at most `timeout`, once.
//
// Kinds. adopt() keeps only endpoint caps that can call (and, with `service`, only caps of
// that notify service) and at most `maxSenders` of them; it answers false otherwise and the
// caller keeps the slot.

import { DEFAULT_PRIORITY, Kind, NEVER, RECV_PHASE, Rights, Status, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { errnoName, HEADER_WORDS, kernelErrno, keptCap, releaseKept, stillKept, type ErrnoName, type MethodDef } from '../../libcap/index.ts';
import { kernelHost, type BucketHost, type BucketOps } from '../../libcap/bucket-host.ts';
import { isWellFormed } from '../../libcap/strings.ts';
import { Sender } from '../../protocol/notify.ts';

export interface PosterOptions {
  /** Thread name (default `<task>.poster`). */
  readonly name?: string;
  /** Priority of the sending thread (default 100). */
  readonly priority?: number;
  /** Events queued per sender before the oldest are dropped (default 64). */
  readonly limit?: number;
  /** ms a receiver that took a post may take to answer it before its sender is dropped (default 1000; 0 = no limit). */
  readonly timeout?: number;
  /** ms a sender's receiver may refuse every post (nobody receiving) before the sender is dropped (default 1000). */
  readonly giveUp?: number;
  /** Most senders the poster holds; adopt answers false beyond (default 4096). */
  readonly maxSenders?: number;
  /** Slot (in the task) of a cap to the notify service: only caps of that service are adopted. */
  readonly service?: number;
  /** A sender failed and was dropped (its slot is already deleted). */
  readonly onDrop?: (sender: number, error: ErrnoName) => void;
}

export interface PosterStats {
  /** Senders the poster holds. */
  readonly senders: number;
  /** Events waiting to be sent. */
  readonly queued: number;
  /** Events the service accepted. */
  readonly sent: number;
  /** Events lost here (queue full, malformed, or their sender dropped); reported to the service as skips while it lives. */
  readonly lost: number;
  /** Senders dropped after a failed post or an unresponsive receiver. */
  readonly dropped: number;
  /** Senders set aside now because their receiver is not receiving. */
  readonly stalled: number;
}

/** Default ms an unreceptive sender is retried before it is dropped. */
export const DEFAULT_GIVE_UP = 1000;
/** Default ms a receiver may take to answer a post it took. */
export const DEFAULT_POST_TIMEOUT = 1000;
/** Default most senders one poster holds. */
export const DEFAULT_MAX_SENDERS = 4096;
/** ms between retries of a sender whose receiver was not receiving. */
export const RETRY_MS = 10;

/** Events sent for one sender before the thread turns to the next (fairness). */
const BATCH = 32;

interface Pending {
  readonly type: string;
  readonly data: string;
  /** A malformed event held in its place, so the gap it leaves shows where it was. */
  readonly bad?: true;
}

/** One sender cap the poster holds. */
interface Outlet {
  readonly slot: number;
  /**
   * Serial number of the cap adopted from the slot. A sender's origin can revoke it from under the server,
   * and the slot may then be refilled with an unrelated cap (the server allocates lowest
   * slots first): the poster only ever sends through, or deletes, the cap it adopted.
   */
  readonly serial: number;
  readonly queue: Pending[];
  /** Events lost since the last skip sent. */
  lost: number;
  /** Queued for the thread. */
  ready: boolean;
  gone: boolean;
  /** Kernel time of the first refused post of the current stall; -1 when not stalled. */
  stalledSince: number;
  /** Kernel time of its next try while stalled. */
  retryAt: number;
}

const POST: MethodDef = Sender.methods.post as unknown as MethodDef;
const SKIP: MethodDef = Sender.methods.skip as unknown as MethodDef;

/** How one send went: delivered and answered, refused (nobody receiving), or failed. */
type Sent = 'ok' | 'stalled' | ErrnoName;

/** What a poster needs from its task: a bucket's host (kernelHost in-process, isolatedHost in a worker). */
export type PosterHost = Pick<BucketHost, 'taskName' | 'ops' | 'createNotification' | 'spawn'>;

export class Poster {
  private readonly ops: BucketOps;
  private readonly outlets = new Map<number, Outlet>();
  private readonly ready: Outlet[] = [];
  private readonly stalled = new Set<Outlet>();
  private readonly notif: number;
  private readonly poke: number;
  private readonly limit: number;
  private readonly timeout: number;
  private readonly giveUp: number;
  private readonly maxSenders: number;
  /** Slot of the notify service cap senders must belong to (re-read at each check: a restart may refill it). */
  private readonly service: number | null;
  private readonly onDrop: ((sender: number, error: ErrnoName) => void) | null;
  private signalled = false;
  private closing = false;
  private nSent = 0;
  private nLost = 0;
  private nDropped = 0;
  private seq = 0;
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stopped: Promise<void>;
  private markStopped: () => void = () => {};

  private constructor(host: PosterHost, opts: PosterOptions) {
    this.ops = host.ops;
    this.limit = Math.max(1, opts.limit ?? 64);
    this.timeout = opts.timeout === 0 ? NEVER : (opts.timeout ?? DEFAULT_POST_TIMEOUT);
    this.giveUp = Math.max(0, opts.giveUp ?? DEFAULT_GIVE_UP);
    this.maxSenders = Math.max(0, opts.maxSenders ?? DEFAULT_MAX_SENDERS);
    this.service = opts.service ?? null;
    if (opts.service !== undefined && this.ops.identify(opts.service) === null) throw new Error('poster: no notify service cap in that slot');
    this.onDrop = opts.onDrop ?? null;
    this.notif = host.createNotification();
    this.poke = this.ops.allocSlot();
    if (this.ops.mint(this.notif, this.poke, Rights.Write, 1) !== Status.Ok) throw new Error('poster: cannot mint its notification');
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
    // spawn, not exec: a thread that lives as long as the server must not count as host
    // code awaiting the kernel (that would let virtual time jump on its own). In an
    // isolated task the thread is paid for by the task's factory.
    host.spawn((sys) => this.run(sys), opts.name ?? `${host.taskName}.poster`, opts.priority ?? DEFAULT_PRIORITY);
  }

  /** Start a poster in `task` (a server's task): one thread, one notification, two slots. */
  static start(kernel: Kernel, task: Task, opts: PosterOptions = {}): Poster {
    return new Poster(kernelHost(kernel, task), opts);
  }

  /**
   * Start a poster on a bucket's host (`bucket.host`): in-process as start(), or in an
   * isolated task, where its notification and thread come from the task's factory.
   */
  static onHost(host: PosterHost, opts: PosterOptions = {}): Poster {
    return new Poster(host, opts);
  }

  /**
   * Why the cap in `slot` would not be adopted: EINVAL when it is not an endpoint cap that
   * can call (or, with `service`, not a cap of that notify service), EAGAIN when the poster
   * already holds `maxSenders`; null when it would be.
   */
  check(slot: number): 'EINVAL' | 'EAGAIN' | null {
    const id = this.ops.identify(slot);
    if (id === null || id.kind !== Kind.Endpoint || id.dead) return 'EINVAL';
    if ((id.rights & Rights.Write) === 0 || (id.rights & (Rights.Grant | Rights.GrantReply)) === 0) return 'EINVAL';
    if (this.service !== null && id.object !== this.ops.identify(this.service)?.object) return 'EINVAL';
    if (!this.outlets.has(slot) && this.outlets.size >= this.maxSenders) return 'EAGAIN';
    return null;
  }

  /**
   * Take ownership of a sender cap in `slot` of the task (e.g. one a handler kept with
   * ctx.keep). The poster deletes it when it is released, dropped or the poster closes.
   * False (the caller keeps the slot) when check() refuses it; answer the client with
   * check()'s errno.
   */
  adopt(slot: number): boolean {
    if (this.closing) throw new Error('poster: closed');
    const held = this.outlets.get(slot);
    if (held !== undefined) {
      if (this.holdsCap(held)) return true;
      // The sender it held there was revoked and the slot refilled: that one is gone.
      this.drop(held, 'EBADF');
    }
    if (this.check(slot) !== null) return false;
    const kept = keptCap(this.ops, slot);
    if (kept === null) return false;
    this.outlets.set(slot, { slot, serial: kept.serial, queue: [], lost: 0, ready: false, gone: false, stalledSince: -1, retryAt: 0 });
    return true;
  }

  /** True while the poster holds `slot` (the very cap it adopted there). */
  holds(slot: number): boolean {
    const o = this.outlets.get(slot);
    return o !== undefined && this.holdsCap(o);
  }

  /**
   * Queue an event for the sender in `slot`; never blocks, never does IPC. False when the
   * poster does not hold that sender (never adopted, released or dropped). A type or data
   * the Sender interface would refuse for its size or the sync type is a bug in the caller
   * and throws; text that is not well-formed UTF-16 (a client's file name, say) is not
   * sent: it is counted lost and the owner sees the gap.
   */
  post(slot: number, type: string, data = ''): boolean {
    if (type.length > 64 || data.length > 4096 || type === 'sync') throw new RangeError(`poster: bad event type ${JSON.stringify(type.slice(0, 70))} or data length ${data.length}`);
    const o = this.outlets.get(slot);
    if (o === undefined || o.gone) return false;
    const bad = !isWellFormed(type) || !isWellFormed(data);
    if (bad) this.nLost++;
    if (o.queue.length >= this.limit) {
      // The oldest goes (a placeholder of a malformed event was counted already).
      if (o.queue.shift()?.bad !== true) this.nLost++;
      o.lost++;
    }
    o.queue.push(bad ? { type: '', data: '', bad: true } : { type, data });
    this.schedule(o);
    return true;
  }

  /** Stop posting to `slot`: queued events are discarded and the cap is deleted. */
  release(slot: number): void {
    const o = this.outlets.get(slot);
    if (o === undefined) return;
    this.forget(o);
  }

  stats(): PosterStats {
    let queued = 0;
    for (const o of this.outlets.values()) queued += o.queue.length;
    return { senders: this.outlets.size, queued, sent: this.nSent, lost: this.nLost, dropped: this.nDropped, stalled: this.stalled.size };
  }

  /** Resolves once every queued event has been sent or lost (a stalled sender: sent, or dropped after giveUp). */
  flushed(): Promise<void> {
    if (this.ready.length === 0 && this.stalled.size === 0 && !this.signalled && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop the thread and delete every sender cap; queued events are discarded. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const o of [...this.outlets.values()]) this.forget(o);
      this.wake();
    }
    return this.stopped;
  }

  // ------------------------------------------------------------------ internals

  private forget(o: Outlet): void {
    o.gone = true;
    o.queue.length = 0;
    this.stalled.delete(o);
    this.outlets.delete(o.slot);
    // Never delete a cap the poster did not adopt (its own was revoked, the slot reused).
    releaseKept(this.ops, o);
  }

  /** True while the slot still holds the cap adopted from it. */
  private holdsCap(o: Outlet): boolean {
    return stillKept(this.ops, o);
  }

  private schedule(o: Outlet): void {
    // A stalled sender waits for its retry: new events only join its queue.
    if (o.ready || this.stalled.has(o)) return;
    o.ready = true;
    this.ready.push(o);
    this.wake();
  }

  private wake(): void {
    if (this.signalled) return;
    this.signalled = true;
    this.ops.signal(this.poke);
  }

  private drop(o: Outlet, error: ErrnoName): void {
    if (o.gone) return;
    this.nDropped++;
    this.nLost += o.queue.length;
    this.forget(o);
    this.onDrop?.(o.slot, error);
  }

  private *run(sys: Sys): SysGen<void> {
    for (;;) {
      this.busy = true;
      for (let o = this.ready.shift(); o !== undefined; o = this.ready.shift()) yield* this.drain(sys, o);
      // Retry the set-aside senders whose time has come, once the others are served.
      let next = NEVER;
      for (const o of [...this.stalled]) {
        if (this.closing) break;
        if (o.retryAt > sys.now()) {
          next = Math.min(next, o.retryAt);
          continue;
        }
        this.stalled.delete(o);
        o.ready = true;
        yield* this.drain(sys, o);
        if (this.stalled.has(o)) next = Math.min(next, o.retryAt);
      }
      this.busy = false;
      if (this.stalled.size === 0 && this.ready.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      if (this.closing) break;
      if (this.ready.length !== 0) continue;
      this.signalled = false;
      const st: number = yield sys.wait(this.notif, next === NEVER ? NEVER : Math.max(0, next - sys.now()));
      if (st !== Status.Ok && (st & 0x3f) !== Status.Timeout) break;
    }
    this.ops.delete(this.poke);
    this.ops.delete(this.notif);
    for (const w of this.idleWaiters.splice(0)) w();
    this.markStopped();
  }

  /** Send up to BATCH events of one sender, then requeue it if it has more. */
  private *drain(sys: Sys, o: Outlet): SysGen<void> {
    for (let i = 0; i < BATCH && !o.gone; i++) {
      if (!this.holdsCap(o)) {
        // Revoked from under the server (and maybe the slot refilled): as a failed post.
        this.drop(o, 'EBADF');
        return;
      }
      if (o.lost > 0) {
        const count = o.lost;
        const r = yield* this.send(sys, o.slot, SKIP, { count });
        if (r === 'ok') o.lost -= count;
        if (!this.settle(sys, o, r)) return;
        continue;
      }
      const ev = o.queue[0];
      if (ev === undefined) break;
      if (ev.bad === true) {
        // Never sent: it becomes a gap at its place in the ticks.
        o.queue.shift();
        o.lost++;
        continue;
      }
      const r = yield* this.send(sys, o.slot, POST, { type: ev.type, data: ev.data });
      if (r === 'ok') {
        // A post made while the call ran may have overflowed the queue and dropped this very event.
        if (o.queue[0] === ev) o.queue.shift();
        this.nSent++;
      }
      if (!this.settle(sys, o, r)) return;
    }
    if (o.gone) return;
    if (o.queue.length > 0 || o.lost > 0) this.ready.push(o);
    else o.ready = false;
  }

  /**
   * After a send: true to go on with this sender. Refused (nobody receiving): set it aside
   * for a retry, or drop it once it has refused for `giveUp` ms. Anything else but success
   * drops it (a receiver that took the post and did not answer in time included).
   */
  private settle(sys: Sys, o: Outlet, r: Sent): boolean {
    if (r === 'ok') {
      o.stalledSince = -1;
      return true;
    }
    if (r === 'stalled') {
      const now = sys.now();
      if (o.stalledSince < 0) o.stalledSince = now;
      if (now - o.stalledSince >= this.giveUp) this.drop(o, 'ETIMEDOUT');
      else {
        o.ready = false;
        o.retryAt = now + Math.min(RETRY_MS, this.giveUp - (now - o.stalledSince));
        this.stalled.add(o);
      }
      return false;
    }
    this.drop(o, r);
    return false;
  }

  /** One Sender call that never waits for a receiver (send-phase timeout 0). */
  private *send(sys: Sys, slot: number, m: MethodDef, args: Readonly<Record<string, unknown>>): SysGen<Sent> {
    const u = sys.utcb;
    u.mr[0] = sys.threadId;
    u.mr[1] = this.seq = (this.seq + 1) >>> 0;
    u.grantMask = 0;
    const cur = { w: HEADER_WORDS, i: 0, c: 0 };
    if (m.argsCodec.encode(u, args, cur) !== null) return 'EINVAL';
    const st: number = yield sys.call(slot, m.op, cur.w, cur.c, cur.i, 0, this.timeout);
    if (st === Status.Ok) return u.label === 0 ? 'ok' : (errnoName(u.label) ?? 'EIO');
    if ((st & 0x3f) === Status.Timeout && (st & RECV_PHASE) === 0) return 'stalled';
    return kernelErrno(st);
  }
}
