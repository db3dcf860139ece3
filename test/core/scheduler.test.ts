// Scheduling (Decision 1 and the switch policy in kernel.ts): priorities, FIFO within a
// priority in run queues and wait queues, yield, preemption on wake, direct switches.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_SELF, Rights, Status, type Sys } from '../../core/index.ts';
import { endpoint, kernel, notification, stateOf, clientServer } from './harness.ts';

describe('scheduler', () => {
  it('Decision 1: the highest-priority ready thread runs first; equal priorities run in FIFO order', () => {
    const k = kernel();
    const a = k.createTask('a');
    const order: string[] = [];
    for (const [name, prio] of [
      ['low', 10],
      ['mid1', 50],
      ['high', 200],
      ['mid2', 50],
      ['mid3', 50],
    ] as const) {
      k.spawn(a, function* () {
        order.push(name);
      }, { priority: prio });
    }
    k.run();
    expect(order).toEqual(['high', 'mid1', 'mid2', 'mid3', 'low']);
  });

  it('Decision 1: yield gives way round-robin to equal priorities, never to lower ones', () => {
    const k = kernel();
    const a = k.createTask('a');
    const order: string[] = [];
    const body = (name: string) =>
      function* (sys: Sys) {
        for (let i = 0; i < 3; i++) {
          order.push(`${name}${i}`);
          yield sys.yield();
        }
      };
    k.spawn(a, body('x'), { priority: 50 });
    k.spawn(a, body('y'), { priority: 50 });
    k.spawn(a, body('z'), { priority: 10 });
    k.run();
    expect(order).toEqual(['x0', 'y0', 'x1', 'y1', 'x2', 'y2', 'z0', 'z1', 'z2']);
  });

  it('Decision 1: an endpoint queues receivers by priority, FIFO within a priority', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Write);
    const got: string[] = [];
    const threads = (
      [
        ['r10', 10],
        ['r50a', 50],
        ['r30', 30],
        ['r50b', 50],
      ] as const
    ).map(([name, prio]) =>
      k.spawn(srv, function* (sys: Sys) {
        yield sys.recv(ep);
        got.push(`${name}:${sys.utcb.label}`);
      }, { priority: prio, name }),
    );
    k.run();
    const byName = (n: string) => threads.find((t) => t.name === n)!.id;
    expect(endpoint(k, srv, ep).queue).toEqual(['r50a', 'r50b', 'r30', 'r10'].map(byName));
    k.spawn(cli, function* (sys) {
      for (let i = 1; i <= 4; i++) yield sys.send(cep, i);
    }, { priority: 5 });
    k.run();
    expect(got).toEqual(['r50a:1', 'r50b:2', 'r30:3', 'r10:4']);
  });

  it('Decision 1: an endpoint queues senders by priority, FIFO within a priority', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    const specs = [
      [1, 20],
      [2, 90],
      [3, 20],
      [4, 90],
      [5, 50],
    ] as const;
    for (const [label, prio] of specs) {
      k.spawn(cli, function* (sys) {
        yield sys.send(cep, label);
      }, { priority: prio });
    }
    k.run();
    expect(endpoint(k, srv, ep).queue).toHaveLength(5);
    const got: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      for (let i = 0; i < 5; i++) {
        yield sys.recv(ep);
        got.push(sys.utcb.label);
      }
    }, { priority: 255 });
    k.run();
    expect(got).toEqual([2, 4, 5, 1, 3]);
  });

  it('Decision 1: notification waiters wake by priority, FIFO within a priority', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    const woke: string[] = [];
    for (const [name, prio] of [
      ['w1', 10],
      ['w2', 40],
      ['w3', 10],
      ['w4', 40],
    ] as const) {
      k.spawn(a, function* (sys: Sys) {
        yield sys.wait(n);
        woke.push(name);
      }, { priority: prio });
    }
    k.run();
    expect(notification(k, a, n).waiters).toHaveLength(4);
    k.spawn(a, function* (sys: Sys) {
      for (let i = 0; i < 4; i++) yield sys.signal(n);
    }, { priority: 1 });
    k.run();
    expect(woke).toEqual(['w2', 'w4', 'w1', 'w3']);
  });

  it('Decision 1: setPriority moves a waiting thread to its new place in the queue', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const ep = k.createEndpoint(a);
    const ids: number[] = [];
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      for (let i = 0; i < 2; i++) {
        out.push(sys.createThread(CAP_FACTORY, CAP_SELF, 20 + i, function* (s: Sys) {
          ids.push(s.threadId);
          yield s.recv(ep);
        }, { priority: 30 }));
      }
      yield sys.sleep(1); // let both block
      out.push(sys.setPriority(21, 40));
      out.push(sys.setPriority(20, 250)); // above the caller
      out.push(sys.setPriority(20, -1));
    }, { priority: 200 });
    k.run();
    k.advance(1);
    expect(out).toEqual([Status.Ok, Status.Ok, Status.Ok, Status.IllegalOperation, Status.RangeError]);
    expect(endpoint(k, a, ep).queue).toEqual([ids[1], ids[0]]);
  });

  it('preemption on wake: a lower-priority thread that wakes a higher one is preempted at once', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    const ep = k.createEndpoint(a);
    const order: string[] = [];
    k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n);
      order.push('high woke by signal');
      yield sys.recv(ep);
      order.push('high woke by send');
    }, { priority: 200 });
    k.spawn(a, function* (sys: Sys) {
      order.push('low signals');
      yield sys.signal(n);
      order.push('low sends');
      yield sys.send(ep, 1);
      order.push('low continues');
    }, { priority: 10 });
    k.run();
    expect(order).toEqual(['low signals', 'high woke by signal', 'low sends', 'high woke by send', 'low continues']);
  });

  it('preemption on wake: a higher-priority thread that wakes a lower one runs on', () => {
    const k = kernel();
    const a = k.createTask('a');
    const n = k.createNotification(a);
    const order: string[] = [];
    const low = k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n);
      order.push('low woke');
    }, { priority: 10 });
    k.spawn(a, function* (sys: Sys) {
      yield sys.sleep(1);
      yield sys.signal(n);
      order.push(`high continues, low ${stateOf(low)}`);
    }, { priority: 200 });
    k.run();
    k.advance(1);
    expect(order).toEqual(['high continues, low ready', 'low woke']);
  });

  it('preemption on wake: a woken thread never runs before a ready thread of higher priority', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const n = k.createNotification(a);
    const order: string[] = [];
    // C creates X (200) and suspends it before it runs.
    k.spawn(a, function* (sys: Sys) {
      sys.createThread(CAP_FACTORY, CAP_SELF, 30, function* () {
        order.push('X');
      }, { priority: 200 });
      sys.suspend(30);
    }, { priority: 250 });
    k.spawn(a, function* (sys: Sys) {
      yield sys.wait(n);
      order.push('W');
    }, { priority: 150 });
    // L resumes X (a plain invocation: L runs on until its next syscall), then wakes W.
    k.spawn(a, function* (sys: Sys) {
      sys.resume(30);
      yield sys.signal(n);
      order.push('L');
    }, { priority: 100 });
    k.run();
    expect(order).toEqual(['X', 'W', 'L']);
  });

  it('direct switch: a call to a waiting server switches to it; a ready thread above the server goes first', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    const order: string[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      for (;;) {
        order.push(`server ${sys.utcb.label}`);
        yield sys.replyRecv(ep, 0);
      }
    }, { priority: 50 });
    k.run();
    k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
      order.push('client back');
      k.spawn(cli, function* () {
        order.push('middle');
      }, { priority: 100 });
      yield sys.call(cep, 2);
      order.push('client back');
    }, { priority: 150 });
    k.run();
    expect(order).toEqual(['server 1', 'client back', 'middle', 'server 2', 'client back']);
    expect(k.counters.switches).toBeGreaterThanOrEqual(2);
  });

  it('Decision 1: random priorities queue on an endpoint by priority, FIFO by arrival; setPriority requeues at the back of the band', () => {
    const spec = fc.record({ prio: fc.integer({ min: 0, max: 255 }), delay: fc.constantFrom(0, 0, 1, 2, 3) });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (specs, moves) => {
        const k = kernel();
        const a = k.createTask('a');
        const ep = k.createEndpoint(a);
        const ts = specs.map((sp, i) =>
          k.spawn(a, function* (sys: Sys) {
            if (sp.delay > 0) yield sys.sleep(sp.delay);
            yield sys.recv(ep);
          }, { priority: sp.prio, name: `t${i}` }),
        );
        k.run();
        k.advance(3);
        // Arrival: by wake-up time, then priority, then spawn order; the queue then orders
        // by priority and keeps arrival order within one priority.
        const idx = specs.map((_, i) => i);
        idx.sort((x, y) => specs[y]!.prio - specs[x]!.prio || specs[x]!.delay - specs[y]!.delay || x - y);
        let expected = idx.map((i) => ts[i]!.id);
        expect(endpoint(k, a, ep).queue).toEqual(expected);
        for (const m of moves) {
          const t = ts[m % ts.length]!;
          const p = (m * 37) % 256;
          expect(k.setPriority(t, p)).toBe(Status.Ok);
          expected = expected.filter((id) => id !== t.id);
          const at = expected.findIndex((id) => ts.find((x) => x.id === id)!.prio < p);
          expected.splice(at < 0 ? expected.length : at, 0, t.id);
        }
        expect(endpoint(k, a, ep).queue).toEqual(expected);
      }),
      { seed: 0xd1, numRuns: 150 },
    );
  });
});
