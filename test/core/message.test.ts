// Message format (M1-M3): the tag, direct copy of words, indirect copy of typed items,
// and clamping of oversized lengths and items.

import { describe, expect, it } from 'vitest';
import { MAX_CAPS, MAX_ITEMS, MR_COUNT, Rights, Status, type Sys } from '../../core/index.ts';
import { kernel, clientServer } from './harness.ts';

/** A server that receives one message and records the tag, then ends. */
function recorder(ep: number, setup: (sys: Sys) => void = () => {}) {
  const got: Record<string, unknown> = {};
  const body = function* (sys: Sys) {
    setup(sys);
    const st: number = yield sys.recv(ep);
    const u = sys.utcb;
    Object.assign(got, {
      st,
      label: u.label,
      length: u.length,
      words: Array.from(u.mr.subarray(0, u.length)),
      badge: u.badge,
      capCount: u.capCount,
      itemCount: u.itemCount,
      items: u.itemsIn.slice(0, u.itemCount),
      truncated: u.truncated,
      unwrapped: u.unwrapped,
    });
  };
  return { got, body };
}

describe('message format', () => {
  it('M1: label, length and cap count arrive in the tag; the label is not interpreted', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write, 0);
    const { got, body } = recorder(ep);
    k.spawn(srv, body);
    k.spawn(cli, function* (sys) {
      sys.utcb.mr[0] = 11;
      sys.utcb.mr[1] = 22;
      // A label no protocol defines is still delivered verbatim.
      yield sys.send(cep, 0xffffffff, 2);
    });
    k.run();
    expect(got).toMatchObject({ st: Status.Ok, label: 0xffffffff, length: 2, words: [11, 22], capCount: 0, unwrapped: 0 });
  });

  it('M1: the badge arrives beside the tag, not inside the words', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const cep = k.grant(srv, ep, cli, { rights: Rights.Write, badge: 0xabc });
    const { got, body } = recorder(ep);
    k.spawn(srv, body);
    k.spawn(cli, function* (sys) {
      sys.utcb.mr[0] = 5;
      yield sys.send(cep, 3, 1);
    });
    k.run();
    expect(got).toMatchObject({ badge: 0xabc, label: 3, length: 1, words: [5] });
  });

  it('M2: items past itemCount are null after a message with fewer items, on the slow path and the fast path', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write | Rights.Grant);
    const seen: { count: number; items: unknown[] }[] = [];
    const snap = (sys: Sys) => seen.push({ count: sys.utcb.itemCount, items: [...sys.utcb.itemsIn] });
    k.spawn(srv, function* (sys) {
      // Three sends (slow path: 3 items, then 1, then none), then a call answered with 2
      // items (slow) and one answered with none (fast path: 0 words, server in replyRecv).
      for (let i = 0; i < 3; i++) {
        yield sys.recv(ep);
        snap(sys);
      }
      yield sys.recv(ep);
      sys.utcb.items[0] = 'r0';
      sys.utcb.items[1] = 'r1';
      yield sys.replyRecv(ep, 0, 0, 0, 2);
      yield sys.replyRecv(ep, 0, 0, 0, 0);
    });
    k.spawn(cli, function* (sys) {
      const u = sys.utcb;
      u.items[0] = 'a';
      u.items[1] = 'b';
      u.items[2] = 'c';
      yield sys.send(cep, 1, 0, 0, 3);
      yield sys.send(cep, 1, 0, 0, 1);
      yield sys.send(cep, 1, 0, 0, 0);
      yield sys.call(cep, 1, 0);
      snap(sys);
      yield sys.call(cep, 1, 0);
      snap(sys);
    });
    const fast0 = k.counters.fastpath;
    k.run();
    const none = new Array(MAX_ITEMS).fill(null);
    expect(seen).toEqual([
      { count: 3, items: ['a', 'b', 'c', ...none].slice(0, MAX_ITEMS) },
      { count: 1, items: ['a', ...none].slice(0, MAX_ITEMS) },
      { count: 0, items: none },
      { count: 2, items: ['r0', 'r1', ...none].slice(0, MAX_ITEMS) },
      { count: 0, items: none },
    ]);
    // The last reply went by the fast path (the case the fast path's clearing covers).
    expect(k.counters.fastpath - fast0).toBeGreaterThan(0);
  });

  it('M2: all 64 message registers copy directly from sender to receiver', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write);
    const { got, body } = recorder(ep);
    k.spawn(srv, body);
    k.spawn(cli, function* (sys) {
      for (let i = 0; i < MR_COUNT; i++) sys.utcb.mr[i] = i * 1000 + 7;
      sys.utcb.mr[MR_COUNT - 1] = 0xffffffff;
      yield sys.send(cep, 1, MR_COUNT);
    });
    k.run();
    const words = got['words'] as number[];
    expect(MR_COUNT).toBe(64);
    expect(words).toHaveLength(64);
    expect(words[0]).toBe(7);
    expect(words[62]).toBe(62007);
    expect(words[63]).toBe(0xffffffff);
  });

  it('M2: string and byte items are copied indirectly into the receiver buffers', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write);
    const rbuf = new Uint8Array(16);
    const { got, body } = recorder(ep, (sys) => {
      sys.utcb.buffers[1] = rbuf;
    });
    const sent = new Uint8Array([1, 2, 3, 4]);
    k.spawn(srv, body);
    k.spawn(cli, function* (sys) {
      sys.utcb.items[0] = 'hello';
      sys.utcb.items[1] = sent;
      yield sys.send(cep, 1, 0, 0, 2);
      // The receiver holds a copy: changing the sender's bytes afterwards changes nothing.
      sent[0] = 99;
    });
    k.run();
    expect(got['itemCount']).toBe(2);
    const items = got['items'] as unknown[];
    expect(items[0]).toBe('hello');
    expect(Array.from(items[1] as Uint8Array)).toEqual([1, 2, 3, 4]);
    // Byte item 1 landed in the receive window the receiver named.
    expect((items[1] as Uint8Array).buffer).toBe(rbuf.buffer);
    expect(Array.from(rbuf.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(got['truncated']).toBe(0);
  });

  it('M3: a length above the maximum is clamped, and the receiver tag reports 64 words', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    const { got, body } = recorder(ep);
    k.spawn(srv, body);
    let st = -1;
    k.spawn(cli, function* (sys) {
      for (let i = 0; i < MR_COUNT; i++) sys.utcb.mr[i] = i;
      st = yield sys.send(cep, 1, 1000);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(got['length']).toBe(MR_COUNT);
    expect((got['words'] as number[])[63]).toBe(63);
  });

  it('M3: items longer than the receive window are cut, and the truncated bit says which', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write);
    const small = new Uint8Array(2);
    const { got, body } = recorder(ep, (sys) => {
      sys.utcb.itemWindow = 3;
      sys.utcb.buffers[2] = small;
    });
    k.spawn(srv, body);
    k.spawn(cli, function* (sys) {
      sys.utcb.items[0] = 'abcdef';
      sys.utcb.items[1] = 'ab';
      sys.utcb.items[2] = new Uint8Array([9, 8, 7]);
      yield sys.send(cep, 1, 0, 0, 3);
    });
    k.run();
    const items = got['items'] as unknown[];
    expect(items[0]).toBe('abc');
    expect(items[1]).toBe('ab');
    expect(Array.from(items[2] as Uint8Array)).toEqual([9, 8]);
    expect(got['truncated']).toBe(0b101);
  });

  it('M3: more items than the maximum are clamped to MAX_ITEMS', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write);
    const { got, body } = recorder(ep);
    k.spawn(srv, body);
    let st = -1;
    k.spawn(cli, function* (sys) {
      for (let i = 0; i < MAX_ITEMS; i++) sys.utcb.items[i] = `i${i}`;
      st = yield sys.send(cep, 1, 0, 0, 99);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(got['itemCount']).toBe(MAX_ITEMS);
    expect(got['items']).toEqual(['i0', 'i1', 'i2', 'i3']);
  });

  it('M3 / C1: a cap count above the maximum is clamped to MAX_CAPS', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.CallGrant);
    const gifts = [0, 1, 2, 3, 4].map(() => k.createNotification(cli));
    const { got, body } = recorder(ep, (sys) => {
      for (let i = 0; i < MAX_CAPS; i++) sys.utcb.recvSlots[i] = 100 + i;
    });
    k.spawn(srv, body);
    let st = -1;
    k.spawn(cli, function* (sys) {
      // Only caps[0..2] exist in the UTCB; the count 5 is clamped to 3.
      for (let i = 0; i < MAX_CAPS; i++) sys.utcb.caps[i] = gifts[i]!;
      st = yield sys.send(cep, 1, 0, 5);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(MAX_CAPS).toBe(3);
    expect(got['capCount']).toBe(3);
    expect(srv.cspace.get(100)).not.toBeNull();
    expect(srv.cspace.get(102)).not.toBeNull();
    expect(srv.cspace.get(103)).toBeNull();
  });
});
