// Classes and objects: init/alloc/reinit/destroy at the right times, alloc failure,
// the object cache, reference counts, and noSenders when the last client reference goes.

import { describe, expect, it } from 'vitest';
import { CapObject, connect, defineClass, defineInterface, RpcFailure, t, type ErrnoName } from '../../libcap/index.ts';
import { Ctl, isObject, mustCreate, ops, settle, world } from './harness.ts';

const Noop = defineInterface('noop', { ping: { op: 1, reply: { id: t.u32 } } });

function lifecycle(opts: { cacheSize?: number; failWith?: ErrnoName } = {}) {
  const events: string[] = [];
  let made = 0;
  const cls = defineClass({
    name: 'life',
    interface: Noop,
    ...(opts.cacheSize === undefined ? {} : { cacheSize: opts.cacheSize }),
    init: () => {
      const d = { id: ++made, arg: '' };
      events.push(`init ${d.id}`);
      return d;
    },
    alloc: (d, arg: string) => {
      events.push(`alloc ${d.id} ${arg}`);
      if (arg === 'fail') return opts.failWith ?? 'ENOMEM';
      d.arg = arg;
      return undefined;
    },
    reinit: (d) => {
      events.push(`reinit ${d.id}`);
      d.arg = '';
    },
    destroy: (d) => void events.push(`destroy ${d.id}`),
    noSenders: (o) => void events.push(`noSenders ${o.data.id}`),
    handlers: { ping: (ctx) => ({ id: ctx.data.id }) },
  });
  return { cls, events };
}

describe('classes: lifecycle callbacks', () => {
  it('init runs when data enters the cache, alloc per create, reinit on free, and freed data is reused', () => {
    const w = world();
    const { cls, events } = lifecycle();
    const a = mustCreate(w.bucket, cls, 'x');
    const b = mustCreate(w.bucket, cls, 'y');
    expect(events).toEqual(['init 1', 'alloc 1 x', 'init 2', 'alloc 2 y']);
    expect(a.data.arg).toBe('x');
    expect(cls.objects.size).toBe(2);
    a.unref();
    expect(events.slice(4)).toEqual(['reinit 1']);
    expect(a.alive).toBe(false);
    expect(cls.cached).toBe(1);
    expect(cls.objects.size).toBe(1);
    // The cached data is reused: no init, only alloc.
    const c = mustCreate(w.bucket, cls, 'z');
    expect(events.slice(5)).toEqual(['alloc 1 z']);
    expect(c.data.id).toBe(1);
    expect(c.data.arg).toBe('z');
    expect(c).not.toBe(a);
    b.unref();
    c.unref();
    expect(cls.cached).toBe(2);
    expect(events.includes('destroy 1') || events.includes('destroy 2')).toBe(false);
  });

  it('destroy runs for freed data the full cache cannot keep', () => {
    const w = world();
    const { cls, events } = lifecycle({ cacheSize: 1 });
    const objs = ['a', 'b', 'c'].map((x) => mustCreate(w.bucket, cls, x));
    for (const o of objs) o.unref();
    expect(events.slice(6)).toEqual(['reinit 1', 'reinit 2', 'destroy 2', 'reinit 3', 'destroy 3']);
    expect(cls.cached).toBe(1);
  });

  it('alloc failure: create answers the errno, and the data goes back to the cache (reinit, no leak)', () => {
    const w = world();
    const { cls, events } = lifecycle({ failWith: 'EMFILE' });
    const r = w.bucket.create(cls, 'fail');
    expect(r).toBeInstanceOf(RpcFailure);
    expect((r as RpcFailure).error).toBe('EMFILE');
    expect(events).toEqual(['init 1', 'alloc 1 fail', 'reinit 1']);
    expect(cls.objects.size).toBe(0);
    expect(cls.cached).toBe(1);
    const ok = mustCreate(w.bucket, cls, 'fine');
    expect(ok.data.id).toBe(1);
  });

  it('data shaped like an alloc error ({ error: string }) is still data, not a failure', () => {
    const w = world();
    const cls = defineClass({ name: 'errdata', interface: Noop, init: () => ({ error: 'none' }), handlers: {} });
    const o = w.bucket.create(cls, undefined);
    expect(isObject(o)).toBe(true);
    expect((o as CapObject<{ error: string }>).data).toEqual({ error: 'none' });
  });
});

