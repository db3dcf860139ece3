// The worker's null lane (libcap/worker.ts) against the general way: every scenario runs
// with the lane on and off and must give the same answers, the same handler calls, the
// same bucket stats and client usage, the same kernel state and the same kernel trace
// (times and sequence numbers included). Only the bucket's laneServed tells the two runs
// apart, and each scenario says how many requests the lane must have taken.

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, RecordingTracer, Status, VirtualClock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { Bucket, connect, defineClass, type CapObject, defineInterface, rpcThread, stub, t, type AnyClass, type BucketOptions, type RpcResult } from '../../libcap/index.ts';
import { LABEL_CANCEL } from '../../libcap/interface.ts';
import { ERRNO } from '../../libcap/errno.ts';
import { nullLane } from '../../libcap/bucket.ts';
import { restartSequence } from '../../libcap/client.ts';
import { stateWithoutCounters } from '../core/harness.ts';
import { collectBugs, header, mustCreate, rawCall, rawSend, settle } from './harness.ts';

const Lane = defineInterface('lane', {
  /** Blind: never sees its context. */
  nop: { op: 1 },
  /** Sees its context; an empty reply. */
  touch: { op: 2 },
  /** Answers something. */
  count: { op: 3, reply: { n: t.u32 } },
  /** Throws. */
  boom: { op: 4 },
  /** Answers a declared error. */
  refuse: { op: 5, errors: ['EPERM'] },
  /** Answers through a promise. */
  later: { op: 6 },
  /** Defers; `release` answers it. */
  hold: { op: 7 },
  /** Answers the held call (a completion for the worker to send) and answers empty. */
  release: { op: 8 },
  /** Revokes the caller's cap to its object while it runs, and answers empty. */
  drop: { op: 9 },
  /** A generator handler. */
  gen: { op: 10 },
  /** Declared without a handler. */
  unimpl: { op: 11 },
  note: { op: 12, oneway: true },
  add: { op: 13, args: { by: t.u32 }, reply: { n: t.u32 } },
  /** Starts inhibiting the bucket while it runs (a level drains when it finishes). */
  freeze: { op: 14 },
  /** Takes a cap argument (the worker's receive windows must be set again after it). */
  take: { op: 15, args: { c: t.cap() } },
  /** Declares a reply, but its handler answers nothing (a server's bug). */
  blank: { op: 16, reply: { n: t.u32 } },
  /** Blind: looks at the bucket's RPCs in flight and every client's usage while it runs. */
  peek: { op: 17 },
  /** Blind: revokes every client's cap to the last object made while it runs. */
  vanish: { op: 18 },
  /** Blind and async: starts inhibiting the bucket, and answers a turn later. */
  stall: { op: 19 },
});

/** What one run gave. */
interface Outcome {
  result: unknown;
  calls: string[];
  kept: string[];
  bugs: string[];
  stats: ReturnType<Bucket['stats']>;
  usage: unknown[];
  state: ReturnType<typeof stateWithoutCounters>;
  trace: unknown[];
  taken: number;
}

interface World {
  k: Kernel;
  b: Bucket;
  cls: AnyClass;
  calls: string[];
  /**
   * A client task holding a cap to a fresh object; its slot. `limited`: the object is of
   * the class whose own limit of RPCs in flight is 0 or 1.
   */
  client(name: string, limited?: 0 | 1): { task: Task; slot: number };
  /** The same through an anonymous client (no task identity: it goes with its last cap). */
  anonymous(name: string): { task: Task; slot: number };
  /** Answer the held call from outside any handler (false: none held, or gone). */
  answerHeld(): boolean;
  /** What `touch` saw of each context it kept: its key and sequence, read now. */
  kept(): string[];
  /** The inhibition `freeze` started, once it resolved (undefined: not yet). */
  frozen(): string | null | undefined;
}

