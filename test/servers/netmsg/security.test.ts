// What a node's NATS user may do: subscribe only to its own subjects (listening in on
// another node's requests is refused by nats-server), and a guessed or forged token
// reaches nothing (the exporter refuses it; the proxy answers EPIPE).

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bucket, connect, defineClass, defineInterface } from '../../../libcap/index.ts';
import { decodeFrame, encodeFrame, FrameKind, type NatsServer } from '../../../servers/netmsg/index.ts';
import { connectAs, natsAvailable, startNatsServer, startNode, stopNode, type Node } from './harness.ts';

const Ping = defineInterface('ping', { ping: { op: 1 } });
const pingClass = defineClass({ name: 'ping', interface: Ping, init: () => ({ n: 0 }), handlers: { ping: (ctx) => void ctx.data.n++ } });

describe.runIf(natsAvailable())('netmsg security', () => {
  let server: NatsServer;
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    server = await startNatsServer(['a', 'b', 'eve']);
    a = await startNode(server, 'a');
    b = await startNode(server, 'b');
    const st = a.kernel.createTask('server', { quota: 100, slots: 256 });
    const bucket = Bucket.start(a.kernel, st, {});
    const o = bucket.create(pingClass, undefined);
    if (!('data' in o)) throw new Error('create');
    const h = a.kernel.createTask('h');
    a.bridge.publish('ping', h, bucket.install(o, h));
  }, 20_000);

  afterAll(async () => {
    for (const n of [a, b]) if (n !== undefined) await stopNode(n).catch(() => undefined);
    await server?.stop();
  });

  it("a node's user cannot subscribe to another node's subjects: nats-server refuses, nothing is heard", async () => {
    const eve = await connectAs(server, 'eve');
    const heard: string[] = [];
    const errors: string[] = [];
    const sub = eve.subscribe('hurdle.a.>', {
      callback: (e, m) => {
        if (e !== null) errors.push(e.message);
        else heard.push(m.subject);
      },
    });
    void (async () => {
      for await (const s of eve.status()) if (s.type === 'error' || s.type === 'update') errors.push(String((s as { error?: unknown }).error ?? s.type));
    })();
    await eve.flush().catch(() => undefined);
    const c = b.kernel.createTask('c', { slots: 256 });
    const p = connect(Ping, b.kernel, c, await b.bridge.lookup('a', 'ping', c));
    await p.ping({});
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual([]);
    expect(errors.join(' ')).toMatch(/permission/i);
    sub.unsubscribe();
    await eve.close().catch(() => undefined);
  });

  it('a guessed token is refused by the exporter; a proxy to it answers EPIPE', async () => {
    const eve = await connectAs(server, 'eve');
    const guess = randomBytes(16).toString('hex');
    const frame = encodeFrame({ kind: FrameKind.Call, label: 1, words: [0, 0], items: [], caps: [] });
    const answer = await eve.request(`hurdle.a.x.${guess}`, frame, { timeout: 2000 });
    const f = decodeFrame(answer.data, { words: 64, items: 8, caps: 4 });
    expect(f?.kind).toBe(FrameKind.Failed);
    await eve.close();
    const c = b.kernel.createTask('c2', { slots: 256 });
    const forged = b.bridge.importInto({ node: 'a', token: guess }, c);
    expect(await connect(Ping, b.kernel, c, forged).attempt.ping({})).toMatchObject({ ok: false, error: 'EPIPE' });
  });

  it('tokens are 128-bit and differ per destination node', async () => {
    const c = b.kernel.createTask('c3', { slots: 256 });
    await b.bridge.lookup('a', 'ping', c);
    const tokens = [...(a.bridge as unknown as { exports: Map<string, { node: string }> }).exports.entries()];
    expect(tokens.length).toBeGreaterThan(0);
    for (const [t] of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
  });
});
