// Fast-path equivalence: every scenario runs on a kernel with the fast path off and on,
// and must give the same results, thread states, queues, caps and trace events (time and
// seq included); only counters.fastpath / counters.slowpath may differ.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultReply, NEVER, Rights, Status, type Kernel, type Sys } from '../../core/index.ts';
import { invariantViolations, rig, runBothPaths, stateWithoutCounters } from './harness.ts';

interface Scenario {
  name: string;
  /** Fast-path hits expected with the fast path on (0 where it must not apply). */
  fast: number;
  run(k: Kernel): unknown;
}

/** What a thread saw after a syscall: status and the receive tag. */
/** identify() without the serial: serials count every cap the process made, so two runs differ. */
function unserial(id: ReturnType<Sys['identify']>) {
  if (!id) return id;
  const { serial: _serial, ...rest } = id;
  return rest;
}

function seen(sys: Sys, st: number) {
  const u = sys.utcb;
  return {
    st,
    label: u.label,
    length: u.length,
    words: Array.from(u.mr.subarray(0, u.length)),
    badge: u.badge,
    caps: u.capCount,
    items: u.itemsIn.slice(0, u.itemCount),
    unwrapped: u.unwrapped,
    truncated: u.truncated,
  };
}

/** An echo server: replies label+1 and every word +1, same length, with replyRecv. */
function echo(ep: number, log: unknown[], opts: { replyTimeout?: number; extraWords?: number } = {}) {
  return function* (sys: Sys) {
    let st: number = yield sys.recv(ep);
    for (;;) {
      log.push(seen(sys, st));
      const u = sys.utcb;
      const n = u.length + (opts.extraWords ?? 0);
      for (let i = 0; i < n; i++) u.mr[i] = (u.mr[i]! + 1) >>> 0;
      st = yield sys.replyRecv(ep, u.label + 1, n, 0, 0, opts.replyTimeout ?? NEVER);
    }
  };
}

function basic(k: Kernel) {
  const srv = k.createTask('srv');
  const cli = k.createTask('cli');
  const ep = k.createEndpoint(srv);
  const cep = k.grant(srv, ep, cli, { rights: Rights.Call, badge: 0x77 });
  return { srv, cli, ep, cep };
}

