// Handlers that never see their context (blind-handler.ts): which sources count as
// provably blind, and a bucket reusing such a handler's context changes nothing a client
// or a handler that does see its context can observe.

import { describe, expect, it } from 'vitest';
import { Bucket, connect, defineClass, defineInterface, t, type Rpc } from '../../libcap/index.ts';
import { isContextBlind } from '../../libcap/blind-handler.ts';
import { kernel, mustCreate, settle } from './harness.ts';

describe('isContextBlind', () => {
  it('no parameters and no way to the arguments: arrows, functions, methods, async, generators', () => {
    const o = {
      nop() {
        return undefined;
      },
      async later() {
        return 1;
      },
      *gen() {
        yield 1;
      },
    };
    expect(isContextBlind(() => undefined)).toBe(true);
    expect(isContextBlind(async () => undefined)).toBe(true);
    expect(isContextBlind(function () {
      return 1;
    })).toBe(true);
    expect(isContextBlind(function named() {
      return 1;
    })).toBe(true);
    expect(isContextBlind(o.nop)).toBe(true);
    expect(isContextBlind(o.later)).toBe(true);
    expect(isContextBlind(o.gen)).toBe(true);
  });

  it('anything that could reach the context is not blind', () => {
    expect(isContextBlind((ctx: unknown) => ctx)).toBe(false);
    expect(isContextBlind((_c: unknown, a: unknown) => a)).toBe(false);
    expect(isContextBlind((...a: unknown[]) => a[0])).toBe(false);
    expect(isContextBlind((a: unknown = 1) => a)).toBe(false);
    expect(isContextBlind(function () {
      // eslint-disable-next-line prefer-rest-params
      return arguments[0];
    })).toBe(false);
    // eslint-disable-next-line no-eval
    expect(isContextBlind(function () {
      return eval('1');
    })).toBe(false);
    const f = (_c: unknown) => 1;
    expect(isContextBlind(f.bind(null))).toBe(false); // the bound function's source is not shown
    expect(isContextBlind(new Proxy(() => 1, {}))).toBe(false);
    expect(isContextBlind(Math.max as never)).toBe(false);
  });
});

const Ping = defineInterface('ping', {
  nop: { op: 1 },
  keep: { op: 2 },
  count: { op: 3, reply: { n: t.u32 } },
});

describe('a reused context is never one a handler could keep', () => {
  it('blind calls from two clients interleaved with calls that keep their context: every kept context stays as it was', async () => {
    const k = kernel();
    const srv = k.createTask('srv', { quota: 1000, slots: 4096 });
    const kept: Rpc[] = [];
    let nops = 0;
    const cls = defineClass({
      name: 'ping',
      interface: Ping,
      init: () => ({}),
      handlers: {
        nop: () => {
          nops++;
        },
        keep: (ctx) => {
          kept.push(ctx as unknown as Rpc);
        },
        count: () => ({ n: nops }),
      },
    });
    expect(cls.blindOf(Ping.methods.nop.op)).toBe(true);
    expect(cls.blindOf(Ping.methods.keep.op)).toBe(false);
    const b = Bucket.start(k, srv, { maxWorkers: 2 });
    const tasks = [k.createTask('a'), k.createTask('b')];
    const clients = tasks.map((task) => connect(Ping, k, task, b.install(mustCreate(b, cls), task)));
    const seen: { key: number; seq: number; client: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const c = clients[i % 2]!;
      await c.nop();
      await c.nop();
      await c.keep();
      const r = kept[kept.length - 1]!;
      seen.push({ key: r.key, seq: r.seq, client: r.client.id });
    }
    await settle(k);
    expect(nops).toBe(40);
    expect(await clients[0]!.count()).toEqual({ n: 40 });
    expect(new Set(kept).size).toBe(20);
    expect(kept.map((r) => ({ key: r.key, seq: r.seq, client: r.client.id }))).toEqual(seen);
    expect(b.stats().inflight).toBe(0);
    expect(b.stats().served).toBe(61);
  });
});
