// Issue 9 items 11 and 12: who may be a fault handler (an endpoint cap with Write and
// Grant or GrantReply, checked when set and at each fault), what a fault message tells
// (the badge, never thread or task ids: B1), and cancelBadgedSends on fault senders (B4).

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_SELF, FaultKind, FaultReply, RECV_PHASE, Rights, Status, type Sys } from '../../core/index.ts';
import { kernel, stateOf } from './harness.ts';

const throwing = function* (): Generator<never, void, number> {
  throw new Error('boom');
};

describe('fault handlers (issue 9 item 12)', () => {
  it('F1: setFaultHandler, setOwnFaultHandler and createThread accept only an endpoint cap with Write and Grant or GrantReply', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const ep = k.createEndpoint(a);
    const n = k.createNotification(a);
    const grantOnly = k.grant(a, ep, a, { rights: Rights.Write | Rights.Grant });
    const call = k.grant(a, ep, a, { rights: Rights.Call });
    const sendOnly = k.grant(a, ep, a, { rights: Rights.Write });
    const readOnly = k.grant(a, ep, a, { rights: Rights.Read });
    const replyOnly = k.grant(a, ep, a, { rights: Rights.Read | Rights.Grant | Rights.GrantReply });
    const out: Record<string, number[]> = {};
    const before = { threads: 0, used: 0 };
    k.spawn(
      a,
      function* (sys: Sys) {
        const sts = (f: (h: number) => number): number[] => [ep, grantOnly, call, 0, sendOnly, readOnly, replyOnly, n, 999, 1 << 30].map(f);
        sys.createThread(CAP_FACTORY, CAP_SELF, 50, throwing, { priority: 1 });
        out.set = sts((h) => sys.setFaultHandler(50, h));
        out.own = sts((h) => sys.setOwnFaultHandler(h));
        before.threads = a.threads.size;
        out.create = sts((h) => {
          const st = sys.createThread(CAP_FACTORY, CAP_SELF, 60, throwing, { priority: 1, faultHandler: h });
          if (st === Status.Ok) sys.delete(60);
          return st;
        });
      },
      { priority: 200 },
    );
    k.run();
    const ok = Status.Ok;
    const bad = Status.InvalidCapability;
    const expected = [ok, ok, ok, ok, bad, bad, bad, bad, bad, Status.RangeError];
    expect(out).toEqual({ set: expected, own: expected, create: expected });
  });

  it('F1: Kernel.spawn refuses a fault handler without a reply right', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ep = k.createEndpoint(a);
    const sendOnly = k.grant(a, ep, a, { rights: Rights.Write });
    expect(() => k.spawn(a, throwing, { faultHandler: sendOnly })).toThrow(/InvalidCapability/);
    expect(a.threads.size).toBe(0);
  });

  it('R3: a send-only cap holder cannot get a reply channel by making the cap its fault handler', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const wonly = k.grant(srv, ep, cli, { rights: Rights.Write, badge: 3 });
    let set = -1;
    k.spawn(cli, function* (sys: Sys) {
      set = sys.setOwnFaultHandler(wonly);
      throw new Error('give me a reply cap');
    });
    k.run();
    const got: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      got.push(yield sys.nbrecv(ep));
    });
    k.run();
    expect(set).toBe(Status.InvalidCapability);
    expect(got).toEqual([Status.Timeout | RECV_PHASE]);
  });

  it('B1: a fault message carries the fault cap badge and no ids; the handler tells threads apart by badge', () => {
    const k = kernel();
    const pager = k.createTask('pager');
    const a = k.createTask('a');
    const fep = k.createEndpoint(pager);
    const c1 = k.grant(pager, fep, a, { rights: Rights.Call, badge: 0x11 });
    const c2 = k.grant(pager, fep, a, { rights: Rights.Call, badge: 0x22 });
    k.spawn(a, throwing, { faultHandler: c1 });
    k.spawn(a, throwing, { faultHandler: c2 });
    const seen: unknown[] = [];
    k.spawn(pager, function* (sys: Sys) {
      for (let i = 0; i < 2; i++) {
        yield sys.recv(fep);
        const u = sys.utcb;
        seen.push([u.badge, u.label, u.length, u.itemsIn[0]]);
        yield sys.reply(FaultReply.Stop);
      }
    });
    k.run();
    expect(seen).toEqual([
      [0x11, FaultKind.UserException, 0, 'Error: boom'],
      [0x22, FaultKind.UserException, 0, 'Error: boom'],
    ]);
  });
});

