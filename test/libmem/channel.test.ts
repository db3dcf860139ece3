// The request/response channel over two rings: calls and answers through shared memory,
// set up by one kernel call; late answers, full rings, silent and dead peers, on virtual time.

import { describe, expect, it } from 'vitest';
import { Kernel, NEVER, Rights, Status, VirtualClock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { acceptChannel, CHANNEL_OPEN, ChannelStatus, expectOffer, openChannel, type ChannelClient, type ChannelServer, type ChannelSlots, type ChannelStatusCode } from '../../libmem/index.ts';

const G = { slots: 4, slotSize: 64 };
const CLIENT_SLOTS: ChannelSlots = { dataspace: 20, data: 21, space: 22, recv: [100, 101], window: { base: 0x40000000, size: 1 << 20 } };
const SERVER_SLOTS: ChannelSlots = { dataspace: 30, data: 31, space: 32, recv: [110, 111], window: { base: 0x40000000, size: 1 << 20 } };

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

interface Setup {
  k: Kernel;
  client: Task;
  server: Task;
  /** The client's send cap to the server's endpoint. */
  cep: number;
  sep: number;
}

function setup(): Setup {
  const k = new Kernel({ clock: new VirtualClock() });
  const client = k.createTask('client', { quota: 10, memQuota: 1 << 20 });
  const server = k.createTask('server', { quota: 10, memQuota: 1 << 20 });
  const sep = k.createEndpoint(server);
  const cep = k.grant(server, sep, client, { rights: Rights.Write | Rights.Grant });
  return { k, client, server, cep, sep };
}

/** Receive the open call and accept it; answers the server's end (or the status). */
function* accept(sys: Sys, sep: number): SysGen<ChannelServer | number> {
  expectOffer(sys, SERVER_SLOTS.window, SERVER_SLOTS.recv);
  const st: number = yield sys.recv(sep);
  if (st !== Status.Ok) return st;
  if (sys.utcb.label !== CHANNEL_OPEN) return Status.InvalidArgument;
  return yield* acceptChannel(sys, G, SERVER_SLOTS);
}

/** An echo server: answers each request with "re:" and the request; records what ended its loop. */
function echoServer(s: Setup, out: { end?: ChannelStatusCode; seen: string[] }, answer = true): void {
  s.k.spawn(s.server, function* (sys: Sys) {
    const ch = yield* accept(sys, s.sep);
    if (typeof ch === 'number') throw new Error(`accept: ${ch}`);
    const buf = new Uint8Array(64);
    for (;;) {
      const st: ChannelStatusCode = yield* ch.next(sys, buf);
      if (st !== ChannelStatus.Ok) {
        out.end = st;
        return;
      }
      const req = dec(buf, ch.length);
      out.seen.push(req);
      if (req.startsWith('slow')) yield sys.sleep(100);
      if (answer) yield* ch.answer(sys, enc(`re:${req}`));
    }
  });
}

describe('channel: calls through shared memory', () => {
  it('every call gets its own answer, in order, over more calls than the rings have slots', () => {
    const s = setup();
    const srv = { seen: [] as string[] } as { end?: ChannelStatusCode; seen: string[] };
    echoServer(s, srv);
    const answers: string[] = [];
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      const dst = new Uint8Array(64);
      for (let i = 0; i < 10; i++) {
        const st: ChannelStatusCode = yield* ch.call(sys, enc(`call ${i}`), dst);
        answers.push(st === ChannelStatus.Ok ? dec(dst, ch.length) : `status ${st}`);
      }
    });
    s.k.run();
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => `re:call ${i}`));
    expect(srv.seen).toHaveLength(10);
  });

  it('TooBig: a request over a slot is not sent; an answer over the buffer is dropped and the next call is unaffected', () => {
    const s = setup();
    const srv = { seen: [] as string[] };
    echoServer(s, srv);
    const got: (string | number)[] = [];
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      got.push(yield* ch.call(sys, new Uint8Array(ch.maxRequest + 1), new Uint8Array(64)));
      got.push(yield* ch.call(sys, enc('a longer request'), new Uint8Array(4)));
      const dst = new Uint8Array(64);
      const st: ChannelStatusCode = yield* ch.call(sys, enc('x'), dst);
      got.push(st, dec(dst, ch.length));
    });
    s.k.run();
    expect(got).toEqual([ChannelStatus.TooBig, ChannelStatus.TooBig, ChannelStatus.Ok, 're:x']);
    expect(srv.seen).toEqual(['a longer request', 'x']);
  });

  it('a call that timed out never takes a later answer: the late answer is dropped when it comes', () => {
    const s = setup();
    echoServer(s, { seen: [] });
    const got: (string | number)[] = [];
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      const dst = new Uint8Array(64);
      got.push(yield* ch.call(sys, enc('slow one'), dst, 10));
      yield sys.sleep(200); // the late answer is in the ring by now
      const st: ChannelStatusCode = yield* ch.call(sys, enc('two'), dst, 1000);
      got.push(st, dec(dst, ch.length));
    });
    s.k.advance(1000);
    expect(got).toEqual([ChannelStatus.TimedOut, ChannelStatus.Ok, 're:two']);
  });

  it('a server that dies while a client waits: the call answers PeerGone (no hang), within the check interval', () => {
    const s = setup();
    const srv = { seen: [] as string[] };
    echoServer(s, srv, false); // takes the request, never answers
    let got: ChannelStatusCode | -1 = -1;
    let at = -1;
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch: ChannelClient | number = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      got = yield* ch.call(sys, enc('hello'), new Uint8Array(64), NEVER);
      at = sys.now();
    });
    s.k.advance(500);
    expect(srv.seen).toEqual(['hello']);
    expect(got).toBe(-1); // still waiting: a silent server is not a dead one
    s.k.deleteTask(s.server);
    s.k.advance(200);
    expect(got).toBe(ChannelStatus.PeerGone);
    expect(at).toBeLessThanOrEqual(500 + 100 + 1);
  });

  it('a client that dies: the server waiting for its next request gets PeerGone and can close', () => {
    const s = setup();
    const srv = { seen: [] as string[] } as { end?: ChannelStatusCode; seen: string[] };
    echoServer(s, srv);
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      yield* ch.call(sys, enc('one'), new Uint8Array(64));
      yield sys.sleep(NEVER);
    });
    s.k.advance(50);
    expect(srv.end).toBeUndefined();
    s.k.deleteTask(s.client);
    s.k.advance(200);
    expect(srv.end).toBe(ChannelStatus.PeerGone);
  });

  it('a client that never reads its answers hurts only itself: the server is never blocked, answers are Dropped once the ring is full', () => {
    const s = setup();
    const results: ChannelStatusCode[] = [];
    s.k.spawn(s.server, function* (sys: Sys) {
      const ch = yield* accept(sys, s.sep);
      if (typeof ch === 'number') throw new Error(`accept: ${ch}`);
      for (let i = 0; i < G.slots + 2; i++) results.push(yield* ch.answer(sys, enc(`unasked ${i}`)));
    });
    s.k.spawn(s.client, function* (sys: Sys) {
      const ch = yield* openChannel(sys, s.cep, G, CLIENT_SLOTS);
      if (typeof ch === 'number') throw new Error(`open: ${ch}`);
      yield sys.sleep(NEVER);
    });
    s.k.advance(1000);
    expect(results).toEqual([...Array<ChannelStatusCode>(G.slots).fill(ChannelStatus.Ok), ChannelStatus.Dropped, ChannelStatus.Dropped]);
  });

  it('an open call without a complete offer is answered InvalidArgument, and the server gets the status', () => {
    const s = setup();
    let srv: ChannelServer | number = -1;
    let label = -1;
    s.k.spawn(s.server, function* (sys: Sys) {
      srv = yield* accept(sys, s.sep);
    });
    s.k.spawn(s.client, function* (sys: Sys) {
      const st: number = yield sys.call(s.cep, CHANNEL_OPEN, 2);
      if (st === Status.Ok) label = sys.utcb.label;
    });
    s.k.run();
    expect(srv).toBe(Status.InvalidArgument);
    expect(label).toBe(Status.InvalidArgument);
  });
});
