// Issue 9 item 5, and C2 without Grant: resource exhaustion a task can cause (a full
// cap space on cap transfer, a spent factory quota, a full space on saveCaller) answers
// a kernel status or truncates as C3 says; nothing throws out of the kernel, and every
// other task keeps being served.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, RECV_PHASE, Rights, Status, type Sys, type Task } from '../../core/index.ts';
import { kernel } from './harness.ts';

/** Fill every free slot of `task` with notifications. */
function fill(k: ReturnType<typeof kernel>, task: Task): void {
  for (let s = task.cspace.allocSlot(); s !== 0; s = task.cspace.allocSlot()) k.createNotification(task, s);
}

describe('kernel resource exhaustion (issue 9 item 5)', () => {
  it('C3: a server whose cap space is full gets the words and no cap; the client keeps its cap and the next client is served', () => {
    const k = kernel();
    const srv = k.createTask('srv', { slots: 8 });
    const ep = k.createEndpoint(srv);
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ca = k.grant(srv, ep, a, { rights: Rights.CallGrant });
    const cb = k.grant(srv, ep, b, { rights: Rights.CallGrant });
    const gift = k.createNotification(a);
    fill(k, srv);
    const seen: number[][] = [];
    k.spawn(srv, function* (sys: Sys) {
      for (;;) {
        // The space is full: allocSlot answers 0, which names no slot (C3: no cap lands).
        sys.utcb.recvSlots[0] = sys.allocSlot();
        const st = yield sys.recv(ep);
        seen.push([st, sys.utcb.label, sys.utcb.capCount, sys.utcb.recvSlots[0]!]);
        yield sys.reply(sys.utcb.label + 100);
      }
    });
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      sys.utcb.caps[0] = gift;
      out.push(yield sys.call(ca, 1, 0, 1), sys.utcb.label);
      // A grant (move) into the full space does not happen either: the cap stays here.
      sys.utcb.caps[0] = gift;
      sys.utcb.grantMask = 1;
      out.push(yield sys.call(ca, 2, 0, 1), sys.utcb.label);
    });
    k.spawn(b, function* (sys: Sys) {
      out.push(yield sys.call(cb, 3), sys.utcb.label);
    });
    k.run();
    expect(seen).toEqual([
      [Status.Ok, 1, 0, 0],
      [Status.Ok, 3, 0, 0],
      [Status.Ok, 2, 0, 0],
    ]);
    expect(out).toEqual([Status.Ok, 101, Status.Ok, 103, Status.Ok, 102]);
    expect(a.cspace.get(gift)).not.toBeNull();
  });

  it('C3, R5: a reply carrying a cap to a client whose cap space is full delivers the words; the server keeps serving', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const ep = k.createEndpoint(srv);
    const present = k.createNotification(srv);
    const full = k.createTask('full', { slots: 8 });
    const cf = k.grant(srv, ep, full, { rights: Rights.CallGrant });
    fill(k, full);
    const other = k.createTask('other');
    const co = k.grant(srv, ep, other, { rights: Rights.CallGrant });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      for (;;) {
        sys.utcb.caps[0] = present;
        yield sys.replyRecv(ep, 7, 0, 1);
      }
    });
    const out: number[] = [];
    k.spawn(full, function* (sys: Sys) {
      sys.utcb.recvSlots[0] = sys.allocSlot();
      out.push(yield sys.call(cf, 1), sys.utcb.label, sys.utcb.capCount);
    });
    k.spawn(other, function* (sys: Sys) {
      sys.utcb.recvSlots[0] = 20;
      out.push(yield sys.call(co, 1), sys.utcb.label, sys.utcb.capCount);
    });
    k.run();
    expect(out).toEqual([Status.Ok, 7, 0, Status.Ok, 7, 1]);
    expect(other.cspace.get(20)).not.toBeNull();
  });

  it('L1: a server thread whose factory quota is spent gets NotEnoughMemory per request and keeps serving', () => {
    const k = kernel();
    const srv = k.createTask('srv', { quota: 2 });
    const ep = k.createEndpoint(srv);
    const cli = k.createTask('cli');
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      for (let dst = 20; ; dst++) {
        // One endpoint per request, against the quota: the third fails as a value.
        const st = sys.createEndpoint(CAP_FACTORY, dst);
        yield sys.replyRecv(ep, st);
      }
    });
    const out: number[] = [];
    k.spawn(cli, function* (sys: Sys) {
      for (let i = 0; i < 4; i++) {
        const st = yield sys.call(c, 0);
        out.push(st, sys.utcb.label);
      }
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.Ok, Status.Ok, Status.Ok, Status.Ok, Status.NotEnoughMemory, Status.Ok, Status.NotEnoughMemory]);
  });

  it('saveCaller with a full cap space answers RangeError for slot 0; the caller is then aborted, never stranded (Decision 4)', () => {
    const k = kernel();
    const srv = k.createTask('srv', { slots: 8 });
    const ep = k.createEndpoint(srv);
    const cli = k.createTask('cli');
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    fill(k, srv);
    const sts: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sts.push(sys.saveCaller(sys.allocSlot()));
      yield sys.nbrecv(ep);
    });
    let st = -1;
    k.spawn(cli, function* (sys: Sys) {
      st = yield sys.call(c, 0);
    });
    k.run();
    expect(sts).toEqual([Status.RangeError]);
    expect(st).toBe(Status.Aborted | RECV_PHASE);
  });
});