function world(opts: BucketOptions = {}): World {
  const k = new Kernel({ clock: new VirtualClock(), tracer: new RecordingTracer() });
  const srv = k.createTask('srv', { quota: 1000, slots: 1 << 10 });
  const calls: string[] = [];
  let held: { reply(v: Record<string, never>): boolean } | null = null;
  let n = 0;
  const kept: { key: number; seq: number }[] = [];
  let frozen: string | null | undefined;
  /** The object the last client() or anonymous() made. */
  let last: CapObject | null = null;
  const cls = defineClass({
    name: 'lane',
    interface: Lane,
    init: () => ({}),
    handlers: {
      nop: () => {
        n++;
      },
      touch: (ctx) => {
        kept.push(ctx);
        calls.push(`touch ${ctx.key}/${ctx.seq} ${JSON.stringify(ctx.client.usage())} ${b.stats().inflight} ${ctx.entry.rpcs}`);
      },
      count: () => ({ n }),
      boom: () => {
        throw new Error('boom');
      },
      refuse: (ctx) => ctx.fail('EPERM'),
      later: () => Promise.resolve(undefined),
      hold: (ctx) => {
        calls.push('hold');
        const d = ctx.defer();
        held = d;
        return d;
      },
      release: () => {
        calls.push(`release ${answerHeld()}`);
      },
      drop: (ctx) => {
        calls.push(`drop ${b.revoke(ctx.client, ctx.object)}`);
      },
      *gen() {
        calls.push('gen');
      },
      note: () => {
        calls.push('note');
      },
      add: (_c, { by }) => ({ n: (n += by) }),
      freeze: () => {
        calls.push('freeze');
        void b.inhibit().then((why) => {
          frozen = why;
        });
      },
      take: (_c, { c }) => {
        calls.push(`take ${c > 0}`);
      },
      blank: (() => undefined) as never,
      peek: () => {
        const usage = JSON.stringify(b.clientList().map((c) => c.usage()));
        calls.push(`peek ${b.stats().inflight} ${usage}`);
      },
      vanish: () => {
        calls.push(`vanish ${b.clientList().map((c) => b.revoke(c, last!)).join(',')} ${b.stats().clients}`);
      },
      stall: async () => {
        calls.push('stall');
        void b.inhibit().then((why) => {
          calls.push(`frozen ${why}`);
        });
        calls.push(`stall ${b.stats().state}`);
        await Promise.resolve();
        calls.push('stall answers');
      },
    },
  });
  // The same class with limits of its own: no RPC in flight, or one.
  const capped = [defineClass({ ...cls.spec, name: 'capped0', limits: { rpcs: 0 } }), defineClass({ ...cls.spec, name: 'capped1', limits: { rpcs: 1 } })];
  function answerHeld(): boolean {
    const d = held;
    held = null;
    return d !== null && d.reply({});
  }
  const b = Bucket.start(k, srv, opts);
  return {
    k,
    b,
    cls,
    calls,
    answerHeld,
    kept: () => kept.map((c) => `${c.key}/${c.seq}`),
    frozen: () => frozen,
    client(name, limited) {
      const task = k.createTask(name);
      last = mustCreate(b, limited === undefined ? cls : capped[limited]!);
      return { task, slot: b.install(last, task) };
    },
    anonymous(name) {
      const task = k.createTask(name);
      const obj = mustCreate(b, cls);
      last = obj;
      const slot = k.grant(srv, b.give(b.anonymousClient(), obj), task);
      obj.unref();
      return { task, slot };
    },
  };
}

