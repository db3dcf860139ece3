// Kernel scenarios the benchmark rows time: a client calling a waiting server, a sender
// feeding a waiting receiver, a signaller waking a waiter. Each builds its own kernel,
// leaves the partner already blocked, then times only the loop and reports the counters
// so the row can check which path the kernel took.

import { Kernel, Rights, Status, ThreadState, VirtualClock, type Sys, type Syscall, type Thread, type ThreadBody, type Tracer } from '../core/index.ts';

/** Continuations (stackless, the kernel's fastest form) or generators (`yield sys.op()`). */
export type ThreadForm = 'continuation' | 'generator';

export interface CallPairOptions {
  readonly form: ThreadForm;
  /** Words in each call and each reply. */
  readonly words: number;
  /** Map one cap (a notification cap of the client) into the server with every call. */
  readonly passCap?: boolean;
  readonly tracer?: Tracer;
}

/** What one timed loop did: wall time and the kernel counters it moved. */
export interface LoopRun {
  readonly ms: number;
  readonly fast: number;
  readonly slow: number;
  readonly messages: number;
  readonly signals: number;
}

/** A kernel with a server waiting in replyRecv; `calls(n)` runs a client making n calls. */
export interface CallPair {
  readonly kernel: Kernel;
  calls(n: number): LoopRun;
}

/** What the threads report back to the host (a throw inside a thread would become a fault). */
interface Outcome {
  done: number;
  failure: string | null;
}

function fail(o: Outcome, what: string): null {
  if (o.failure === null) o.failure = what;
  return null;
}

/** Run the kernel until idle, timing it and taking the counter deltas. */
function timedRun(k: Kernel): LoopRun {
  const c0 = k.counters;
  const t0 = performance.now();
  k.run();
  const ms = performance.now() - t0;
  const c1 = k.counters;
  return {
    ms,
    fast: c1.fastpath - c0.fastpath,
    slow: c1.slowpath - c0.slowpath,
    messages: c1.messages - c0.messages,
    signals: c1.signals - c0.signals,
  };
}

function expectBlocked(t: Thread, state: number, what: string): void {
  if (t.state !== state) throw new Error(`${what} is ${t.stateName}, not waiting, before the timed loop`);
}

function checkOutcome(o: Outcome, n: number, what: string): void {
  if (o.failure !== null) throw new Error(`${what}: ${o.failure}`);
  if (o.done !== n) throw new Error(`${what}: completed ${o.done} of ${n}`);
}

/**
 * Server: answers every call with MR0 + 1 and the other words unchanged. With `passCap`
 * it checks the cap arrived in its receive slot and deletes it before the next receive.
 */
function adderServer(ep: number, o: CallPairOptions, out: Outcome): ThreadBody {
  const { words } = o;
  const passCap = o.passCap === true;
  if (o.form === 'continuation') {
    return (sys: Sys) => {
      const u = sys.utcb;
      const slot = passCap ? sys.allocSlot() : 0;
      u.recvSlots[0] = slot;
      let first = true;
      return () => {
        if (first) first = false;
        else {
          if (passCap && (u.capCount !== 1 || sys.delete(slot) !== Status.Ok)) return fail(out, 'server did not get the cap');
          u.mr[0] = u.mr[0]! + 1;
        }
        return sys.replyRecv(ep, 0, words);
      };
    };
  }
  return adderServerGen.bind(null, ep, words, passCap, out);
}

// The generator forms are defined once and bound to their state: a generator function
// made per run gives each run's generators a new map, which deoptimises the kernel's
// resume of generator threads once per sample (a cost of the harness, not of the kernel).

function* adderServerGen(ep: number, words: number, passCap: boolean, out: Outcome, sys: Sys): Generator<Syscall, null, number> {
  const u = sys.utcb;
  const slot = passCap ? sys.allocSlot() : 0;
  u.recvSlots[0] = slot;
  yield sys.recv(ep);
  for (;;) {
    if (passCap && (u.capCount !== 1 || sys.delete(slot) !== Status.Ok)) return fail(out, 'server did not get the cap');
    u.mr[0] = u.mr[0]! + 1;
    yield sys.replyRecv(ep, 0, words);
  }
}