describe('death watches (issue 9 item 5)', () => {
  it('watchTask: repeated watches through one notification keep one entry and the death is one signal with every badge', () => {
    const k = kernel();
    const watcher = k.createTask('watcher');
    const victim = k.createTask('victim');
    const tcap = k.grant(victim, 1, watcher, { rights: Rights.Read });
    const n = k.createNotification(watcher);
    const b1 = k.grant(watcher, n, watcher, { rights: Rights.Write, badge: 1 });
    const b2 = k.grant(watcher, n, watcher, { rights: Rights.Write, badge: 2 });
    const sts = new Set<number>();
    k.spawn(watcher, function* (sys: Sys) {
      for (let i = 0; i < 10_000; i++) sts.add(sys.watchTask(tcap, i % 2 === 0 ? b1 : b2));
    });
    k.run();
    expect([...sts]).toEqual([Status.Ok]);
    expect(victim.deathWatchers.size).toBe(1);
    k.deleteTask(victim);
    const got: number[] = [];
    k.spawn(watcher, function* (sys: Sys) {
      got.push(yield sys.poll(n), sys.utcb.badge, yield sys.poll(n));
    });
    k.run();
    expect(got).toEqual([Status.Ok, 3, Status.Timeout | RECV_PHASE]);
  });

  it('watchTask: watches through notifications since destroyed are dropped, so churn cannot grow kernel memory', () => {
    const k = kernel();
    const watcher = k.createTask('watcher', { quota: 4 });
    const victim = k.createTask('victim');
    const tcap = k.grant(victim, 1, watcher, { rights: Rights.Read });
    let bad = 0;
    k.spawn(watcher, function* (sys: Sys) {
      for (let i = 0; i < 10_000; i++) {
        if (sys.createNotification(CAP_FACTORY, 20) !== Status.Ok) bad++;
        if (sys.watchTask(tcap, 20) !== Status.Ok) bad++;
        sys.delete(20);
      }
    });
    k.run();
    expect(bad).toBe(0);
    expect(victim.deathWatchers.size).toBeLessThanOrEqual(32);
  });
});

describe('C2 without Grant (issue 9 item 13)', () => {
  function setup() {
    const k = kernel();
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    const gift = k.createNotification(cli);
    return { k, srv, cli, ep, c, gift };
  }

  it('C2: a message through a cap without Grant naming an empty slot fails with FailedLookup and delivers nothing', () => {
    const { k, srv, cli, ep, c, gift } = setup();
    const out: number[] = [];
    k.spawn(cli, function* (sys: Sys) {
      sys.utcb.caps[0] = gift;
      sys.utcb.caps[1] = 999;
      out.push(yield sys.call(c, 1, 0, 2), sys.utcb.error!.slot!);
      out.push(yield sys.send(c, 2, 0, 2));
      sys.utcb.caps[1] = 1 << 30;
      out.push(yield sys.nbsend(c, 3, 0, 2));
    });
    k.run();
    let got = -1;
    k.spawn(srv, function* (sys: Sys) {
      got = yield sys.nbrecv(ep);
    });
    k.run();
    expect(out).toEqual([Status.FailedLookup, 999, Status.FailedLookup, Status.RangeError]);
    expect(got).toBe(Status.Timeout | RECV_PHASE);
    expect(cli.cspace.get(gift)).not.toBeNull();
  });

  it('C2, R5: a reply through a reply cap without Grant naming an empty slot fails; the caller still waits for a good one', () => {
    const { k, srv, cli, ep, c } = setup();
    const sts: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.utcb.caps[0] = 999;
      sts.push(yield sys.reply(1, 0, 1));
      sts.push(yield sys.reply(2));
    });
    let label = -1;
    k.spawn(cli, function* (sys: Sys) {
      yield sys.call(c, 0);
      label = sys.utcb.label;
    });
    k.run();
    expect(sts).toEqual([Status.FailedLookup, Status.Ok]);
    expect(label).toBe(2);
  });
});
