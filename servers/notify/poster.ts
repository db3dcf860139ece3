// A server's outbox to the notification service: handlers post without doing IPC, and a
// dedicated thread of the server's task sends the events through the sender caps. It is
// not the service: it only keeps a server's handlers from ever waiting on a post.
//
// Bounds. Each sender has a queue of at most `limit` events; when a handler posts faster
// than the thread sends, the oldest queued event goes and is counted, and the thread tells
// the service (Sender.skip) before the next event, so the owner still sees the gap in the
// ticks. A sender whose post fails (revoked, mailbox gone) is dropped, as the Hurd drops a
// watcher on a send error: its slot is deleted and `onDrop` is told.

import { DEFAULT_PRIORITY, HostSys, NEVER, Rights, Status, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { stub, type ErrnoName, type SpecsOf, type ThreadClient } from '../../libcap/index.ts';
import { Sender } from './notify-interface.ts';

export interface PosterOptions {
  /** Thread name (default `<task>.poster`). */
  readonly name?: string;
  /** Priority of the sending thread (default 100). */
  readonly priority?: number;
  /** Events queued per sender before the oldest are dropped (default 64). */
  readonly limit?: number;
  /** ms one post may take before it counts as lost (default 1000; 0 = no limit). */
  readonly timeout?: number;
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
  /** Events lost here (queue full, or a post timed out); reported to the service as skips. */
  readonly lost: number;
  /** Senders dropped after a failed post. */
  readonly dropped: number;
}

/** Events sent for one sender before the thread turns to the next (fairness). */
const BATCH = 32;

interface Pending {
  readonly type: string;
  readonly data: string;
}

/** One sender cap the poster holds. */
interface Outlet {
  readonly slot: number;
  readonly queue: Pending[];
  /** Events lost since the last skip sent. */
  lost: number;
  /** Queued for the thread. */
  ready: boolean;
  gone: boolean;
  client: ThreadClient<SpecsOf<typeof Sender>> | null;
}

export class Poster {
  private readonly ops: HostSys;
  private readonly outlets = new Map<number, Outlet>();
  private readonly ready: Outlet[] = [];
  private readonly notif: number;
  private readonly poke: number;
  private readonly limit: number;
  private readonly timeout: number;
  private readonly onDrop: ((sender: number, error: ErrnoName) => void) | null;
  private signalled = false;
  private closing = false;
  private nSent = 0;
  private nLost = 0;
  private nDropped = 0;
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stopped: Promise<void>;
  private markStopped: () => void = () => {};

  private constructor(
    private readonly kernel: Kernel,
    readonly task: Task,
    opts: PosterOptions,
  ) {
    this.ops = new HostSys(kernel, task);
    this.limit = Math.max(1, opts.limit ?? 64);
    this.timeout = opts.timeout === 0 ? NEVER : (opts.timeout ?? 1000);
    this.onDrop = opts.onDrop ?? null;
    this.notif = kernel.createNotification(task);
    this.poke = this.ops.allocSlot();
    if (this.ops.mint(this.notif, this.poke, Rights.Write, 1) !== Status.Ok) throw new Error('poster: cannot mint its notification');
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
    // spawn, not exec: a thread that lives as long as the server must not count as host
    // code awaiting the kernel (that would let virtual time jump on its own).
    kernel.spawn(task, (sys) => this.run(sys), {
      name: opts.name ?? `${task.name}.poster`,
      priority: opts.priority ?? DEFAULT_PRIORITY,
    });
  }

  /** Start a poster in `task` (a server's task): one thread, one notification, two slots. */
  static start(kernel: Kernel, task: Task, opts: PosterOptions = {}): Poster {
    return new Poster(kernel, task, opts);
  }

  /**
   * Take ownership of a sender cap in `slot` of the task (e.g. one a handler kept with
   * ctx.keep). The poster deletes it when it is released, dropped or the poster closes.
   */
  adopt(slot: number): void {
    if (this.closing) throw new Error('poster: closed');
    if (this.outlets.has(slot)) return;
    this.outlets.set(slot, { slot, queue: [], lost: 0, ready: false, gone: false, client: null });
  }

  /** True while the poster holds `slot`. */
  holds(slot: number): boolean {
    return this.outlets.has(slot);
  }

  /**
   * Queue an event for the sender in `slot`; never blocks, never does IPC. False when the
   * poster does not hold that sender (never adopted, released or dropped). A type or data
   * the Sender interface would refuse is a bug in the caller and throws.
   */
  post(slot: number, type: string, data = ''): boolean {
    if (type.length > 64 || data.length > 4096 || type === 'sync') throw new RangeError(`poster: bad event type ${JSON.stringify(type.slice(0, 70))} or data length ${data.length}`);
    const o = this.outlets.get(slot);
    if (o === undefined || o.gone) return false;
    if (o.queue.length >= this.limit) {
      o.queue.shift();
      o.lost++;
      this.nLost++;
    }
    o.queue.push({ type, data });
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
    return { senders: this.outlets.size, queued, sent: this.nSent, lost: this.nLost, dropped: this.nDropped };
  }

  /** Resolves once every queued event has been sent (or lost). */
  flushed(): Promise<void> {
    if (this.ready.length === 0 && !this.signalled && !this.busy) return Promise.resolve();
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
    this.outlets.delete(o.slot);
    this.ops.delete(o.slot);
  }

  private schedule(o: Outlet): void {
    if (o.ready) return;
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
      this.busy = false;
      for (const w of this.idleWaiters.splice(0)) w();
      if (this.closing) break;
      this.signalled = false;
      const st: number = yield sys.wait(this.notif);
      if (st !== Status.Ok) break;
    }
    this.ops.delete(this.poke);
    this.ops.delete(this.notif);
    for (const w of this.idleWaiters.splice(0)) w();
    this.markStopped();
  }

  /** Send up to BATCH events of one sender, then requeue it if it has more. */
  private *drain(sys: Sys, o: Outlet): SysGen<void> {
    const c = (o.client ??= stub(Sender, sys, o.slot));
    const opts = { timeout: this.timeout };
    for (let i = 0; i < BATCH && !o.gone; i++) {
      if (o.lost > 0) {
        const count = o.lost;
        o.lost = 0;
        const r = yield* c.skip({ count }, opts);
        if (!r.ok && this.failed(o, r.error, count)) return;
        continue;
      }
      const ev = o.queue.shift();
      if (ev === undefined) break;
      const r = yield* c.post(ev, opts);
      if (r.ok) this.nSent++;
      else if (this.failed(o, r.error, 1)) return;
    }
    if (o.gone) return;
    if (o.queue.length > 0 || o.lost > 0) this.ready.push(o);
    else o.ready = false;
  }

  /** A post or skip failed: a timeout loses the events (reported later); anything else drops the sender. */
  private failed(o: Outlet, error: ErrnoName, events: number): boolean {
    if (error === 'ETIMEDOUT' || error === 'EINTR') {
      o.lost += events;
      if (events === 1) this.nLost++;
      return false;
    }
    this.drop(o, error);
    return true;
  }
}
