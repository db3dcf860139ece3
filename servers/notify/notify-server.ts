// The notification service (seed 004, design 3: a trusted system service). A client
// subscribes a mailbox, a bounded queue charged to it, and hands sender caps (Mailbox.allow)
// to the servers it lets notify it; servers post through their sender and get an answer at
// once, so they never block on the client; the client waits (next or wait, a deferred
// reply) or polls (take).
//
// Accounting. Each client (a libcap client record: one per client task) has a quota of
// queued events. subscribe reserves the mailbox's whole capacity against it (EDQUOT beyond
// it), so a client's memory here is bounded by its quota whatever servers post: a full
// queue overwrites its oldest event and counts it as dropped, and the ticks show the gap.
// Sources per mailbox are bounded too (allow answers EDQUOT), and so are the calls a client
// may have waiting (next / wait) across its mailboxes (EAGAIN beyond maxWaiters).
//
// Strings. A source, type or data that is not well-formed UTF-16 is refused at the door
// (EINVAL), so the queue never holds an event a take could not encode; should one get in
// anyway it is discarded at take time and counted in `dropped`, and the events beside it
// are answered as usual.
//
// Abandoned waiters. A waiting call whose caller gave up (timed out, cancelled, died) is
// never served: before an event is handed to a waiter, the service checks that its caller
// still waits (its saved reply cap is live); a gone waiter is dropped and the event goes to
// the next live waiter or stays queued, so nothing is counted as delivered to nobody.
//
// Lifetimes. A mailbox lives while its owner holds a copy of its cap. When the last copy
// goes (the client deleted it, or its task died and libcap released its entries), the
// class hears noSenders: waiting `next` calls fail with EBADF, every sender is revoked
// (the servers' copies die with it), the queue is dropped and the quota is given back.

import type { Task } from '../../core/index.ts';
import {
  after,
  Bucket,
  type CapObject,
  defineClass,
  RpcFailure,
  type BucketOptions,
  type CapClass,
  type Client,
  type Rpc,
  type SpecsOf,
} from '../../libcap/index.ts';
import { callerGone, dropAbandoned } from '../../libcap/abandoned.ts';
import { jsonOnly, shutdownBuckets, type ServerBody, type ServerEnv, type ServerFactory, type ServerInstance } from '../../libcap/server.ts';
import { isWellFormed } from '../../libcap/strings.ts';
import { EventQueue } from './event-queue.ts';
import { Mailbox, Notify, Sender, type NotifyEvent } from '../../protocol/notify.ts';

/** Defaults: queued events per client, sources per mailbox. */
export const DEFAULT_QUOTA = 1024;
export const DEFAULT_MAX_SOURCES = 32;
/** Default bound on the next / wait calls one client may have waiting (EAGAIN beyond). */
export const DEFAULT_MAX_WAITERS = 64;
/** Most events one take answers (the interface's array limit). */
export const TAKE_MAX = 256;
/** Budget of packed bytes for one take answer: below the kernel's 1 MiB item limit. */
const TAKE_BYTES = 900_000;

export interface NotifyOptions {
  /** Queued events a client may have across its mailboxes (default 1024); install params may set it per client. */
  readonly quota?: number;
  /** Distinct sources one mailbox may allow (default 32). */
  readonly maxSources?: number;
  /** next / wait calls one client may have waiting across its mailboxes (default 64; EAGAIN). */
  readonly maxWaiters?: number;
  /** Options of the service's bucket. */
  readonly bucket?: BucketOptions;
}

/** Per-client settings a system description gives to `install`. */
export interface NotifyParams {
  readonly quota?: number;
}

/** Service-wide counters. */
export interface NotifyStats {
  /** Clients with at least one mailbox. */
  readonly clients: number;
  readonly mailboxes: number;
  /** Capacity reserved by every mailbox (the bound on queued events). */
  readonly reserved: number;
  readonly queued: number;
  readonly posted: number;
  readonly dropped: number;
  /** next / wait calls waiting now. */
  readonly waiters: number;
  /** Waiting calls found abandoned by their caller (timed out, cancelled, died) and dropped. */
  readonly abandoned: number;
}

