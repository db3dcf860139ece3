// Rights (R1-R5) and badges (B1-B4): what each right allows, rights only shrinking,
// badges delivered beside the tag, badged subtrees and cancelBadgedSends.

import { describe, expect, it } from 'vitest';
import { RECV_PHASE, Rights, rightsString, Status, type Sys } from '../../core/index.ts';
import { capAt, capsOf, endpoint, kernel, objectOf, stateOf } from './harness.ts';

function setup() {
  const k = kernel();
  const srv = k.createTask('srv');
  const cli = k.createTask('cli');
  const ep = k.createEndpoint(srv);
  return { k, srv, cli, ep };
}

describe('rights', () => {
  it('R1: on an endpoint Read receives, Write sends, and neither alone allows the other', () => {
    const { k, srv, cli, ep } = setup();
    const r = k.grant(srv, ep, cli, { rights: Rights.Read });
    const w = k.grant(srv, ep, cli, { rights: Rights.Write });
    const out: number[] = [];
    let got = -1;
    k.spawn(cli, function* (sys) {
      out.push(yield sys.recv(w)); // Write cannot receive
      out.push(yield sys.call(r, 1)); // Read cannot send
      out.push(yield sys.recv(r)); // blocks until the Write holder sends
      got = sys.utcb.label;
    });
    k.spawn(cli, function* (sys) {
      out.push(yield sys.send(w, 33));
    });
    k.run();
    expect(out).toEqual([Status.InvalidCapability | RECV_PHASE, Status.InvalidCapability, Status.Ok, Status.Ok]);
    expect(got).toBe(33);
  });

  it('R1: on a notification Write signals and Read waits or polls; each without the other fails', () => {
    const { k, srv, cli } = setup();
    const n = k.createNotification(srv);
    const r = k.grant(srv, n, cli, { rights: Rights.Read });
    const w = k.grant(srv, n, cli, { rights: Rights.Write, badge: 4 });
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.signal(r));
      out.push(yield sys.wait(w));
      out.push(yield sys.poll(w));
      out.push(yield sys.signal(w));
      out.push(yield sys.poll(r));
      out.push(sys.utcb.badge);
    });
    k.run();
    expect(out).toEqual([
      Status.InvalidCapability,
      Status.InvalidCapability | RECV_PHASE,
      Status.InvalidCapability | RECV_PHASE,
      Status.Ok,
      Status.Ok,
      4,
    ]);
  });

  it('R2: minting with more rights than the source silently gives the intersection', () => {
    const { k, srv, cli, ep } = setup();
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    const out: unknown[] = [];
    k.spawn(cli, function* (sys) {
      out.push(sys.mint(c, 20, Rights.All));
      out.push(sys.identify(20)?.rights);
      out.push(sys.mint(20, 21, Rights.Read | Rights.Write));
      out.push(sys.identify(21)?.rights);
      out.push(sys.copy(21, 22));
      out.push(sys.identify(22)?.rights);
    });
    k.run();
    expect(out).toEqual([Status.Ok, Rights.Call, Status.Ok, Rights.Write, Status.Ok, Rights.Write]);
    expect(capAt(k, cli, 20)?.rights).toBe(rightsString(Rights.Call));
    expect(capAt(k, cli, 21)?.rights).toBe('-W--');
  });

  it('R3: call needs Grant or GrantReply besides Write', () => {
    const { k, srv, cli, ep } = setup();
    const wOnly = k.grant(srv, ep, cli, { rights: Rights.Write });
    const wGrant = k.grant(srv, ep, cli, { rights: Rights.Write | Rights.Grant });
    const wReply = k.grant(srv, ep, cli, { rights: Rights.Write | Rights.GrantReply });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      for (;;) {
        sys.utcb.mr[0] = sys.utcb.label * 10;
        yield sys.replyRecv(ep, 0, 1);
      }
    });
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.call(wOnly, 1));
      out.push(yield sys.call(wGrant, 2));
      out.push(sys.utcb.mr[0]!);
      out.push(yield sys.call(wReply, 3));
      out.push(sys.utcb.mr[0]!);
    });
    k.run();
    expect(out).toEqual([Status.InvalidCapability, Status.Ok, 20, Status.Ok, 30]);
  });

  it('R4: caps sent through an endpoint cap without Grant are not transferred; the words are', () => {
    const { k, srv, cli, ep } = setup();
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    const gift = k.createNotification(cli);
    let got: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      sys.utcb.recvSlots[0] = 40;
      yield sys.recv(ep);
      got = [sys.utcb.label, sys.utcb.mr[0]!, sys.utcb.capCount];
    });
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      sys.utcb.mr[0] = 77;
      sys.utcb.caps[0] = gift;
      sys.utcb.caps[1] = gift;
      out.push(yield sys.send(c, 5, 1, 2));
    });
    k.run();
    expect(out).toEqual([Status.Ok]);
    expect(got).toEqual([5, 77, 0]);
    expect(srv.cspace.get(40)).toBeNull();
    expect(cli.cspace.get(gift)).not.toBeNull();
  });

  it('R5: the right to send caps in a reply comes from the cap the server received on', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const epGrant = k.createEndpoint(srv);
    const epPlain = k.createEndpoint(srv);
    // The server's own receive cap on epPlain lacks Grant.
    const plainRecv = k.grant(srv, epPlain, srv, { rights: Rights.Read });
    const gift = k.createNotification(srv);
    const c1 = k.grant(srv, epGrant, cli, { rights: Rights.Call });
    const c2 = k.grant(srv, epPlain, cli, { rights: Rights.Call });
    const serve = (recvCap: number) =>
      function* (sys: Sys) {
        yield sys.recv(recvCap);
        sys.utcb.caps[0] = gift;
        yield sys.reply(1, 0, 1);
      };
    k.spawn(srv, serve(epGrant));
    k.spawn(srv, serve(plainRecv));
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      sys.utcb.recvSlots[0] = 50;
      out.push(yield sys.call(c1, 0));
      out.push(sys.utcb.capCount);
      sys.utcb.recvSlots[0] = 51;
      out.push(yield sys.call(c2, 0));
      out.push(sys.utcb.capCount);
    });
    k.run();
    expect(out).toEqual([Status.Ok, 1, Status.Ok, 0]);
    expect(capAt(k, cli, 50)?.object).toBe(objectOf(srv, gift));
    expect(cli.cspace.get(51)).toBeNull();
  });
});

