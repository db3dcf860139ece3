// Worker rows: isolated tasks (core/isolate) against the floor they are built on and
// against what users would pick. worker.sab.pingpong is a raw SharedArrayBuffer round
// trip between two workers with the isolated tasks' hand-off (spin, then Atomics.wait);
// worker.call.* are kernel calls between isolated tasks (direct, and relayed by the main
// thread), libcap calls (through the kernel and through a session), and calls through a
// libmem channel (shared memory, the kernel only for wake-ups); worker.peers.comlink
// is Comlink between the same two workers; worker.throughput.* sum over client/server
// pairs, each task in its own worker; worker.memory.idle is what an idle isolated task costs.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Kernel, Status, ThreadState, type Task } from '../../core/index.ts';
import { createIsolatedTask, DEFAULT_WORKER_SPIN_NS, type IsolatedTask } from '../../core/isolate/index.ts';
import { moduleBeside, nsPer, type RowGroup } from '../row.ts';

const BODIES = moduleBeside('../worker-bodies.ts', import.meta.url);

/** Plain-JS worker code for the raw floor: A times `n` round trips against B. */
const PINGPONG = `
const { workerData, parentPort } = require('node:worker_threads');
const { sab, role, n, spinNs, warm } = workerData;
const s = new Int32Array(sab);
function waitFor(v) {
  if (Atomics.load(s, 0) === v) return;
  const until = performance.now() + spinNs / 1e6;
  let k = 0;
  while (Atomics.load(s, 0) !== v) {
    if ((++k & 63) === 0 && performance.now() > until) break;
  }
  let cur;
  while ((cur = Atomics.load(s, 0)) !== v) Atomics.wait(s, 0, cur);
}
function put(v) { Atomics.store(s, 0, v); Atomics.notify(s, 0); }
if (role === 'b') {
  for (let i = 0; i < n + warm; i++) { waitFor(1); s[1] = s[1] + 1; put(2); }
} else {
  let t0 = 0;
  for (let i = 0; i < n + warm; i++) {
    if (i === warm) t0 = performance.now();
    put(1); waitFor(2); Atomics.store(s, 0, 0);
  }
  parentPort.postMessage({ ms: performance.now() - t0, count: s[1] });
}
`;

/** Comlink between two workers: B exposes inc on a port, A times `n` awaited calls. */
const COMLINK = `
const { workerData, parentPort } = require('node:worker_threads');
const Comlink = require('comlink');
const { role, port, n } = workerData;
if (role === 'b') {
  Comlink.expose({ inc: (x) => x + 1 }, port);
} else {
  const api = Comlink.wrap(port);
  (async () => {
    let x = 0;
    for (let i = 0; i < 500; i++) x = await api.inc(x);
    x = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) x = await api.inc(x);
    parentPort.postMessage({ ms: performance.now() - t0, x });
  })();
}
`;

/**
 * Round trips (pingpong) or calls (each client of pairsRun) before the timed ones. Every
 * sample starts fresh workers, so this is the row's warm-up: enough for V8 to have
 * compiled both sides' paths with its optimizing compiler (its background compiles
 * otherwise run during the timed calls and, on two cores, take a core from one of the
 * two spinning sides). The relayed row, at 50-160 us a call, warms with RELAY_WARM_CALLS.
 */
const WARM_CALLS = 50_000;
const RELAY_WARM_CALLS = 2000;

function once<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function pingpong(n: number): Promise<number> {
  const sab = new SharedArrayBuffer(8);
  const spinNs = DEFAULT_WORKER_SPIN_NS;
  const warm = WARM_CALLS;
  const b = new Worker(PINGPONG, { eval: true, workerData: { sab, role: 'b', n, spinNs, warm } });
  const a = new Worker(PINGPONG, { eval: true, workerData: { sab, role: 'a', n, spinNs, warm } });
  try {
    const r = await once<{ ms: number; count: number }>(a);
    if (r.count !== n + warm) throw new Error(`worker.sab.pingpong: ${r.count} answers, expected ${n + warm}`);
    return nsPer(r.ms, n);
  } finally {
    await Promise.all([a.terminate(), b.terminate()]);
  }
}