const scenarios: Scenario[] = [
  {
    // Fast: all five calls (0..4 words) and all five replyRecvs.
    name: 'register-sized calls to a waiting server (the fast path applies)',
    fast: 10,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log));
      k.spawn(cli, function* (sys) {
        for (let len = 0; len <= 4; len++) {
          for (let i = 0; i < len; i++) sys.utcb.mr[i] = 10 * len + i;
          log.push(seen(sys, yield sys.call(cep, len, len)));
        }
      });
      k.run();
      return log;
    },
  },
  {
    // Fast: three calls and three replyRecvs.
    name: 'continuation bodies on both sides (the fast path applies)',
    fast: 6,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, (sys: Sys) => {
        let started = false;
        return (st) => {
          if (!started) {
            started = true;
            return sys.recv(ep);
          }
          log.push(seen(sys, st));
          sys.utcb.mr[0] = sys.utcb.mr[0]! * 2;
          return sys.replyRecv(ep, 0, 1);
        };
      });
      k.spawn(cli, (sys: Sys) => {
        let i = 0;
        return (st) => {
          if (i > 0) log.push(seen(sys, st));
          if (i++ >= 3) return null;
          sys.utcb.mr[0] = i;
          return sys.call(cep, 9, 1);
        };
      });
      k.run();
      return log;
    },
  },
  {
    // Fast: only the last replyRecv, when no sender is queued any more.
    name: 'queued senders: replyRecv must take the slow path while senders wait',
    fast: 1,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        yield sys.sleep(5); // the clients queue meanwhile
        yield* echo(ep, log)(sys);
      });
      for (let c = 0; c < 3; c++) {
        k.spawn(cli, function* (sys) {
          sys.utcb.mr[0] = c;
          log.push(seen(sys, yield sys.call(cep, c, 1)));
        });
      }
      k.run();
      k.advance(5);
      return log;
    },
  },
  {
    // Fast: only the reply; the call finds 'middle' (80) above the server (40).
    name: 'a higher-priority thread is ready: call must not switch straight to the server',
    fast: 1,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log), { priority: 40 });
      k.run();
      k.spawn(cli, function* (sys) {
        k.spawn(cli, function* () {
          log.push('middle runs');
        }, { priority: 80 });
        log.push(seen(sys, yield sys.call(cep, 1)));
        log.push('client back');
      }, { priority: 120 });
      k.run();
      return log;
    },
  },
  {
    // Fast: only the call; the reply finds 'middle' (70) above the caller (30).
    name: 'a higher-priority thread is ready: replyRecv must not switch straight to the caller',
    fast: 1,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        yield sys.recv(ep);
        k.spawn(srv, function* () {
          log.push('middle runs');
        }, { priority: 70 });
        yield sys.replyRecv(ep, 5);
      }, { priority: 200 });
      k.spawn(cli, function* (sys) {
        log.push(seen(sys, yield sys.call(cep, 1)));
      }, { priority: 30 });
      k.run();
      return log;
    },
  },
  {
    name: 'more than four words in the call and in the reply: slow path',
    fast: 0,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log));
      k.spawn(cli, function* (sys) {
        for (let i = 0; i < 64; i++) sys.utcb.mr[i] = i;
        log.push(seen(sys, yield sys.call(cep, 1, 5)));
        log.push(seen(sys, yield sys.call(cep, 2, 64)));
        log.push(seen(sys, yield sys.call(cep, 3, 500))); // clamped (M3)
      });
      k.run();
      return log;
    },
  },
  {
    // Fast: the two calls; the five-word replies go slow.
    name: 'a register-sized call answered with five words: only the call is fast',
    fast: 2,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log, { extraWords: 5 }));
      k.spawn(cli, function* (sys) {
        sys.utcb.mr[0] = 1;
        log.push(seen(sys, yield sys.call(cep, 1, 0)));
        log.push(seen(sys, yield sys.call(cep, 2, 0)));
      });
      k.run();
      return log;
    },
  },
  {
    name: 'caps in the call and in the reply: slow path',
    fast: 0,
    run(k) {
      const srv = k.createTask('srv');
      const cli = k.createTask('cli');
      const ep = k.createEndpoint(srv);
      const cep = k.grant(srv, ep, cli, { rights: Rights.CallGrant, badge: 3 });
      const gift = k.createNotification(cli);
      const back = k.createEndpoint(srv);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        sys.utcb.recvSlots[0] = 200;
        let st: number = yield sys.recv(ep);
        for (let i = 0; i < 2; i++) {
          log.push(seen(sys, st), unserial(sys.identify(200 + i)));
          sys.utcb.recvSlots[0] = 201 + i;
          sys.utcb.caps[0] = back;
          st = yield sys.replyRecv(ep, 0, 0, 1);
        }
      });
      k.spawn(cli, function* (sys) {
        for (let i = 0; i < 2; i++) {
          sys.utcb.caps[0] = gift;
          sys.utcb.recvSlots[0] = 300 + i;
          log.push(seen(sys, yield sys.call(cep, 1, 1, 1)), unserial(sys.identify(300 + i)));
        }
        // A cap to the very endpoint is unwrapped (C4).
        sys.utcb.caps[0] = cep;
        log.push(seen(sys, yield sys.call(cep, 1, 0, 1)));
      });
      k.run();
      return log;
    },
  },
  {
    name: 'items in the call and in the reply: slow path',
    fast: 0,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        sys.utcb.itemWindow = 4;
        let st: number = yield sys.recv(ep);
        for (;;) {
          log.push(seen(sys, st));
          sys.utcb.items[0] = `re:${String(sys.utcb.itemsIn[0])}`;
          st = yield sys.replyRecv(ep, 0, 0, 0, 1);
        }
      });
      k.spawn(cli, function* (sys) {
        sys.utcb.items[0] = 'hello world';
        sys.utcb.items[1] = new Uint8Array([1, 2, 3]);
        log.push(seen(sys, yield sys.call(cep, 1, 0, 0, 2)));
        log.push(seen(sys, yield sys.call(cep, 2, 0, 0, 1)));
      });
      k.run();
      return log;
    },
  },
  {
    name: 'finite timeouts on call and replyRecv, some of which fire: slow path',
    fast: 0,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        let st: number = yield sys.recv(ep, 100);
        log.push(seen(sys, st));
        st = yield sys.replyRecv(ep, 1, 0, 0, 0, 100);
        log.push(seen(sys, st));
        yield sys.sleep(50); // the next caller's receive timeout fires first
        st = yield sys.replyRecv(ep, 2, 0, 0, 0, 30);
        log.push(seen(sys, st), sys.now());
      });
      k.spawn(cli, function* (sys) {
        log.push(seen(sys, yield sys.call(cep, 1, 0, 0, 0, 10, NEVER)));
        log.push(seen(sys, yield sys.call(cep, 2, 0, 0, 0, NEVER, 20)), sys.now());
      });
      k.run();
      k.advance(500);
      return log;
    },
  },
  {
    // Fast: call 1, call 2 and the reply to call 2. The reply to call 1 finds the bound
    // notification pending (the server signalled itself while handling) and goes slow.
    name: 'a bound notification is pending: replyRecv must take the slow path',
    fast: 3,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const n = k.createNotification(srv);
      const self = k.grant(srv, n, srv, { rights: Rights.Write, badge: 0x10 });
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        sys.bind(n);
        let st: number = yield sys.recv(ep);
        for (;;) {
          log.push(seen(sys, st));
          if (st === Status.Ok && sys.utcb.label === 1) yield sys.signal(self);
          st = yield sys.replyRecv(ep, 7, 0);
        }
      });
      k.spawn(cli, function* (sys) {
        log.push(seen(sys, yield sys.call(cep, 1)));
        log.push(seen(sys, yield sys.call(cep, 2)));
      });
      k.run();
      return log;
    },
  },
  {
    // Fast: calls 1 and 2 and their replies, and the reply to call 3; call 3 itself finds
    // the server woken by the signal (not waiting) and goes slow.
    name: 'a signal wakes a bound server blocked in recv between fast calls',
    fast: 5,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const n = k.createNotification(srv);
      const sig = k.grant(srv, n, cli, { rights: Rights.Write, badge: 2 });
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        sys.bind(n);
        yield* echo(ep, log)(sys);
      });
      k.spawn(cli, function* (sys) {
        log.push(seen(sys, yield sys.call(cep, 1)));
        log.push(seen(sys, yield sys.call(cep, 2)));
        yield sys.signal(sig);
        log.push(seen(sys, yield sys.call(cep, 3)));
      });
      k.run();
      return log;
    },
  },
  {
    name: 'a fault handler answering with replyRecv: slow path',
    fast: 0,
    run(k) {
      const a = k.createTask('a');
      const fep = k.createEndpoint(a);
      const log: unknown[] = [];
      k.spawn(a, function* (sys: Sys) {
        let st: number = yield sys.recv(fep);
        for (let i = 0; i < 3; i++) {
          log.push(seen(sys, st));
          st = yield sys.replyRecv(fep, i < 1 ? FaultReply.Resume : FaultReply.Stop);
        }
      });
      let runs = 0;
      k.spawn(
        a,
        function* () {
          runs++;
          throw new Error(`run ${runs}`);
        },
        { faultHandler: fep },
      );
      k.run();
      return [log, runs];
    },
  },
  {
    // Fast: the one good call and its reply; every malformed call fails the same way.
    name: 'bad words and bad caps in a register-sized call: the same errors',
    fast: 2,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const notif = k.createNotification(cli);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log));
      k.spawn(cli, function* (sys) {
        sys.utcb.mr[0] = Number.NaN;
        log.push(yield sys.call(cep, 1, 1));
        sys.utcb.mr[0] = 2 ** 32;
        log.push(yield sys.call(cep, 1, 1));
        log.push(yield sys.call(cep, -1, 0));
        log.push(yield sys.call(notif, 1, 0));
        log.push(yield sys.call(999, 1, 0));
        sys.utcb.mr[0] = 5;
        log.push(seen(sys, yield sys.call(cep, 1, 1)));
      });
      k.run();
      return log;
    },
  },
  {
    name: 'the caller timed out before the reply: replyRecv with a dead caller',
    fast: 0,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        yield sys.recv(ep);
        yield sys.sleep(20);
        log.push(sys.hasCaller);
        const st: number = yield sys.replyRecv(ep, 1, 0, 0, 0, 5);
        log.push(st);
      });
      k.spawn(cli, function* (sys) {
        log.push(seen(sys, yield sys.call(cep, 1, 0, 0, 0, NEVER, 10)));
      });
      k.run();
      k.advance(100);
      return log;
    },
  },
  {
    // Fast: both calls (the server waits in recv); its plain recvs go slow and abort.
    name: 'Decision 4 on both paths: a server that receives again strands no caller',
    fast: 2,
    run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        for (;;) {
          const st: number = yield sys.recv(ep);
          log.push(st, sys.utcb.label);
        }
      });
      k.spawn(cli, function* (sys) {
        log.push(yield sys.call(cep, 1));
        log.push(yield sys.call(cep, 2));
      });
      k.run();
      return log;
    },
  },
  {
    // Fast: two calls and their replies.
    name: 'exec facade with virtual time: sleeps and calls',
    fast: 4,
    async run(k) {
      const { srv, cli, ep, cep } = basic(k);
      const log: unknown[] = [];
      k.spawn(srv, echo(ep, log));
      const r = await k.exec(cli, function* (sys) {
        const out: unknown[] = [];
        for (let i = 0; i < 2; i++) {
          yield sys.sleep(7);
          sys.utcb.mr[0] = i;
          out.push(seen(sys, yield sys.call(cep, i, 1)), sys.now());
        }
        return out;
      });
      return [log, r];
    },
  },
];

