// Issue 9 item 13: a timeout that is over when its phase starts (0, or below the clock's
// resolution) never blocks and never arms a timer, so the same program gives the same
// result whatever unrelated threads are ready. A call with receive timeout 0 delivers
// its message and then always ends in Timeout (receive phase); its reply cap is dead.

import { describe, expect, it } from 'vitest';
import { RECV_PHASE, Rights, Status, type Sys, type Syscall, type Task } from '../../core/index.ts';
import { clientServer, kernel } from './harness.ts';

const TIMEOUT_RECV = Status.Timeout | RECV_PHASE;

/** Unrelated threads made ready in a task of their own: each spins a few yields. */
function readySet(k: ReturnType<typeof kernel>, prios: number[]): Task {
  const other = k.createTask('other');
  for (const p of prios) {
    k.spawn(
      other,
      function* (sys: Sys) {
        for (let i = 0; i < 3; i++) yield sys.yield();
      },
      { priority: p },
    );
  }
  return other;
}

interface Outcome {
  call: number;
  /** What the server saw, and what its reply returned. */
  server: number[];
  /** A later call of the same client gets its own reply, never the late one. */
  next: number[];
}

/** Client (prio 150) calls with receive timeout 0 a server (prio `srvPrio`) that answers at once. */
function zeroCall(srvPrio: number, unrelated: number[], serverFirst: boolean, fastpath: boolean): Outcome {
  const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
  k.fastpathEnabled = fastpath;
  const out: Outcome = { call: -1, server: [], next: [] };
  const server = function* (sys: Sys): Generator<Syscall, void, number> {
    for (let i = 0; i < 2; i++) {
      const st = yield sys.recv(ep);
      out.server.push(st, sys.utcb.mr[0]!);
      sys.utcb.mr[0] = sys.utcb.mr[0]! + 1000;
      out.server.push(yield sys.reply(0, 1));
    }
  };
  const client = function* (sys: Sys): Generator<Syscall, void, number> {
    sys.utcb.mr[0] = 1;
    out.call = yield sys.call(cep, 0, 1, 0, 0, Number.POSITIVE_INFINITY, 0);
    sys.utcb.mr[0] = 2;
    out.next.push(yield sys.call(cep, 0, 1), sys.utcb.mr[0]!);
  };
  if (serverFirst) k.spawn(srv, server, { priority: srvPrio });
  k.spawn(cli, client, { priority: 150 });
  if (!serverFirst) k.spawn(srv, server, { priority: srvPrio });
  readySet(k, unrelated);
  k.run();
  return out;
}

describe('zero timeouts (issue 9 item 13)', () => {
  const expected: Outcome = { call: TIMEOUT_RECV, server: [Status.Ok, 1, Status.Ok, Status.Ok, 2, Status.Ok], next: [Status.Ok, 1002] };
  const readySets = [[], [120], [200], [100], [50], [120, 200, 50], [150, 150]];

  for (const srvPrio of [100, 150, 200]) {
    for (const serverFirst of [true, false]) {
      it(`T1: call with receive timeout 0, server priority ${srvPrio}, server ${serverFirst ? 'waiting' : 'not yet waiting'}: Timeout whatever unrelated threads are ready`, () => {
        for (const unrelated of readySets) {
          for (const fastpath of [true, false]) {
            expect({ unrelated, fastpath, ...zeroCall(srvPrio, unrelated, serverFirst, fastpath) }).toEqual({ unrelated, fastpath, ...expected });
          }
        }
      });
    }
  }

  it('T1: a relative timeout below the clock resolution is a timeout of 0 (recv, wait, sleep, send, call)', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    const n = k.createNotification(srv);
    k.advance(1e6); // now + 1e-12 === now
    const tiny = 1e-12;
    const out: number[] = [];
    k.spawn(srv, function* (sys: Sys) {
      out.push(yield sys.recv(ep, tiny), yield sys.wait(n, tiny), yield sys.sleep(tiny));
    });
    k.run();
    k.spawn(cli, function* (sys: Sys) {
      out.push(yield sys.send(cep, 1, 0, 0, 0, tiny), yield sys.call(cep, 1, 0, 0, 0, tiny));
    });
    k.run();
    expect(out).toEqual([TIMEOUT_RECV, TIMEOUT_RECV, TIMEOUT_RECV, Status.Ok, Status.Timeout]);
    // No timer was armed, so none fired.
    expect(k.counters.timeouts).toBe(0);
  });
});
