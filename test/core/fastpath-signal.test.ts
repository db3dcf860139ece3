// Notification fast-path equivalence (core/fastsignal.ts): every scenario runs on a kernel
// with the fast paths off and on, with a tracer attached, and must give the same results,
// thread states, queues, trace events and counters. Then the fast functions are called
// directly to show which cases they take and which they leave to the slow path.

import { describe, expect, it } from 'vitest';
import { fastSignal, fastWait } from '../../core/fastsignal.ts';
import { Rights, Status, ThreadState, type Kernel, type Sys, type Thread } from '../../core/index.ts';
import { Notification } from '../../core/notification.ts';
import { Op } from '../../core/thread.ts';
import { kernel, runBothPaths } from './harness.ts';

interface Scenario {
  name: string;
  run(k: Kernel): unknown;
}

/** A waiter task with a notification, and a signaller task holding a badged Write cap to it. */
function pair(k: Kernel, badge = 0b100) {
  const wt = k.createTask('waiter');
  const st = k.createTask('signaller');
  const note = k.createNotification(wt);
  const scap = k.grant(wt, note, st, { rights: Rights.Write, badge });
  return { wt, st, note, scap };
}

/** A waiter that waits `n` times and logs status, word and the time of each wake. */
function waiter(k: Kernel, note: number, n: number, log: unknown[], tag: string, timeout?: number) {
  return function* (sys: Sys) {
    for (let i = 0; i < n; i++) {
      const st: number = yield timeout === undefined ? sys.wait(note) : sys.wait(note, timeout);
      log.push([tag, i, st, sys.utcb.badge, k.now()]);
    }
  };
}

/** A signaller that signals `n` times, logging after each signal returns. */
function signaller(scap: number, n: number, log: unknown[], tag: string) {
  return function* (sys: Sys) {
    for (let i = 0; i < n; i++) {
      const st: number = yield sys.signal(scap);
      log.push([tag, i, st]);
    }
  };
}

