// Thread bodies the worker rows (bench/rows/worker.ts) load into isolated tasks: a
// 4-word echo server, a timed caller that waits for a go signal, and a libcap stub
// client. Each export is a body factory (`factory = true`) given the cap slots.

import { Status, type Sys } from '../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, stub } from '../libcap/index.ts';

/** The interface of the null RPC rows. */
export const NullBench = defineInterface('bench.null', { nop: { op: 1 } });

type Factory<A> = ((a: A) => (sys: Sys) => Generator<unknown, unknown, number>) & { factory?: boolean };

/** Answer every call with its 4 words, MR0 incremented. */
export const server: Factory<{ ep: number }> = ({ ep }) =>
  function* (sys) {
    const mr = sys.utcb.mr;
    let st = yield sys.recv(ep);
    while (st === Status.Ok) {
      mr[0] = mr[0]! + 1;
      st = yield sys.replyRecv(ep, 0, 4);
    }
  };
server.factory = true;

interface CallerArg {
  ep: number;
  report: number;
  go: number;
  warm: number;
  n: number;
  /** 'kernel': call with 4 words; 'null': libcap nop through a stub. */
  kind: 'kernel' | 'null';
}

/** Warm up, report ready (label 8), wait for go, make `n` calls, report the ms taken (label 9, a string item). */
export const caller: Factory<CallerArg> = ({ ep, report, go, warm, n, kind }) =>
  function* (sys) {
    const u = sys.utcb;
    const s = stub(NullBench, sys, ep);
    function* calls(count: number): Generator<unknown, number, number> {
      let ok = 0;
      if (kind === 'null') {
        for (let i = 0; i < count; i++) if ((yield* s.nop()).ok) ok++;
        return ok;
      }
      let x = 0;
      for (let i = 0; i < count; i++) {
        u.mr[0] = x;
        u.mr[1] = 1;
        u.mr[2] = 2;
        u.mr[3] = 3;
        if ((yield sys.call(ep, 1, 4)) === Status.Ok && u.mr[0] === x + 1) ok++;
        x = u.mr[0]!;
      }
      return ok;
    }
    yield* calls(warm);
    yield sys.send(report, 8, 0);
    yield sys.wait(go);
    const t0 = performance.now();
    const ok = yield* calls(n);
    const ms = performance.now() - t0;
    u.items[0] = JSON.stringify({ ok, ms });
    yield sys.send(report, 9, 0, 0, 1);
  };
caller.factory = true;

/**
 * The null RPC server: a Bucket started in this (isolated) task as in any other, a cap
 * to its object sent (a copy) to `boot`; the bucket's threads serve from then on.
 */
export const nullServer: Factory<{ boot: number }> = ({ boot }) =>
  function* (sys) {
    const bucket = Bucket.inTask(sys, { minWorkers: 1, maxWorkers: 1 });
    const cls = defineClass({ name: 'null', interface: NullBench, init: () => ({}), handlers: { nop: () => undefined } });
    const obj = bucket.create(cls, undefined);
    if (obj instanceof RpcFailure) throw new Error(`nullServer: ${obj.error}`);
    sys.utcb.caps[0] = bucket.give(bucket.anonymousClient(), obj);
    sys.utcb.grantMask = 0;
    const st: number = yield sys.send(boot, 1, 0, 1);
    if (st !== Status.Ok) throw new Error(`nullServer: boot send failed (${st})`);
  };
nullServer.factory = true;

/** Wait on `ep` for good (an idle isolated task, for the memory row). */
export const idle: Factory<{ ep: number }> = ({ ep }) =>
  function* (sys) {
    yield sys.recv(ep);
  };
idle.factory = true;
