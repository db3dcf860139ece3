// Capability transfer through IPC (C1-C5, Decision 9): validation before delivery,
// receive slots, unwrapping, map (copy into the derivation tree) and grant (move).

import { describe, expect, it } from 'vitest';
import { MAX_CAPS, Rights, Status, type Sys } from '../../core/index.ts';
import { capAt, endpoint, objectOf, clientServer, stateOf, type ClientServer } from './harness.ts';

function setup(): ClientServer {
  return clientServer(Rights.CallGrant);
}

/** A server thread that receives once into slots 100.. and records the tag. */
function receiveOnce(ep: number, slots: number[], got: Record<string, number>) {
  return function* (sys: Sys) {
    slots.forEach((s, i) => (sys.utcb.recvSlots[i] = s));
    got['st'] = yield sys.recv(ep);
    got['capCount'] = sys.utcb.capCount;
    got['unwrapped'] = sys.utcb.unwrapped;
    got['label'] = sys.utcb.label;
    for (let i = 0; i < MAX_CAPS; i++) got[`ub${i}`] = sys.utcb.unwrappedBadges[i]!;
  };
}

describe('cap transfer', () => {
  it('C1: a message carries up to three caps', () => {
    const { k, srv, cli, ep, cep } = setup();
    const gifts = [k.createNotification(cli), k.createEndpoint(cli), k.createNotification(cli)];
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100, 101, 102], got));
    k.spawn(cli, function* (sys) {
      gifts.forEach((g, i) => (sys.utcb.caps[i] = g));
      yield sys.send(cep, 1, 0, 3);
    });
    k.run();
    expect(MAX_CAPS).toBe(3);
    expect(got['capCount']).toBe(3);
    expect([100, 101, 102].map((s) => capAt(k, srv, s)?.object)).toEqual(gifts.map((g) => objectOf(cli, g)));
  });

  it('C2: one bad cap name aborts the whole send with an error and delivers nothing', () => {
    const { k, srv, cli, ep, cep } = setup();
    const good = k.createNotification(cli);
    const got: Record<string, number> = {};
    const r = k.spawn(srv, receiveOnce(ep, [100, 101], got));
    k.run();
    const out: unknown[] = [];
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = good;
      sys.utcb.caps[1] = 250; // empty slot
      sys.utcb.grantMask = 0b01; // would move the good cap: it must stay
      out.push(yield sys.call(cep, 1, 0, 2));
      out.push(sys.utcb.error?.argument, sys.utcb.error?.slot);
      out.push(yield sys.send(cep, 1, 0, 2));
      sys.utcb.caps[1] = 1 << 22; // out of range
      out.push(yield sys.nbsend(cep, 1, 0, 2));
    });
    k.run();
    expect(out).toEqual([Status.FailedLookup, 'caps[1]', 250, Status.FailedLookup, Status.RangeError]);
    expect(stateOf(r)).toBe('blocked-recv');
    expect(got).toEqual({});
    expect(cli.cspace.get(good)).not.toBeNull();
    expect(srv.cspace.get(100)).toBeNull();
  });

  it('C2: a reply cap cannot travel in a message; the whole send fails', () => {
    const { k, srv, cli, ep } = setup();
    const other = k.createEndpoint(srv);
    const oc = k.grant(srv, other, cli, { rights: Rights.Call });
    const out: number[] = [];
    const fwd = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(other);
      out.push(sys.saveCaller(60));
      sys.utcb.caps[0] = 60;
      out.push(yield sys.send(ep, 1, 0, 1));
    });
    const waiting = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
    });
    k.spawn(cli, function* (sys) {
      yield sys.call(oc, 0);
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.IllegalOperation]);
    expect(stateOf(fwd)).toBe('exited');
    expect(stateOf(waiting)).toBe('blocked-recv');
  });

  it('C3: an occupied receive slot stores no cap and stops the transfer; the count says how many were processed', () => {
    const { k, srv, cli, ep, cep } = setup();
    const gifts = [k.createNotification(cli), k.createNotification(cli), k.createNotification(cli)];
    const busy = k.createNotification(srv, 101);
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100, 101, 102], got));
    let st = -1;
    k.spawn(cli, function* (sys) {
      gifts.forEach((g, i) => (sys.utcb.caps[i] = g));
      st = yield sys.send(cep, 1, 0, 3);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(got['st']).toBe(Status.Ok);
    expect(got['capCount']).toBe(1);
    expect(capAt(k, srv, 100)?.object).toBe(objectOf(cli, gifts[0]!));
    expect(capAt(k, srv, 101)?.object).toBe(objectOf(srv, busy)); // untouched
    expect(srv.cspace.get(102)).toBeNull();
  });

  it('C3: an invalid receive slot (0, out of range) stores no cap and raises no error', () => {
    const { k, srv, cli, ep, cep } = setup();
    const gift = k.createNotification(cli);
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [0], got));
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = gift;
      yield sys.send(cep, 1, 0, 1);
    });
    k.run();
    expect(got['st']).toBe(Status.Ok);
    expect(got['capCount']).toBe(0);
    const got2: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [1 << 24], got2));
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = gift;
      yield sys.send(cep, 2, 0, 1);
    });
    k.run();
    expect(got2).toMatchObject({ st: Status.Ok, label: 2, capCount: 0 });
    expect(cli.cspace.get(gift)).not.toBeNull();
  });

  it('C4: a cap to the endpoint the message travels through is unwrapped: its badge is delivered, no cap is stored', () => {
    const { k, srv, cli, ep } = setup();
    const viaBadge7 = k.grant(srv, ep, cli, { rights: Rights.CallGrant, badge: 7 });
    const badge9 = k.grant(srv, ep, cli, { rights: Rights.Write, badge: 9 });
    const gift = k.createNotification(cli);
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100, 101], got));
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = gift;
      sys.utcb.caps[1] = badge9;
      yield sys.send(viaBadge7, 1, 0, 2);
    });
    k.run();
    expect(got).toMatchObject({ st: Status.Ok, capCount: 2, unwrapped: 0b10, ub1: 9 });
    // The unwrapped cap used no receive slot: the gift went to the first one.
    expect(capAt(k, srv, 100)?.object).toBe(objectOf(cli, gift));
    expect(srv.cspace.get(101)).toBeNull();
    // The sender keeps the unwrapped cap.
    expect(capAt(k, cli, badge9)?.badge).toBe(9);
  });

  it('C5: map copies: the sender keeps its cap and the receiver copy is its child (revoke removes it)', () => {
    const { k, srv, cli, ep, cep } = setup();
    const gift = k.createEndpoint(cli);
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100], got));
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = gift;
      sys.utcb.grantMask = 0;
      yield sys.send(cep, 1, 0, 1);
    });
    k.run();
    expect(got['capCount']).toBe(1);
    expect(capAt(k, cli, gift)?.object).toBe(objectOf(srv, 100));
    expect(srv.cspace.get(100)!.parent).toBe(cli.cspace.get(gift));
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = sys.revoke(gift);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(srv.cspace.get(100)).toBeNull();
    expect(cli.cspace.get(gift)).not.toBeNull();
  });

  it('C5: grant moves: the sender loses the cap, which keeps its place in the derivation tree', () => {
    const { k, srv, cli, ep, cep } = setup();
    const root = k.createEndpoint(cli);
    const gift = k.grant(cli, root, cli, { rights: Rights.Write, badge: 3 });
    const grandchild = k.grant(cli, gift, cli);
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100], got));
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = gift;
      sys.utcb.grantMask = 0b1;
      yield sys.send(cep, 1, 0, 1);
    });
    k.run();
    expect(got['capCount']).toBe(1);
    expect(cli.cspace.get(gift)).toBeNull();
    const moved = srv.cspace.get(100)!;
    expect(moved).not.toBeNull();
    expect(capAt(k, srv, 100)).toMatchObject({ badge: 3, rights: '-W--' });
    expect(moved.parent).toBe(cli.cspace.get(root));
    expect(cli.cspace.get(grandchild)!.parent).toBe(moved);
    // Revoking the sender's root still reaches the moved cap (D3).
    k.spawn(cli, function* (sys) {
      sys.revoke(root);
    });
    k.run();
    expect(srv.cspace.get(100)).toBeNull();
    expect(cli.cspace.get(grandchild)).toBeNull();
  });

  it('Decision 9: a cap deleted while its sender was blocked truncates the transfer silently', () => {
    const { k, srv, cli, ep, cep } = setup();
    const a = k.createNotification(cli);
    const b = k.createNotification(cli);
    const c = k.createNotification(cli);
    let st = -1;
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = a;
      sys.utcb.caps[1] = b;
      sys.utcb.caps[2] = c;
      st = yield sys.send(cep, 1, 0, 3);
    });
    k.run();
    // Validated at send time; b vanishes while the sender waits.
    k.spawn(cli, function* (sys) {
      sys.delete(b);
    });
    k.run();
    const got: Record<string, number> = {};
    k.spawn(srv, receiveOnce(ep, [100, 101, 102], got));
    k.run();
    expect(st).toBe(Status.Ok);
    expect(got).toMatchObject({ st: Status.Ok, capCount: 1 });
    expect(capAt(k, srv, 100)?.object).toBeDefined();
    expect(srv.cspace.get(101)).toBeNull();
    expect(srv.cspace.get(102)).toBeNull();
    expect(endpoint(k, srv, ep).queue).toEqual([]);
  });
});