/** Run a scenario on both kernels and require identical observations. */
async function equivalent(s: Scenario): Promise<void> {
  const { slow, fast } = await runBothPaths((k) => s.run(k));
  const cs = slow.k.counters;
  const cf = fast.k.counters;
  expect({ ...cf, fastpath: 0, slowpath: 0 }).toEqual({ ...cs, fastpath: 0, slowpath: 0 });
  expect(cs.fastpath).toBe(0);
  expect(cf.fastpath + cf.slowpath).toBe(cs.slowpath);
  expect(cf.fastpath).toBe(s.fast);
}

describe('fast path', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('equivalence: %s', async (_name, s) => {
    await equivalent(s);
  });

  it('the fast path really is taken for a plain RPC, and only counters tell', () => {
    const fast = rig({ fastpath: true });
    const slow = rig({ fastpath: false });
    for (const { k } of [fast, slow]) {
      const { srv, cli, ep, cep } = basic(k);
      k.spawn(srv, echo(ep, []));
      k.spawn(cli, function* (sys) {
        yield sys.call(cep, 1);
      });
      k.run();
    }
    expect(fast.k.counters.fastpath).toBe(2);
    expect(slow.k.counters.fastpath).toBe(0);
    expect(fast.k.counters.messages).toBe(slow.k.counters.messages);
    expect(fast.k.counters.switches).toBe(slow.k.counters.switches);
  });

  it('equivalence on random client/server programs', async () => {
    const action = fc.record({
      len: fc.integer({ min: 0, max: 6 }),
      caps: fc.boolean(),
      items: fc.boolean(),
      recvTimeout: fc.constantFrom(NEVER, NEVER, NEVER, 3, 50),
      sleepFirst: fc.constantFrom(0, 0, 0, 2),
      prio: fc.constantFrom(100, 100, 50, 150),
      signal: fc.boolean(),
    });
    const server = fc.record({
      replyWords: fc.integer({ min: 0, max: 5 }),
      delay: fc.constantFrom(0, 0, 0, 4),
      prio: fc.constantFrom(100, 50, 150),
    });
    const program = fc.record({ clients: fc.array(fc.array(action, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), server });
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        const scenario: Scenario = {
          name: 'random',
          fast: -1,
          run(k) {
            const srv = k.createTask('srv');
            const ep = k.createEndpoint(srv);
            const n = k.createNotification(srv);
            const back = k.createNotification(srv);
            const log: unknown[] = [];
            k.spawn(srv, function* (sys: Sys) {
              sys.bind(n);
              sys.utcb.recvSlots[0] = 500;
              let st: number = yield sys.recv(ep);
              for (;;) {
                log.push(['srv', seen(sys, st)]);
                sys.delete(500);
                if (p.server.delay > 0) yield sys.sleep(p.server.delay);
                for (let i = 0; i < p.server.replyWords; i++) sys.utcb.mr[i] = i + 100;
                sys.utcb.caps[0] = back;
                st = yield sys.replyRecv(ep, 1, p.server.replyWords, st === Status.Ok ? 1 : 0);
              }
            }, { priority: p.server.prio });
            p.clients.forEach((actions, ci) => {
              const cli = k.createTask(`cli${ci}`);
              const cep = k.grant(srv, ep, cli, { rights: Rights.CallGrant, badge: ci + 1 });
              const sig = k.grant(srv, n, cli, { rights: Rights.Write, badge: 1 << ci });
              const gift = k.createNotification(cli);
              k.spawn(cli, function* (sys) {
                for (const [j, a] of actions.entries()) {
                  if (a.sleepFirst > 0) yield sys.sleep(a.sleepFirst);
                  if (a.signal) yield sys.signal(sig);
                  for (let i = 0; i < a.len; i++) sys.utcb.mr[i] = ci * 1000 + j * 10 + i;
                  sys.utcb.items[0] = `c${ci}.${j}`;
                  sys.utcb.caps[0] = gift;
                  sys.utcb.recvSlots[0] = 600 + j;
                  const st: number = yield sys.call(cep, j, a.len, a.caps ? 1 : 0, a.items ? 1 : 0, NEVER, a.recvTimeout);
                  log.push([`cli${ci}`, seen(sys, st)]);
                }
              }, { priority: a0prio(actions) });
            });
            k.run();
            k.advance(1000);
            return log;
          },
        };
        const slow = rig({ fastpath: false });
        const fast = rig({ fastpath: true });
        const rs = scenario.run(slow.k);
        const rf = scenario.run(fast.k);
        expect(rf).toEqual(rs);
        expect(invariantViolations(fast.k)).toEqual([]);
        expect(stateWithoutCounters(fast.k)).toEqual(stateWithoutCounters(slow.k));
        expect(fast.tr.events).toEqual(slow.tr.events);
        const cs = slow.k.counters;
        const cf = fast.k.counters;
        expect({ ...cf, fastpath: 0, slowpath: 0 }).toEqual({ ...cs, fastpath: 0, slowpath: 0 });
        expect(cf.fastpath + cf.slowpath).toBe(cs.slowpath);
      }),
      { seed: 0xfa57, numRuns: 150 },
    );
  });

  it('one kernel mixes both paths call by call', () => {
    const { k } = rig({ fastpath: true });
    const { srv, cli, ep, cep } = basic(k);
    k.spawn(srv, echo(ep, []));
    const sts: number[] = [];
    const counts: number[] = [];
    k.spawn(cli, function* (sys) {
      for (const [len, timeout] of [
        [2, NEVER],
        [6, NEVER],
        [0, 5],
        [4, NEVER],
      ] as const) {
        const before = k.counters.fastpath;
        sts.push(yield sys.call(cep, 1, len, 0, 0, NEVER, timeout));
        counts.push(k.counters.fastpath - before);
      }
    });
    k.run();
    expect(sts).toEqual([Status.Ok, Status.Ok, Status.Ok, Status.Ok]);
    // Call and reply both fast for 2 and 4 words; six words: both slow; a call with a
    // receive timeout goes slow, but the reply to it may still be fast.
    expect(counts).toEqual([2, 0, 1, 2]);
    expect(k.counters.slowpath).toBeGreaterThan(0);
  });
});

/** A client's priority: the first action's. */
function a0prio(actions: readonly { prio: number }[]): number {
  return actions[0]!.prio;
}
