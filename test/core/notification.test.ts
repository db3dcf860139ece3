// Notifications (N1-N6, Decisions 6 and 8): signal, wait, poll, coalescing, waiter
// order, bound notifications and binding rules.

import { describe, expect, it } from 'vitest';
import { RECV_PHASE, Rights, Status, type Sys } from '../../core/index.ts';
import { kernel, notification, stateOf } from './harness.ts';

function setup() {
  const k = kernel();
  const a = k.createTask('a');
  const n = k.createNotification(a);
  const s1 = k.grant(a, n, a, { rights: Rights.Write, badge: 0b0001 });
  const s2 = k.grant(a, n, a, { rights: Rights.Write, badge: 0b0100 });
  return { k, a, n, s1, s2 };
}

describe('notifications', () => {
  it('N1: signal ORs the badge in and wakes the first waiter, which receives the word; signal never blocks', () => {
    const { k, a, n, s1 } = setup();
    let got: number[] = [];
    const w = k.spawn(a, function* (sys: Sys) {
      const st = yield sys.wait(n);
      got = [st, sys.utcb.badge];
    });
    k.run();
    expect(stateOf(w)).toBe('blocked-notification');
    expect(notification(k, a, n).waiters).toEqual([w.id]);
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(yield sys.signal(s1));
      out.push(yield sys.signal(s1)); // nobody waits: still returns at once
    });
    k.run();
    expect(out).toEqual([Status.Ok, Status.Ok]);
    expect(got).toEqual([Status.Ok, 0b0001]);
    expect(notification(k, a, n)).toMatchObject({ word: 0b0001, pending: true, waiters: [] });
  });

  it('N2: wait returns and clears a pending word; otherwise it blocks', () => {
    const { k, a, n, s2 } = setup();
    const out: number[] = [];
    const w = k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s2);
      out.push(yield sys.wait(n), sys.utcb.badge);
      out.push(yield sys.wait(n));
    });
    k.run();
    expect(out).toEqual([Status.Ok, 0b0100]);
    expect(stateOf(w)).toBe('blocked-notification');
    expect(notification(k, a, n)).toMatchObject({ word: 0, pending: false });
  });

  it('N2: poll never blocks: 0 and a receive-phase Timeout when nothing is pending, else the word', () => {
    const { k, a, n, s1 } = setup();
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      sys.utcb.badge = 77;
      out.push(yield sys.poll(n), sys.utcb.badge);
      yield sys.signal(s1);
      out.push(yield sys.poll(n), sys.utcb.badge);
      out.push(yield sys.poll(n), sys.utcb.badge);
    });
    k.run();
    expect(out).toEqual([Status.Timeout | RECV_PHASE, 0, Status.Ok, 1, Status.Timeout | RECV_PHASE, 0]);
  });

  it('N3: signals before a wait coalesce by OR; counts are lost', () => {
    const { k, a, n, s1, s2 } = setup();
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s1);
      yield sys.signal(s1);
      yield sys.signal(s2);
      out.push(yield sys.wait(n), sys.utcb.badge);
      out.push(yield sys.poll(n));
    });
    k.run();
    expect(out).toEqual([Status.Ok, 0b0101, Status.Timeout | RECV_PHASE]);
  });

  it('N4: only the first waiter wakes per signal', () => {
    const { k, a, n, s1, s2 } = setup();
    const woke: string[] = [];
    const w1 = k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n);
      woke.push(`w1:${sys.utcb.badge}`);
    });
    const w2 = k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n);
      woke.push(`w2:${sys.utcb.badge}`);
    });
    k.run();
    expect(notification(k, a, n).waiters).toEqual([w1.id, w2.id]);
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s1);
    });
    k.run();
    expect(woke).toEqual(['w1:1']);
    expect(stateOf(w2)).toBe('blocked-notification');
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s2);
    });
    k.run();
    expect(woke).toEqual(['w1:1', 'w2:4']);
  });

  it('N5: a bound thread blocked in recv is woken by a signal with a Notification status', () => {
    const { k, a, n, s1 } = setup();
    const ep = k.createEndpoint(a);
    let got: number[] = [];
    const t = k.spawn(a, function* (sys: Sys) {
      sys.bind(n);
      const st = yield sys.recv(ep);
      got = [st, sys.utcb.badge];
    });
    k.run();
    expect(stateOf(t)).toBe('blocked-recv');
    expect(notification(k, a, n).bound).toBe(t.id);
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s1);
    });
    k.run();
    expect(got).toEqual([Status.Notification, 1]);
    expect(notification(k, a, n)).toMatchObject({ word: 0, pending: false });
  });

  it('N5: a pending bound notification is delivered before queued senders', () => {
    const { k, a, n, s2 } = setup();
    const ep = k.createEndpoint(a);
    const out: number[] = [];
    const srv = k.spawn(a, function* (sys: Sys) {
      sys.bind(n);
      yield sys.sleep(10);
      out.push(yield sys.recv(ep), sys.utcb.badge);
      out.push(yield sys.recv(ep), sys.utcb.label);
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.send(ep, 66);
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s2);
    });
    k.run();
    expect(stateOf(srv)).toBe('sleeping');
    k.advance(10);
    expect(out).toEqual([Status.Notification, 4, Status.Ok, 66]);
  });

  it('N5 / Decision 8: a bound thread blocked in call is not interrupted; the signal stays pending', () => {
    const { k, a, n, s1 } = setup();
    const srvTask = k.createTask('srv');
    const sep = k.createEndpoint(srvTask);
    const cep = k.grant(srvTask, sep, a, { rights: Rights.Call });
    const own = k.createEndpoint(a);
    const out: number[] = [];
    const caller = k.spawn(a, function* (sys: Sys) {
      sys.bind(n);
      out.push(yield sys.call(cep, 1), sys.utcb.label);
      out.push(yield sys.nbrecv(own), sys.utcb.badge);
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s1);
    });
    k.run();
    expect(stateOf(caller)).toBe('blocked-send');
    expect(notification(k, a, n)).toMatchObject({ pending: true, word: 1 });
    k.spawn(srvTask, function* (sys: Sys) {
      yield sys.recv(sep);
      yield sys.sleep(5);
      yield sys.reply(9);
    });
    k.run();
    expect(stateOf(caller)).toBe('blocked-reply');
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(s1);
    });
    k.run();
    expect(stateOf(caller)).toBe('blocked-reply');
    k.advance(5);
    expect(out).toEqual([Status.Ok, 9, Status.Notification, 1]);
  });

  it('N6: binding is 1:1: a bound thread, a bound notification and a waited-on notification cannot be bound', () => {
    const { k, a, n } = setup();
    const n2 = k.createNotification(a);
    const n3 = k.createNotification(a);
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n3);
    });
    k.run();
    k.spawn(a, function* (sys: Sys) {
      out.push(sys.bind(n));
      out.push(sys.bind(n2)); // this thread is bound already
      out.push(sys.unbind());
      out.push(sys.unbind());
      out.push(sys.bind(n3)); // n3 has a waiter
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.yield();
      out.push(sys.bind(n2));
      out.push(sys.bind(n)); // n is free again, but this thread is bound to n2
      yield sys.sleep(100); // stay alive (and bound)
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.yield();
      yield sys.yield();
      out.push(sys.bind(n2)); // n2 is bound to another thread
    });
    k.run();
    expect(out).toEqual([
      Status.Ok,
      Status.IllegalOperation,
      Status.Ok,
      Status.IllegalOperation,
      Status.IllegalOperation,
      Status.Ok,
      Status.IllegalOperation,
      Status.IllegalOperation,
    ]);
  });

  it('N6: another thread cannot wait on a notification bound to a thread', () => {
    const { k, a, n } = setup();
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      sys.bind(n);
      yield sys.sleep(1);
    });
    k.spawn(a, function* (sys: Sys) {
      out.push(yield sys.wait(n));
    });
    k.run();
    expect(out).toEqual([Status.IllegalOperation | RECV_PHASE]);
  });

  it('Decision 6: a badge-0 signal wakes a waiter with word 0', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    let got: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      sys.utcb.badge = 5;
      const st = yield sys.wait(n);
      got = [st, sys.utcb.badge];
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(n); // the original cap: badge 0
    });
    k.run();
    expect(got).toEqual([Status.Ok, 0]);
  });

  it('Decision 6: a badge-0 signal with no waiter stays pending with word 0, and a wait returns at once', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    k.spawn(a, function* (sys: Sys) {
      yield sys.signal(n);
    });
    k.run();
    expect(notification(k, a, n)).toMatchObject({ word: 0, pending: true });
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(yield sys.wait(n), sys.utcb.badge);
      out.push(yield sys.poll(n));
    });
    k.run();
    expect(out).toEqual([Status.Ok, 0, Status.Timeout | RECV_PHASE]);
  });

  it('N6: deleting the last cap to a notification releases its waiters and unbinds its thread', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    const n2 = k.createNotification(a);
    const ep = k.createEndpoint(a);
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(yield sys.wait(n));
    });
    const bound = k.spawn(a, function* (sys: Sys) {
      sys.bind(n);
      yield sys.recv(ep);
      out.push(sys.bind(n2)); // free to bind again once n is gone
    });
    k.run();
    k.spawn(a, function* (sys: Sys) {
      sys.delete(n);
    });
    k.run();
    expect(out).toEqual([Status.DeadPartner | RECV_PHASE]);
    expect(stateOf(bound)).toBe('blocked-recv');
    k.spawn(a, function* (sys: Sys) {
      yield sys.send(ep, 1);
    });
    k.run();
    expect(out).toEqual([Status.DeadPartner | RECV_PHASE, Status.Ok]);
  });
});