async function comlink(n: number): Promise<number> {
  const { MessageChannel } = await import('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const b = new Worker(COMLINK, { eval: true, workerData: { role: 'b', port: port2 }, transferList: [port2] });
  const a = new Worker(COMLINK, { eval: true, workerData: { role: 'a', port: port1, n }, transferList: [port1] });
  try {
    const r = await once<{ ms: number; x: number }>(a);
    if (r.x !== n) throw new Error(`worker.peers.comlink: counted ${r.x}, expected ${n}`);
    return nsPer(r.ms, n);
  } finally {
    await Promise.all([a.terminate(), b.terminate()]);
  }
}

/**
 * Re-checks of a channel's ring before a side sleeps (as mem.ring.1k.worker's
 * RING_WORKER_SPINS, adaptive): with a core for each side, calls then go through shared
 * memory alone and the kernel (main thread) only sees the rare wake-up. With one core the
 * other side cannot run during a spin, so there is none.
 */
const CHANNEL_SPINS = availableParallelism() >= 2 ? 20_000 : 0;

/**
 * `pairs` isolated clients, each against its own server (isolated, or a Bucket in the
 * main thread for 'null'), `n` calls in all. The clients warm up, report ready, and are
 * released together; the figure is wall time over all calls (ns per RPC summed over clients).
 */
async function pairsRun(n: number, pairs: number, kind: 'kernel' | 'kernel.gen' | 'relay' | 'null' | 'session' | 'channel', row: string): Promise<number> {
  const k = new Kernel();
  const home = k.createTask('home');
  const report = k.createEndpoint(home);
  const live: IsolatedTask[] = [];
  const gos: number[] = [];
  const each = Math.floor(n / pairs);
  try {
    for (let p = 0; p < pairs; p++) {
      let clientEp: { from: Task; slot: number };
      const gen = kind === 'kernel.gen';
      if (kind === 'kernel' || gen || kind === 'relay' || kind === 'channel') {
        const ep = k.createEndpoint(home);
        const srv =
          kind !== 'channel'
            ? createIsolatedTask(k, `srv${p}`, { module: BODIES, export: 'server', arg: { ep: 3, direct: kind !== 'relay', gen } })
            : createIsolatedTask(k, `srv${p}`, { module: BODIES, export: 'channelServer', arg: { ep: 3, spins: CHANNEL_SPINS }, quota: 100, memQuota: 1 << 20 });
        live.push(srv);
        k.grant(home, ep, srv.task, { slot: 3 });
        clientEp = { from: home, slot: ep };
      } else {
        // The libcap server in its own worker too: a Bucket started by its body, which
        // sends a cap to its object to `boot`.
        const boot = k.createEndpoint(home);
        const sessions = kind === 'session';
        const srv = createIsolatedTask(k, `srv${p}`, { module: BODIES, export: 'nullServer', arg: { boot: 3, sessions }, quota: 100, ...(sessions ? { memQuota: 1 << 20 } : {}) });
        live.push(srv);
        k.grant(home, boot, srv.task, { slot: 3 });
        const slot = await k.exec(home, function* (sys) {
          const s = sys.allocSlot();
          sys.utcb.recvSlots[0] = s;
          const st: number = yield sys.recv(boot);
          if (st !== Status.Ok || sys.utcb.capCount !== 1) throw new Error(`${row}: the server sent no cap (${st})`);
          return s;
        });
        clientEp = { from: home, slot };
      }
      const go = k.createNotification(home);
      gos.push(go);
      const cli = createIsolatedTask(k, `cli${p}`, {
        module: BODIES,
        export: 'caller',
        arg: { ep: 3, report: 4, go: 5, warm: kind === 'relay' ? RELAY_WARM_CALLS : WARM_CALLS, n: each, kind: kind === 'relay' || gen ? 'kernel' : kind, gen, spins: CHANNEL_SPINS },
        ...(kind === 'channel' || kind === 'session' ? { quota: 100, memQuota: 1 << 20 } : {}),
      });
      live.push(cli);
      k.grant(clientEp.from, clientEp.slot, cli.task, { slot: 3 });
      k.grant(home, report, cli.task, { slot: 4 });
      k.grant(home, go, cli.task, { slot: 5 });
    }
    const collect = (label: number): Promise<string[]> =>
      k.exec(home, function* (sys) {
        const got: string[] = [];
        while (got.length < pairs) {
          const st: number = yield sys.recv(report);
          if (st !== Status.Ok) throw new Error(`${row}: report recv failed: ${st}`);
          if (sys.utcb.label === label) got.push(String(sys.utcb.itemsIn[0] ?? ''));
        }
        return got;
      });
    await collect(8);
    const t0 = performance.now();
    const done = collect(9);
    await k.exec(home, function* (sys) {
      for (const g of gos) yield sys.signal(g);
    });
    const reports = (await done).map((s) => JSON.parse(s) as { ok: number; ms: number });
    const ms = performance.now() - t0;
    const ok = reports.reduce((a, r) => a + r.ok, 0);
    if (ok !== each * pairs) throw new Error(`${row}: ${ok} of ${each * pairs} calls answered`);
    return nsPer(ms, each * pairs);
  } finally {
    await Promise.all(live.map((it) => it.kill()));
  }
}

/** Resident memory per idle isolated task: 4 tasks blocked in recv, RSS growth / 4. */
async function idleMemory(): Promise<number> {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const count = 4;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  const live: IsolatedTask[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const it = createIsolatedTask(k, `idle${i}`, { module: BODIES, export: 'idle', arg: { ep: 3 } });
      k.grant(home, ep, it.task, { slot: 3 });
      live.push(it);
    }
    const deadline = performance.now() + 30_000;
    while (!live.every((it) => it.thread.state === ThreadState.BlockedRecv)) {
      if (performance.now() > deadline) throw new Error('worker.memory.idle: the tasks did not reach their recv');
      await new Promise((r) => setTimeout(r, 20));
    }
    gc?.();
    return (process.memoryUsage().rss - before) / count;
  } finally {
    await Promise.all(live.map((it) => it.kill()));
  }
}