const scenarios: Scenario[] = [
  {
    name: 'a higher-priority waiter preempts the signaller at every signal',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const log: unknown[] = [];
      k.spawn(wt, waiter(k, note, 5, log, 'w'), { priority: 120 });
      k.run();
      k.spawn(st, signaller(scap, 5, log, 's'), { priority: 100 });
      k.run();
      return log;
    },
  },
  {
    name: 'a waiter of equal or lower priority is queued, the signaller runs on',
    run(k) {
      const log: unknown[] = [];
      for (const prio of [100, 80]) {
        const { wt, st, note, scap } = pair(k, prio);
        k.spawn(wt, waiter(k, note, 3, log, `w${prio}`), { priority: prio });
        k.run();
        k.spawn(st, signaller(scap, 3, log, `s${prio}`), { priority: 100 });
        k.run();
      }
      return log;
    },
  },
  {
    name: 'continuation bodies: signal and wait in a loop, as the benchmark does',
    run(k) {
      const { wt, st, note, scap } = pair(k, 1);
      const log: unknown[] = [];
      k.spawn(
        wt,
        (sys: Sys) => {
          let got = 0;
          return (status: number) => {
            if (got > 0) log.push(['w', got, status, sys.utcb.badge]);
            return got++ === 6 ? null : sys.wait(note);
          };
        },
        { priority: 101 },
      );
      k.run();
      k.spawn(
        st,
        (sys: Sys) => {
          let i = 0;
          return () => (i++ === 6 ? null : sys.signal(scap));
        },
        { priority: 100 },
      );
      k.run();
      return log;
    },
  },
  {
    name: 'a ready thread outranks the waiter: the waiter is queued behind it',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const other = k.createTask('other');
      const log: unknown[] = [];
      k.spawn(wt, waiter(k, note, 2, log, 'w'), { priority: 120 });
      k.run();
      const hiT = k.spawn(other, function* () {
        log.push(['hi', k.now()]);
      }, { priority: 200 });
      k.suspendThread(hiT);
      k.spawn(st, function* (sys: Sys) {
        // A plain invocation makes the high-priority thread ready and the caller runs on;
        // the signal then finds a ready thread above the waiter.
        k.resumeThread(hiT);
        log.push(['s2', yield sys.signal(scap)]);
      }, { priority: 100 });
      k.run();
      return log;
    },
  },
  {
    name: 'several waiters are woken in priority order, one per signal',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const log: unknown[] = [];
      for (const [i, prio] of [110, 130, 110, 90].entries()) k.spawn(wt, waiter(k, note, 1, log, `w${i}`), { priority: prio });
      k.run();
      k.spawn(st, signaller(scap, 5, log, 's'), { priority: 100 });
      k.run();
      return log;
    },
  },
  {
    name: 'a pending word is taken by the next wait without blocking; badges accumulate',
    run(k) {
      const wt = k.createTask('waiter');
      const st = k.createTask('signaller');
      const note = k.createNotification(wt);
      const a = k.grant(wt, note, st, { rights: Rights.Write, badge: 1 });
      const b = k.grant(wt, note, st, { rights: Rights.Write, badge: 8 });
      const log: unknown[] = [];
      k.spawn(st, function* (sys: Sys) {
        log.push(['s', yield sys.signal(a)]);
        log.push(['s', yield sys.signal(b)]);
      }, { priority: 150 });
      k.run();
      k.spawn(wt, waiter(k, note, 1, log, 'w'), { priority: 100 });
      k.run();
      k.spawn(st, function* (sys: Sys) {
        log.push(['s0', yield sys.signal(a)]);
      }, { priority: 150 });
      k.spawn(wt, waiter(k, note, 1, log, 'w0'), { priority: 100 });
      k.run();
      return log;
    },
  },
  {
    name: 'waits with timeouts, some of which fire, and polls: slow path',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const log: unknown[] = [];
      k.spawn(wt, waiter(k, note, 3, log, 'w', 5), { priority: 120 });
      k.spawn(wt, function* (sys: Sys) {
        for (let i = 0; i < 3; i++) {
          log.push(['p', yield sys.poll(note), sys.utcb.badge]);
          yield sys.sleep(4);
        }
      }, { priority: 110 });
      k.run();
      k.spawn(st, function* (sys: Sys) {
        for (let i = 0; i < 3; i++) {
          log.push(['s', yield sys.signal(scap), k.now()]);
          yield sys.sleep(3);
        }
      }, { priority: 100 });
      k.run();
      k.advance(100);
      return log;
    },
  },
  {
    name: 'a waiter with a timeout woken by a signal: its timer dies with the wait',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const log: unknown[] = [];
      k.spawn(wt, function* (sys: Sys) {
        log.push(['w5', yield sys.wait(note, 5), k.now()]);
        // Waits with no timeout: a timer left from the first wait would end this one.
        log.push(['w', yield sys.wait(note), k.now()]);
        log.push(['w', yield sys.sleep(20), k.now()]);
      }, { priority: 120 });
      k.run();
      k.spawn(st, function* (sys: Sys) {
        log.push(['s', yield sys.signal(scap), k.now()]);
        yield sys.sleep(10);
        log.push(['s', yield sys.signal(scap), k.now()]);
      }, { priority: 100 });
      k.run();
      k.advance(100);
      return log;
    },
  },
  {
    name: 'a bound notification: signals wake the bound thread in recv (slow path) or in wait',
    run(k) {
      const srv = k.createTask('srv');
      const st = k.createTask('signaller');
      const ep = k.createEndpoint(srv);
      const note = k.createNotification(srv);
      const scap = k.grant(srv, note, st, { rights: Rights.Write, badge: 2 });
      const log: unknown[] = [];
      k.spawn(srv, function* (sys: Sys) {
        sys.bind(note);
        log.push(['recv', yield sys.recv(ep), sys.utcb.badge]);
        log.push(['wait', yield sys.wait(note), sys.utcb.badge]);
        log.push(['wait', yield sys.wait(note), sys.utcb.badge]);
      }, { priority: 120 });
      k.spawn(srv, function* (sys: Sys) {
        // Not the bound thread: IllegalOperation from the slow path.
        log.push(['other', yield sys.wait(note)]);
      }, { priority: 110 });
      k.run();
      k.spawn(st, signaller(scap, 3, log, 's'), { priority: 100 });
      k.run();
      return log;
    },
  },
  {
    name: 'bad caps: empty, out of range, wrong kind, missing rights',
    run(k) {
      const { wt, st, note } = pair(k);
      const ep = k.createEndpoint(st);
      const readOnly = k.grant(wt, note, st, { rights: Rights.Read });
      const writeOnly = k.grant(wt, note, wt, { rights: Rights.Write });
      const log: unknown[] = [];
      k.spawn(st, function* (sys: Sys) {
        log.push(['sig-empty', yield sys.signal(999)]);
        log.push(['sig-range', yield sys.signal(1 << 30)]);
        log.push(['sig-ep', yield sys.signal(ep)]);
        log.push(['sig-ro', yield sys.signal(readOnly)]);
        log.push(['wait-empty', yield sys.wait(999)]);
        log.push(['wait-ep', yield sys.wait(ep)]);
        log.push(['err', sys.utcb.error]);
      });
      k.spawn(wt, function* (sys: Sys) {
        log.push(['wait-wo', yield sys.wait(writeOnly)]);
      });
      k.run();
      return log;
    },
  },
  {
    name: 'a waiter killed, suspended and resumed while it waits',
    run(k) {
      const { wt, st, note, scap } = pair(k);
      const log: unknown[] = [];
      const w1 = k.spawn(wt, waiter(k, note, 2, log, 'w1'), { priority: 120 });
      k.spawn(wt, waiter(k, note, 2, log, 'w2'), { priority: 120 });
      k.run();
      k.suspendThread(w1);
      k.spawn(st, signaller(scap, 2, log, 's'), { priority: 100 });
      k.run();
      k.resumeThread(w1);
      k.run();
      k.spawn(st, signaller(scap, 2, log, 's2'), { priority: 100 });
      k.run();
      k.deleteTask(wt);
      k.spawn(st, signaller(scap, 1, log, 's3'), { priority: 100 });
      k.run();
      return log;
    },
  },
];

