// netmsg between two kernels through a real nats-server: an imported cap takes the same
// stubs as a local one (replies, errors, badges, caps both ways, timeouts), and life and
// death travel (no-senders, a dead node's calls fail with EPIPE, nothing hangs).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rights, type Kernel, type Task } from '../../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, stub, t } from '../../../libcap/index.ts';
import { natsAvailable, startNatsServer, startNode, stopNode, type Node } from './harness.ts';
import type { NatsServer } from '../../../servers/netmsg/index.ts';

const Echo = defineInterface('echo', {
  inc: { op: 1, args: { x: t.u32 }, reply: { y: t.u32 } },
  text: { op: 2, args: { s: t.string(1000), b: t.bytes(100) }, reply: { s: t.string(1000), n: t.u32 } },
  who: { op: 3, reply: { badge: t.u32 } },
  fail: { op: 4, errors: ['ENOENT'] },
  child: { op: 5, args: { n: t.u32 }, reply: { c: t.cap() } },
  give: { op: 6, args: { c: t.cap() }, reply: { got: t.u32 } },
  slow: { op: 7, args: { ms: t.u32 } },
  callBack: { op: 8, args: { c: t.cap(), x: t.u32 }, reply: { y: t.u32 } },
  wait: { op: 9, reply: { aborted: t.bool } },
});

let sawAbort = false;

const kidClass = defineClass({
  name: 'kid',
  interface: Echo,
  init: () => ({ n: 0 }),
  alloc(data, n: number) {
    data.n = n;
  },
  handlers: { inc: (_c, { x }) => ({ y: x + 1 }) },
});

const echoClass = defineClass({
  name: 'echo',
  interface: Echo,
  init: () => ({ n: 0 }),
  alloc(data, n: number) {
    data.n = n;
  },
  handlers: {
    inc: (_c, { x }) => ({ y: x + 1 }),
    text: (_c, { s, b }) => ({ s: s.toUpperCase(), n: b.length }),
    who: (ctx) => ({ badge: ctx.client.id }),
    fail: (ctx) => ctx.fail('ENOENT', 'as asked'),
    child(ctx, { n }) {
      const o = ctx.bucket.create(kidClass, n);
      if (!('data' in o)) return ctx.fail('EIO');
      return { c: ctx.give(o) };
    },
    give: () => ({ got: 1 }),
    slow: (_c, { ms }) => new Promise((r) => setTimeout(() => r(undefined), ms)),
    *callBack(ctx, { c, x }) {
      const r = yield* stub(Echo, ctx.sys!, c).inc({ x });
      return r.ok ? { y: r.value.y } : ctx.fail('EIO', r.error);
    },
    wait: (ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          resolve({ aborted: true });
        });
      }),
  },
});

const run = natsAvailable();