describe('badges', () => {
  it('B1: every message through a badged cap delivers its badge; badge 0 means unbadged', () => {
    const { k, srv, cli, ep } = setup();
    const plain = k.grant(srv, ep, cli, { rights: Rights.Write });
    const badged = k.grant(srv, ep, cli, { rights: Rights.Write, badge: 0xdeadbeef });
    const badges: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      for (let i = 0; i < 3; i++) {
        yield sys.recv(ep);
        badges.push(sys.utcb.badge);
      }
    });
    k.spawn(cli, function* (sys) {
      yield sys.send(badged, 1);
      yield sys.send(plain, 1);
      yield sys.send(badged, 1);
    });
    k.run();
    expect(badges).toEqual([0xdeadbeef, 0, 0xdeadbeef]);
  });

  it('B1: the receiver learns the badge, never the sender: two tasks with the same badged cap look alike', () => {
    const { k, srv, cli, ep } = setup();
    const other = k.createTask('other');
    const c1 = k.grant(srv, ep, cli, { rights: Rights.Write, badge: 9 });
    const c2 = k.grant(cli, c1, other);
    const seen: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      for (let i = 0; i < 2; i++) {
        yield sys.recv(ep);
        const u = sys.utcb;
        seen.push({ label: u.label, badge: u.badge, length: u.length, words: Array.from(u.mr.subarray(0, u.length)) });
      }
    });
    k.spawn(cli, function* (sys) {
      sys.utcb.mr[0] = 1;
      yield sys.send(c1, 4, 1);
    });
    k.spawn(other, function* (sys) {
      sys.utcb.mr[0] = 1;
      yield sys.send(c2, 4, 1);
    });
    k.run();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toEqual({ label: 4, badge: 9, length: 1, words: [1] });
  });

  it('B2: a badged cap cannot be rebadged; copies and badge-0 mints keep the badge', () => {
    const { k, srv, ep } = setup();
    const b = k.grant(srv, ep, srv, { badge: 5 });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(sys.mint(b, 30, Rights.All, 6));
      out.push(sys.identify(30));
      out.push(sys.copy(b, 31));
      out.push(sys.identify(31)?.badge);
      out.push(sys.mint(b, 32, Rights.Write, 0));
      out.push(sys.identify(32)?.badge);
      out.push(sys.mint(b, 33, Rights.Write, 5)); // the same badge again is no rebadge
      out.push(sys.identify(33)?.badge);
    });
    k.run();
    expect(out).toEqual([Status.IllegalOperation, null, Status.Ok, 5, Status.Ok, 5, Status.Ok, 5]);
  });

  it('B3: revoking a minted badged cap removes exactly the copies carrying that badge', () => {
    const { k, srv, cli, ep } = setup();
    const other = k.createTask('other');
    const b1 = k.grant(srv, ep, srv, { badge: 1 });
    const b2 = k.grant(srv, ep, srv, { badge: 2 });
    const c1 = k.grant(srv, b1, cli, { rights: Rights.Call });
    const c1b = k.grant(cli, c1, other);
    const c2 = k.grant(srv, b2, cli, { rights: Rights.Call });
    let st = -1;
    k.spawn(srv, function* (sys: Sys) {
      st = sys.revoke(b1);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(cli.cspace.get(c1)).toBeNull();
    expect(other.cspace.get(c1b)).toBeNull();
    // The badged cap itself, the other badge and the original stay.
    expect(capAt(k, srv, b1)?.badge).toBe(1);
    expect(capAt(k, cli, c2)?.badge).toBe(2);
    expect(capAt(k, srv, b2)?.badge).toBe(2);
    expect(capAt(k, srv, ep)?.badge).toBe(0);
    expect(capsOf(k, other)).toHaveLength(1); // only its own task cap
  });

  it('B3: a second cap minted with the same badge is a subtree of its own and survives the revoke', () => {
    const { k, srv, cli, ep } = setup();
    const first = k.grant(srv, ep, srv, { badge: 4 });
    const second = k.grant(srv, ep, srv, { badge: 4 });
    const viaFirst = k.grant(srv, first, cli, { rights: Rights.Call });
    const viaSecond = k.grant(srv, second, cli, { rights: Rights.Call });
    k.spawn(srv, function* (sys: Sys) {
      sys.revoke(first);
    });
    k.run();
    expect(cli.cspace.get(viaFirst)).toBeNull();
    expect(capAt(k, cli, viaSecond)?.badge).toBe(4);
  });

  it('B4: cancelBadgedSends releases only senders of that badge; after revoke their retried call fails', () => {
    const { k, srv, cli, ep } = setup();
    const b1 = k.grant(srv, ep, srv, { badge: 1 });
    const b2 = k.grant(srv, ep, srv, { badge: 2 });
    const c1 = k.grant(srv, b1, cli, { rights: Rights.Call });
    const c2 = k.grant(srv, b2, cli, { rights: Rights.Call });
    const res: Record<string, number> = {};
    const s1 = k.spawn(cli, function* (sys) {
      res['s1'] = yield sys.call(c1, 1);
    });
    const s2 = k.spawn(cli, function* (sys) {
      res['s2'] = yield sys.call(c2, 2);
    });
    const s3 = k.spawn(cli, function* (sys) {
      res['s3'] = yield sys.send(c1, 3);
    });
    k.run();
    expect(endpoint(k, srv, ep).queue).toEqual([s1.id, s2.id, s3.id]);
    k.spawn(srv, function* (sys: Sys) {
      res['revoke'] = sys.revoke(b1);
      res['cancel'] = sys.cancelBadgedSends(b1);
    });
    k.run();
    expect(res).toEqual({ revoke: Status.Ok, cancel: Status.Ok, s1: Status.InvalidCapability, s3: Status.Ok });
    expect(stateOf(s1)).toBe('exited');
    expect(stateOf(s3)).toBe('exited');
    // The other badge is untouched and still queued.
    expect(stateOf(s2)).toBe('blocked-send');
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'send', queue: [s2.id] });
    // The released send delivered nothing: the next receive gets the badge-2 call.
    let label = -1;
    let badge = -1;
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      label = sys.utcb.label;
      badge = sys.utcb.badge;
      yield sys.reply(0);
    });
    k.run();
    expect([label, badge]).toEqual([2, 2]);
    expect(res['s2']).toBe(Status.Ok);
  });

  it('B4: without revoke the released sender retries and queues again; receivers are untouched', () => {
    const { k, srv, cli, ep } = setup();
    const b1 = k.grant(srv, ep, srv, { badge: 1 });
    const c1 = k.grant(srv, b1, cli, { rights: Rights.Call });
    const s1 = k.spawn(cli, function* (sys) {
      yield sys.send(c1, 1);
    });
    k.run();
    let cancel = -1;
    k.spawn(srv, function* (sys: Sys) {
      cancel = sys.cancelBadgedSends(b1);
    });
    k.run();
    expect(cancel).toBe(Status.Ok);
    expect(stateOf(s1)).toBe('blocked-send');
    expect(endpoint(k, srv, ep).queue).toEqual([s1.id]);

    // On an endpoint with receivers queued, cancelBadgedSends changes nothing.
    const ep2 = k.createEndpoint(srv);
    const b9 = k.grant(srv, ep2, srv, { badge: 9 });
    const r = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep2);
    });
    k.run();
    let cancel2 = -1;
    k.spawn(srv, function* (sys: Sys) {
      cancel2 = sys.cancelBadgedSends(b9);
    });
    k.run();
    expect(cancel2).toBe(Status.Ok);
    expect(stateOf(r)).toBe('blocked-recv');
    expect(endpoint(k, srv, ep2)).toMatchObject({ state: 'recv', queue: [r.id] });
  });

  it('B4: cancelBadgedSends needs a badged endpoint cap', () => {
    const { k, srv, ep } = setup();
    const n = k.createNotification(srv);
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(sys.cancelBadgedSends(ep));
      out.push(sys.cancelBadgedSends(n));
      out.push(sys.cancelBadgedSends(500));
    });
    k.run();
    expect(out).toEqual([Status.IllegalOperation, Status.InvalidCapability, Status.InvalidCapability]);
  });
});
