// The host-side kernel API: the exec facade, virtual time (advance, auto-advance,
// settle), host waits, introspection of threads, queues and caps, counters and tracing.

import { describe, expect, it } from 'vitest';
import {
  CAP_SELF,
  FaultKind,
  Kernel,
  RealClock,
  RECV_PHASE,
  RecordingTracer,
  Rights,
  Status,
  ThreadKilledError,
  VirtualClock,
  endpointInfo,
  snapshot,
  taskSnapshot,
  threadInfo,
  type Sys,
  type SysGen,
} from '../../core/index.ts';
import { capsOf, kernel, rig, stateOf } from './harness.ts';

describe('exec facade', () => {
  it('exec resolves with what a generator body returns', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const ep = k.createEndpoint(a);
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(ep);
      for (;;) {
        sys.utcb.mr[0] = sys.utcb.mr[0]! + 1;
        yield sys.replyRecv(ep, 0, 1);
      }
    });
    const r = await k.exec(a, function* (sys): SysGen<[number, number]> {
      sys.utcb.mr[0] = 41;
      const st = yield sys.call(ep, 5, 1);
      return [st, sys.utcb.mr[0]!];
    });
    expect(r).toEqual([Status.Ok, 42]);
  });

  it('exec runs a continuation body and resolves when it returns null', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const seen: number[] = [];
    const r = await k.exec(a, (sys: Sys) => {
      let n = 0;
      return (st) => {
        seen.push(st);
        return n++ < 2 ? sys.sleep(10) : null;
      };
    });
    expect(r).toBeUndefined();
    expect(seen).toEqual([Status.Ok, Status.Timeout | RECV_PHASE, Status.Timeout | RECV_PHASE]);
    expect(k.now()).toBe(20);
  });

  it('exec rejects with the error a body throws, without a fault message', async () => {
    const k = kernel();
    const a = k.createTask('a');
    await expect(
      k.exec(a, function* () {
        throw new RangeError('from the body');
      }),
    ).rejects.toThrow('from the body');
    expect(k.counters.faults).toBe(0);
  });

  it('exec rejects when the body yields something that is not a syscall', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const rogue = function* () {
      yield 42;
    } as unknown as Parameters<Kernel['exec']>[1];
    await expect(k.exec(a, rogue)).rejects.toBeInstanceOf(TypeError);
  });

  it('exec rejects with ThreadKilledError when its task is deleted', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const p = k.exec(a, function* (sys) {
      yield sys.sleep(100);
    });
    k.run();
    k.deleteTask(a);
    await expect(p).rejects.toBeInstanceOf(ThreadKilledError);
  });

  it('virtual time auto-advances while an exec is pending', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const r = await k.exec(a, function* (sys): SysGen<number[]> {
      const st = yield sys.sleep(1000);
      return [st, sys.now()];
    });
    expect(r).toEqual([Status.Timeout | RECV_PHASE, 1000]);
    expect(k.now()).toBe(1000);
  });

  it('without auto-advance, time moves only with advance()', async () => {
    const k = new Kernel({ clock: new VirtualClock(false) });
    const a = k.createTask('a');
    let done = false;
    const p = k
      .exec(a, function* (sys) {
        yield sys.sleep(100);
      })
      .then(() => (done = true));
    await k.settle();
    expect(done).toBe(false);
    expect(k.now()).toBe(0);
    k.advance(99);
    await k.settle();
    expect(done).toBe(false);
    k.advance(1);
    await p;
    expect(done).toBe(true);
    expect(k.now()).toBe(100);
  });

  it('no virtual time passes while no exec is pending', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const t = k.spawn(a, function* (sys: Sys) {
      yield sys.sleep(50);
    });
    await k.settle();
    expect(stateOf(t)).toBe('sleeping');
    expect(k.now()).toBe(0);
  });

  it('host waits: sys.await parks a thread until a host promise settles', async () => {
    const k = kernel();
    const a = k.createTask('a');
    let resolve: (v: string) => void = () => {};
    const device = new Promise<string>((r) => (resolve = r));
    const t = k.spawn(a, function* (sys: Sys) {
      const v = yield* sys.await(device);
      sys.utcb.label = v.length;
    });
    await k.settle();
    expect(stateOf(t)).toBe('host-wait');
    expect(threadInfo(t).blockedOn).toBe('host');
    resolve('ready');
    await k.settle();
    expect(stateOf(t)).toBe('exited');
    expect(t.utcb.label).toBe(5);
  });

  it('host waits: a rejected promise is thrown into the body', async () => {
    const k = kernel();
    const a = k.createTask('a');
    const r = await k.exec(a, function* (sys) {
      try {
        yield* sys.await(Promise.reject(new Error('device failed')));
        return 'no';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(r).toBe('device failed');
  });
});

describe('virtual time', () => {
  it('advance() moves the clock, fires due timers in order and runs what they wake', () => {
    const k = kernel();
    const a = k.createTask('a');
    const log: string[] = [];
    for (const ms of [30, 10, 20]) {
      k.spawn(a, function* (sys: Sys) {
        yield sys.sleep(ms);
        log.push(`${ms}@${sys.now()}`);
        yield sys.sleep(100);
        log.push(`${ms}+100@${sys.now()}`);
      });
    }
    k.run();
    k.advance(25);
    expect(log).toEqual(['10@10', '20@20']);
    expect(k.now()).toBe(25);
    k.advance(100);
    expect(log).toEqual(['10@10', '20@20', '30@30', '10+100@110', '20+100@120']);
    expect(k.now()).toBe(125);
  });

  it('advance() rejects a negative or NaN time and a real clock', () => {
    const k = kernel();
    expect(() => k.advance(-1)).toThrow(RangeError);
    expect(() => k.advance(Number.NaN)).toThrow(RangeError);
    const real = new Kernel({ clock: new RealClock() });
    expect(() => real.advance(1)).toThrow();
  });

  it('the host API rejects bad priorities and cap space sizes', () => {
    const k = kernel();
    const a = k.createTask('a');
    expect(() => k.spawn(a, function* () {}, { priority: 256 })).toThrow(RangeError);
    expect(() => k.spawn(a, function* () {}, { priority: -1 })).toThrow(RangeError);
    expect(() => k.spawn(a, function* () {}, { priority: 1.5 })).toThrow(RangeError);
    expect(() => k.createTask('b', { slots: 4 })).toThrow(RangeError);
    expect(() => k.grant(a, 300, a)).toThrow();
    expect(snapshot(k).tasks.map((t) => t.name)).toEqual(['a']);
  });

  it('run() cannot be re-entered from a kernel thread', () => {
    const k = kernel();
    const a = k.createTask('a');
    let err: unknown = null;
    k.spawn(a, function* (sys: Sys) {
      try {
        k.run();
      } catch (e) {
        err = e;
      }
      yield sys.yield();
    });
    k.run();
    expect(err).toBeInstanceOf(Error);
    expect(k.idle).toBe(true);
  });
});

describe('introspection', () => {
  it('thread states and what each waits on are readable', () => {
    const k = kernel();
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const ep2 = k.createEndpoint(srv);
    const n = k.createNotification(srv);
    const cep = k.grant(srv, ep, cli, { rights: Rights.Call });
    const fep = k.createEndpoint(srv);
    const recv = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep2, 500);
    });
    const wait = k.spawn(srv, function* (sys: Sys) {
      sys.bind(n);
      yield sys.wait(n);
    });
    const sleeper = k.spawn(srv, function* (sys: Sys) {
      yield sys.sleep(70);
    });
    const sender = k.spawn(cli, function* (sys) {
      yield sys.call(cep, 1);
    });
    const faulty = k.spawn(
      srv,
      function* () {
        throw new Error('x');
      },
      { faultHandler: fep },
    );
    const stopped = k.spawn(srv, function* () {
      throw new Error('y');
    });
    const ep3 = k.createEndpoint(srv);
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep3);
      sys.saveCaller(90);
    });
    const caller = k.spawn(srv, function* (sys: Sys) {
      yield sys.call(ep3, 1);
    });
    const ready = k.spawn(srv, function* () {}, { priority: 0 });
    const suspended = k.spawn(srv, function* () {});
    k.suspendThread(suspended);
    // A priority-1 thread looks at the priority-0 one, which cannot have run yet.
    const seenFromInside: string[] = [];
    k.spawn(srv, function* () {
      seenFromInside.push(stateOf(ready), threadInfo(k.currentThread!).state);
    }, { priority: 1 });
    k.run();
    expect(threadInfo(recv)).toMatchObject({ state: 'blocked-recv', blockedOn: `endpoint ${srv.cspace.get(ep2)!.obj.id}`, deadline: 500 });
    expect(threadInfo(wait)).toMatchObject({ state: 'blocked-notification', blockedOn: `notification ${srv.cspace.get(n)!.obj.id}`, bound: srv.cspace.get(n)!.obj.id });
    expect(threadInfo(sleeper)).toMatchObject({ state: 'sleeping', blockedOn: 'sleep', deadline: 70 });
    expect(threadInfo(sender)).toMatchObject({ state: 'blocked-send', blockedOn: `endpoint ${srv.cspace.get(ep)!.obj.id}`, deadline: null });
    expect(threadInfo(faulty)).toMatchObject({ state: 'faulted (blocked-send)', fault: FaultKind.UserException });
    expect(threadInfo(stopped)).toMatchObject({ state: 'faulted', fault: FaultKind.UserException });
    expect(threadInfo(suspended).state).toBe('suspended');
    expect(threadInfo(caller)).toMatchObject({ state: 'blocked-reply', blockedOn: 'reply', blockedOnId: -1 });
    expect(stateOf(ready)).toBe('exited');
    expect(seenFromInside).toEqual(['ready', 'running']);
    expect(endpointInfo(srv.cspace.get(ep)!.obj as Parameters<typeof endpointInfo>[0])).toMatchObject({ state: 'send', queue: [sender.id] });
  });

  it('snapshot lists tasks, caps, endpoint queues, notifications and factories', () => {
    const k = kernel();
    const srv = k.createTask('srv', { quota: 5 });
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const n = k.createNotification(srv);
    const cep = k.grant(srv, ep, cli, { rights: Rights.Call, badge: 12 });
    const r = k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
    }, { name: 'server' });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.signal(n);
    });
    k.run();
    const s = snapshot(k);
    expect(s.time).toBe(0);
    expect(s.tasks.map((t) => t.name)).toEqual(['srv', 'cli']);
    expect(s.tasks[0]!.threads.map((t) => [t.name, t.state])).toEqual([['server', 'blocked-recv']]);
    const epId = srv.cspace.get(ep)!.obj.id;
    expect(capsOf(k, cli)).toEqual([
      { slot: CAP_SELF, kind: 'task', object: cli.id, rights: 'RWGr', badge: 0 },
      { slot: cep, kind: 'endpoint', object: epId, rights: '-W-r', badge: 12 },
    ]);
    expect(taskSnapshot(srv).caps.map((c) => c.kind)).toEqual(['task', 'factory', 'endpoint', 'notification']);
    expect(s.endpoints.find((e) => e.id === epId)).toEqual({ id: epId, state: 'recv', queue: [r.id], readers: 1, dead: false, caps: 2 });
    expect(s.notifications.find((x) => x.id === srv.cspace.get(n)!.obj.id)).toMatchObject({ word: 0, pending: true, waiters: [], bound: null });
    expect(s.factories.find((f) => f.limit === 5)).toEqual({ id: srv.cspace.get(2)!.obj.id, limit: 5, used: 0 });
  });

  it('identify, taskInfo and watchTask read and watch other objects through caps', () => {
    const k = kernel();
    const boss = k.createTask('boss');
    const worker = k.createTask('worker');
    const wcap = k.grant(worker, CAP_SELF, boss, { rights: Rights.Read | Rights.Write });
    const n = k.createNotification(boss);
    const watch = k.grant(boss, n, boss, { rights: Rights.Write, badge: 0x8 });
    k.spawn(worker, function* (sys: Sys) {
      yield sys.sleep(5);
    });
    const out: unknown[] = [];
    k.spawn(boss, function* (sys: Sys) {
      const id = sys.identify(wcap);
      out.push(id && { ...id, serial: typeof id.serial });
      const info = sys.taskInfo(wcap);
      out.push(info.ok ? info.value : info.status);
      out.push(sys.watchTask(wcap, watch));
      out.push(sys.killTask(wcap));
      out.push(yield sys.wait(n), sys.utcb.badge);
      const after = sys.taskInfo(wcap);
      out.push(after.ok ? after.value.alive : after.status);
      out.push(sys.identify(999));
    });
    k.run();
    expect(out).toEqual([
      { kind: 4, rights: Rights.Read | Rights.Write, badge: 0, object: worker.id, dead: false, serial: 'number' },
      { id: worker.id, name: 'worker', alive: true, threads: 1 },
      Status.Ok,
      Status.Ok,
      Status.Ok,
      0x8,
      false,
      null,
    ]);
  });
});