describe('cancelBadgedSends and fault senders (issue 9 item 11)', () => {
  /** A pager whose badged fault caps 0x33 and 0x44 (minted in slots b33, b44) are the handlers of two faulting threads of `a`. */
  function setup() {
    const k = kernel();
    const pager = k.createTask('pager');
    const a = k.createTask('a');
    const fep = k.createEndpoint(pager);
    const b33 = k.grant(pager, fep, pager, { rights: Rights.Call, badge: 0x33 });
    const b44 = k.grant(pager, fep, pager, { rights: Rights.Call, badge: 0x44 });
    const t33 = k.spawn(a, throwing, { faultHandler: k.grant(pager, b33, a) });
    const t44 = k.spawn(a, throwing, { faultHandler: k.grant(pager, b44, a) });
    k.run(); // both fault and wait on fep: nobody receives yet
    return { k, pager, a, fep, b33, b44, t33, t44 };
  }

  it('B4: after revoke + cancelBadgedSends no fault message with the revoked badge is received; the thread stops for good', () => {
    const { k, pager, fep, b33, t33, t44 } = setup();
    expect(stateOf(t33)).toBe('faulted (blocked-send)');
    const got: number[][] = [];
    const sts: number[] = [];
    k.spawn(pager, function* (sys: Sys) {
      sts.push(sys.revoke(b33), sys.cancelBadgedSends(b33));
      yield sys.yield();
      for (;;) {
        const st = yield sys.nbrecv(fep);
        got.push([st, st === Status.Ok ? sys.utcb.badge : -1]);
        if (st !== Status.Ok) break;
        yield sys.reply(FaultReply.Stop);
      }
    });
    k.run();
    expect(sts).toEqual([Status.Ok, Status.Ok]);
    // Only the other badge's fault arrives.
    expect(got).toEqual([
      [Status.Ok, 0x44],
      [Status.Timeout | RECV_PHASE, -1],
    ]);
    expect(stateOf(t33)).toBe('faulted');
    expect(stateOf(t44)).toBe('faulted');
  });

  it('B4: cancelBadgedSends without revoke releases the fault sender, which sends its fault again with the same badge', () => {
    const { k, pager, fep, b33, t33 } = setup();
    const got: number[] = [];
    k.spawn(pager, function* (sys: Sys) {
      sys.cancelBadgedSends(b33);
      yield sys.yield();
      for (let i = 0; i < 2; i++) {
        yield sys.recv(fep);
        got.push(sys.utcb.badge);
        yield sys.reply(FaultReply.Stop);
      }
    });
    k.run();
    // The released thread queued again behind the 0x44 fault.
    expect(got).toEqual([0x44, 0x33]);
    expect(stateOf(t33)).toBe('faulted');
    expect(k.counters.faults).toBe(2);
  });

  it('B4, D2: a released fault sender retries at once and, killed while it waits again, ends killed', () => {
    const { k, pager, a, b33, t33 } = setup();
    k.spawn(pager, function* (sys: Sys) {
      sys.cancelBadgedSends(b33);
    });
    k.run();
    // It retried at once (no receiver): it waits on fep again.
    expect(stateOf(t33)).toBe('faulted (blocked-send)');
    k.deleteTask(a);
    expect(stateOf(t33)).toBe('killed');
  });
});
