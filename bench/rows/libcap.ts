// libcap rows: one RPC through the cap library (stubs derived from an interface, a
// bucket's worker, the handler, the reply), from a kernel thread and from host code;
// a string argument and reply, a reply carrying a cap, and many client threads sharing
// a pool of workers.

import { Kernel, Status, VirtualClock, type Continuation, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, HEADER_WORDS, RpcFailure, rpcThread, stub, t, type CapObject, type RpcResult, type RpcThread } from '../../libcap/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

const Bench = defineInterface('bench', {
  nop: { op: 1 },
  inc: { op: 2, args: { x: t.u32 }, reply: { x: t.u32 } },
  echo: { op: 3, args: { s: t.string(64) }, reply: { s: t.string(64) } },
  open: { op: 4, reply: { obj: t.cap() } },
});

/** 64 bytes of UTF-8. */
const TEXT64 = 'libcap.rpc.string64: 64 bytes of text, one argument and a reply!';

interface World {
  readonly k: Kernel;
  readonly bucket: Bucket;
  readonly client: Task;
  readonly cap: number;
}

function world(opts: { workers?: number } = {}): World {
  const k = new Kernel({ clock: new VirtualClock() });
  const server = k.createTask('server', { quota: 1000, slots: 1 << 12 });
  const client = k.createTask('client');
  const holder: { obj: CapObject | null } = { obj: null };
  const cls = defineClass({
    name: 'bench',
    interface: Bench,
    init: () => ({}),
    handlers: {
      nop: () => undefined,
      inc: (_c, { x }) => ({ x: x + 1 }),
      echo: (_c, { s }) => ({ s }),
      open: (ctx) => ({ obj: ctx.give(holder.obj!) }),
    },
  });
  const workers = opts.workers ?? 1;
  const bucket = Bucket.start(k, server, { minWorkers: workers, maxWorkers: workers });
  const obj = bucket.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error(`create failed: ${obj.error}`);
  holder.obj = obj;
  return { k, bucket, client, cap: bucket.install(obj, client) };
}

/** A loop of calls run in a client thread; answers how many were answered as expected. */
type CallLoop = (sys: Sys, cap: number, n: number) => SysGen<number>;

/** What one timed in-thread run reads and writes. */
interface Timed {
  readonly body: CallLoop;
  readonly cap: number;
  readonly n: number;
  ms: number;
}

/**
 * The client thread of a timed run: warm the path, then time `n` calls. One function for
 * every run, bound to the run's state: a generator function made afresh per run would
 * give each run's generator objects a new map, and the JIT would deoptimise the run
 * loop's delegation on every sample (the row was bimodal between processes for it).
 */
function* timedCalls(t: Timed, sys: Sys): SysGen<number> {
  yield* t.body(sys, t.cap, 100); // warm the path
  const t0 = performance.now();
  const r = yield* t.body(sys, t.cap, t.n);
  t.ms = performance.now() - t0;
  return r;
}

/**
 * Time `n` in-thread calls made by `body` (a function defined once, at module level, for
 * the reason timedCalls gives) in a client thread. `fastPerCall` is how many of each
 * call's two IPC syscalls must take the kernel's fast path (2 for small messages;
 * strings and caps go the slow path).
 */
async function inThread(n: number, body: CallLoop, fastPerCall = 2): Promise<number> {
  const w = world();
  const t: Timed = { body, cap: w.cap, n, ms: 0 };
  const check = await w.k.exec(w.client, timedCalls.bind(null, t));
  if (check !== n) throw new Error(`expected ${n} answers, got ${check}`);
  if (w.k.counters.fastpath < fastPerCall * n) throw new Error(`the calls left the kernel fast path (${w.k.counters.fastpath} fast-path syscalls for ${n} calls, expected ${fastPerCall} per call)`);
  return nsPer(t.ms, n);
}

function* nullCalls(sys: Sys, cap: number, count: number): SysGen<number> {
  const s = stub(Bench, sys, cap);
  let ok = 0;
  for (let i = 0; i < count; i++) if ((yield* s.nop()).ok) ok++;
  return ok;
}

