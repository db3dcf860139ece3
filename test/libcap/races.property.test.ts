// Inhibition and cancellation races explored deterministically: every ordering of
// request arrival, cancel, inhibit and resume at every level, and fast-check's
// scheduler over the order in which deferred answers, aborts, inhibitors, resumes and a
// client death land. Nothing is lost (every call answered exactly once, with its own
// value or EINTR) and nothing hangs (every promise settles, the kernel settles).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThreadKilledError, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { connect, defineClass, defineInterface, ERRNO, t, type Bucket, type CapObject, type Client, type ErrnoName, type RpcResult } from '../../libcap/index.ts';
import { LABEL_CANCEL } from '../../libcap/interface.ts';
import { collectBugs, Ctl, header, mustCreate, rawCall, rawSend, settle, track, world, type RawAnswer } from './harness.ts';

type Level = 'bucket' | 'class' | 'object' | 'client';
const LEVELS: readonly Level[] = ['bucket', 'class', 'object', 'client'];

function levelOps(b: Bucket, level: Level, cls: Parameters<Bucket['inhibitClass']>[0], obj: CapObject, client: Client) {
  return {
    inhibit: (): Promise<ErrnoName | null> =>
      level === 'bucket' ? b.inhibit() : level === 'class' ? b.inhibitClass(cls) : level === 'object' ? b.inhibitObject(obj) : b.inhibitClient(client),
    resume: (): boolean =>
      level === 'bucket' ? b.resume() : level === 'class' ? b.resumeClass(cls) : level === 'object' ? b.resumeObject(obj) : b.resumeClient(client),
  };
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('races: every ordering of request, cancel, inhibit and resume', () => {
  const events = ['request', 'cancel', 'inhibit', 'resume'] as const;
  const orders = permutations(events);

  it.each(LEVELS)('%s level: all 24 orderings answer the request exactly once, EINTR, and leave the level serving', async (level) => {
    expect(orders.length).toBe(24);
    for (const order of orders) {
      const bugs = collectBugs();
      const w = world();
      const a = w.client();
      const lv = levelOps(w.bucket, level, w.cls, a.obj, w.bucket.clientFor(a.task));
      let answers = 0;
      let req: ReturnType<typeof track<RawAnswer>> | null = null;
      let inh: ReturnType<typeof track<ErrnoName | null>> | null = null;
      let resumed: boolean | null = null;
      for (const ev of order) {
        switch (ev) {
          case 'request':
            req = track(
              w.k
                .exec(a.task, function* (sys: Sys): SysGen<RawAnswer> {
                  return yield* rawCall(sys, a.slot, { label: Ctl.methods.hold.op, words: [...header(500, 7), 1] });
                })
                .then((r) => (answers++, r)),
            );
            break;
          case 'cancel':
            void w.k.exec(a.task, function* (sys: Sys): SysGen<number> {
              return yield* rawSend(sys, a.slot, { label: LABEL_CANCEL, words: header(500, 7) });
            });
            break;
          case 'inhibit':
            inh = track(lv.inhibit());
            break;
          case 'resume':
            resumed = lv.resume();
            break;
        }
        await settle(w.k);
      }
      const where = `${level}: ${order.join(' > ')}`;
      expect(req!.done, where).toBe(true);
      expect(answers, where).toBe(1);
      expect(req!.value!.label, where).toBe(ERRNO.EINTR);
      expect(inh!.value, where).toBeNull();
      // Resume worked only if it came after the inhibit; otherwise the level is still inhibited.
      const resumeAfterInhibit = order.indexOf('resume') > order.indexOf('inhibit');
      expect(resumed, where).toBe(resumeAfterInhibit);
      if (!resumeAfterInhibit) expect(lv.resume(), where).toBe(true);
      await settle(w.k);
      expect(w.log.calls.length, where).toBeLessThanOrEqual(1);
      expect(w.bucket.stats(), where).toMatchObject({ inflight: 0, parked: 0, pending: 0 });
      expect(await connect(Ctl, w.k, a.task, a.slot).add({ by: 1 }), where).toEqual({ value: 1 });
      expect(bugs.list, where).toEqual([]);
      bugs.restore();
    }
  });
});

// ------------------------------------------------------------------ scheduler-driven

const Work = defineInterface('work', {
  work: { op: 1, args: { id: t.u32 }, reply: { v: t.u32 } },
  nap: { op: 2, args: { id: t.u32, ms: t.u32 }, reply: { v: t.u32 } },
});

interface Scenario {
  calls: { client: number; obj: number; abort: boolean; nap: number }[];
  inhibitors: { level: Level; target: number }[];
  death: number | null;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  // nap 0: a deferred answer the scheduler releases; nap > 0: a handler busy for nap ms.
  calls: fc.array(fc.record({ client: fc.nat({ max: 1 }), obj: fc.nat({ max: 1 }), abort: fc.boolean(), nap: fc.nat({ max: 3 }) }), {
    minLength: 1,
    maxLength: 8,
  }),
  inhibitors: fc.array(fc.record({ level: fc.constantFrom(...LEVELS), target: fc.nat({ max: 1 }) }), { maxLength: 3 }),
  death: fc.option(fc.nat({ max: 1 }), { nil: null }),
});

