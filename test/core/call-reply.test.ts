// Call and reply (P1-P5, Decision 4): the one-shot reply capability, deferred replies
// with saveCaller, and what happens to callers a server strands.

import { describe, expect, it } from 'vitest';
import { RECV_PHASE, Rights, Status, type Sys } from '../../core/index.ts';
import { endpoint, clientServer, stateOf, type ClientServer } from './harness.ts';

function setup(): ClientServer {
  return clientServer(Rights.Call, 3);
}

describe('call and reply', () => {
  it('P1: a thread that did not receive the call cannot answer it; the caller keeps waiting', () => {
    const { k, srv, cli, ep, cep } = setup();
    let callSt = -1;
    const caller = k.spawn(cli, function* (sys) {
      callSt = yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(70); // keep the call pending past this thread's end
    });
    k.run();
    let intruder = -1;
    k.spawn(srv, function* (sys: Sys) {
      intruder = yield sys.reply(99);
    });
    k.run();
    expect(intruder).toBe(Status.Ok); // P3: no caller, silent no-op
    expect(stateOf(caller)).toBe('blocked-reply');
    expect(callSt).toBe(-1);
  });

  it('P1: whoever the receiver hands the reply capability to can answer; the caller just sees the reply', () => {
    const { k, srv, cli, ep, cep } = setup();
    let got: number[] = [];
    k.spawn(cli, function* (sys) {
      sys.utcb.mr[0] = 20;
      const st = yield sys.call(cep, 1, 1);
      got = [st, sys.utcb.label, sys.utcb.mr[0]!, sys.utcb.badge];
    });
    const saved: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      saved.push(sys.saveCaller(70), sys.utcb.mr[0]!);
    });
    k.run();
    expect(saved).toEqual([Status.Ok, 20]);
    let st = -1;
    k.spawn(srv, function* (sys: Sys) {
      sys.utcb.mr[0] = 21;
      st = yield sys.send(70, 5, 1);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    // A reply carries no badge.
    expect(got).toEqual([Status.Ok, 5, 21, 0]);
  });

  it('P2: the reply capability is one-shot: a second reply is dropped and a saved one is used up', () => {
    const { k, srv, cli, ep, cep } = setup();
    const replies: number[] = [];
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
      replies.push(sys.utcb.label);
    });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      out.push(sys.hasCaller);
      out.push(yield sys.reply(10));
      out.push(sys.hasCaller);
      out.push(yield sys.reply(11));
    });
    k.run();
    expect(out).toEqual([true, Status.Ok, false, Status.Ok]);
    expect(replies).toEqual([10]);

    const out2: unknown[] = [];
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 2);
      out2.push(sys.utcb.label);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(71);
      out2.push(yield sys.send(71, 12));
      out2.push(sys.identify(71)); // used up: the slot is empty
      out2.push(yield sys.send(71, 13));
    });
    k.run();
    expect(out2).toEqual([Status.Ok, null, Status.Ok, 12]);
  });

  it('P2: a reply capability cannot be copied', () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
    });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      out.push(sys.saveCaller(71));
      out.push(sys.copy(71, 72));
      out.push(sys.mint(71, 73, Rights.Write));
      out.push(sys.identify(72), sys.identify(73));
      yield sys.send(71, 0);
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.IllegalOperation, Status.IllegalOperation, null, null]);
  });

  it('P2: the reply capability dies when its caller is suspended; a late answer is dropped', () => {
    const { k, srv, cli, ep, cep } = setup();
    const res: number[] = [];
    const caller = k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 1));
      res.push(sys.utcb.label);
    });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(71);
    });
    k.run();
    expect(k.suspendThread(caller)).toBe(Status.Ok);
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.send(71, 55));
    });
    k.run();
    expect(out).toEqual([Status.Ok]);
    expect(k.resumeThread(caller)).toBe(Status.Ok);
    k.run();
    expect(res[0]).toBe(Status.Cancelled | RECV_PHASE);
    expect(res[1]).not.toBe(55);
  });

  it('P2: the reply capability names the caller thread, not the endpoint', () => {
    const { k, srv, cli, ep, cep } = setup();
    const ep2 = k.createEndpoint(srv);
    const c2 = k.grant(srv, ep2, cli, { rights: Rights.Call });
    const res: number[][] = [];
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
      res.push([1, sys.utcb.label]);
    });
    k.spawn(cli, function* (sys) {
      yield sys.call(c2, 2);
      res.push([2, sys.utcb.label]);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(71);
      yield sys.recv(ep2);
      sys.saveCaller(72);
      // Answer in the other order: each reply reaches its own caller.
      yield sys.send(72, 200);
      yield sys.send(71, 100);
    });
    k.run();
    expect(res).toEqual([
      [2, 200],
      [1, 100],
    ]);
  });

  it('P3: reply with no pending caller is a silent no-op; replyRecv then just receives', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.reply(1, 3));
      out.push(yield sys.replyRecv(ep, 1));
      out.push(sys.utcb.label);
    });
    k.spawn(cli, function* (sys) {
      yield sys.send(cep, 42);
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.Ok, 42]);
  });

  it('P4: a reply never blocks: the server runs on past it before an equal-priority caller', () => {
    const { k, srv, cli, ep, cep } = setup();
    const order: string[] = [];
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
      order.push('caller resumed');
    });
    const server = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      const st = yield sys.reply(0);
      order.push(`server after reply ${st}`);
      yield sys.recv(ep);
    });
    k.run();
    expect(order).toEqual([`server after reply ${Status.Ok}`, 'caller resumed']);
    expect(stateOf(server)).toBe('blocked-recv');
  });

  it('P5: the reply survives deletion of the endpoint the call came through', () => {
    const { k, srv, cli, ep, cep } = setup();
    let got: number[] = [];
    k.spawn(cli, function* (sys) {
      const st = yield sys.call(cep, 1);
      got = [st, sys.utcb.label];
    });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      out.push(sys.delete(ep)); // the last Read cap: the endpoint is dead
      out.push(sys.hasCaller);
      out.push(yield sys.reply(77));
    });
    k.run();
    expect(out).toEqual([Status.Ok, true, Status.Ok]);
    expect(got).toEqual([Status.Ok, 77]);
    // Later calls find the endpoint dead (Decision 10).
    let later = -1;
    k.spawn(cli, function* (sys) {
      later = yield sys.call(cep, 2);
    });
    k.run();
    expect(later).toBe(Status.DeadPartner);
  });

  it('Decision 4: receiving again without replying aborts the stranded caller', () => {
    const { k, srv, cli, ep, cep } = setup();
    let st = -1;
    const caller = k.spawn(cli, function* (sys) {
      st = yield sys.call(cep, 1);
    });
    const server = k.spawn(srv, function* (sys: Sys) {
      for (;;) yield sys.recv(ep);
    });
    k.run();
    expect(st).toBe(Status.Aborted | RECV_PHASE);
    expect(stateOf(caller)).toBe('exited');
    expect(stateOf(server)).toBe('blocked-recv');
  });

  it('Decision 4: nbrecv and recv on another endpoint also abort the stranded caller', () => {
    const { k, srv, cli, ep, cep } = setup();
    const other = k.createEndpoint(srv);
    const res: number[] = [];
    k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 1));
      res.push(yield sys.call(cep, 2));
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      yield sys.nbrecv(other);
      yield sys.recv(ep);
      yield sys.recv(other, 10);
    });
    k.run();
    k.advance(10);
    expect(res).toEqual([Status.Aborted | RECV_PHASE, Status.Aborted | RECV_PHASE]);
  });

  it('Decision 4: a server thread that ends without replying aborts its caller', () => {
    const { k, srv, cli, ep, cep } = setup();
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
    });
    k.run();
    expect(st).toBe(Status.Aborted | RECV_PHASE);
  });

  it('Decision 4: saveCaller keeps the caller waiting across receives; deleting the saved cap unused aborts it', () => {
    const { k, srv, cli, ep, cep } = setup();
    let st = -1;
    const caller = k.spawn(cli, function* (sys) {
      st = yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(71);
      yield sys.recv(ep, 5);
    });
    k.run();
    k.advance(5);
    expect(stateOf(caller)).toBe('blocked-reply');
    k.spawn(srv, function* (sys: Sys) {
      sys.delete(71);
    });
    k.run();
    expect(st).toBe(Status.Aborted | RECV_PHASE);
  });

  it('saveCaller: errors when there is no caller or the slot is taken', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      out.push(sys.saveCaller(71)); // nothing received yet
      yield sys.recv(ep);
      out.push(sys.saveCaller(ep)); // occupied
      out.push(sys.saveCaller(0)); // invalid
      out.push(sys.saveCaller(71));
      yield sys.send(71, 0);
    });
    k.run();
    expect(out).toEqual([Status.FailedLookup, Status.DeleteFirst, Status.RangeError, Status.Ok]);
    expect(endpoint(k, srv, ep).queue).toEqual([]);
  });
});