/** Run `scenario` on a fresh world with the lane on or off. */
async function runWith(on: boolean, opts: BucketOptions, scenario: (w: World) => Promise<unknown>): Promise<Outcome> {
  nullLane.on = on;
  restartSequence(0);
  const bugs = collectBugs();
  try {
    const w = world(opts);
    await settle(w.k);
    const result = await scenario(w);
    await settle(w.k);
    return {
      result,
      calls: w.calls,
      kept: w.kept(),
      bugs: [...bugs.list],
      stats: w.b.stats(),
      usage: w.b.clientList().map((c) => c.usage()),
      state: stateWithoutCounters(w.k),
      trace: (w.k.tracer as RecordingTracer).events.map((e) => ({ ...e })),
      taken: w.b.laneServed,
    };
  } finally {
    bugs.restore();
    nullLane.on = true;
  }
}

/** The scenario both ways: the same outcome; the lane took `taken` requests. */
async function bothWays(taken: number, scenario: (w: World) => Promise<unknown>, opts: BucketOptions = {}): Promise<Outcome> {
  const off = await runWith(false, opts, scenario);
  const on = await runWith(true, opts, scenario);
  expect(off.taken).toBe(0);
  expect(on.taken).toBe(taken);
  const { taken: _a, ...a } = on;
  const { taken: _b, ...b } = off;
  expect(a).toEqual(b);
  return on;
}

/** Calls made one after another from a generator client thread of `task`; their results. */
function inThread(w: World, task: Task, body: (sys: Sys) => SysGen<unknown[]>): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const th = w.k.spawn(task, function* (sys: Sys) {
      resolve(yield* body(sys));
    });
    th.onExit = (_v, e, failed) => {
      if (failed) reject(e);
    };
  });
}

/** Two host clients, a and b; a's hold() is held by the server. */
async function holding(w: World) {
  const a = w.client('a');
  const b = w.client('b');
  const ca = connect(Lane, w.k, a.task, a.slot).attempt;
  const cb = connect(Lane, w.k, b.task, b.slot).attempt;
  const held = ca.hold();
  await settle(w.k);
  return { ca, cb, held };
}

afterEach(() => {
  nullLane.on = true;
});

