// Property tests of reference counts: random sequences of give, release (a client
// deletes a copy of its cap), revoke, client death, object unref, calls and deferred
// calls, checked against a model after every step: no leak (outstanding entries,
// object references, live objects, cap spaces back to baseline) and no early free.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { threadInfo, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { stub, type CapObject, type RpcResult } from '../../libcap/index.ts';
import { capCount, collectBugs, Ctl, mustCreate, ops, world, type CtlData } from './harness.ts';

const OBJECTS = 4;
const CLIENTS = 3;

type Op =
  | { kind: 'give'; obj: number; client: number }
  | { kind: 'release'; client: number; pick: number }
  | { kind: 'revoke'; obj: number; client: number }
  | { kind: 'death'; client: number }
  | { kind: 'unref'; obj: number }
  | { kind: 'call'; client: number; pick: number }
  | { kind: 'hold'; client: number; pick: number }
  | { kind: 'answer'; pick: number };

const obj = fc.nat({ max: OBJECTS - 1 });
const client = fc.nat({ max: CLIENTS - 1 });
const pick = fc.nat({ max: 50 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('give' as const), obj, client }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), client, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), obj, client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('death' as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unref' as const), obj }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('call' as const), client, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), client, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('answer' as const), pick }) },
);

interface Held {
  id: number;
  client: number;
  obj: number;
  result: RpcResult<unknown> | null;
}