describe('counters and tracing', () => {
  it('counters count messages, signals, timeouts, faults and switches', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ep = k.createEndpoint(a);
    const n = k.createNotification(a);
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(ep);
      yield sys.reply(0);
    });
    k.spawn(a, function* (sys: Sys) {
      yield sys.call(ep, 1);
      yield sys.signal(n);
      yield sys.signal(n);
      yield sys.sleep(3);
      yield sys.nbsend(ep, 1); // dropped: not a message
      throw new Error('fault');
    });
    k.run();
    k.advance(3);
    const c = k.counters;
    expect(c).toMatchObject({ messages: 2, signals: 2, timeouts: 1, faults: 1 });
    expect(c.switches).toBeGreaterThanOrEqual(1);
    expect(c.fastpath).toBe(1); // the call to a waiting server
    expect(snapshot(k).counters).toEqual(c);
  });

  it('the tracer sees one ordered event stream with increasing seq and virtual times', () => {
    const { k, tr } = rig();
    const a = k.createTask('a');
    const ep = k.createEndpoint(a);
    const srv = k.spawn(a, function* (sys: Sys) {
      yield sys.recv(ep);
      yield sys.sleep(4);
      yield sys.reply(2);
    }, { name: 'srv' });
    const cli = k.spawn(a, function* (sys: Sys) {
      sys.utcb.mr[0] = 9;
      yield sys.call(ep, 1, 1);
    }, { name: 'cli' });
    k.run();
    k.advance(4);
    const summary = tr.events.map((e) => {
      switch (e.type) {
        case 'thread':
          return `${e.time} thread ${e.name} ${e.event}`;
        case 'block':
          return `${e.time} block ${e.thread === srv.id ? 'srv' : 'cli'} ${e.state}`;
        case 'ipc':
          return `${e.time} ipc ${e.op} ${e.label} [${e.words.join(',')}]`;
        case 'wake':
          return `${e.time} wake ${e.reason}`;
        default:
          return `${e.time} ${e.type}`;
      }
    });
    expect(summary).toEqual([
      '0 thread srv start',
      '0 thread cli start',
      '0 block srv blocked-recv',
      '0 ipc call 1 [9]',
      '0 block srv sleeping',
      '4 wake timeout',
      '4 ipc reply 2 []',
      '4 thread srv exit',
      '4 thread cli exit',
    ]);
    const call = tr.events.find((e) => e.type === 'ipc' && e.op === 'call');
    const reply = tr.events.find((e) => e.type === 'ipc' && e.op === 'reply');
    expect(call).toMatchObject({ sender: cli.id, receiver: srv.id, endpoint: a.cspace.get(ep)!.obj.id, badge: 0 });
    expect(reply).toMatchObject({ sender: srv.id, receiver: cli.id, endpoint: -1, callId: (call as { callId: number }).callId });
    const seqs = tr.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('a tracer attached later sees only later events; detaching stops them', () => {
    const k = kernel();
    const a = k.createTask('a');
    k.spawn(a, function* (sys: Sys) {
      yield sys.sleep(1);
    });
    k.run();
    const tr = new RecordingTracer();
    k.setTracer(tr);
    k.advance(1);
    const n = tr.events.length;
    expect(tr.events.map((e) => e.type)).toEqual(['wake', 'thread']);
    k.setTracer(null);
    k.spawn(a, function* () {});
    k.run();
    expect(tr.events.length).toBe(n);
  });
});

describe('identify', () => {
  it('Decision 10: identify tells the holder of an endpoint cap that the endpoint is dead', () => {
    const k = new Kernel({ clock: new VirtualClock() });
    const srv = k.createTask('srv');
    const cli = k.createTask('cli');
    const ep = k.createEndpoint(srv);
    const c = k.grant(srv, ep, cli, { rights: Rights.Call });
    const seen: (boolean | undefined)[] = [];
    k.spawn(cli, function* (sys: Sys) {
      seen.push(sys.identify(c)?.dead);
      yield sys.sleep(10);
      seen.push(sys.identify(c)?.dead);
    });
    k.run();
    k.deleteTask(srv);
    k.advance(10);
    expect(seen).toEqual([false, true]);
  });
});