/** One mailbox, as host code (tests, tools) sees it. */
export interface MailboxInfo {
  readonly id: number;
  /** Task id of the owner (-1 for a client without task identity). */
  readonly owner: number;
  readonly capacity: number;
  readonly queued: number;
  /** Event slots held in memory: never more than the capacity. */
  readonly storage: number;
  readonly posted: number;
  readonly dropped: number;
  /** `next` calls waiting. */
  readonly waiters: number;
  readonly sources: readonly string[];
}

/** A running service; `install(task, params)` takes NotifyParams (a per-client quota). */
export interface NotifyInstance extends ServerInstance {
  /** Service-wide counters (host side). */
  stats(): NotifyStats;
  /** Every live mailbox, oldest first (host side: tests, tools). */
  mailboxes(): MailboxInfo[];
}

/** A `next` or `wait` call waiting for an event. */
interface Waiter {
  /** The waiting call (to tell whether its caller still waits). */
  readonly rpc: Rpc;
  /** Answer with this event; false when the call was already answered. */
  readonly answer: (ev: NotifyEvent) => boolean;
  /** Fail (the mailbox went, or the timeout passed). */
  readonly fail: (error: 'EBADF' | 'ETIMEDOUT') => void;
  cancelTimer: () => void;
}

/** What one client has reserved. */
interface Account {
  readonly client: Client;
  readonly quota: number;
  reserved: number;
  readonly boxes: Set<Box>;
  /** next / wait calls waiting in its mailboxes. */
  waiters: number;
}

/** A mailbox's state (fresh per mailbox: class caches recycle only the small data record). */
class Box {
  readonly queue: EventQueue;
  readonly waiters: Waiter[] = [];
  readonly senders = new Map<string, CapObject<SenderData>>();
  open = true;
  constructor(
    readonly id: number,
    readonly account: Account,
    capacity: number,
  ) {
    this.queue = new EventQueue(capacity);
  }
}

interface MailboxData {
  box: Box | null;
}
interface SenderData {
  box: Box | null;
  source: string;
}

function checkCount(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`notify: ${what} must be a non-negative integer`);
  return n;
}

/** Rough packed size of an event in a take answer (UTF-8 is at most 3 bytes a unit). */
function packedSize(ev: NotifyEvent): number {
  return 16 + 3 * (ev.type.length + ev.source.length + ev.data.length);
}

/**
 * A notification service factory (libcap/server.ts convention). Throws on a
 * quota or source bound that is not a non-negative integer.
 */
