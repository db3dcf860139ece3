// Timeouts on virtual time (T1, T2, Decision 3): send and receive phases, 0 / never /
// relative, sleep, and the death of the reply capability when a call times out.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NEVER, RECV_PHASE, Rights, Status, type Sys } from '../../core/index.ts';
import { endpoint, clientServer, stateOf, type ClientServer } from './harness.ts';

function setup(): ClientServer {
  return clientServer(Rights.Call);
}

describe('timeouts', () => {
  it('T1: a send timeout with no receiver ends the send with a send-phase Timeout and delivers nothing', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: number[] = [];
    const s = k.spawn(cli, function* (sys) {
      const t0 = sys.now();
      out.push(yield sys.send(cep, 1, 0, 0, 0, 10));
      out.push(sys.now() - t0);
    });
    k.run();
    expect(stateOf(s)).toBe('blocked-send');
    k.advance(9);
    expect(out).toEqual([]);
    k.advance(1);
    expect(out).toEqual([Status.Timeout, 10]);
    expect(endpoint(k, srv, ep).queue).toEqual([]);
    let later = -1;
    k.spawn(srv, function* (sys: Sys) {
      later = yield sys.nbrecv(ep);
    });
    k.run();
    expect(later).toBe(Status.Timeout | RECV_PHASE);
  });

  it('T1 / E2: a send with timeout 0 is an nbsend: dropped silently when no receiver waits', () => {
    const { k, srv, cli, ep, cep } = setup();
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = yield sys.send(cep, 1, 0, 0, 0, 0);
    });
    k.run();
    expect(st).toBe(Status.Ok);
    expect(endpoint(k, srv, ep)).toMatchObject({ state: 'idle', queue: [] });
  });

  it('T1: call send timeouts of 0 and of a relative time end in the send phase', () => {
    const { k, cli, cep } = setup();
    const out: number[] = [];
    k.spawn(cli, function* (sys) {
      out.push(yield sys.call(cep, 1, 0, 0, 0, 0));
      out.push(yield sys.call(cep, 1, 0, 0, 0, 7));
      out.push(sys.now());
    });
    k.run();
    k.advance(7);
    expect(out).toEqual([Status.Timeout, Status.Timeout, 7]);
  });

  it('T1: a call receive timeout ends the call in the receive phase', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(60);
    });
    k.spawn(cli, function* (sys) {
      out.push(yield sys.call(cep, 1, 0, 0, 0, NEVER, 15));
      out.push(sys.now());
    });
    k.run();
    k.advance(20);
    expect(out).toEqual([Status.Timeout | RECV_PHASE, 15]);
  });

  it('T1: recv and wait timeouts end in the receive phase; NEVER waits forever', () => {
    const { k, srv, ep } = setup();
    const n = k.createNotification(srv);
    const out: string[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(`recv ${yield sys.recv(ep, 5)} @${sys.now()}`);
      out.push(`wait ${yield sys.wait(n, 5)} @${sys.now()}`);
    });
    const forever = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep, NEVER);
    });
    k.run();
    k.advance(1e9);
    const t = Status.Timeout | RECV_PHASE;
    expect(out).toEqual([`recv ${t} @5`, `wait ${t} @10`]);
    expect(stateOf(forever)).toBe('blocked-recv');
  });

  it('T1: a message arriving before the timeout cancels it', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.recv(ep, 10), sys.utcb.label, sys.now());
    });
    k.spawn(cli, function* (sys) {
      yield sys.sleep(4);
      yield sys.send(cep, 8);
    });
    k.run();
    k.advance(100);
    expect(out).toEqual([Status.Ok, 8, 4]);
    expect(k.counters.timeouts).toBe(1); // the sleep only
  });

  it('T1: timers fire in deadline order, and in arming order for equal deadlines', () => {
    const { k, srv } = setup();
    const order: string[] = [];
    for (const [name, ms] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
      ['a2', 10],
    ] as const) {
      k.spawn(srv, function* (sys: Sys) {
        yield sys.sleep(ms);
        order.push(`${name}@${sys.now()}`);
      });
    }
    k.run();
    k.advance(50);
    expect(order).toEqual(['a@10', 'a2@10', 'b@20', 'c@30']);
  });

  it('T2: sleep(t) returns a receive-phase Timeout after exactly t of virtual time; sleep(0) at once', () => {
    const { k, srv } = setup();
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.sleep(0), sys.now());
      out.push(yield sys.sleep(250), sys.now());
    });
    k.run();
    k.advance(249);
    expect(out).toEqual([Status.Timeout | RECV_PHASE, 0]);
    k.advance(1);
    expect(out).toEqual([Status.Timeout | RECV_PHASE, 0, Status.Timeout | RECV_PHASE, 250]);
  });

  it('T2: a cancelled sleep returns Cancelled', () => {
    const { k, srv } = setup();
    let st = -1;
    const t = k.spawn(srv, function* (sys: Sys) {
      st = yield sys.sleep(100);
    });
    k.run();
    k.advance(10);
    k.suspendThread(t);
    k.advance(200); // the timer died with the suspension
    expect(stateOf(t)).toBe('suspended');
    k.resumeThread(t);
    k.run();
    expect(st).toBe(Status.Cancelled | RECV_PHASE);
  });

  it('Decision 3: when a call times out in the receive phase, a late implicit reply is dropped', () => {
    const { k, srv, cli, ep, cep } = setup();
    const out: unknown[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      yield sys.sleep(50);
      out.push(sys.hasCaller);
      out.push(yield sys.reply(99));
    });
    const res: number[] = [];
    k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 1, 0, 0, 0, NEVER, 10));
      res.push(sys.utcb.label);
    });
    k.run();
    k.advance(100);
    expect(res).toEqual([Status.Timeout | RECV_PHASE, 0]);
    expect(out).toEqual([false, Status.Ok]);
    expect(k.counters.messages).toBe(1);
  });

  it('Decision 3: a late reply through a saved reply cap can never land in a later receive of the caller', () => {
    const { k, srv, cli, ep, cep } = setup();
    const own = k.createEndpoint(cli);
    const ownW = k.grant(cli, own, cli, { rights: Rights.Write });
    const res: number[] = [];
    const srvOut: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      sys.saveCaller(60);
      yield sys.sleep(50);
      srvOut.push(yield sys.send(60, 99)); // late: dropped
      yield sys.recv(ep);
      yield sys.reply(7); // answers the second call
    });
    k.spawn(cli, function* (sys) {
      res.push(yield sys.call(cep, 1, 0, 0, 0, NEVER, 10));
      // Wait on its own endpoint across the moment of the late reply.
      res.push(yield sys.recv(own, 100), sys.utcb.label);
      res.push(yield sys.call(cep, 2), sys.utcb.label);
    });
    k.spawn(cli, function* (sys) {
      yield sys.sleep(80);
      yield sys.send(ownW, 5);
    });
    k.run();
    k.advance(200);
    expect(srvOut).toEqual([Status.Ok]);
    // The late 99 never shows up: the own-endpoint receive gets 5, the next call gets 7.
    expect(res).toEqual([Status.Timeout | RECV_PHASE, Status.Ok, 5, Status.Ok, 7]);
  });

  it('T1: random sleeps and satisfied receive timeouts wake exactly at their deadlines, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ms: fc.integer({ min: 1, max: 40 }), satisfiedAt: fc.option(fc.integer({ min: 0, max: 45 })) }), { minLength: 1, maxLength: 60 }),
        (specs) => {
          const { k, srv } = setup();
          const woke: [number, number, number][] = [];
          specs.forEach((sp, i) => {
            const ep = k.createEndpoint(srv);
            k.spawn(srv, function* (sys: Sys) {
              const st: number = yield sys.recv(ep, sp.ms);
              woke.push([i, st, sys.now()]);
            });
            if (sp.satisfiedAt !== null) {
              k.spawn(srv, function* (sys: Sys) {
                if (sp.satisfiedAt! > 0) yield sys.sleep(sp.satisfiedAt!);
                yield sys.nbsend(ep, 1);
              });
            }
          });
          k.run();
          k.advance(100);
          const want = specs.map((sp, i) => {
            const hit = sp.satisfiedAt !== null && sp.satisfiedAt < sp.ms;
            return [i, hit ? Status.Ok : Status.Timeout | RECV_PHASE, hit ? sp.satisfiedAt! : sp.ms];
          });
          expect([...woke].sort((x, y) => x[0] - y[0])).toEqual(want);
          // Threads woke in time order.
          for (let j = 1; j < woke.length; j++) expect(woke[j]![2]).toBeGreaterThanOrEqual(woke[j - 1]![2]);
          // Timeouts with equal deadlines fire in the order they were armed.
          const timeouts = woke.filter(([, st]) => st !== Status.Ok);
          for (let j = 1; j < timeouts.length; j++) {
            if (timeouts[j]![2] === timeouts[j - 1]![2]) expect(timeouts[j]![0]).toBeGreaterThan(timeouts[j - 1]![0]);
          }
          expect(k.counters.timeouts).toBe(timeouts.length + specs.filter((sp) => sp.satisfiedAt !== null && sp.satisfiedAt > 0).length);
        },
      ),
      { seed: 0x71e, numRuns: 100 },
    );
  });
});
