// Per-client limits through public clients: each built-in limit answers its errno to the
// client that reached it while another client keeps being served; a class's limits
// replace the bucket's; servers charge and release kinds of their own.

import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { taskSnapshot } from '../../core/index.ts';
import {
  Bucket,
  connect,
  defineClass,
  defineInterface,
  DEFAULT_LIMITS,
  LIMIT_ERRNO,
  t,
  type Client,
} from '../../libcap/index.ts';
import { resolveLimits } from '../../libcap/limits.ts';
import { deleteCap } from '../world-helpers.ts';
import { Ctl, collectBugs, kernel, mustCreate, settle, track, world } from './harness.ts';

describe('per-client limits: the library counts caps, RPCs and deferred calls', () => {
  it('caps: the client at its limit gets EMFILE from give; others are served; a released cap frees room', async () => {
    const w = world({ limits: { caps: 3 } });
    const a = w.client();
    const b = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const cb = connect(Ctl, w.k, b.task, b.slot);
    const s1 = await ca.open();
    await ca.open(); // 3 caps: the installed one and two subs
    expect(await ca.attempt.open()).toMatchObject({ ok: false, error: 'EMFILE' });
    expect(await cb.attempt.open()).toMatchObject({ ok: true });
    expect(w.bucket.clientFor(a.task).used('caps')).toBe(3);
    // Dropping a cap (no-senders releases its entry) makes room again.
    deleteCap(w.k, a.task, s1.sub);
    await settle(w.k);
    expect(w.bucket.clientFor(a.task).used('caps')).toBe(2);
    expect(await ca.attempt.open()).toMatchObject({ ok: true });
  });

  it('rpcs: RPCs in flight past the limit answer EAGAIN at once; others are served; answered calls free room', async () => {
    const w = world({ limits: { rpcs: 2 } });
    const a = w.client();
    const b = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const cb = connect(Ctl, w.k, b.task, b.slot);
    const h1 = track(ca.attempt.hold({ id: 1 }));
    const h2 = track(ca.attempt.hold({ id: 2 }));
    await settle(w.k);
    expect(await ca.attempt.get()).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(await cb.attempt.get()).toEqual({ ok: true, value: { value: 0 } });
    expect(w.bucket.clientFor(a.task).usage()).toMatchObject({ rpcs: 2, deferred: 2 });
    w.log.release(1);
    await settle(w.k);
    expect(h1.value).toEqual({ ok: true, value: { value: 1 } });
    expect(await ca.attempt.get()).toMatchObject({ ok: true });
    w.log.release(2);
    await settle(w.k);
    expect(h2.done).toBe(true);
    expect(w.bucket.clientFor(a.task).usage()).toMatchObject({ rpcs: 0, deferred: 0 });
  });

  it('deferred: a deferral past the limit answers EAGAIN and the handle learns it (reply returns false)', async () => {
    const w = world({ limits: { deferred: 1 } });
    const a = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const h1 = track(ca.attempt.hold({ id: 1 }));
    await settle(w.k);
    expect(await ca.attempt.hold({ id: 2 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(w.log.held.get(2)!.done).toBe(true);
    expect(w.log.release(2)).toBe(false);
    expect(w.log.release(1)).toBe(true);
    await settle(w.k);
    expect(h1.value).toEqual({ ok: true, value: { value: 1 } });
    expect(w.bucket.clientFor(a.task).usage()).toMatchObject({ rpcs: 0, deferred: 0 });
  });

  it("a class's limits replace the bucket's for RPCs on its objects", async () => {
    const w = world({ limits: { caps: 100 }, classLimits: { caps: 2 } });
    const a = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    await ca.open();
    expect(await ca.attempt.open()).toMatchObject({ ok: false, error: 'EMFILE' });
  });

  it("a class's limits are read when it is defined: changing the object later changes nothing", () => {
    const limits = { rpcs: 0 };
    const cls = defineClass({ name: 'x', interface: Ctl, init: () => ({}), handlers: {}, limits });
    limits.rpcs = 5;
    expect(cls.limits).toEqual({ rpcs: 0 });
    expect(Object.isFrozen(cls.limits)).toBe(true);
  });

  it('limits are checked when the bucket or class is made', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    expect(() => Bucket.start(k, srv, { limits: { rpcs: -1 } })).toThrow(RangeError);
    expect(() => defineClass({ name: 'x', interface: Ctl, init: () => ({}), handlers: {}, limits: { caps: 1.5 } })).toThrow(RangeError);
  });

  it('the documented defaults and errnos', () => {
    expect(DEFAULT_LIMITS).toEqual({
      caps: 4096,
      rpcs: 256,
      deferred: 128,
      kept: 256,
      watchers: 64,
      waiters: 64,
      bytes: 64 * 1024 * 1024,
      sessions: 4,
    });
    expect(LIMIT_ERRNO).toEqual({
      caps: 'EMFILE',
      rpcs: 'EAGAIN',
      deferred: 'EAGAIN',
      kept: 'EMFILE',
      watchers: 'EAGAIN',
      waiters: 'EAGAIN',
      bytes: 'EDQUOT',
      sessions: 'EAGAIN',
    });
  });
});

// A server that keeps watchers, stored bytes, kept caps and a kind of its own for its clients.
const Store = defineInterface('store', {
  watch: { op: 1, reply: { n: t.u32 } },
  unwatch: { op: 2 },
  put: { op: 3, args: { data: t.bytes(64) }, reply: { total: t.u32 }, errors: ['EDQUOT'] },
  keep: { op: 4, args: { c: t.cap() } },
  lease: { op: 5 },
  bogus: { op: 6 },
});

function storeWorld(limits: Record<string, number>) {
  const k = kernel();
  const srv = k.createTask('store', { slots: 1 << 12 });
  const kept: { client: Client; slot: number }[] = [];
  const cls = defineClass({
    name: 'store',
    interface: Store,
    init: () => ({}),
    handlers: {
      watch(ctx) {
        const err = ctx.charge('watchers');
        if (err !== null) return ctx.fail(err);
        return { n: ctx.client.used('watchers') };
      },
      unwatch(ctx) {
        ctx.client.release('watchers');
      },
      put(ctx, { data }) {
        const err = ctx.charge('bytes', data.length);
        if (err !== null) return ctx.fail(err);
        return { total: ctx.client.used('bytes') };
      },
      keep(ctx, { c }) {
        const err = ctx.charge('kept');
        if (err !== null) return ctx.fail(err);
        ctx.keep(c);
        kept.push({ client: ctx.client, slot: c });
        return {};
      },
      lease(ctx) {
        const err = ctx.charge('leases');
        if (err !== null) return ctx.fail(err);
        return {};
      },
      bogus(ctx) {
        ctx.charge('nolimit');
      },
    },
  });
  const bucket = Bucket.start(k, srv, { limits });
  const obj = mustCreate(bucket, cls);
  const mk = (name: string) => {
    const task = k.createTask(name);
    const slot = bucket.install(obj, task);
    return { task, c: connect(Store, k, task, slot), slot };
  };
  return { k, srv, bucket, kept, mk };
}

describe('per-client limits: kinds the server charges', () => {
  it('watchers: EAGAIN at the limit, for that client only; release makes room', async () => {
    const s = storeWorld({ watchers: 2 });
    const a = s.mk('a');
    const b = s.mk('b');
    expect(await a.c.watch()).toEqual({ n: 1 });
    expect(await a.c.watch()).toEqual({ n: 2 });
    expect(await a.c.attempt.watch()).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(await b.c.watch()).toEqual({ n: 1 });
    await a.c.unwatch();
    expect(await a.c.watch()).toEqual({ n: 2 });
  });

  it('bytes: EDQUOT past the quota, nothing charged by the refused call', async () => {
    const s = storeWorld({ bytes: 100 });
    const a = s.mk('a');
    expect(await a.c.put({ data: new Uint8Array(60) })).toEqual({ total: 60 });
    expect(await a.c.attempt.put({ data: new Uint8Array(41) })).toMatchObject({ ok: false, error: 'EDQUOT' });
    expect(await a.c.put({ data: new Uint8Array(40) })).toEqual({ total: 100 });
  });

  it('kept: EMFILE past the limit, and the refused cap is not kept', async () => {
    const s = storeWorld({ kept: 1 });
    const a = s.mk('a');
    await a.c.keep({ c: a.slot });
    expect(await a.c.attempt.keep({ c: a.slot })).toMatchObject({ ok: false, error: 'EMFILE' });
    expect(s.kept.length).toBe(1);
  });

  it('a kind of the server own answers EAGAIN at its limit; a kind with no limit is a server bug (EIO)', async () => {
    const bugs = collectBugs();
    try {
      const s = storeWorld({ leases: 1 });
      const a = s.mk('a');
      await a.c.lease();
      expect(await a.c.attempt.lease()).toMatchObject({ ok: false, error: 'EAGAIN' });
      expect(await a.c.attempt.bogus()).toMatchObject({ ok: false, error: 'EIO' });
      expect(bugs.list.join()).toMatch(/no limit is set for kind nolimit/);
    } finally {
      bugs.restore();
    }
  });

  it('the library-counted kinds cannot be charged by hand', async () => {
    const s = storeWorld({});
    const cl = s.bucket.clientFor(s.mk('a').task);
    expect(() => cl.charge('caps')).toThrow(TypeError);
    expect(() => cl.charge('rpcs')).toThrow(TypeError);
    expect(() => cl.charge('deferred')).toThrow(TypeError);
    expect(() => cl.release('deferred')).toThrow(TypeError);
    expect(taskSnapshot(s.srv).threads.every((th) => th.fault === 0)).toBe(true);
  });
});

describe('resolved limits', () => {
  it('lays the given limits over the defaults, keeps a server\'s own kinds, drops undefined ones, and is frozen', () => {
    const r = resolveLimits({ rpcs: 3, mine: 7, unset: undefined }, 'test');
    expect({ ...r }).toEqual({ ...DEFAULT_LIMITS, rpcs: 3, mine: 7 });
    expect(Object.keys(r).slice(0, Object.keys(DEFAULT_LIMITS).length)).toEqual(Object.keys(DEFAULT_LIMITS));
    expect(Object.isFrozen(r)).toBe(true);
    expect(() => resolveLimits({ rpcs: -1 }, 'test')).toThrow(RangeError);
  });

  it('every bucket\'s limits share one hidden class, however many buckets a process makes', () => {
    // V8's own check (a natives-syntax call): a spread of the defaults gave the 10th and
    // later buckets a class each, and the request path's read of a limit deoptimised.
    setFlagsFromString('--allow-natives-syntax');
    const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    const bucket = (): Bucket => {
      const k = kernel();
      return Bucket.start(k, k.createTask('server'));
    };
    const first = bucket().limits;
    for (let i = 0; i < 30; i++) {
      expect(sameMap(first, bucket().limits)).toBe(true);
      expect(sameMap(first, resolveLimits(i % 2 === 0 ? undefined : { rpcs: i }, 'test'))).toBe(true);
    }
  });
});
