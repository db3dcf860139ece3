// A libcap server (a Bucket, its manager and pool of threads) running unchanged in an
// isolated task: called from in-process and isolated clients; its worker dying gives
// its clients EPIPE while the rest keep running. Real time; waits are bounded.

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, Status, ThreadState, type Task, type Thread } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { stub } from '../../../libcap/index.ts';
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

/** Start the isolated counter server; resolves with the slot in `home` of a cap to its counter. */
async function counterServer(k: Kernel, home: Task, sessions = false, directSpinNs?: number): Promise<{ srv: IsolatedTask; cap: number }> {
  const boot = k.createEndpoint(home);
  const srv = isolated(k, 'srv', 'counterServer', { boot: 3, sessions, directSpinNs }, { quota: 1000, memQuota: sessions ? 1 << 20 : 0 });
  k.grant(home, boot, srv.task, { slot: 3 });
  const cap = await k.exec(home, function* (sys) {
    const slot = sys.allocSlot();
    sys.utcb.recvSlots[0] = slot;
    const st: number = yield sys.recv(boot);
    if (st !== Status.Ok || sys.utcb.capCount !== 1) throw new Error(`boot: status ${st}`);
    return slot;
  });
  return { srv, cap };
}

/** Bounded wait for a condition the kernel reaches on its own (a thread blocking). */
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('a Bucket in an isolated task', () => {
  it('serves an in-process client and an isolated client, deferred answers included', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const { srv, cap } = await counterServer(k, home);
    // Its threads: the first (ended after boot), the manager and the pool, each a proxy here.
    expect(srv.task.threads.size).toBeGreaterThanOrEqual(3);

    const cli = k.createTask('cli');
    const c = k.grant(home, cap, cli);
    const r = await k.exec(cli, function* (sys) {
      const s = stub(Counter, sys, c);
      let x = 0;
      for (let i = 0; i < 50; i++) {
        const a = yield* s.inc({ x });
        if (a.ok) x = a.value.x;
      }
      const sh = yield* s.shout({ s: 'abc' });
      const f = yield* s.fail();
      const l = yield* s.later({ x: 21 });
      return { x, sh: sh.ok ? sh.value.s : sh.error, f: f.ok ? 'ok' : f.error, l: l.ok ? l.value.x : l.error };
    });
    expect(r).toEqual({ x: 50, sh: 'ABC', f: 'EINVAL', l: 42 });

    // An isolated client of the isolated server: both sides in workers.
    const report = k.createEndpoint(home);
    const ic = isolated(k, 'icli', 'libcapClient', { cap: 3, report: 4 });
    k.grant(home, cap, ic.task, { slot: 3 });
    k.grant(home, report, ic.task, { slot: 4 });
    const text = await k.exec(home, function* (sys) {
      yield sys.recv(report);
      return sys.utcb.itemsIn[0] as string;
    });
    expect(JSON.parse(text)).toEqual({ x: 100, shout: 'HÉLLO', fail: 'EINVAL' });
  });

  it('isolated clients call it worker to worker (direct calls); a deferred answer and a call that never ends hold up nobody', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    // The serving worker's receive looks at its links for up to 3 s, so that the calls
    // below take their links however loaded the machine is (as in direct.test.ts).
    const { cap } = await counterServer(k, home, false, 3e9);
    const report = k.createEndpoint(home);
    const start = (name: string, exp: string, arg: Record<string, unknown>): IsolatedTask => {
      const it = isolated(k, name, exp, { cap: 3, report: 4, ...arg });
      k.grant(home, cap, it.task, { slot: 3 });
      k.grant(home, report, it.task, { slot: 4 });
      return it;
    };
    const results = (count: number): Promise<string[]> =>
      k.exec(home, function* (sys) {
        const out: string[] = [];
        while (out.length < count) {
          yield sys.recv(report);
          out.push(sys.utcb.itemsIn[0] as string);
        }
        return out;
      });
    // One caller's call never ends (its answer never comes: the server saved its caller)...
    const hanger = start('hanger', 'hangClient', {});
    const blocked = (t: Thread): boolean => t.state === ThreadState.BlockedReply;
    await until('the hang call in flight', () => blocked(hanger.thread));
    // ...while two others make 3000 calls each, then a deferred one and a string one.
    const msgs = k.nMsgs;
    start('c1', 'incLoop', { n: 3000 });
    start('c2', 'incLoop', { n: 3000 });
    const got = (await results(2)).map((t) => JSON.parse(t) as unknown);
    expect(got).toEqual([
      { x: 3000, later: 42, shout: 'DIRECT' },
      { x: 3000, later: 42, shout: 'DIRECT' },
    ]);
    // Most calls never crossed the kernel's IPC: each client's first went through it and
    // gave it a link; the rest went worker to worker (the server's look at its links
    // sometimes ends, and a call then goes through the kernel once).
    expect(k.nMsgs - msgs).toBeLessThan(1500);
    expect(blocked(hanger.thread)).toBe(true);
  });

  it('its worker dying gives its clients EPIPE; the rest keep running', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const { srv, cap } = await counterServer(k, home);
    // A bystander: an isolated server of its own.
    const ep2 = k.createEndpoint(home);
    const by = isolated(k, 'by', 'adder', { ep: 3 });
    k.grant(home, ep2, by.task, { slot: 3 });

    // An in-process client with a call in flight (never answered)...
    const a = k.createTask('a');
    const ca = k.grant(home, cap, a);
    const hung = k.exec(a, function* (sys) {
      const h = yield* stub(Counter, sys, ca).hang();
      return h.ok ? 'ok' : h.error;
    });
    // ...and an isolated one.
    const report = k.createEndpoint(home);
    const ic = isolated(k, 'icli', 'hangClient', { cap: 3, report: 4 });
    k.grant(home, cap, ic.task, { slot: 3 });
    k.grant(home, report, ic.task, { slot: 4 });
    const blocked = (t: Thread): boolean => t.state === ThreadState.BlockedReply;
    await until('both hang calls in flight', () => blocked(ic.thread) && [...a.threads].some(blocked));

    // The server's worker ends (process.exit in a handler): the caller of that gets EPIPE too.
    const b = k.createTask('b');
    const cb = k.grant(home, cap, b);
    const crashed = await k.exec(b, function* (sys) {
      const r = yield* stub(Counter, sys, cb).crash();
      return r.ok ? 'ok' : r.error;
    });
    expect(crashed).toBe('EPIPE');
    expect(await hung).toBe('EPIPE');
    const isoErr = await k.exec(home, function* (sys) {
      yield sys.recv(report);
      return sys.utcb.itemsIn[0] as string;
    });
    expect(isoErr).toBe('EPIPE');
    expect((await srv.done).reason).toBe('exited');
    expect(srv.task.alive).toBe(false);

    // A new call on the dead server's cap fails at once; the bystander still answers.
    const after = await k.exec(b, function* (sys) {
      const r = yield* stub(Counter, sys, cb).inc({ x: 1 });
      return r.ok ? 'ok' : r.error;
    });
    expect(after).not.toBe('ok');
    const sum = await k.exec(home, function* (sys) {
      sys.utcb.mr[0] = 2;
      sys.utcb.mr[1] = 3;
      yield sys.call(ep2, 1, 2);
      return sys.utcb.mr[0]!;
    });
    expect(sum).toBe(5);
  });

  it('sessions between isolated tasks: the same answers through shared memory; the server dying ends a session call with EPIPE', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const { srv, cap } = await counterServer(k, home, true);
    const report = k.createEndpoint(home);
    const next = (): Promise<[number, string]> =>
      k.exec(home, function* (sys) {
        const st: number = yield sys.recv(report, 20_000);
        if (st !== Status.Ok) throw new Error(`no report (${st})`);
        return [sys.utcb.label, String(sys.utcb.itemsIn[0] ?? '')] as [number, string];
      });
    const one = isolated(k, 'scli', 'sessionClient', { cap: 3, report: 4 }, { quota: 100, memQuota: 1 << 20 });
    k.grant(home, cap, one.task, { slot: 3 });
    k.grant(home, report, one.task, { slot: 4 });
    const [, text] = await next();
    expect(JSON.parse(text)).toEqual({ x: 100, shout: 'HÉLLO', fail: 'EINVAL', later: 42 });

    const two = isolated(k, 'hcli', 'sessionClient', { cap: 3, report: 4, hang: true }, { quota: 100, memQuota: 1 << 20 });
    k.grant(home, cap, two.task, { slot: 3 });
    k.grant(home, report, two.task, { slot: 4 });
    expect((await next())[0]).toBe(8);
    await srv.kill();
    expect(await next()).toEqual([9, 'EPIPE']);
  }, 30_000);
});