describe('the null lane answers as the general way does', () => {
  it('every kind of handler of a method without arguments, from a generator stub', async () => {
    const out = await bothWays(18, async (w) => {
      const a = w.client('a');
      return inThread(w, a.task, function* (sys) {
        const s = stub(Lane, sys, a.slot);
        const got: unknown[] = [];
        for (let i = 0; i < 2; i++) {
          got.push(yield* s.nop());
          got.push(yield* s.touch());
          got.push(yield* s.count());
          got.push(yield* s.boom());
          got.push(yield* s.refuse());
          got.push(yield* s.later());
          got.push(yield* s.gen());
          got.push(yield* s.unimpl());
          got.push(yield* s.add({ by: 2 }));
          got.push(yield* s.blank());
          got.push(yield* s.nop());
        }
        return got;
      });
    });
    // Every method without arguments that has a handler is the lane's to take; those that
    // answer something, throw or defer it hands back to the general way to answer.
    const results = out.result as RpcResult<unknown>[];
    expect(results.map((r) => (r.ok ? 'ok' : r.error))).toEqual(
      Array(2).fill(['ok', 'ok', 'ok', 'EIO', 'EPERM', 'ok', 'ok', 'EOPNOTSUPP', 'ok', 'EIO', 'ok']).flat(),
    );
    expect(out.stats.inflight).toBe(0);
  });

  it('continuation stubs and host clients, two clients interleaved', async () => {
    const out = await bothWays(16, async (w) => {
      const a = w.client('a');
      const b = w.client('b');
      const host = connect(Lane, w.k, b.task, b.slot).attempt;
      const fromThread = new Promise<unknown[]>((resolve) => {
        w.k.spawn(
          a.task,
          rpcThread((th) => {
            const s = th.stub(Lane, a.slot);
            const got: unknown[] = [];
            let i = 0;
            const next = (r: RpcResult<unknown>) => {
              got.push(r);
              if (++i === 8) {
                resolve(got);
                return null;
              }
              return i % 2 === 0 ? s.nop(undefined, next) : s.touch(undefined, next);
            };
            return () => s.nop(undefined, next);
          }),
        );
      });
      const fromHost: unknown[] = [];
      for (let i = 0; i < 4; i++) fromHost.push(await host.nop(), await host.count());
      return { thread: await fromThread, host: fromHost };
    });
    expect(out.stats.served).toBe(16);
  });

  it('requests the lane must leave: bad headers, unknown methods, one-way mismatches, a cancel, a stale cap', async () => {
    const out = await bothWays(2, async (w) => {
      const a = w.client('a');
      const op = (name: keyof typeof Lane.methods) => Lane.methods[name].op;
      return inThread(w, a.task, function* (sys) {
        const got: unknown[] = [];
        // A short header, a word too many, an item, an unknown label, a one-way method called.
        got.push(yield* rawCall(sys, a.slot, { label: op('nop'), words: [1] }));
        got.push(yield* rawCall(sys, a.slot, { label: op('nop'), words: [...header(1, 1), 9] }));
        got.push(yield* rawCall(sys, a.slot, { label: op('nop'), words: header(1, 2), items: [new Uint8Array(2)] }));
        got.push(yield* rawCall(sys, a.slot, { label: 99, words: header(1, 3) }));
        got.push(yield* rawCall(sys, a.slot, { label: op('note'), words: header(1, 4) }));
        // A method with arguments called with the header alone.
        got.push(yield* rawCall(sys, a.slot, { label: op('add'), words: header(1, 4) }));
        // A cancel that overtakes its request: the request answers EINTR and never runs.
        // (Sent twice: the bucket's manager receives on the endpoint too, and the second
        // cancel puts it behind the worker, so that the worker receives the request.)
        got.push(yield* rawSend(sys, a.slot, { label: LABEL_CANCEL, words: header(1, 6) }));
        got.push(yield* rawSend(sys, a.slot, { label: LABEL_CANCEL, words: header(1, 6) }));
        got.push(yield* rawCall(sys, a.slot, { label: op('touch'), words: header(1, 6) }));
        // The same key and sequence again: the tombstone went, so it runs (the lane's).
        got.push(yield* rawCall(sys, a.slot, { label: op('touch'), words: header(1, 6) }));
        // A two-way method sent one way: no answer, and the handler does not run.
        got.push(yield* rawSend(sys, a.slot, { label: op('touch'), words: header(1, 5) }));
        got.push(yield* rawCall(sys, a.slot, { label: op('nop'), words: header(1, 7) }));
        return got;
      });
    });
    const labels = (out.result as ({ label: number } | number)[]).map((r) => (typeof r === 'number' ? r : r.label));
    const { EINVAL, ENOSYS, EINTR } = ERRNO;
    expect(labels).toEqual([EINVAL, EINVAL, EINVAL, ENOSYS, EINVAL, EINVAL, Status.Ok, Status.Ok, EINTR, 0, Status.Ok, 0]);
    expect(out.calls).toEqual(['touch 1/6 {"caps":1,"rpcs":1,"deferred":0} 1 1']);
  });

  it('a handler that answers a held call (a completion waiting) or drops its own cap', async () => {
    const out = await bothWays(6, async (w) => {
      const a = w.client('a');
      const b = w.client('b');
      const held = connect(Lane, w.k, a.task, a.slot).attempt.hold();
      await settle(w.k);
      const c = connect(Lane, w.k, b.task, b.slot).attempt;
      const got: unknown[] = [await c.release(), await held, await c.nop()];
      // drop revokes the caller's only cap while it runs: the client goes with the RPC
      // (at once for an anonymous one, when its task dies for the other).
      got.push(await c.drop());
      got.push(await c.nop());
      const x = w.anonymous('x');
      const cx = connect(Lane, w.k, x.task, x.slot).attempt;
      got.push(w.b.stats().clients, await cx.nop(), await cx.drop(), w.b.stats().clients);
      return got;
    });
    expect(out.calls).toEqual(['hold', 'release true', 'drop true', 'drop true']);
  });

  it('a blind handler runs without its context until something looks: it is counted in flight all the same', async () => {
    const out = await bothWays(5, async (w) => {
      // While a's call is held, b's peek sees both in flight; then a's own, alone.
      const { ca, cb, held } = await holding(w);
      const got: unknown[] = [await cb.peek()];
      w.answerHeld();
      got.push(await held, await ca.peek(), await ca.nop(), w.b.stats());
      // vanish revokes the last client's (b's) cap while its handler runs: the client
      // record stays until the RPC is finished, then goes with its task.
      got.push(await cb.vanish(), await cb.nop(), w.b.stats());
      return got;
    });
    expect(out.calls).toEqual([
      'hold',
      'peek 2 [{"caps":1,"rpcs":1,"deferred":1},{"caps":1,"rpcs":1,"deferred":0}]',
      'peek 1 [{"caps":1,"rpcs":1,"deferred":0},{"caps":1,"rpcs":0,"deferred":0}]',
      'vanish false,true 2',
    ]);
    expect((out.result as RpcResult<unknown>[]).slice(5, 7).map((r) => (r.ok ? 'ok' : r.error))).toEqual(['ok', 'EBADF']);
  });

  it('a blind async handler that starts an inhibition: the drain waits for its answer', async () => {
    const out = await bothWays(2, async (w) => {
      const a = w.client('a');
      const c = connect(Lane, w.k, a.task, a.slot).attempt;
      const got: unknown[] = [await c.stall()];
      await settle(w.k);
      got.push(w.b.stats());
      w.b.resume();
      got.push(await c.nop());
      return got;
    });
    // The inhibition counted stall's RPC (made when the drain looked) and waited for it.
    expect(out.calls).toEqual(['stall', 'stall draining', 'stall answers', 'frozen null']);
    expect(out.result).toMatchObject([{ ok: true }, { state: 'inhibited' }, { ok: true }]);
  });

  it('levels that do not serve: a draining bucket parks a request, and serves it once resumed', async () => {
    await bothWays(2, async (w) => {
      const { ca, cb, held } = await holding(w);
      // Draining: the held call keeps the bucket from being inhibited until it is answered.
      const inhibited = w.b.inhibit();
      const parked = cb.nop();
      await settle(w.k);
      const draining = w.b.stats();
      const answered = w.answerHeld();
      const why = await inhibited;
      await settle(w.k);
      const inhibitedStats = w.b.stats();
      w.b.resume();
      return [await held, await parked, answered, why, draining, inhibitedStats, await cb.nop()];
    });
  });

  it('a handler that starts an inhibition: its own RPC leaves the draining level as it finishes', async () => {
    const out = await bothWays(2, async (w) => {
      const a = w.client('a');
      const c = connect(Lane, w.k, a.task, a.slot).attempt;
      const got: unknown[] = [await c.freeze()];
      await settle(w.k);
      got.push(w.frozen(), w.b.stats());
      const parked = c.nop();
      await settle(w.k);
      got.push(w.b.stats());
      w.b.resume();
      got.push(await parked, await c.nop());
      return got;
    });
    // The inhibition waited for freeze alone, and took hold once freeze was answered.
    expect(out.result).toMatchObject([{ ok: true }, null, { state: 'inhibited' }, { parked: 1 }, { ok: true }, { ok: true }]);
  });

  it('contexts a handler kept are never reused, and requests with caps set the windows again', async () => {
    const out = await bothWays(9, async (w) => {
      const a = w.client('a');
      const c = connect(Lane, w.k, a.task, a.slot).attempt;
      const got: unknown[] = [];
      for (let i = 0; i < 3; i++) got.push(await c.touch(), await c.nop(), await c.take({ c: a.slot }), await c.nop());
      return got;
    });
    expect(out.kept).toEqual(out.calls.filter((x) => x.startsWith('touch')).map((x) => x.split(' ')[1]));
    expect(out.calls.filter((x) => x.startsWith('take'))).toEqual(['take true', 'take true', 'take true']);
  });

  it('a paused class parks the request; a client at its RPC limit is refused EAGAIN', async () => {
    await bothWays(
      1,
      async (w) => {
        const a = w.client('a');
        const c = connect(Lane, w.k, a.task, a.slot).attempt;
        const inhibited = await w.b.inhibitClass(w.cls);
        const parked = c.nop();
        await settle(w.k);
        const during = w.b.stats();
        w.b.resumeClass(w.cls);
        const got: unknown[] = [inhibited, during, await parked];
        // One RPC allowed: a held call fills it.
        const held = c.hold();
        await settle(w.k);
        got.push(await c.nop(), await c.touch(), w.answerHeld(), await held);
        return got;
      },
      { limits: { rpcs: 1 } },
    );
  });

  it('limits: a client allowed no RPC is refused EAGAIN on both ways', async () => {
    await bothWays(
      0,
      async (w) => {
        const a = w.client('a');
        const c = connect(Lane, w.k, a.task, a.slot).attempt;
        return [await c.nop(), await c.touch(), await c.count()];
      },
      { limits: { rpcs: 0 } },
    );
  });

  it("limits: a class's own limit of RPCs replaces the bucket's, both ways", async () => {
    // The bucket allows no RPC, the class one: the class's client is served (the lane
    // takes its calls), the other class's is refused.
    const errors = (o: Outcome) => (o.result as RpcResult<unknown>[]).map((r) => (r.ok ? 'ok' : r.error));
    const mixed = await bothWays(
      2,
      async (w) => {
        const a = w.client('a', 1);
        const b = w.client('b');
        const ca = connect(Lane, w.k, a.task, a.slot).attempt;
        const cb = connect(Lane, w.k, b.task, b.slot).attempt;
        return [await ca.nop(), await cb.nop(), await ca.touch(), await cb.count()];
      },
      { limits: { rpcs: 0 } },
    );
    expect(errors(mixed)).toEqual(['ok', 'EAGAIN', 'ok', 'EAGAIN']);
    // The bucket's default, the class none: refused.
    const none = await bothWays(0, async (w) => {
      const a = w.client('a', 0);
      const ca = connect(Lane, w.k, a.task, a.slot).attempt;
      return [await ca.nop(), await ca.touch()];
    });
    expect(errors(none)).toEqual(['EAGAIN', 'EAGAIN']);
  });

  it('many clients on one worker: requests queue behind a busy worker and are answered in order', async () => {
    await bothWays(
      18,
      async (w) => {
        const clients = ['a', 'b', 'c'].map((n) => {
          const x = w.client(n);
          return connect(Lane, w.k, x.task, x.slot).attempt;
        });
        const all: Promise<unknown>[] = [];
        for (let i = 0; i < 6; i++) for (const c of clients) all.push(i % 2 === 0 ? c.nop() : c.touch());
        return Promise.all(all);
      },
      { maxWorkers: 1 },
    );
  });
});

describe('what the lane hands back', () => {
  it('a method that answers a value: the lane runs the handler, the general way encodes the answer', async () => {
    const out = await bothWays(2, async (w) => {
      const a = w.client('a');
      return inThread(w, a.task, function* (sys) {
        const got: unknown[] = [yield* rawCall(sys, a.slot, { label: Lane.methods.count.op, words: header(2, 1) })];
        got.push(yield* rawCall(sys, a.slot, { label: Lane.methods.nop.op, words: header(2, 2) }));
        return got;
      });
    });
    const [count, nop] = out.result as { status: number; label: number; words: number[] }[];
    expect(count).toEqual({ status: Status.Ok, label: 0, words: [0] });
    expect(nop).toEqual({ status: Status.Ok, label: 0, words: [] });
  });
});
