// Deletion and revocation (D1-D3, Decisions 5 and 10): releasing queued threads when an
// endpoint dies, task deletion, revoke, and threads suspended or killed mid-IPC.

import { describe, expect, it } from 'vitest';
import { CAP_SELF, RECV_PHASE, Rights, Status, ThreadKilledError, snapshot, type Sys, type SysGen } from '../../core/index.ts';
import { capAt, endpoint, kernel, notification, objectOf, clientServer, stateOf, type ClientServer } from './harness.ts';

function setup(): ClientServer {
  return clientServer(Rights.Call, 1);
}

describe('deletion', () => {
  it('D1: deleting the last cap to an endpoint releases every queued receiver; none receives a message', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const ep = k.createEndpoint(srv);
    const res: number[][] = [];
    const body = function* (sys: Sys) {
      sys.utcb.label = 1234;
      const st: number = yield sys.recv(ep);
      res.push([st, sys.utcb.label]);
    };
    const r1 = k.spawn(srv, body);
    const r2 = k.spawn(srv, body);
    k.run();
    const id = objectOf(srv, ep);
    expect(endpoint(k, srv, ep).queue).toEqual([r1.id, r2.id]);
    k.spawn(srv, function* (sys: Sys) {
      sys.delete(ep);
    });
    k.run();
    expect(res).toEqual([
      [Status.DeadPartner | RECV_PHASE, 1234],
      [Status.DeadPartner | RECV_PHASE, 1234],
    ]);
    expect(snapshot(k).endpoints.find((e) => e.id === id)).toBeUndefined();
  });

  it('D1 / Decision 10: when the last Read cap goes, queued senders and callers are released with DeadPartner', () => {
    const { k, srv, cli, ep, cep } = setup();
    const res: Record<string, number> = {};
    k.spawn(cli, function* (sys) {
      res['send'] = yield sys.send(cep, 1);
    });
    k.spawn(cli, function* (sys) {
      res['call'] = yield sys.call(cep, 2);
    });
    k.run();
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'send', readers: 1, dead: false });
    k.spawn(srv, function* (sys: Sys) {
      res['delete'] = sys.delete(ep);
    });
    k.run();
    expect(res).toEqual({ delete: Status.Ok, send: Status.DeadPartner, call: Status.DeadPartner });
    // The endpoint lives on (the clients' caps) but is dead.
    const e = snapshot(k).endpoints.find((x) => x.id === objectOf(cli, cep));
    expect(e).toMatchObject({ dead: true, readers: 0, queue: [], state: 'idle' });
  });

  it('Decision 10: on a dead endpoint later sends and calls fail at once; nbsend stays silent', () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(srv, function* (sys: Sys) {
      sys.delete(ep);
    });
    k.run();
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.call(cep, 1));
      out.push(yield sys.send(cep, 1));
      out.push(yield sys.nbsend(cep, 1));
    });
    k.run();
    expect(out).toEqual([Status.DeadPartner, Status.DeadPartner, Status.Ok]);
  });

  it('Decision 10: an endpoint stays alive while any Read cap remains anywhere', () => {
    const { k, srv, cli, ep, cep } = setup();
    const backup = k.createTask('backup');
    k.grant(srv, ep, backup, { rights: Rights.Read });
    let st = -1;
    const caller = k.spawn(cli, function* (sys) {
      st = yield sys.call(cep, 1);
    });
    k.run();
    k.spawn(srv, function* (sys: Sys) {
      sys.delete(ep);
    });
    k.run();
    expect(st).toBe(-1);
    expect(stateOf(caller)).toBe('blocked-send');
    k.deleteTask(backup);
    k.run();
    expect(st).toBe(Status.DeadPartner);
  });

  it('Decision 10: deleting a server task releases its clients; later calls fail at once', async () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(60);
      yield sys.sleep(1000); // the second call stays queued
    });
    const first = k.exec(cli, function* (sys): SysGen<number> {
      return yield sys.call(cep, 1);
    });
    k.run();
    const second = k.exec(cli, function* (sys): SysGen<number> {
      return yield sys.call(cep, 2);
    });
    k.run();
    k.deleteTask(srv);
    expect(await first).toBe(Status.DeadPartner | RECV_PHASE);
    expect(await second).toBe(Status.DeadPartner);
    expect(await k.exec(cli, function* (sys): SysGen<number> {
      return yield sys.call(cep, 3);
    })).toBe(Status.DeadPartner);
  });

  it('D2: deleting a task removes its threads from endpoint, notification and run queues', () => {
    const k = kernel();
    const host = k.createTask('host');
    const doomed = k.createTask('doomed');
    const ep = k.createEndpoint(host);
    const n = k.createNotification(host);
    const dep = k.grant(host, ep, doomed, { rights: Rights.All });
    const dn = k.grant(host, n, doomed, { rights: Rights.All });
    const r = k.spawn(doomed, function* (sys) {
      yield sys.recv(dep);
    });
    const w = k.spawn(doomed, function* (sys) {
      yield sys.wait(dn);
    });
    k.run();
    const ready = k.spawn(doomed, function* () {});
    expect(endpoint(k, host, ep).queue).toEqual([r.id]);
    expect(notification(k, host, n).waiters).toEqual([w.id]);
    expect(stateOf(ready)).toBe('ready');
    k.deleteTask(doomed);
    expect(endpoint(k, host, ep)).toMatchObject({ queue: [], state: 'idle', dead: false });
    expect(notification(k, host, n).waiters).toEqual([]);
    expect([r, w, ready].map(stateOf)).toEqual(['killed', 'killed', 'killed']);
    expect(k.idle).toBe(true);
    expect(snapshot(k).tasks.map((t) => t.name)).toEqual(['host']);
  });

  it('D2: a server holding the reply capability of a deleted caller finds it dead', () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
    });
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      out.push(sys.hasCaller);
      yield sys.sleep(10);
      out.push(sys.hasCaller);
      out.push(yield sys.reply(1));
    });
    k.run();
    k.deleteTask(cli);
    k.advance(10);
    expect(out).toEqual([true, false, Status.Ok]);
    expect(k.counters.messages).toBe(1); // the call only; the reply went nowhere
  });

  it('D2: a saved reply capability whose caller was deleted answers nothing', () => {
    const { k, srv, cli, ep, cep } = setup();
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(60);
    });
    k.run();
    k.deleteTask(cli);
    let st = -1;
    k.spawn(srv, function* (sys: Sys) {
      st = yield sys.send(60, 1);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(srv.cspace.get(60)).toBeNull();
    expect(k.counters.messages).toBe(1);
  });

  it('D2: an exec thread killed with its task rejects with ThreadKilledError', async () => {
    const { k, cli, cep } = setup();
    const p = k.exec(cli, function* (sys): SysGen<number> {
      return yield sys.call(cep, 1);
    });
    k.run();
    k.deleteTask(cli);
    await expect(p).rejects.toBeInstanceOf(ThreadKilledError);
  });

  it('D2: a thread that deletes its own task stops; a throw after that is not a fault', () => {
    const k = kernel();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    let after = false;
    const t = k.spawn(
      a,
      function* (sys: Sys) {
        sys.killTask(CAP_SELF);
        after = true;
        throw new Error('after death');
      },
      { faultHandler: fep },
    );
    k.run();
    expect(after).toBe(true);
    expect(stateOf(t)).toBe('killed');
    expect(k.counters.faults).toBe(0);
  });

  it('D2: a thread that deletes its own task performs no further syscall', () => {
    const k = kernel();
    const a = k.createTask('a');
    const other = k.createTask('other');
    const ep = k.createEndpoint(other);
    const cap = k.grant(other, ep, a, { rights: Rights.Write });
    let got = 0;
    k.spawn(other, function* (sys: Sys) {
      yield sys.recv(ep, 10);
      got = sys.utcb.label;
    });
    const t = k.spawn(a, function* (sys: Sys) {
      sys.killTask(CAP_SELF);
      yield sys.send(cap, 5);
    });
    k.run();
    k.advance(10);
    expect(stateOf(t)).toBe('killed');
    expect(got).toBe(0);
  });

  it('D3: revoke removes every descendant, including copies handed out by IPC, but not the cap itself', () => {
    const { k, srv, cli, ep } = setup();
    const third = k.createTask('third');
    const mine = k.createNotification(cli);
    // cli hands a copy of its notification to the server by IPC (map).
    k.spawn(srv, function* (sys: Sys) {
      sys.utcb.recvSlots[0] = 90;
      yield sys.recv(ep);
      yield sys.reply(0);
    });
    const grantCap = k.grant(srv, ep, cli, { rights: Rights.CallGrant });
    k.spawn(cli, function* (sys) {
      sys.utcb.caps[0] = mine;
      yield sys.call(grantCap, 1, 0, 1);
    });
    k.run();
    const copy = k.grant(cli, mine, third);
    const grandchild = k.grant(srv, 90, third);
    expect(capAt(k, srv, 90)?.object).toBe(objectOf(cli, mine));
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = sys.revoke(mine);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(srv.cspace.get(90)).toBeNull();
    expect(third.cspace.get(copy)).toBeNull();
    expect(third.cspace.get(grandchild)).toBeNull();
    expect(cli.cspace.get(mine)).not.toBeNull();
  });

  it('D3: revoke of an empty slot fails with FailedLookup; of slot 0 with RangeError', () => {
    const { k, cli } = setup();
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(sys.revoke(400), sys.revoke(0), sys.revoke(-1));
    });
    k.run();
    expect(out).toEqual([Status.FailedLookup, Status.RangeError, Status.RangeError]);
  });

  it('Decision 5: a thread suspended mid-IPC returns Cancelled in the phase it was in', () => {
    const { k, srv, cli, ep, cep } = setup();
    const n = k.createNotification(srv);
    const res: Record<string, number> = {};
    const sender = k.spawn(cli, function* (sys) {
      res['send'] = yield sys.send(cep, 1);
    });
    k.run();
    const receiver = k.spawn(srv, function* (sys: Sys) {
      res['recv'] = yield sys.recv(k.createEndpoint(srv));
    });
    const waiter = k.spawn(srv, function* (sys: Sys) {
      res['wait'] = yield sys.wait(n);
    });
    const sleeper = k.spawn(srv, function* (sys: Sys) {
      res['sleep'] = yield sys.sleep(1000);
    });
    k.run();
    for (const t of [sender, receiver, waiter, sleeper]) expect(k.suspendThread(t)).toBe(Status.Ok);
    expect([sender, receiver, waiter, sleeper].map(stateOf)).toEqual(['suspended', 'suspended', 'suspended', 'suspended']);
    expect(endpoint(k, srv, ep).queue).toEqual([]);
    for (const t of [sender, receiver, waiter, sleeper]) expect(k.resumeThread(t)).toBe(Status.Ok);
    k.run();
    expect(res).toEqual({
      send: Status.Cancelled,
      recv: Status.Cancelled | RECV_PHASE,
      wait: Status.Cancelled | RECV_PHASE,
      sleep: Status.Cancelled | RECV_PHASE,
    });
  });

  it('Decision 5: a call suspended in either phase is not silently re-issued', () => {
    const { k, srv, cli, ep, cep } = setup();
    const res: number[] = [];
    const c1 = k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 1));
    });
    k.run();
    k.suspendThread(c1); // in the send phase
    k.resumeThread(c1);
    k.run();
    const c2 = k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 2));
    });
    let received = 0;
    k.spawn(srv, function* (sys: Sys) {
      for (;;) {
        yield sys.recv(ep);
        received++;
        sys.saveCaller(60 + received);
      }
    });
    k.run();
    k.suspendThread(c2); // in the receive phase
    k.resumeThread(c2);
    k.run();
    expect(res).toEqual([Status.Cancelled, Status.Cancelled | RECV_PHASE]);
    expect(received).toBe(1);
    expect(endpoint(k, srv, ep).queue).toHaveLength(1); // only the server, waiting
  });

  it('Decision 5: a sender released by cancelBadgedSends and suspended before its retry gets Cancelled', () => {
    const { k, srv, cli, ep } = setup();
    const b1 = k.grant(srv, ep, srv, { badge: 9 });
    const c1 = k.grant(srv, b1, cli, { rights: Rights.Call });
    const res: number[] = [];
    const s = k.spawn(cli, function* (sys) {
      res.push(yield sys.call(c1, 1));
    });
    k.run();
    const sts: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      sts.push(sys.cancelBadgedSends(b1));
      sts.push(k.suspendThread(s)); // before the released call could retry
    }, { priority: 200 });
    k.run();
    expect(sts).toEqual([Status.Ok, Status.Ok]);
    expect(k.resumeThread(s)).toBe(Status.Ok);
    k.run();
    expect(res).toEqual([Status.Cancelled]);
    expect(endpoint(k, srv, ep).queue).toEqual([]);
  });

  it('D2: killing a single thread takes it out of its queue and strands no partner', () => {
    const { k, srv, cli, ep, cep } = setup();
    const a = k.spawn(cli, function* (sys) {
      yield sys.send(cep, 1);
    });
    const b = k.spawn(cli, function* (sys) {
      yield sys.send(cep, 2);
    });
    k.run();
    k.killThread(a);
    expect(stateOf(a)).toBe('killed');
    expect(endpoint(k, srv, ep).queue).toEqual([b.id]);
    let label = -1;
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      label = sys.utcb.label;
    });
    k.run();
    expect(label).toBe(2);
  });

  it('Decision 5: suspend and resume report bad states', () => {
    const { k, cli } = setup();
    const t = k.spawn(cli, function* () {});
    const done = k.spawn(cli, function* () {});
    k.run();
    expect(k.resumeThread(t)).toBe(Status.IllegalOperation);
    expect(k.suspendThread(done)).toBe(Status.IllegalOperation);
  });
});