function* adderClientGen(cep: number, n: number, words: number, caps: number, setUp: (sys: Sys) => void, out: Outcome, sys: Sys): Generator<Syscall, null, number> {
  setUp(sys);
  const u = sys.utcb;
  for (let i = 1; i <= n; i++) {
    u.mr[0] = i;
    const st = yield sys.call(cep, 1, words, caps);
    if (st !== Status.Ok || u.mr[0] !== i + 1) return fail(out, `call ${i} answered status ${st}, mr0 ${u.mr[0]}`);
  }
  out.done = n;
  return null;
}

/** Client: n calls with MR0 = i, checking each reply is i + 1. */
function adderClient(cep: number, capSlot: number, n: number, o: CallPairOptions, out: Outcome): ThreadBody {
  const { words } = o;
  const caps = o.passCap === true ? 1 : 0;
  const setUp = (sys: Sys): void => {
    const u = sys.utcb;
    for (let j = 1; j < words; j++) u.mr[j] = j;
    u.caps[0] = capSlot;
  };
  if (o.form === 'continuation') {
    return (sys: Sys) => {
      setUp(sys);
      const u = sys.utcb;
      let i = 0;
      return (st: number) => {
        if (i > 0 && (st !== Status.Ok || u.mr[0] !== i + 1)) return fail(out, `call ${i} answered status ${st}, mr0 ${u.mr[0]}`);
        if (i === n) {
          out.done = n;
          return null;
        }
        u.mr[0] = ++i;
        return sys.call(cep, 1, words, caps);
      };
    };
  }
  return adderClientGen.bind(null, cep, n, words, caps, setUp, out);
}

/** Build a client/server pair; the server is already blocked in receive when this returns. */
export function callPair(o: CallPairOptions): CallPair {
  const k = new Kernel({ clock: new VirtualClock(), tracer: o.tracer ?? null });
  const srv = k.createTask('server');
  const cli = k.createTask('client');
  const ep = k.createEndpoint(srv);
  const cep = k.grant(srv, ep, cli, { rights: o.passCap === true ? Rights.CallGrant : Rights.Call, badge: 7 });
  const capSlot = o.passCap === true ? k.createNotification(cli) : 0;
  const serverOut: Outcome = { done: 0, failure: null };
  const server = k.spawn(srv, adderServer(ep, o, serverOut), { name: 'server' });
  k.run();
  expectBlocked(server, ThreadState.BlockedRecv, 'the server');
  return {
    kernel: k,
    calls(n: number): LoopRun {
      const out: Outcome = { done: 0, failure: null };
      k.spawn(cli, adderClient(cep, capSlot, n, o, out), { name: 'client' });
      const run = timedRun(k);
      if (serverOut.failure !== null) throw new Error(serverOut.failure);
      checkOutcome(out, n, 'client');
      return run;
    },
  };
}

/**
 * One-way sends to a receiver looping on recv at a higher priority, so it is waiting at
 * every send (each send switches to it; its recv switches back through the run queue).
 */
export function sendLoop(n: number, words: number): LoopRun {
  const k = new Kernel({ clock: new VirtualClock() });
  const rt = k.createTask('receiver');
  const st = k.createTask('sender');
  const ep = k.createEndpoint(rt);
  const sep = k.grant(rt, ep, st, { rights: Rights.Write, badge: 3 });
  const out: Outcome = { done: 0, failure: null };
  const receiver = k.spawn(
    rt,
    (sys: Sys) => {
      const u = sys.utcb;
      let got = -1;
      return (status: number) => {
        if (got >= 0 && (status !== Status.Ok || u.mr[0] !== got + 1 || u.badge !== 3)) return fail(out, `message ${got + 1} received wrong`);
        out.done = ++got;
        return sys.recv(ep);
      };
    },
    { name: 'receiver', priority: 101 },
  );
  k.run();
  expectBlocked(receiver, ThreadState.BlockedRecv, 'the receiver');
  k.spawn(
    st,
    (sys: Sys) => {
      const u = sys.utcb;
      let i = 0;
      return () => {
        if (i === n) return null;
        u.mr[0] = ++i;
        return sys.send(sep, 1, words);
      };
    },
    { name: 'sender', priority: 100 },
  );
  const run = timedRun(k);
  checkOutcome(out, n, 'receiver');
  return run;
}

/**
 * Signals to a notification a higher-priority thread waits on: each signal switches to
 * the waiter, whose next wait blocks and lets the signaller run again.
 */