function* incCalls(sys: Sys, cap: number, count: number): SysGen<number> {
  const s = stub(Bench, sys, cap);
  let x = 0;
  for (let i = 0; i < count; i++) {
    const r = yield* s.inc({ x });
    if (r.ok) x = r.value.x;
  }
  return x;
}

function* echoCalls(sys: Sys, cap: number, count: number): SysGen<number> {
  const s = stub(Bench, sys, cap);
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const r = yield* s.echo({ s: TEXT64 });
    if (r.ok && r.value.s === TEXT64) ok++;
  }
  return ok;
}

function* openCalls(sys: Sys, cap: number, count: number): SysGen<number> {
  const s = stub(Bench, sys, cap);
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const r = yield* s.open();
    if (r.ok && sys.identify(r.value.obj) !== null && sys.delete(r.value.obj) === Status.Ok) ok++;
  }
  return ok;
}

/** What one timed run of continuation-stub calls reads and writes. */
interface ContRun {
  readonly cap: number;
  readonly n: number;
  /** Calls made, and calls answered as expected. */
  i: number;
  ok: number;
  t0: number;
  ms: number;
}

/**
 * The body of a continuation client thread making null calls through a continuation
 * stub (rpc-thread.ts): WARM untimed calls, then `n` timed. Defined once (see timedCalls).
 */
function nullContCalls(run: ContRun, t: RpcThread): () => ReturnType<RpcThread['step']> {
  const s = t.stub(Bench, run.cap);
  const next = (r: RpcResult<unknown>): ReturnType<RpcThread['step']> => {
    if (r.ok) run.ok++;
    if (run.i === WARM) {
      run.ok = 0;
      run.t0 = performance.now();
    } else if (run.i === WARM + run.n) {
      run.ms = performance.now() - run.t0;
      return null;
    }
    run.i++;
    return s.nop(undefined, next);
  };
  return () => {
    run.i++;
    return s.nop(undefined, next);
  };
}

/** Time `n` null calls through a continuation stub in a continuation client thread. */
function contNull(n: number): number {
  const w = world();
  const run: ContRun = { cap: w.cap, n, i: 0, ok: 0, t0: 0, ms: 0 };
  w.k.spawn(w.client, rpcThread(nullContCalls.bind(null, run)));
  const fast0 = w.k.counters.fastpath;
  w.k.run();
  if (run.ok !== n) throw new Error(`libcap.rpc.null: expected ${n} answers, got ${run.ok}`);
  if (w.k.counters.fastpath - fast0 < 2 * n) throw new Error('libcap.rpc.null: the calls left the kernel fast path');
  return nsPer(run.ms, n);
}

/**
 * `n` null requests from a continuation client writing the libcap header (cancel key,
 * sequence) itself: what the bucket costs beyond the kernel round trip.
 */
function rawNull(n: number): number {
  const w = world();
  const op = Bench.methods.nop.op;
  let i = 0;
  let t0 = 0;
  let ms = 0;
  let failure = '';
  w.k.spawn(w.client, (sys: Sys): Continuation => {
    const u = sys.utcb;
    return (status: number) => {
      if (i > 0 && (status !== Status.Ok || u.label !== 0 || u.length !== 0)) {
        failure = `call ${i}: status ${status}, label ${u.label}`;
        return null;
      }
      if (i === WARM) t0 = performance.now();
      if (i === WARM + n) {
        ms = performance.now() - t0;
        return null;
      }
      i++;
      u.mr[0] = sys.threadId;
      u.mr[1] = i;
      return sys.call(w.cap, op, HEADER_WORDS);
    };
  });
  const fast0 = w.k.counters.fastpath;
  w.k.run();
  if (failure !== '') throw new Error(`libcap.rpc.null.raw: ${failure}`);
  if (i !== WARM + n) throw new Error(`libcap.rpc.null.raw: ${i} of ${WARM + n} calls made`);
  if (w.k.counters.fastpath - fast0 < 2 * n) throw new Error('libcap.rpc.null.raw: the calls left the kernel fast path');
  return nsPer(ms, n);
}

/** Untimed calls before a raw loop's clock starts. */
const WARM = 1000;