export function notifyServer(opts: NotifyOptions = {}): ServerFactory {
  const defaultQuota = checkCount('quota', opts.quota ?? DEFAULT_QUOTA);
  const maxSources = checkCount('maxSources', opts.maxSources ?? DEFAULT_MAX_SOURCES);
  const maxWaiters = checkCount('maxWaiters', opts.maxWaiters ?? DEFAULT_MAX_WAITERS);

  const factory = (env: ServerEnv): NotifyInstance => {
    const bucket = Bucket.start(env.kernel, env.task, { name: 'notify', ...opts.bucket });
    const svc = serveNotify(bucket, { defaultQuota, maxSources, maxWaiters });
    const inst: NotifyInstance = {
      name: 'notify',
      bucket,
      buckets: [bucket],
      root: svc.root,
      install(task: Task, params: unknown, slot?: number): number {
        const q = quotaParam(params);
        if (q !== undefined) svc.setQuota(bucket.clientFor(task), q);
        return bucket.install(svc.root, task, slot === undefined ? {} : { slot });
      },
      shutdown: (force) => shutdownBuckets(inst, force),
      stats: () => svc.stats(),
      mailboxes: () => svc.mailboxes(),
    };
    return inst;
  };
  // The body takes its options as JSON: bucket options that are functions stay behind.
  const body: ServerBody = {
    module: new URL(`./notify-body.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
    export: 'notifyBody',
    options: { defaultQuota, maxSources, maxWaiters, bucket: jsonOnly(opts.bucket ?? {}) },
  };
  return Object.assign(factory, { body });
}

/** The per-client quota in install params, checked (undefined: the default). */
export function quotaParam(params: unknown): number | undefined {
  const p = (params ?? {}) as NotifyParams;
  return p.quota === undefined ? undefined : checkCount('quota', p.quota);
}


/** Bounds of a notification service (see NotifyOptions). */
export interface NotifyLimits {
  readonly defaultQuota: number;
  readonly maxSources: number;
  readonly maxWaiters: number;
}

/** The notification service on a bucket (in-process or in an isolated task: it only uses the bucket). */
export interface NotifyService {
  readonly root: CapObject;
  /** Set the quota of `client` (from its install params). */
  setQuota(client: Client, quota: number): void;
  stats(): NotifyStats;
  mailboxes(): MailboxInfo[];
}

/** Serve mailboxes and senders on `bucket`; the caller installs `root` for clients. */
export function serveNotify(bucket: Bucket, limits: NotifyLimits): NotifyService {
  const { defaultQuota, maxSources, maxWaiters } = limits;
  /** Clients holding at least one mailbox. */
  const accounts = new Map<Client, Account>();
  /** Quotas set per client by install params. */
  const quotas = new WeakMap<Client, number>();
  let boxIds = 0;
  let abandoned = 0;

  function accountOf(client: Client): Account {
    let a = accounts.get(client);
    if (a === undefined) {
      a = { client, quota: quotas.get(client) ?? defaultQuota, reserved: 0, boxes: new Set(), waiters: 0 };
      accounts.set(client, a);
    }
    return a;
  }

  /** Number an event and hand it to the first waiter whose caller still waits, or queue it. */
  function deliver(box: Box, source: string, type: string, data: string): void {
    const ev: NotifyEvent = { tick: box.queue.nextTick(), type, source, data };
    for (let w = box.waiters[0]; w !== undefined; w = box.waiters[0]) {
      unpark(box, w);
      if (callerGone(w.rpc)) {
        abandon(w);
        continue;
      }
      if (w.answer(ev)) return;
    }
    box.queue.push(ev);
  }

  /** Take a waiter off its mailbox's list (idempotent). */
  function unpark(box: Box, w: Waiter): void {
    const i = box.waiters.indexOf(w);
    if (i < 0) return;
    box.waiters.splice(i, 1);
    box.account.waiters--;
    w.cancelTimer();
  }

  /** A waiter whose caller is gone: count it and let the library forget the call. */
  function abandon(w: Waiter): void {
    abandoned++;
    dropAbandoned(w.rpc);
  }

  /** Drop the waiters of `a` whose callers are gone; true when any was. */
  function sweepWaiters(a: Account): boolean {
    let any = false;
    for (const box of a.boxes) {
      for (const w of [...box.waiters]) {
        if (!callerGone(w.rpc)) continue;
        unpark(box, w);
        abandon(w);
        any = true;
      }
    }
    return any;
  }

  /** The mailbox is gone: fail its waiters, revoke its senders, give its quota back. */
  function close(box: Box): void {
    if (!box.open) return;
    box.open = false;
    for (const w of [...box.waiters]) {
      unpark(box, w);
      w.fail('EBADF');
    }
    for (const s of [...box.senders.values()]) {
      s.data.box = null;
      bucket.revokeObject(s);
    }
    box.senders.clear();
    box.queue.clear();
    const a = box.account;
    a.reserved -= box.queue.capacity;
    a.boxes.delete(box);
    if (a.boxes.size === 0) accounts.delete(a.client);
  }

  /** May the client of `box` park one more call? (Abandoned waiters are swept first.) */
  function mayPark(box: Box): boolean {
    const a = box.account;
    return a.waiters < maxWaiters || (sweepWaiters(a) && a.waiters < maxWaiters);
  }

  /** Park a `next` or `wait` until an event comes, the timeout passes or the call is cancelled. */
  function park(box: Box, ctx: Rpc, timeout: number, w: Waiter): void {
    box.waiters.push(w);
    box.account.waiters++;
    if (timeout > 0) {
      w.cancelTimer = after(bucket, timeout, () => {
        if (!box.waiters.includes(w)) return;
        unpark(box, w);
        w.fail('ETIMEDOUT');
      });
    }
    ctx.onCancel(() => unpark(box, w));
  }

  /** Up to `max` queued events, oldest first, within one message's budget. */
  function takeFrom(box: Box, max: number): NotifyEvent[] {
    const events: NotifyEvent[] = [];
    const n = Math.min(max, TAKE_MAX);
    let bytes = 0;
    for (let ev = box.queue.peek(); ev !== undefined && events.length < n; ev = box.queue.peek()) {
      if (!isWellFormed(ev.type) || !isWellFormed(ev.source) || !isWellFormed(ev.data)) {
        // Never let one event poison the answer: it goes, counted, and the rest are served.
        box.queue.discard();
        continue;
      }
      bytes += packedSize(ev);
      if (bytes > TAKE_BYTES && events.length > 0) break;
      events.push(box.queue.shift()!);
    }
    return events;
  }

  const senderClass: CapClass<SpecsOf<typeof Sender>, SenderData, SenderData> = defineClass({
    name: 'notify.sender',
    interface: Sender,
    init: (): SenderData => ({ box: null, source: '' }),
    alloc: (d, a: SenderData) => {
      d.box = a.box;
      d.source = a.source;
    },
    reinit: (d) => {
      d.box = null;
      d.source = '';
    },
    // Neither the owner nor any server holds it any more: forget the source.
    noSenders: (obj) => {
      const box = obj.data.box;
      if (box !== null && box.senders.get(obj.data.source) === obj) box.senders.delete(obj.data.source);
    },
    handlers: {
      post(ctx, { type, data }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF', 'the mailbox is gone');
        if (type === 'sync') return ctx.fail('EINVAL', 'the sync type is the service\'s own');
        if (!isWellFormed(type) || !isWellFormed(data)) return ctx.fail('EINVAL', 'type and data must be well-formed UTF-16');
        deliver(box, ctx.data.source, type, data);
        return {};
      },
      skip(ctx, { count }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF', 'the mailbox is gone');
        box.queue.skip(count);
        return {};
      },
    },
  });

  const mailboxClass: CapClass<SpecsOf<typeof Mailbox>, MailboxData, Box> = defineClass({
    name: 'notify.mailbox',
    interface: Mailbox,
    init: (): MailboxData => ({ box: null }),
    alloc: (d, box: Box) => {
      d.box = box;
    },
    reinit: (d) => {
      d.box = null;
    },
    noSenders: (obj) => {
      if (obj.data.box !== null) close(obj.data.box);
    },
    handlers: {
      allow(ctx, { source }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        if (!isWellFormed(source)) return ctx.fail('EINVAL', 'the source must be well-formed UTF-16');
        const known = box.senders.get(source);
        if (known !== undefined) return { sender: ctx.give(known) };
        if (box.senders.size >= maxSources) return ctx.fail('EDQUOT', `a mailbox allows at most ${maxSources} sources`);
        const s = bucket.create(senderClass, { box, source });
        if (s instanceof RpcFailure) return ctx.fail('EIO');
        box.senders.set(source, s);
        const slot = ctx.give(s);
        s.unref(); // the owner's entry keeps it
        return { sender: slot };
      },
      next(ctx, { timeout }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        const ev = box.queue.shift();
        if (ev !== undefined) return { event: ev };
        if (!mayPark(box)) return ctx.fail('EAGAIN', `at most ${maxWaiters} calls may wait per client`);
        const d = ctx.defer();
        park(box, ctx, timeout, { rpc: ctx, answer: (event) => d.reply({ event }), fail: (e) => d.fail(e), cancelTimer: () => {} });
        return d;
      },
      wait(ctx, { max, timeout }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        if (box.queue.length > 0 || max === 0) return { events: takeFrom(box, max) };
        if (!mayPark(box)) return ctx.fail('EAGAIN', `at most ${maxWaiters} calls may wait per client`);
        const d = ctx.defer();
        park(box, ctx, timeout, { rpc: ctx, answer: (ev) => d.reply({ events: [ev] }), fail: (e) => d.fail(e), cancelTimer: () => {} });
        return d;
      },
      take(ctx, { max }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        return { events: takeFrom(box, max) };
      },
      stats(ctx) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        const q = box.queue;
        return { capacity: q.capacity, queued: q.length, posted: q.posted, dropped: q.dropped };
      },
      revoke(ctx, { source }) {
        const box = ctx.data.box;
        if (box === null || !box.open) return ctx.fail('EBADF');
        const s = box.senders.get(source);
        if (s === undefined) return ctx.fail('ENOENT', `no sender for ${source}`);
        box.senders.delete(source);
        s.data.box = null;
        bucket.revokeObject(s);
        return {};
      },
    },
  });

  const rootClass = defineClass({
    name: 'notify',
    interface: Notify,
    init: () => ({}),
    handlers: {
      subscribe(ctx, { capacity }) {
        if (capacity < 1) return ctx.fail('EINVAL', 'capacity must be at least 1');
        const a = accountOf(ctx.client);
        if (capacity > a.quota - a.reserved) {
          if (a.boxes.size === 0) accounts.delete(ctx.client);
          return ctx.fail('EDQUOT', `quota ${a.quota}, ${a.reserved} reserved`);
        }
        const box = new Box(++boxIds, a, capacity);
        const obj = bucket.create(mailboxClass, box);
        if (obj instanceof RpcFailure) return ctx.fail('EIO');
        a.reserved += capacity;
        a.boxes.add(box);
        const slot = ctx.give(obj);
        obj.unref(); // the owner's entry keeps it
        return { mailbox: slot };
      },
    },
  });

  const root = bucket.create(rootClass, undefined);
  if (root instanceof RpcFailure) throw new Error('notify: cannot create the root object');

  function infoOf(box: Box): MailboxInfo {
    const q = box.queue;
    return {
      id: box.id,
      owner: box.account.client.taskId,
      capacity: q.capacity,
      queued: q.length,
      storage: q.storage,
      posted: q.posted,
      dropped: q.dropped,
      waiters: box.waiters.length,
      sources: [...box.senders.keys()],
    };
  }

  return {
    root,
    setQuota(client: Client, quota: number): void {
      quotas.set(client, quota);
    },
    stats() {
      let mailboxes = 0;
      let reserved = 0;
      let queued = 0;
      let posted = 0;
      let dropped = 0;
      let waiters = 0;
      for (const a of accounts.values()) {
        reserved += a.reserved;
        waiters += a.waiters;
        for (const b of a.boxes) {
          mailboxes++;
          queued += b.queue.length;
          posted += b.queue.posted;
          dropped += b.queue.dropped;
        }
      }
      return { clients: accounts.size, mailboxes, reserved, queued, posted, dropped, waiters, abandoned };
    },
    mailboxes() {
      const out: MailboxInfo[] = [];
      for (const a of accounts.values()) for (const b of a.boxes) out.push(infoOf(b));
      return out.sort((x, y) => x.id - y.id);
    },
  };
}