export const group: RowGroup = {
  name: 'worker',
  rank: 65,
  rows: [
    {
      name: 'worker.sab.pingpong',
      what: 'the floor: raw SharedArrayBuffer round trip between two workers, spin then Atomics.wait',
      iterations: 200_000,
      samples: 5,
      warmup: 1,
      run: pingpong,
    },
    {
      name: 'worker.call.kernel',
      what: 'call + replyRecv, 4 words, continuation threads (as kernel.call.fast), client and server each an isolated task in its own worker, the server serving its endpoint directly (serveDirect: after a first call through the kernel the calls go worker to worker through a link)',
      iterations: 200_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'kernel', 'worker.call.kernel'),
    },
    {
      name: 'worker.call.kernel.gen',
      what: 'worker.call.kernel with generator threads on both sides (as kernel.call.fast.gen)',
      iterations: 200_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'kernel.gen', 'worker.call.kernel.gen'),
    },
    {
      name: 'worker.call.relay',
      what: 'worker.call.kernel with the server not serving directly: every call and reply crosses the kernel in the main thread',
      iterations: 50_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'relay', 'worker.call.relay'),
    },
    {
      name: 'worker.call.null',
      what: 'libcap null RPC: stub client and Bucket server, each an isolated task in its own worker',
      iterations: 50_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'null', 'worker.call.null'),
    },
    {
      name: 'worker.call.session',
      what: 'libcap null RPC through a session (the same stub, Bucket and handler; shared memory, the kernel only for wake-ups), client and server each an isolated task in its own worker',
      iterations: 200_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'session', 'worker.call.session'),
    },
    {
      name: 'worker.call.channel',
      what: '16 bytes each way through a libmem channel (two rings, wake-ups by notification), client and server each an isolated task in its own worker',
      iterations: 200_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'channel', 'worker.call.channel'),
    },
    {
      name: 'worker.peers.comlink',
      what: 'Comlink 4 between two workers (a transferred MessageChannel), awaited inc()',
      iterations: 20_000,
      samples: 5,
      warmup: 1,
      run: comlink,
    },
    {
      name: 'worker.throughput.1pair',
      what: 'ns per RPC summed over clients: one isolated client/server pair, 4-word calls, the server serving directly (as worker.call.kernel)',
      iterations: 50_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 1, 'kernel', 'worker.throughput.1pair'),
    },
    {
      name: 'worker.throughput.2pairs',
      what: 'ns per RPC summed over clients: two isolated client/server pairs at once, 4-word calls, each server serving directly (as worker.call.kernel)',
      iterations: 50_000,
      samples: 5,
      warmup: 1,
      run: (n) => pairsRun(n, 2, 'kernel', 'worker.throughput.2pairs'),
    },
    {
      name: 'worker.memory.idle',
      what: 'resident memory of an idle isolated task (its worker and ring), 4 tasks blocked in recv',
      unit: 'bytes',
      per: 'task',
      iterations: 1,
      samples: 3,
      warmup: 0,
      run: idleMemory,
    },
  ],
  targets: [
    { kind: 'at-most', row: 'worker.call.kernel', reference: 'worker.sab.pingpong', factor: 2 },
    { kind: 'faster-by', row: 'worker.call.null', reference: 'worker.peers.comlink', factor: 10 },
    { kind: 'faster-by', row: 'worker.call.session', reference: 'worker.peers.comlink', factor: 10 },
    { kind: 'faster-by', row: 'worker.call.channel', reference: 'worker.peers.comlink', factor: 10 },
    { kind: 'faster-by', row: 'worker.throughput.2pairs', reference: 'worker.throughput.1pair', factor: 1.5 },
  ],
};
