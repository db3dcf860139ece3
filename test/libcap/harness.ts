// Shared helpers for the libcap tests: a kernel on virtual time, a server task with a
// bucket serving a small test interface, raw kernel calls that bypass client encoding,
// and readers of cap spaces. Nothing here is a test; test files import it.

import {
  HostSys,
  Kernel,
  NEVER,
  Status,
  VirtualClock,
  type Item,
  type Sys,
  type SysGen,
  type Task,
} from '../../core/index.ts';
import {
  Bucket,
  bugReports,
  defineClass,
  defineInterface,
  HEADER_WORDS,
  t,
  type AllocArgOf,
  type AnyClass,
  type BucketOptions,
  type ClientLimits,
  type DataOf,
  type CapObject,
  type LibraryError,
  type RpcFailure,
} from '../../libcap/index.ts';
export { settle, advance, track, capCount } from '../world-helpers.ts';

// ------------------------------------------------------------------ the test interface

/**
 * The interface most tests serve: plain answers, a declared error, a handler that keeps
 * its worker busy (virtual time), one that defers until the test releases it, one that
 * names its caller, a cap reply, a declared method without handler, one that throws,
 * a one-way message, and one that busies its worker and commits even when cancelled.
 */
export const Ctl = defineInterface('ctl', {
  get: { op: 1, reply: { value: t.u32 } },
  add: { op: 2, args: { by: t.u32 }, reply: { value: t.u32 }, errors: ['EOVERFLOW'] },
  block: { op: 3, args: { ms: t.u32 }, reply: { value: t.u32 } },
  hold: { op: 4, args: { id: t.u32 }, reply: { value: t.u32 } },
  who: { op: 5, reply: { client: t.u32, task: t.i32, entry: t.u32 } },
  open: { op: 6, reply: { sub: t.cap() } },
  unimpl: { op: 7 },
  boom: { op: 8 },
  note: { op: 9, args: { n: t.u32 }, oneway: true },
  name: { op: 10, args: { s: t.string(8) }, reply: { s: t.string(16) } },
  commit: { op: 11, args: { ms: t.u32 }, reply: { value: t.u32 } },
});

export const CTL_LIMIT = 1000;

/** Per-object data of the ctl class. */
export interface CtlData {
  n: number;
}

/** A deferred `hold` call, as the handler keeps it. */
export interface Held {
  reply(v: { value: number }): boolean;
  fail(e: LibraryError): boolean;
  readonly done: boolean;
  readonly signal: AbortSignal;
}

/** What the ctl class's handlers saw: calls per method, cancellations, deferred handles. */
export class CtlLog {
  readonly calls: string[] = [];
  /** Deferred `hold` calls by id, until the test answers them. */
  readonly held = new Map<number, Held>();
  /** Ids of `hold` calls whose signal aborted. */
  readonly aborted: number[] = [];
  /** `block` calls that saw their signal aborted when they woke. */
  readonly blockAborted: number[] = [];
  readonly notes: number[] = [];
  /** Ids of objects whose last client reference went (noSenders). */
  readonly noSenders: number[] = [];
  /** Workers busy in handlers, and the most seen at once. */
  busy = 0;
  maxBusy = 0;
  /** Release a held call with `value` (throws when it was never held: a test bug). */
  release(id: number, value = id): boolean {
    const d = this.held.get(id);
    if (d === undefined) throw new Error(`test bug: hold ${id} was never called`);
    this.held.delete(id);
    return d.reply({ value });
  }
}

/** The ctl class; `bucket()` names the bucket `open` creates sub-objects in. */
export function ctlClass(log: CtlLog, bucket: () => Bucket, spec: { cacheSize?: number; limits?: ClientLimits } = {}) {
  const cls = defineClass({
    name: 'ctl',
    interface: Ctl,
    init: (): CtlData => ({ n: 0 }),
    reinit: (d) => {
      d.n = 0;
    },
    noSenders: (obj) => {
      log.noSenders.push(obj.id);
    },
    ...(spec.cacheSize === undefined ? {} : { cacheSize: spec.cacheSize }),
    ...(spec.limits === undefined ? {} : { limits: spec.limits }),
    handlers: {
      get(ctx) {
        log.calls.push('get');
        return { value: ctx.data.n };
      },
      add(ctx, { by }) {
        log.calls.push('add');
        if (ctx.data.n + by > CTL_LIMIT) return ctx.fail('EOVERFLOW');
        ctx.data.n += by;
        return { value: ctx.data.n };
      },
      *block(ctx, { ms }) {
        log.calls.push('block');
        log.busy++;
        log.maxBusy = Math.max(log.maxBusy, log.busy);
        yield ctx.sys!.sleep(ms);
        log.busy--;
        // Honours cancellation: a cancelled block gives up (EINTR) instead of answering.
        if (ctx.signal.aborted) {
          log.blockAborted.push(ms);
          return ctx.fail('EINTR');
        }
        return { value: ms };
      },
      *commit(ctx, { ms }) {
        log.calls.push('commit');
        yield ctx.sys!.sleep(ms);
        // Ignores cancellation: the work is done, and the answer says so.
        if (ctx.signal.aborted) log.blockAborted.push(ms);
        ctx.data.n += 1;
        return { value: ctx.data.n };
      },
      hold(ctx, { id }) {
        log.calls.push('hold');
        const d = ctx.defer();
        log.held.set(id, d);
        ctx.signal.addEventListener('abort', () => log.aborted.push(id));
        return d;
      },
      who(ctx) {
        log.calls.push('who');
        return { client: ctx.client.id, task: ctx.client.taskId, entry: ctx.entry.index };
      },
      open(ctx) {
        log.calls.push('open');
        const o = bucket().create(cls, undefined);
        if (!isObject(o)) return ctx.fail('EIO');
        const slot = ctx.give(o);
        o.unref();
        return { sub: slot };
      },
      boom() {
        log.calls.push('boom');
        throw new Error('boom handler failed');
      },
      note(_ctx, { n }) {
        log.notes.push(n);
      },
      name(_ctx, { s }) {
        return { s: `hi ${s}` };
      },
    },
  });
  return cls;
}