export function signalLoop(n: number): LoopRun {
  const k = new Kernel({ clock: new VirtualClock() });
  const wt = k.createTask('waiter');
  const st = k.createTask('signaller');
  const note = k.createNotification(wt);
  const scap = k.grant(wt, note, st, { rights: Rights.Write, badge: 1 });
  const out: Outcome = { done: 0, failure: null };
  const waiter = k.spawn(
    wt,
    (sys: Sys) => {
      const u = sys.utcb;
      let got = -1;
      return (status: number) => {
        if (got >= 0 && (status !== Status.Ok || u.badge !== 1)) return fail(out, `wake ${got + 1}: status ${status}, word ${u.badge}`);
        out.done = ++got;
        return sys.wait(note);
      };
    },
    { name: 'waiter', priority: 101 },
  );
  k.run();
  expectBlocked(waiter, ThreadState.BlockedNotification, 'the waiter');
  k.spawn(
    st,
    (sys: Sys) => {
      let i = 0;
      return () => (i++ === n ? null : sys.signal(scap));
    },
    { name: 'signaller', priority: 100 },
  );
  const run = timedRun(k);
  checkOutcome(out, n, 'waiter');
  return run;
}

/** A tracer that only counts events: the cost of the tracing hooks, not of storing events. */
export class CountingTracer implements Tracer {
  count = 0;
  event(): void {
    this.count++;
  }
}

// ------------------------------------------------------------------ many thread bodies

/**
 * Eight servers, each a different continuation body (distinct functions, as in a real
 * system), and one client calling them in turn: the run loop's call site sees nine
 * bodies, so the JIT cannot specialise it on one pair of threads.
 */
const MIXED_SERVERS: ((ep: number) => ThreadBody)[] = [
  (ep) => (sys) => { const u = sys.utcb; let f = true; return () => { if (!f) u.mr[0] = u.mr[0]! + 1; f = false; return sys.replyRecv(ep, 0, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let first = true; return () => { if (!first) { u.mr[0] = u.mr[0]! + 1; u.mr[1] = 1; } first = false; return sys.replyRecv(ep, 1, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let n = 0; return () => { if (n++ > 0) u.mr[0] = 1 + u.mr[0]!; return sys.replyRecv(ep, 2, 4); }; },
  (ep) => (sys) => { const mr = sys.utcb.mr; let s = 0; return () => { if (s === 1) mr[0] = mr[0]! + 1; s = 1; return sys.replyRecv(ep, 3, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let go = false; return () => { if (go) { const x = u.mr[0]!; u.mr[0] = x + 1; } go = true; return sys.replyRecv(ep, 4, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let k = 0; return () => { if (k !== 0) u.mr[0] = u.mr[0]! + 1; k = 1; return sys.replyRecv(ep, 5, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let ready = false; return () => { if (ready) u.mr[0] = u.mr[0]! + 1; else ready = true; return sys.replyRecv(ep, 6, 4); }; },
  (ep) => (sys) => { const u = sys.utcb; let started = false; return () => { if (started) u.mr[0] = u.mr[0]! + 1; started = true; return sys.replyRecv(ep, 7, 4); }; },
];

/** n calls, spread over the eight servers in turn, all on the fast path; ns per call. */
export function mixedCalls(n: number): LoopRun {
  const k = new Kernel({ clock: new VirtualClock() });
  const cli = k.createTask('client');
  const caps: number[] = [];
  MIXED_SERVERS.forEach((body, i) => {
    const srv = k.createTask(`server${i}`);
    const ep = k.createEndpoint(srv);
    caps.push(k.grant(srv, ep, cli, { rights: Rights.Call, badge: i + 1 }));
    k.spawn(srv, body(ep), { name: `server${i}` });
  });
  k.run();
  const out: Outcome = { done: 0, failure: null };
  k.spawn(
    cli,
    (sys: Sys) => {
      const u = sys.utcb;
      let i = 0;
      return (st: number) => {
        if (i > 0 && (st !== Status.Ok || u.mr[0] !== i + 1)) return fail(out, `call ${i} answered status ${st}, mr0 ${u.mr[0]}`);
        if (i === n) {
          out.done = n;
          return null;
        }
        u.mr[0] = ++i;
        return sys.call(caps[i & 7]!, 1, 4);
      };
    },
    { name: 'client' },
  );
  const run = timedRun(k);
  checkOutcome(out, n, 'client');
  return run;
}