/** Run one sequence against a fresh bucket, checking the model after every step. */
function runSequence(ops_: readonly Op[]): void {
  const bugs = collectBugs();
  try {
    const w = world();
    const k = w.k;
    k.run();
    const baselineServerCaps = capCount(w.srv);
    const objects: CapObject<CtlData>[] = Array.from({ length: OBJECTS }, () => mustCreate(w.bucket, w.cls));
    const testHolds = objects.map(() => true);
    const tasks: Task[] = Array.from({ length: CLIENTS }, (_, i) => k.createTask(`c${i}`));
    /** copies[c][o]: slots of client c naming object o. */
    let copies: number[][][] = tasks.map(() => objects.map(() => []));
    const noSenders = objects.map(() => 0);
    const held: Held[] = [];
    let nextHold = 1;
    let calls = 0;

    const entries = (o: number): number => copies.filter((c) => c[o]!.length > 0).length;
    const inflight = (o: number): number => held.filter((h) => h.obj === o && h.result === null).length;
    const expectedRefs = (o: number): number => (testHolds[o] ? 1 : 0) + entries(o) + inflight(o);
    const slotsOf = (c: number): [number, number][] => copies[c]!.flatMap((s, o) => s.map((slot): [number, number] => [o, slot]));

    const check = (): void => {
      k.run();
      let outstanding = 0;
      for (let o = 0; o < OBJECTS; o++) {
        const refs = expectedRefs(o);
        outstanding += entries(o);
        expect(objects[o]!.refs, `refs of object ${o}`).toBe(refs);
        expect(objects[o]!.alive, `object ${o} alive`).toBe(refs > 0);
        expect(objects[o]!.entries.size).toBe(entries(o));
      }
      expect(w.bucket.stats().outstanding).toBe(outstanding);
      expect(w.cls.objects.size).toBe(objects.filter((x) => x.alive).length);
      expect(w.log.noSenders.filter((id) => objects.some((x) => x.id === id)).length).toBe(noSenders.reduce((a, b) => a + b, 0));
      for (const h of held) if (h.result !== null) expect(h.result.ok || h.result.error === 'EINTR').toBe(true);
      for (const th of w.srv.threads) expect(['faulted', 'exited', 'killed']).not.toContain(threadInfo(th).state);
      expect(bugs.list).toEqual([]);
    };

    const dropEntryIfLast = (c: number, o: number): void => {
      if (copies[c]![o]!.length === 0 && entries(o) === 0) noSenders[o]!++;
    };

    for (const x of ops_) {
      switch (x.kind) {
        case 'give': {
          if (!objects[x.obj]!.alive) break; // the server gives only what it still has
          const hadEntry = copies[x.client]![x.obj]!.length > 0;
          const slot = w.bucket.install(objects[x.obj]!, tasks[x.client]!);
          copies[x.client]![x.obj]!.push(slot);
          if (!hadEntry) expect(ops(k, tasks[x.client]!).identify(slot)?.badge).toBeGreaterThan(0);
          break;
        }
        case 'release': {
          const all = slotsOf(x.client);
          if (all.length === 0) break;
          const [o, slot] = all[x.pick % all.length]!;
          ops(k, tasks[x.client]!).delete(slot);
          const list = copies[x.client]![o]!;
          list.splice(list.indexOf(slot), 1);
          dropEntryIfLast(x.client, o);
          break;
        }
        case 'revoke': {
          const rec = w.bucket.clientList().find((c) => c.taskId === tasks[x.client]!.id && !c.dead);
          const had = copies[x.client]![x.obj]!.length > 0;
          const did = rec !== undefined && w.bucket.revoke(rec, objects[x.obj]!);
          expect(did).toBe(had);
          for (const s of copies[x.client]![x.obj]!) expect(ops(k, tasks[x.client]!).identify(s)).toBeNull();
          copies[x.client]![x.obj] = [];
          if (had) dropEntryIfLast(x.client, x.obj);
          break;
        }
        case 'death': {
          k.deleteTask(tasks[x.client]!);
          const had = copies[x.client]!.map((s) => s.length > 0);
          copies[x.client] = objects.map(() => []);
          had.forEach((h, o) => h && dropEntryIfLast(x.client, o));
          for (const h of held) if (h.client === x.client && h.result === null) h.result = { ok: false, error: 'EINTR', message: 'died' };
          tasks[x.client] = k.createTask(`c${x.client}'`);
          break;
        }
        case 'unref': {
          if (!testHolds[x.obj]) break;
          testHolds[x.obj] = false;
          objects[x.obj]!.unref();
          break;
        }
        case 'call': {
          const all = slotsOf(x.client);
          if (all.length === 0) break;
          const [o, slot] = all[x.pick % all.length]!;
          let got: RpcResult<unknown> | null = null;
          k.spawn(tasks[x.client]!, function* (sys: Sys): SysGen<void> {
            got = yield* stub(Ctl, sys, slot).add({ by: 1 });
          });
          k.run();
          expect(got).toEqual({ ok: true, value: { value: objects[o]!.data.n } });
          calls++;
          break;
        }
        case 'hold': {
          const all = slotsOf(x.client);
          if (all.length === 0) break;
          const [o, slot] = all[x.pick % all.length]!;
          const h: Held = { id: nextHold++, client: x.client, obj: o, result: null };
          held.push(h);
          k.spawn(tasks[x.client]!, function* (sys: Sys): SysGen<void> {
            const r = yield* stub(Ctl, sys, slot).hold({ id: h.id });
            if (h.result === null) h.result = r;
          });
          break;
        }
        case 'answer': {
          const open = held.filter((h) => h.result === null);
          if (open.length === 0) break;
          const h = open[x.pick % open.length]!;
          k.run();
          w.log.release(h.id, h.id);
          k.run();
          expect(h.result).toEqual({ ok: true, value: { value: h.id } });
          break;
        }
      }
      check();
    }

    // Wind down: answer what is held, every client dies, the test drops its references.
    for (const h of held) if (h.result === null && w.log.held.has(h.id)) w.log.release(h.id);
    k.run();
    for (let c = 0; c < CLIENTS; c++) k.deleteTask(tasks[c]!);
    objects.forEach((o, i) => testHolds[i] && o.unref());
    k.run();
    for (const o of objects) {
      expect(o.alive).toBe(false);
      expect(o.refs).toBe(0);
    }
    expect(w.bucket.stats()).toMatchObject({ outstanding: 0, inflight: 0, parked: 0, pending: 0, clients: 0 });
    expect(w.cls.objects.size).toBe(0);
    expect(capCount(w.srv)).toBe(baselineServerCaps);
    expect(bugs.list).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(0);
  } finally {
    bugs.restore();
  }
}

describe('reference counts (property)', () => {
  it('random give / release / revoke / death / unref / calls leave no leak and no early free', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (seq) => {
        runSequence(seq);
      }),
      { seed: 20261121, numRuns: 80 },
    );
  });

  it('a fixed sequence: two clients share an object, one revoked, one dies, the test lets go', () => {
    runSequence([
      { kind: 'give', obj: 0, client: 0 },
      { kind: 'give', obj: 0, client: 0 },
      { kind: 'give', obj: 0, client: 1 },
      { kind: 'hold', client: 1, pick: 0 },
      { kind: 'unref', obj: 0 },
      { kind: 'revoke', obj: 0, client: 0 },
      { kind: 'death', client: 1 },
      { kind: 'give', obj: 1, client: 2 },
      { kind: 'call', client: 2, pick: 0 },
      { kind: 'release', client: 2, pick: 0 },
    ]);
  });
});