interface Shared {
  readonly cap: number;
  readonly each: number;
  answered: number;
}

/** One client thread of the concurrent row: `each` inc() calls (defined once: see timedCalls). */
function* sharedIncs(sh: Shared, sys: Sys): SysGen<void> {
  const s = stub(Bench, sys, sh.cap);
  let x = 0;
  for (let i = 0; i < sh.each; i++) {
    const r = yield* s.inc({ x });
    if (r.ok) x = r.value.x;
  }
  sh.answered += x;
}

/**
 * `clients` threads of one client task share `n` inc() calls against a pool of
 * `workers`; the kernel runs them all to completion. Checks every call was answered
 * and that every worker of the pool served some.
 */
function concurrent(n: number, clients: number, workers: number): number {
  const w = world({ workers });
  const each = Math.ceil(n / clients);
  const shared: Shared = { cap: w.cap, each, answered: 0 };
  w.k.run();
  if (w.bucket.workers !== workers) throw new Error(`the pool has ${w.bucket.workers} workers, not ${workers}`);
  const body = sharedIncs.bind(null, shared);
  for (let c = 0; c < clients; c++) w.k.spawn(w.client, body);
  const t0 = performance.now();
  w.k.run();
  const ms = performance.now() - t0;
  if (shared.answered !== each * clients) throw new Error(`answered ${shared.answered} of ${each * clients} calls`);
  return nsPer(ms, each * clients);
}

export const group: RowGroup = {
  name: 'libcap',
  rank: 20,
  rows: [
    {
      name: 'libcap.rpc.null',
      what: 'null RPC (no arguments, empty reply) through a continuation stub (rpcThread) in a continuation client thread to a bucket worker and back',
      iterations: 150_000,
      warmup: 5,
      run: (n) => contNull(n),
    },
    {
      name: 'libcap.rpc.null.gen',
      what: 'libcap.rpc.null through the generator stub (stub(), yield*) in a generator client thread',
      iterations: 150_000,
      warmup: 5,
      run: (n) => inThread(n, nullCalls),
    },
    {
      name: 'libcap.rpc.null.raw',
      what: 'the server side of libcap.rpc.null alone: a continuation client sends the request header with sys.call, no stub',
      iterations: 150_000,
      warmup: 5,
      run: (n) => rawNull(n),
    },
    {
      name: 'libcap.rpc.inc',
      what: 'x = inc(x) through a stub in a client thread (args and reply marshalled, validated)',
      iterations: 150_000,
      warmup: 5,
      run: (n) => inThread(n, incCalls),
    },
    {
      name: 'libcap.rpc.string64',
      what: 'echo(s) with a 64-byte string argument and the same string in the reply (UTF-8 items both ways)',
      iterations: 100_000,
      warmup: 5,
      run: (n) => inThread(n, echoCalls, 0),
    },
    {
      name: 'libcap.rpc.cap',
      what: 'open() answering a cap to an object (the client\'s badged entry, mapped into a reserved slot), then deleted by the client',
      iterations: 100_000,
      warmup: 5,
      run: (n) => inThread(n, openCalls, 1),
    },
    {
      name: 'libcap.rpc.concurrent',
      what: '64 client threads each calling inc() in a loop against a bucket with a pool of 4 workers; ns per RPC (throughput = 1e9 / figure)',
      iterations: 128_000,
      warmup: 5,
      run: (n) => concurrent(n, 64, 4),
    },
    {
      name: 'libcap.rpc.host',
      what: 'x = await client.inc({ x }) from host code (connect(): a pooled proxy thread carries each call)',
      iterations: 50_000,
      warmup: 8,
      async run(n) {
        const w = world();
        const c = connect(Bench, w.k, w.client, w.cap);
        let x = 0;
        for (let i = 0; i < 100; i++) x = (await c.inc({ x })).x;
        x = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) x = (await c.inc({ x })).x;
        const ms = performance.now() - t0;
        if (x !== n) throw new Error(`counted ${x}, expected ${n}`);
        return nsPer(ms, n);
      },
    },
  ],
  targets: [{ kind: 'at-most', row: 'libcap.rpc.null', reference: 'kernel.call.fast', factor: 2 }],
};
