// Endpoints (E1-E5) and the statuses of send, nbsend, recv and nbrecv (Decisions 2, 7).

import { describe, expect, it } from 'vitest';
import { isError, isRecvPhase, RECV_PHASE, Rights, Status, statusCode, type Sys } from '../../core/index.ts';
import { endpoint, clientServer, stateOf, type ClientServer } from './harness.ts';

function setup(): ClientServer {
  return clientServer(Rights.Call);
}

describe('endpoints', () => {
  it('E1: receivers queue on an idle endpoint; a sender meets the first and never queues beside them', () => {
    const { k, srv, cli, ep, cep } = setup();
    const got: number[] = [];
    const r1 = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      got.push(sys.utcb.label);
    });
    const r2 = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      got.push(sys.utcb.label);
    });
    k.run();
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'recv', queue: [r1.id, r2.id] });
    k.spawn(cli, function* (sys) {
      yield sys.send(cep, 41);
    });
    k.run();
    expect(got).toEqual([41]);
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'recv', queue: [r2.id] });
    expect(stateOf(r2)).toBe('blocked-recv');
  });

  it('E1: with no receiver, senders block (no kernel buffering) and the queue holds senders only', () => {
    const { k, srv, cli, ep, cep } = setup();
    const s1 = k.spawn(cli, function* (sys) {
      yield sys.send(cep, 1);
    });
    const s2 = k.spawn(cli, function* (sys) {
      yield sys.call(cep, 2);
    });
    k.run();
    expect(stateOf(s1)).toBe('blocked-send');
    expect(stateOf(s2)).toBe('blocked-send');
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'send', queue: [s1.id, s2.id] });
    const labels: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      labels.push(sys.utcb.label);
      yield sys.recv(ep);
      labels.push(sys.utcb.label);
      sys.saveCaller(50); // keep the caller waiting for a reply
    });
    k.run();
    expect(labels).toEqual([1, 2]);
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'idle', queue: [] });
    expect(stateOf(s2)).toBe('blocked-reply');
  });

  it('E2: nbsend with no receiver waiting drops the message silently', () => {
    const { k, srv, cli, ep, cep } = setup();
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = yield sys.nbsend(cep, 7);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'idle', queue: [] });
    let later = -1;
    k.spawn(srv, function* (sys: Sys) {
      later = yield sys.nbrecv(ep);
    });
    k.run();
    // The message is gone for good: nothing is waiting for a later receiver.
    expect(later).toBe(Status.Timeout | RECV_PHASE);
  });

  it('E2: nbsend to a waiting receiver delivers, and the sender gets the same Ok as when dropped', () => {
    const { k, srv, cli, ep, cep } = setup();
    const got: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      got.push(sys.utcb.label);
    });
    k.run();
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = yield sys.nbsend(cep, 8);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(got).toEqual([8]);
  });

  it('E3: nbrecv on an empty endpoint returns at once with a receive-phase Timeout, never a message status', () => {
    const { k, srv, ep } = setup();
    let st = -1;
    let label = -1;
    k.spawn(srv, function* (sys: Sys) {
      sys.utcb.label = 1234;
      st = yield sys.nbrecv(ep);
      label = sys.utcb.label;
    });
    k.run();
    expect(st).toBe(Status.Timeout | RECV_PHASE);
    expect(st).not.toBe(Status.Ok);
    expect(st).not.toBe(Status.Notification);
    expect(isError(st)).toBe(true);
    expect(isRecvPhase(st)).toBe(true);
    // The UTCB's tag is untouched: no message was received.
    expect(label).toBe(1234);
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'idle', queue: [] });
  });

  it('E3: nbrecv takes a queued sender at once', () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(cli, function* (sys) {
      yield sys.send(cep, 5);
    });
    k.run();
    let st = -1;
    let label = -1;
    k.spawn(srv, function* (sys: Sys) {
      st = yield sys.nbrecv(ep);
      label = sys.utcb.label;
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(label).toBe(5);
  });

  it('E4 / Decision 7: recv through an empty slot, a non-endpoint cap, or a cap without Read fails in the receive phase', () => {
    const { k, srv, ep } = setup();
    const notif = k.createNotification(srv);
    const writeOnly = k.grant(srv, ep, srv, { rights: Rights.Write | Rights.GrantReply });
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.recv(200)); // empty slot in range
      out.push(yield sys.recv(notif)); // wrong object type
      out.push(yield sys.recv(writeOnly)); // no Read
      out.push(yield sys.recv(1 << 20)); // out of range
      out.push(yield sys.nbrecv(writeOnly));
    });
    k.run();
    expect(out).toEqual([
      Status.InvalidCapability | RECV_PHASE,
      Status.InvalidCapability | RECV_PHASE,
      Status.InvalidCapability | RECV_PHASE,
      Status.RangeError | RECV_PHASE,
      Status.InvalidCapability | RECV_PHASE,
    ]);
    for (const st of out) {
      expect(isRecvPhase(st)).toBe(true);
      expect(isError(st)).toBe(true);
    }
  });

  it('Decision 7: the receive-phase error carries detail naming the cap and cannot be taken for a message', () => {
    const { k, srv } = setup();
    let st = -1;
    let detail: unknown = null;
    k.spawn(srv, function* (sys: Sys) {
      st = yield sys.recv(77);
      detail = sys.utcb.error;
    });
    k.run();
    expect(statusCode(st)).toBe(Status.InvalidCapability);
    expect(st & RECV_PHASE).toBe(RECV_PHASE);
    expect(detail).toMatchObject({ status: Status.InvalidCapability | RECV_PHASE, argument: 'cap', slot: 77 });
  });

  it('E5: call through an empty slot or a cap without Write fails with InvalidCapability', () => {
    const { k, srv, cli, ep } = setup();
    const readOnly = k.grant(srv, ep, cli, { rights: Rights.Read | Rights.GrantReply });
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.call(300, 1));
      out.push(yield sys.call(readOnly, 1));
    });
    k.run();
    expect(out).toEqual([Status.InvalidCapability, Status.InvalidCapability]);
  });

  it('E5: send and nbsend through an empty slot or a cap without Write are silent and deliver nothing', () => {
    const { k, srv, cli, ep } = setup();
    const readOnly = k.grant(srv, ep, cli, { rights: Rights.Read });
    const r = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
    });
    k.run();
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.send(300, 1));
      out.push(yield sys.nbsend(300, 1));
      out.push(yield sys.send(readOnly, 1));
      out.push(yield sys.nbsend(readOnly, 1));
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.Ok, Status.Ok, Status.Ok]);
    expect(stateOf(r)).toBe('blocked-recv');
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'recv', queue: [r.id] });
  });

  it('Decision 2: send and nbsend never report delivery; call reports kernel errors', () => {
    const { k, srv, cli, ep, cep } = setup();
    const notif = k.createNotification(cli);
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.nbsend(cep, 1)); // dropped
      out.push(yield sys.send(notif, 1)); // wrong type: silent
      out.push(yield sys.call(notif, 1)); // wrong type: reported
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.Ok, Status.InvalidCapability]);
    expect(endpoint(k, srv, ep).queue).toEqual([]);
  });
});