describe('races: fast-check scheduler over answers, aborts, inhibitors, resumes and a death', () => {
  it('nothing lost, nothing hung', async () => {
    /** Outcomes seen over all runs: the scenarios must reach each of them. */
    const seen = { ok: 0, eintr: 0, killed: 0, inhibited: 0, drainedByInhibit: 0 };
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenario, async (s, sc) => {
        const bugs = collectBugs();
        try {
          const w = world({ maxWorkers: 2 });
          let handlerRuns = 0;
          const cls = defineClass({
            name: 'work',
            interface: Work,
            init: () => null,
            handlers: {
              work(_ctx, { id }) {
                handlerRuns++;
                // The scheduler decides when each answer lands.
                return s.schedule(Promise.resolve({ v: id * 2 }), `answer ${id}`);
              },
              *nap(ctx, { id, ms }) {
                handlerRuns++;
                yield ctx.sys!.sleep(ms);
                return { v: id * 2 };
              },
            },
          });
          const tasks: Task[] = [w.k.createTask('c0'), w.k.createTask('c1')];
          const objs = [mustCreate(w.bucket, cls), mustCreate(w.bucket, cls)];
          const slots = tasks.map((task) => objs.map((o) => w.bucket.install(o, task)));
          const clients = tasks.map((task) => w.bucket.clientFor(task));

          const results: { id: number; settled: number; value: RpcResult<{ v: number }> | 'killed' | null }[] = [];
          sc.calls.forEach((c, id) => {
            const rec = { id, settled: 0, value: null as RpcResult<{ v: number }> | 'killed' | null };
            results.push(rec);
            const ac = new AbortController();
            const cli = connect(Work, w.k, tasks[c.client]!, slots[c.client]![c.obj]!);
            void s
              .schedule(Promise.resolve(), `call ${id}`)
              .then(() => (c.nap === 0 ? cli.attempt.work({ id }, { signal: ac.signal }) : cli.attempt.nap({ id, ms: c.nap }, { signal: ac.signal })))
              .then(
                (r) => {
                  rec.settled++;
                  rec.value = r;
                },
                (e: unknown) => {
                  rec.settled++;
                  // Killed mid-call, or started after its task died (the host caller refuses).
                  rec.value = e instanceof ThreadKilledError || !tasks[c.client]!.alive ? 'killed' : (e as never);
                },
              );
            if (c.abort) void s.schedule(Promise.resolve(), `abort ${id}`).then(() => ac.abort());
          });

          const inhibits: { settled: number; value: ErrnoName | null | undefined; resumed: boolean }[] = [];
          for (const inh of sc.inhibitors) {
            const lv = levelOps(w.bucket, inh.level, cls, objs[inh.target]!, clients[inh.target]!);
            const rec = { settled: 0, value: undefined as ErrnoName | null | undefined, resumed: false };
            inhibits.push(rec);
            void s
              .schedule(Promise.resolve(), `inhibit ${inh.level}`)
              .then(() => lv.inhibit())
              .then(async (r) => {
                rec.settled++;
                rec.value = r;
                if (r !== null) return;
                await s.schedule(Promise.resolve(), `resume ${inh.level}`);
                rec.resumed = lv.resume();
              });
          }
          if (sc.death !== null) {
            const d = sc.death;
            void s.schedule(Promise.resolve(), `death ${d}`).then(() => w.k.deleteTask(tasks[d]!));
          }

          // Virtual time moves in scheduled ticks too.
          for (let i = 0; i < 3; i++) void s.schedule(Promise.resolve(), 'tick').then(() => w.k.advance(1));
          // Let the scheduler release one task at a time, the kernel running in between;
          // when it has nothing left, time moves on until the busy handlers are done.
          for (let i = 0; i < 500; i++) {
            await settle(w.k);
            if (s.count() === 0) {
              // (A dead client's busy handler is still in flight until it wakes.)
              if (results.every((r) => r.settled > 0) && w.bucket.stats().inflight === 0) break;
              w.k.advance(1);
              continue;
            }
            await s.waitOne();
          }
          await settle(w.k);
          expect(s.count()).toBe(0);

          // Nothing hung, nothing answered twice, every answer is the call's own or EINTR.
          for (const r of results) {
            expect(r.settled, `call ${r.id}`).toBe(1);
            const v = r.value!;
            if (v === 'killed') {
              expect(sc.death).toBe(sc.calls[r.id]!.client);
              seen.killed++;
            } else if (v.ok) {
              expect(v.value).toEqual({ v: r.id * 2 });
              seen.ok++;
            } else {
              expect(v.error, `call ${r.id}: ${v.message}`).toBe('EINTR');
              seen.eintr++;
              if (!sc.calls[r.id]!.abort) seen.drainedByInhibit++;
            }
          }
          seen.inhibited += inhibits.length;
          expect(handlerRuns).toBeLessThanOrEqual(sc.calls.length);
          for (const i of inhibits) {
            expect(i.settled).toBe(1);
            expect(i.value).toBeNull();
            expect(i.resumed).toBe(true);
          }
          expect(w.bucket.stats()).toMatchObject({ inflight: 0, parked: 0, pending: 0, state: 'serving' });
          expect([cls.inh.stateName, ...objs.map((o) => o.inh.stateName), ...clients.map((c) => c.inh.stateName)]).toEqual(
            Array(5).fill('serving'),
          );
          expect(bugs.list).toEqual([]);
        } finally {
          bugs.restore();
        }
      }),
      { seed: 424242, numRuns: 80 },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  });
});