describe.runIf(run)('netmsg over nats-server', () => {
  let server: NatsServer;
  let a: Node;
  let b: Node;
  let serverTask: Task;
  let bucket: Bucket;

  beforeAll(async () => {
    server = await startNatsServer(['a', 'b', 'c']);
    a = await startNode(server, 'a');
    b = await startNode(server, 'b');
    serverTask = a.kernel.createTask('echo-server', { quota: 10_000, slots: 4096 });
    bucket = Bucket.start(a.kernel, serverTask, { maxWorkers: 8 });
    const obj = bucket.create(echoClass, 0);
    if (!('data' in obj)) throw new Error('create');
    const holder = a.kernel.createTask('holder');
    a.bridge.publish('echo', holder, bucket.install(obj, holder));
  }, 20_000);

  afterAll(async () => {
    for (const n of [a, b]) if (n !== undefined) await stopNode(n).catch(() => undefined);
    await server?.stop();
  });

  function client(k: Kernel, name: string): Task {
    return k.createTask(name, { slots: 1024 });
  }

  it('a looked-up cap answers calls as a local one: replies, strings and bytes, declared errors', async () => {
    const c = client(b.kernel, 'c1');
    const slot = await b.bridge.lookup('a', 'echo', c);
    const echo = connect(Echo, b.kernel, c, slot);
    expect(await echo.inc({ x: 41 })).toEqual({ y: 42 });
    expect(await echo.text({ s: 'héllo \ud83d\ude00', b: new Uint8Array(7) })).toEqual({ s: 'HÉLLO \ud83d\ude00', n: 7 });
    const r = await echo.attempt.fail({});
    expect(r).toMatchObject({ ok: false, error: 'ENOENT' });
  });

  it('an unknown name answers ENOENT; an absent node EPIPE', async () => {
    const c = client(b.kernel, 'c2');
    await expect(b.bridge.lookup('a', 'nothing', c)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(b.bridge.lookup('c', 'echo', c, { timeout: 2000 })).rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('caps in replies come back as proxies that work; caps sent back unwrap to the original', async () => {
    const c = client(b.kernel, 'c3');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const { c: child } = await echo.child({ n: 5 });
    const kid = connect(Echo, b.kernel, c, child);
    expect(await kid.inc({ x: 1 })).toEqual({ y: 2 });
    expect(await echo.give({ c: child })).toEqual({ got: 1 });
  });

  it('the client timeout applies to a slow remote call; the node keeps serving', async () => {
    const c = client(b.kernel, 'c4');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const r = await echo.attempt.slow({ ms: 2000 }, { timeout: 100 });
    expect(r).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(await echo.inc({ x: 1 })).toEqual({ y: 2 });
  });

  it('dropping the last proxy releases the export (the server hears no-senders)', async () => {
    const c = client(b.kernel, 'c5');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const { c: child } = await echo.child({ n: 9 });
    const before = a.bridge.stats.releasesIn;
    await b.kernel.exec(c, function* (sys) {
      sys.delete(child);
    });
    const deadline = Date.now() + 5000;
    while (a.bridge.stats.releasesIn === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(a.bridge.stats.releasesIn).toBeGreaterThan(before);
  });

  it('a node that dies mid-call: the waiting call answers EPIPE within the heartbeat bound', async () => {
    const c3 = await startNode(server, 'c');
    const t3 = c3.kernel.createTask('slow-server', { quota: 1000, slots: 1024 });
    const bk = Bucket.start(c3.kernel, t3, { maxWorkers: 2 });
    const o = bk.create(echoClass, 0);
    if (!('data' in o)) throw new Error('create');
    const h = c3.kernel.createTask('h');
    c3.bridge.publish('echo', h, bk.install(o, h));
    const c = client(b.kernel, 'c6');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('c', 'echo', c));
    expect(await echo.inc({ x: 1 })).toEqual({ y: 2 });
    const pending = echo.attempt.slow({ ms: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    await c3.bridge.stop();
    await c3.nc.close();
    const t0 = Date.now();
    expect(await pending).toMatchObject({ ok: false, error: 'EPIPE' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await echo.attempt.inc({ x: 1 })).toMatchObject({ ok: false, error: 'EPIPE' });
  }, 20_000);

  it('a client hands a remote server a cap of its own, and the server calls it back across the network', async () => {
    const c = client(b.kernel, 'c8');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const local = b.kernel.createTask('local-server', { quota: 100, slots: 256 });
    const lb = Bucket.start(b.kernel, local, {});
    const lo = lb.create(kidClass, 1);
    if (!('data' in lo)) throw new Error('create');
    const mine = lb.install(lo, c);
    expect(await echo.callBack({ c: mine, x: 41 })).toEqual({ y: 42 });
  });

  it('cancelling a remote call reaches the server (its signal aborts) and the client gets EINTR', async () => {
    const c = client(b.kernel, 'c9');
    const echo = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const ac = new AbortController();
    const pending = echo.attempt.wait({}, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    expect(await pending).toMatchObject({ ok: false, error: 'EINTR' });
    const deadline = Date.now() + 3000;
    while (!sawAbort && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sawAbort).toBe(true);
  });

  it('badges: each lookup is a client of its own at the server', async () => {
    const c = client(b.kernel, 'c7');
    const e1 = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const e2 = connect(Echo, b.kernel, c, await b.bridge.lookup('a', 'echo', c));
    const w1 = await e1.who({});
    const w2 = await e2.who({});
    expect(w1.badge).toBe(w2.badge);
    void Rights;
  });
});