describe('objects: reference counts and no-senders', () => {
  it('each client entry holds one reference; the last reference frees the object', async () => {
    const w = world();
    const { cls, events } = lifecycle();
    const o = mustCreate(w.bucket, cls, 'x');
    expect(o.refs).toBe(1);
    const t1 = w.k.createTask('t1');
    const t2 = w.k.createTask('t2');
    const s1 = w.bucket.install(o, t1);
    const s1b = w.bucket.install(o, t1); // same entry, second copy
    const s2 = w.bucket.install(o, t2);
    expect(o.refs).toBe(3);
    expect(o.entries.size).toBe(2);
    o.unref();
    expect(o.alive).toBe(true);
    ops(w.k, t1).delete(s1);
    await settle(w.k);
    expect(o.refs).toBe(2); // t1 still holds a copy of its handle
    ops(w.k, t1).delete(s1b);
    await settle(w.k);
    expect(o.refs).toBe(1);
    expect(events).not.toContain('noSenders 1');
    ops(w.k, t2).delete(s2);
    await settle(w.k);
    expect(events.slice(-2)).toEqual(['noSenders 1', 'reinit 1']);
    expect(o.alive).toBe(false);
    expect(o.refs).toBe(0);
    expect(w.bucket.stats().outstanding).toBe(0);
  });

  it('noSenders fires when the last client reference goes even if the server still holds one', async () => {
    const w = world();
    const { cls, events } = lifecycle();
    const o = mustCreate(w.bucket, cls, 'x');
    const t1 = w.k.createTask('t1');
    const s = w.bucket.install(o, t1);
    ops(w.k, t1).delete(s);
    await settle(w.k);
    expect(events.at(-1)).toBe('noSenders 1');
    expect(o.alive).toBe(true);
    expect(o.refs).toBe(1);
    // It can be given out again.
    const s2 = w.bucket.install(o, t1);
    expect(await connect(Noop, w.k, t1, s2).ping()).toEqual({ id: 1 });
    o.unref();
    expect(o.alive).toBe(true);
  });

  it('an RPC in flight holds a reference: the object outlives a revocation until the RPC ends', async () => {
    const w = world();
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    const call = c.hold({ id: 9 });
    await settle(w.k);
    expect(a.obj.refs).toBe(2); // the entry and the RPC
    w.bucket.revoke(w.bucket.clientFor(a.task), a.obj);
    expect(a.obj.alive).toBe(true);
    expect(a.obj.refs).toBe(1);
    w.log.release(9, 1);
    expect(await call).toEqual({ value: 1 });
    await settle(w.k);
    expect(a.obj.alive).toBe(false);
  });

  it('use after release throws (a server bug), and so does unref below zero', () => {
    const w = world();
    const { cls } = lifecycle();
    const o = mustCreate(w.bucket, cls, 'x');
    o.unref();
    expect(() => o.ref()).toThrow(/used after release/);
    expect(() => o.unref()).toThrow(/underflow/);
    expect(() => w.bucket.install(o, w.k.createTask('t'))).toThrow(/was released/);
  });

  it('a sub-object handed out in a reply lives as long as the client holds it', async () => {
    const w = world();
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    const { sub } = await c.open();
    expect(w.cls.objects.size).toBe(2);
    const s = connect(Ctl, w.k, a.task, sub);
    expect(await s.add({ by: 5 })).toEqual({ value: 5 });
    expect(await c.get()).toEqual({ value: 0 });
    ops(w.k, a.task).delete(sub);
    await settle(w.k);
    expect(w.cls.objects.size).toBe(1);
    expect(w.bucket.stats().outstanding).toBe(1);
  });

  it('a sub-object given during an RPC whose answer fails is released at once', async () => {
    const w = world();
    const a = w.client();
    const cls = defineClass({
      name: 'giver',
      interface: defineInterface('giver', { give: { op: 1, reply: { c: t.cap() } } }),
      init: () => null,
      handlers: {
        give(ctx) {
          const o = mustCreate(w.bucket, w.cls);
          ctx.give(o);
          o.unref();
          return ctx.fail('EIO');
        },
      },
    });
    const g = mustCreate(w.bucket, cls);
    const gs = w.bucket.install(g, a.task);
    const before = w.bucket.stats().outstanding;
    const r = await connect(cls.iface, w.k, a.task, gs).attempt.give();
    expect(r).toMatchObject({ ok: false, error: 'EIO' });
    await settle(w.k);
    expect(w.bucket.stats().outstanding).toBe(before);
    expect(w.cls.objects.size).toBe(1);
  });
});
