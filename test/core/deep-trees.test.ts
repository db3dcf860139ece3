// Issue 9 item 2: every walk over a chain a client can make arbitrarily long runs in
// constant stack. A 1,000,000-deep chain of cap copies revokes and is reclaimed when its
// task dies; deep sub-factory chains and chains of fault handlers are released too.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_SELF, RECV_PHASE, Rights, Status, snapshot, type Sys } from '../../core/index.ts';
import { clientServer, kernel, stateOf } from './harness.ts';

const DEPTH = 1_000_000;
const FIRST = 10;

/** Derive a chain of `depth` copies below the cap in `root`: slot FIRST+i is the child of FIRST+i-1. */
function* chain(sys: Sys, root: number, depth: number): Generator<never, number[], number> {
  const sts = new Set<number>();
  sts.add(sys.copy(root, FIRST));
  for (let i = 1; i < depth; i++) sts.add(sys.copy(FIRST + i - 1, FIRST + i));
  return [...sts];
}

describe('deep derivation trees (issue 9 item 2)', () => {
  it('D3: a 1,000,000-deep chain of cap copies revokes cleanly', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call, 7);
    const big = k.createTask('big', { slots: 1 << 20 });
    const gift = k.grant(cli, cep, big);
    const out: unknown[] = [];
    k.spawn(big, function* (sys: Sys) {
      out.push(yield* chain(sys, gift, DEPTH));
    });
    k.run();
    expect(out).toEqual([[Status.Ok]]);
    expect(big.cspace.get(FIRST + DEPTH - 1)!.badge).toBe(7);
    k.spawn(cli, function* (sys: Sys) {
      out.push(sys.revoke(cep), sys.childCount(cep));
    });
    k.run();
    expect(out.slice(1)).toEqual([Status.Ok, { ok: true, value: 0 }]);
    expect(big.cspace.get(FIRST)).toBeNull();
    expect(big.cspace.get(FIRST + DEPTH - 1)).toBeNull();
    expect(big.cspace.get(gift)).toBeNull();
    // The endpoint is left with the server's cap and the client's.
    const e = snapshot(k).endpoints.find((x) => x.id === srv.cspace.get(ep)!.obj.id)!;
    expect(e.caps).toBe(2);
  });

  it('D2: when the task holding a 1,000,000-deep chain dies, the kernel reclaims every cap and no-senders fires once', () => {
    const { k, srv, ep } = clientServer(Rights.Call);
    const big = k.createTask('big', { slots: 1 << 20 });
    const n = k.createNotification(srv);
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(sys.mint(ep, 50, Rights.Call, 9), sys.requestNoSenders(50, n));
    });
    k.run();
    const gift = k.grant(srv, 50, big);
    k.spawn(big, function* (sys: Sys) {
      out.push(yield* chain(sys, gift, DEPTH));
    });
    k.run();
    k.deleteTask(big);
    k.spawn(srv, function* (sys: Sys) {
      out.push(sys.childCount(50), sys.nextNoSenders(ep), sys.nextNoSenders(ep));
      out.push(yield sys.poll(n));
    });
    k.run();
    // No-senders queued the badge once and signalled the notification.
    expect(out).toEqual([Status.Ok, Status.Ok, [Status.Ok], { ok: true, value: 0 }, { ok: true, value: 9 }, { ok: true, value: 0 }, Status.Ok]);
    const e = snapshot(k).endpoints.find((x) => x.id === srv.cspace.get(ep)!.obj.id)!;
    expect(e.caps).toBe(3); // the server's, its badged cap, and the client's from clientServer()
  });

  it('D3: deleting a 50,000-cap chain bottom-up above a fan of 50,000 copies hands the fan up each time (union by size: linear, not chain x fan)', () => {
    const k = kernel();
    const t = k.createTask('wide', { slots: 1 << 17 });
    const root = k.createEndpoint(t);
    const chainLen = 50_000;
    const fan = 50_000;
    const out: unknown[] = [];
    k.spawn(t, function* (sys: Sys) {
      const sts = new Set<number>(yield* chain(sys, root, chainLen));
      const bottom = FIRST + chainLen - 1;
      for (let i = 0; i < fan; i++) sts.add(sys.copy(bottom, FIRST + chainLen + i));
      for (let i = chainLen - 1; i >= 0; i--) sts.add(sys.delete(FIRST + i));
      out.push([...sts], sys.childCount(root));
      out.push(sys.revoke(root), sys.childCount(root), sys.identify(FIRST + chainLen));
    });
    k.run();
    expect(out).toEqual([[Status.Ok], { ok: true, value: fan }, Status.Ok, { ok: true, value: 0 }, null]);
  });

  it('L1: a 100,000-deep chain of sub-factories gives every unit back when its task dies', () => {
    const k = kernel();
    const depth = 100_000;
    const before = k.rootFactory.used;
    const t = k.createTask('f', { quota: 1e9, slots: 1 << 17 });
    let bad = 0;
    k.spawn(t, function* (sys: Sys) {
      let prev = CAP_FACTORY;
      for (let i = 0; i < depth; i++) {
        // Each factory carves its quota out of the previous one's.
        if (sys.createFactory(prev, FIRST + i, 1e9 - 1 - i) !== Status.Ok) bad++;
        prev = FIRST + i;
      }
      if (sys.createEndpoint(prev, FIRST + depth) !== Status.Ok) bad++;
    });
    k.run();
    expect(bad).toBe(0);
    k.deleteTask(t);
    expect(k.rootFactory.used).toBe(before);
    expect(snapshot(k).factories.length).toBe(1);
  });

  it('F2, D2: a chain of 20,000 fault handlers, each faulting on the fault it received, is stopped for good and the first caller aborted', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    const n = 20_000;
    const fep = k.createEndpoint(srv);
    const handler = function* (sys: Sys) {
      yield sys.recv(fep);
      throw new Error('handler fails too');
    };
    // Handlers wait first (FIFO): handler i takes the fault of handler i-1.
    const hs = [];
    for (let i = 0; i < n; i++) hs.push(k.spawn(srv, handler, i < n - 1 ? { faultHandler: fep } : {}));
    k.run();
    const server = k.spawn(
      srv,
      function* (sys: Sys) {
        yield sys.recv(ep);
        throw new Error('server bug');
      },
      { faultHandler: fep },
    );
    let st = -1;
    k.spawn(cli, function* (sys: Sys) {
      st = yield sys.call(cep, 1);
    });
    k.run();
    expect(st).toBe(Status.Aborted | RECV_PHASE);
    expect(stateOf(server)).toBe('faulted');
    expect(hs.every((h) => stateOf(h) === 'faulted')).toBe(true);
    expect(k.counters.faults).toBe(n + 1);
  });
});
