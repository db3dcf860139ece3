// Isolated tasks on real time: bodies in worker threads talk to in-process tasks and to
// each other through the kernel, with the same statuses; a worker that throws, exits,
// runs out of memory or hangs dies as a task. Waits are bounded by vitest timeouts.

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, Status, statusName, type Task } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { Bucket, defineClass, fail, RpcFailure } from '../../../libcap/index.ts';
import { Counter } from './fixtures/bodies.ts';

const BODIES = new URL('./fixtures/bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];

function isolated(k: Kernel, name: string, exp: string, arg: unknown, extra: Record<string, unknown> = {}): IsolatedTask {
  const it = createIsolatedTask(k, name, { module: BODIES, export: exp, arg, ...extra });
  live.push(it);
  return it;
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

/** A server task (in-process) owning an endpoint; returns the endpoint slot. */
function endpointIn(k: Kernel, t: Task): number {
  return k.createEndpoint(t);
}

describe('isolated tasks', () => {
  it('an isolated server answers an in-process client, with items and badges', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const srv = isolated(k, 'srv', 'adder', { ep: 3 });
    // The same synchronous turn: the cap is there before the body's first syscall.
    k.grant(home, ep, srv.task, { slot: 3 });
    const cli = k.createTask('cli');
    const cep = k.grant(home, ep, cli, { badge: 5 });
    const r = await k.exec(cli, function* (sys) {
      const u = sys.utcb;
      u.mr[0] = 40;
      u.mr[1] = 2;
      u.items[0] = 'hello';
      u.items[1] = new Uint8Array([1, 2, 3]);
      const st = yield sys.call(cep, 1, 2, 0, 2);
      return { st, label: u.label, sum: u.mr[0], badge: u.mr[1], task: u.mr[2], items: [u.itemsIn[0], [...(u.itemsIn[1] as Uint8Array)]] };
    });
    expect(r).toEqual({ st: Status.Ok, label: 7, sum: 42, badge: 5, task: srv.task.id, items: ['olleh', [2, 3, 4]] });
  });

  it('an isolated client calls an in-process server', async () => {
    const k = new Kernel();
    const srvT = k.createTask('srv');
    const ep = endpointIn(k, srvT);
    const report = endpointIn(k, srvT);
    const cli = isolated(k, 'cli', 'caller', { ep: 3, count: 50, report: 4 });
    k.grant(srvT, ep, cli.task, { slot: 3 });
    k.grant(srvT, report, cli.task, { slot: 4 });
    const got = await k.exec(srvT, function* (sys) {
      const u = sys.utcb;
      let st = yield sys.recv(ep);
      for (;;) {
        if (u.label === 9) return { good: u.mr[0], last: u.mr[1] };
        u.mr[0] = u.mr[0]! + u.mr[1]!;
        st = yield sys.replyRecv(ep, 7, 1);
        if (st !== Status.Ok) return { st };
        // the report arrives on the other endpoint: poll it between calls
        if (u.label !== 1) break;
        if (u.mr[0] === 49 && u.mr[1] === 1) {
          // last call received: answer it and take the report
          u.mr[0] = 50;
          yield sys.reply(7, 1);
          yield sys.recv(report);
          return { good: u.mr[0], last: u.mr[1] };
        }
      }
      return { st };
    });
    expect(got).toEqual({ good: 50, last: Status.Ok });
  });

  it('two isolated tasks talk through the kernel, and a mixed system keeps working', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const report = endpointIn(k, home);
    const srv = isolated(k, 'srv', 'adder', { ep: 3 });
    k.grant(home, ep, srv.task, { slot: 3 });
    const cli = isolated(k, 'cli', 'caller', { ep: 3, count: 200, report: 4 });
    k.grant(home, ep, cli.task, { slot: 3 });
    k.grant(home, report, cli.task, { slot: 4 });
    // An in-process client of the same server meanwhile.
    const local = k.exec(home, function* (sys) {
      let ok = 0;
      for (let i = 0; i < 20; i++) {
        sys.utcb.mr[0] = i;
        sys.utcb.mr[1] = 10;
        if ((yield sys.call(ep, 1, 2)) === Status.Ok && sys.utcb.mr[0] === i + 10) ok++;
      }
      return ok;
    });
    const rep = await k.exec(home, function* (sys) {
      yield sys.recv(report);
      return { good: sys.utcb.mr[0], last: sys.utcb.mr[1] };
    });
    expect(rep).toEqual({ good: 200, last: Status.Ok });
    expect(await local).toBe(20);
  });

  it('invocations cross the ring: slots, badges, identify, errors with detail, timeouts', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const report = endpointIn(k, home);
    const w = isolated(k, 'inv', 'invoker', { ep: 3, report: 4 });
    k.grant(home, ep, w.task, { slot: 3 });
    k.grant(home, report, w.task, { slot: 4 });
    const text = await k.exec(home, function* (sys) {
      yield sys.recv(report);
      return sys.utcb.itemsIn[0] as string;
    });
    const r = JSON.parse(text) as Record<string, unknown>;
    expect(r.m).toBe(Status.Ok);
    expect(r.badge).toBe(42);
    expect(r.badCall).not.toBe(Status.Ok);
    expect(statusName(r.badCall as number)).toMatch(/InvalidCapability|RangeError/);
    expect(r.errArg).not.toBe('');
    expect(r.to).toBe(Status.Timeout | 0x40);
    expect(r.del).toBe(Status.Ok);
    expect(r.gone).toBeNull();
  });
});