export function isObject<D>(o: CapObject<D> | RpcFailure): o is CapObject<D> {
  return 'refs' in o;
}

// ------------------------------------------------------------------ a world

/** A kernel on virtual time (no automatic advance unless asked: tests move time). */
export function kernel(autoAdvance = false): Kernel {
  return new Kernel({ clock: new VirtualClock(autoAdvance) });
}

export interface World {
  k: Kernel;
  srv: Task;
  bucket: Bucket;
  log: CtlLog;
  cls: ReturnType<typeof ctlClass>;
  /** A client task with a cap to a fresh ctl object. */
  client(name?: string): { task: Task; obj: CapObject<CtlData>; slot: number };
}

/**
 * A server task with a started bucket serving ctl objects. `slots` sizes the server's
 * cap space; `classLimits` are the ctl class's own per-client limits.
 */
export function world(
  opts: BucketOptions & { autoAdvance?: boolean; cacheSize?: number; slots?: number; classLimits?: ClientLimits; memQuota?: number } = {},
): World {
  const { autoAdvance, cacheSize, slots, classLimits, memQuota, ...bopts } = opts;
  const k = kernel(autoAdvance ?? false);
  const srv = k.createTask('srv', { quota: 10_000, slots: slots ?? 1 << 14, memQuota: memQuota ?? 0 });
  const log = new CtlLog();
  let b: Bucket | null = null;
  const cls = ctlClass(log, () => b!, {
    ...(cacheSize === undefined ? {} : { cacheSize }),
    ...(classLimits === undefined ? {} : { limits: classLimits }),
  });
  b = Bucket.start(k, srv, bopts);
  const bucket = b;
  let n = 0;
  return {
    k,
    srv,
    bucket,
    log,
    cls,
    client(name = `cli${++n}`) {
      const task = k.createTask(name);
      const obj = mustCreate(bucket, cls);
      const slot = bucket.install(obj, task);
      obj.unref(); // the client's entry keeps it
      return { task, obj, slot };
    },
  };
}

/** Create an object (the caller holds its one reference); a failed create is a test bug. */
export function mustCreate<C extends AnyClass>(bucket: Bucket, cls: C, arg?: AllocArgOf<C>): CapObject<DataOf<C>> {
  const o = bucket.create(cls, arg as AllocArgOf<C>);
  if (!isObject(o)) throw new Error(`test bug: create failed with ${o.error}`);
  return o;
}

// ------------------------------------------------------------------ raw messages

export interface RawMessage {
  label: number;
  /** Every word, header included (MR0 = cancel key, MR1 = sequence). */
  words: readonly number[];
  items?: readonly Item[];
  caps?: readonly number[];
  /** Bit i: transfer caps[i] by grant. */
  grantMask?: number;
}

export interface RawAnswer {
  status: number;
  label: number;
  words: number[];
}

/** Fill the UTCB from `m`: words, items, caps. */
export function fill(sys: Sys, m: RawMessage): void {
  const u = sys.utcb;
  m.words.forEach((w, i) => (u.mr[i] = w));
  (m.items ?? []).forEach((it, i) => (u.items[i] = it));
  (m.caps ?? []).forEach((c, i) => (u.caps[i] = c));
  u.grantMask = m.grantMask ?? 0;
}

/** A raw call from a kernel thread (bypasses the client codec). */
export function* rawCall(sys: Sys, slot: number, m: RawMessage, timeout = NEVER): SysGen<RawAnswer> {
  fill(sys, m);
  const st: number = yield sys.call(slot, m.label, m.words.length, m.caps?.length ?? 0, m.items?.length ?? 0, timeout, timeout);
  const u = sys.utcb;
  return { status: st, label: u.label, words: Array.from(u.mr.subarray(0, st === Status.Ok ? u.length : 0)) };
}

/** A raw one-way send from a kernel thread. */
export function* rawSend(sys: Sys, slot: number, m: RawMessage): SysGen<number> {
  fill(sys, m);
  return (yield sys.send(slot, m.label, m.words.length, m.caps?.length ?? 0, m.items?.length ?? 0)) as number;
}

/** The header words of a request: cancel key and sequence. */
export function header(key: number, seq: number): number[] {
  const h = [key, seq];
  if (h.length !== HEADER_WORDS) throw new Error('test bug: header size changed');
  return h;
}

// ------------------------------------------------------------------ cap spaces and bugs

/** Host-side cap operations in a task (delete a client's copy, identify a slot). */
export function ops(k: Kernel, task: Task): HostSys {
  return new HostSys(k, task);
}

/** Collect server bug reports for the duration of a test. */
export function collectBugs(): { readonly list: string[]; restore(): void } {
  const prev = bugReports.sink;
  const list: string[] = [];
  bugReports.sink = (where, message) => list.push(`${where}: ${message}`);
  return {
    list,
    restore() {
      bugReports.sink = prev;
    },
  };
}