async function equivalent(s: Scenario): Promise<void> {
  const { slow, fast } = await runBothPaths((k) => s.run(k));
  // No IPC here: the notification path counts signals as the slow path does, and
  // nothing in counters.fastpath (which counts IPC only).
  expect(fast.k.counters).toEqual(slow.k.counters);
}

/** Take `t` out of the run queue and set it up as the running thread about to do `op` on `cap`. */
function asCurrent(k: Kernel, t: Thread, op: number, cap: number): void {
  k.runq.remove(t);
  t.state = ThreadState.Running;
  t.op = op;
  t.a0 = cap;
  t.recvTimeout = Number.POSITIVE_INFINITY;
}

describe('notification fast path', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('equivalence: %s', async (_name, s) => {
    await equivalent(s);
  });

  it('takes a signal to a waiting thread and a wait with no timeout, and declines the rest', () => {
    const k = kernel();
    const { wt, st, note, scap } = pair(k, 5);
    const w = k.spawn(wt, waiter(k, note, 1, [], 'w'), { priority: 120 });
    k.run();
    expect(w.state).toBe(ThreadState.BlockedNotification);
    const s = k.spawn(st, function* () {}, { priority: 100 });
    asCurrent(k, s, Op.Signal, scap);
    // The waiter outranks the signaller: switch to it; the signaller is ready at the head.
    expect(fastSignal(k, s)).toBe(w);
    expect(w.utcb.badge).toBe(5);
    expect(w.result).toBe(Status.Ok);
    expect(s.state).toBe(ThreadState.Ready);
    expect(k.runq.count).toBe(1);
    // No waiter now: a signal only sets the word, which is the slow path's job.
    asCurrent(k, s, Op.Signal, scap);
    expect(fastSignal(k, s)).toBeUndefined();
    // A bad cap is left to the slow path, which reports the error.
    s.a0 = 999;
    expect(fastSignal(k, s)).toBeUndefined();

    // Wait: blocks (null) with nothing pending; with a timeout or a bad cap, declines.
    const w2 = k.spawn(wt, function* () {}, { priority: 100 });
    asCurrent(k, w2, Op.Wait, note);
    expect(fastWait(k, w2)).toBeNull();
    expect(w2.state).toBe(ThreadState.BlockedNotification);
    const w3 = k.spawn(wt, function* () {}, { priority: 100 });
    asCurrent(k, w3, Op.Wait, note);
    w3.recvTimeout = 10;
    expect(fastWait(k, w3)).toBeUndefined();
    w3.recvTimeout = Number.POSITIVE_INFINITY;
    w3.a0 = 999;
    expect(fastWait(k, w3)).toBeUndefined();
  });

  it('a wait on a pending word goes on at once with the word', () => {
    const k = kernel();
    const { wt, note } = pair(k);
    const n = wt.cspace.get(note)!.obj;
    if (!(n instanceof Notification)) throw new Error('not a notification');
    const t = k.spawn(wt, function* () {});
    n.word = 9;
    n.pending = true;
    asCurrent(k, t, Op.Wait, note);
    expect(fastWait(k, t)).toBe(t);
    expect(t.utcb.badge).toBe(9);
    expect(n.pending).toBe(false);
    expect(n.word).toBe(0);
  });
});