describe('several threads in an isolated task', () => {
  it('createThread starts a thread whose body runs in the worker; only in its own task; the task stays when all return', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const report = endpointIn(k, home);
    const stranger = k.createTask('stranger');
    const two = isolated(k, 'two', 'twoThreads', { ep: 3, report: 4, other: 5 }, { quota: 10 });
    k.grant(home, ep, two.task, { slot: 3 });
    k.grant(home, report, two.task, { slot: 4 });
    k.grant(stranger, 1, two.task, { slot: 5 }); // CAP_SELF of another task, all rights
    const got = await k.exec(home, function* (sys) {
      const u = sys.utcb;
      const from: number[] = [];
      for (let i = 0; i < 2; i++) {
        const st: number = yield sys.recv(ep);
        if (st !== Status.Ok) throw new Error(`recv ${st}`);
        from.push(u.mr[0]!);
        u.mr[0] = u.mr[0]! * 10;
        yield sys.reply(0, 1);
      }
      yield sys.recv(report);
      return { from: from.sort(), rep: JSON.parse(u.itemsIn[0] as string) as unknown };
    });
    expect(got).toEqual({ from: [1, 2], rep: { ok: Status.Ok, foreign: Status.InvalidArgument, detail: 'task', st: Status.Ok, answer: 10 } });
    expect((await two.done).reason).toBe('returned');
    expect(two.task.alive).toBe(true);
  });
});

describe('libcap in isolated tasks', () => {
  it('a libcap stub client runs unchanged in an isolated task against a Bucket server', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const report = endpointIn(k, home);
    const srv = k.createTask('srv', { quota: 100 });
    const cls = defineClass({
      name: 'counter',
      interface: Counter,
      init: () => ({}),
      handlers: {
        inc: (_c, { x }) => ({ x: x + 1 }),
        shout: (_c, { s }) => ({ s: s.toUpperCase() }),
        fail: () => fail('EINVAL'),
      },
    });
    const bucket = Bucket.start(k, srv, { minWorkers: 1, maxWorkers: 1 });
    const obj = bucket.create(cls, undefined);
    if (obj instanceof RpcFailure) throw new Error(obj.error);
    const cli = isolated(k, 'cli', 'libcapClient', { cap: 3, report: 4 });
    const holder = k.createTask('holder');
    k.grant(holder, bucket.install(obj, holder), cli.task, { slot: 3 });
    k.grant(home, report, cli.task, { slot: 4 });
    const text = await k.exec(home, function* (sys) {
      yield sys.recv(report);
      return sys.utcb.itemsIn[0] as string;
    });
    expect(JSON.parse(text)).toEqual({ x: 100, shout: 'HÉLLO', fail: 'EINVAL' });
  });
});

describe('death of an isolated task', () => {
  async function dies(exp: string, extra: Record<string, unknown> = {}): Promise<{ st: number; reason: string; alive: boolean; other: number }> {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const w = isolated(k, exp, exp, { ep: 3 }, extra);
    k.grant(home, ep, w.task, { slot: 3 });
    // A bystander server keeps working after the death.
    const by = isolated(k, 'by', 'adder', { ep: 3 });
    const ep2 = endpointIn(k, home);
    k.grant(home, ep2, by.task, { slot: 3 });
    const st = await k.exec(home, function* (sys) {
      const s: number = yield sys.call(ep, 1, 0);
      return s;
    });
    const ended = await w.done;
    const other = await k.exec(home, function* (sys) {
      sys.utcb.mr[0] = 1;
      sys.utcb.mr[1] = 2;
      yield sys.call(ep2, 1, 2);
      return sys.utcb.mr[0]!;
    });
    return { st, reason: ended.reason, alive: w.task.alive, other };
  }

  it('a throw: the caller gets DeadPartner, the task is gone, others run', async () => {
    const r = await dies('thrower');
    expect(r).toEqual({ st: Status.DeadPartner | 0x40, reason: 'threw', alive: false, other: 3 });
  });

  it('process.exit in the worker', async () => {
    const r = await dies('exiter');
    expect(r).toEqual({ st: Status.DeadPartner | 0x40, reason: 'exited', alive: false, other: 3 });
  });

  it('the watchdog ends a body that never yields', async () => {
    const r = await dies('spinner', { watchdogMs: 300 });
    expect(r).toEqual({ st: Status.DeadPartner | 0x40, reason: 'watchdog', alive: false, other: 3 });
  });

  it('running out of memory (resourceLimits)', async () => {
    const r = await dies('hog', { resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    expect(r.st).toBe(Status.DeadPartner | 0x40);
    expect(r.alive).toBe(false);
    expect(r.other).toBe(3);
  });

  it('killing the task ends its worker', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const ep = endpointIn(k, home);
    const w = isolated(k, 'srv', 'adder', { ep: 3 });
    k.grant(home, ep, w.task, { slot: 3 });
    k.deleteTask(w.task);
    expect((await w.done).reason).toBe('killed');
  });
});
