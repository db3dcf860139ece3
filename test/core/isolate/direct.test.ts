// Direct calls between isolated tasks (core/isolate/direct.ts) on real time: a server
// that serves its endpoint directly answers isolated clients worker to worker, with the
// kernel's badges and statuses; the kernel keeps the authority (a cap that goes stops
// the calls, a dying server fails its caller, a sender queued in the kernel is served,
// a tracer ends it). Waits are bounded by vitest timeouts.

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, RECV_PHASE, RecordingTracer, Rights, Status, type Task } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { Ask, type Phase, type PhaseReport } from './fixtures/direct-bodies.ts';

const BODIES = new URL('./fixtures/direct-bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];
/**
 * The server's receive looks at its links this long (3 s) before it sleeps in the
 * kernel: every call after a client's first then takes its link, however loaded the
 * machine, so the statuses below are those of direct calls. (It counts as progress for
 * the watchdog, whose default is 5 s.)
 */
const SERVER_SPIN_NS = 3e9;

afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

interface Rig {
  k: Kernel;
  home: Task;
  ep: number;
  report: number;
  go: number;
  srv: IsolatedTask;
  /** The server's three serveDirect statuses (its endpoint, again, an empty slot). */
  serve: number[];
}

/** Receive on `report` until a message with `label`; answers its words and first item. */
function take(k: Kernel, home: Task, report: number, label: number): Promise<{ words: number[]; item: unknown }> {
  return k.exec(home, function* (sys) {
    const u = sys.utcb;
    for (;;) {
      const st: number = yield sys.recv(report);
      if (st !== Status.Ok) throw new Error(`report recv: ${st}`);
      if (u.label === label) return { words: [u.mr[0]!, u.mr[1]!, u.mr[2]!], item: u.itemsIn[0] };
    }
  });
}

async function rig(watchdogMs?: number): Promise<Rig> {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const go = k.createNotification(home);
  const srv = createIsolatedTask(k, 'srv', {
    module: BODIES,
    export: 'directServer',
    arg: { ep: 3, report: 4, spinNs: SERVER_SPIN_NS },
    ...(watchdogMs === undefined ? {} : { watchdogMs }),
  });
  live.push(srv);
  k.grant(home, ep, srv.task, { slot: 3 });
  k.grant(home, report, srv.task, { slot: 4 });
  const { words } = await take(k, home, report, 1);
  return { k, home, ep, report, go, srv, serve: words };
}

/** An isolated client with a cap (badge 9) to the endpoint in slot 3, running `phases`. */
function client(r: Rig, phases: Phase[], name = 'cli', watchdogMs?: number): IsolatedTask {
  const cli = createIsolatedTask(r.k, name, {
    module: BODIES,
    export: 'directClient',
    arg: { ep: 3, report: 4, go: 5, phases },
    ...(watchdogMs === undefined ? {} : { watchdogMs }),
  });
  live.push(cli);
  r.k.grant(r.home, r.ep, cli.task, { slot: 3, badge: 9, rights: Rights.Write | Rights.GrantReply });
  r.k.grant(r.home, r.report, cli.task, { slot: 4 });
  r.k.grant(r.home, r.go, cli.task, { slot: 5 });
  return cli;
}

async function phase(r: Rig): Promise<PhaseReport> {
  const { item } = await take(r.k, r.home, r.report, 8);
  return JSON.parse(String(item)) as PhaseReport;
}

function go(r: Rig): Promise<unknown> {
  return r.k.exec(r.home, function* (sys) {
    yield sys.signal(r.go);
  });
}

describe('direct calls between isolated tasks', () => {
  it('serveDirect answers Ok once per endpoint, IllegalOperation again, InvalidCapability for an empty slot', async () => {
    const r = await rig();
    expect(r.serve).toEqual([Status.Ok, Status.IllegalOperation, Status.InvalidCapability]);
  });

  it('after a first call through the kernel, calls go worker to worker with the cap badge', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 1 }, { label: Ask.Echo, count: 2000 }]);
    const first = await phase(r);
    expect(first).toMatchObject({ statuses: [Status.Ok], good: 1, badge: 9 });
    const switches = r.k.counters.switches;
    await go(r);
    const second = await phase(r);
    expect(second).toMatchObject({ statuses: [Status.Ok], good: 2000, badge: 9, words: [2000, 9, r.srv.task.id] });
    // Through the kernel each call is at least two switches; direct calls make none.
    // (A server whose spin ran out goes back to the kernel for a call or two: fewer than one a call.)
    expect(r.k.counters.switches - switches).toBeLessThan(2000);
  });

  it('a cap revoked in the kernel stops the direct calls: the next call answers InvalidCapability', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 200 }, { label: Ask.Echo, count: 1 }]);
    expect(await phase(r)).toMatchObject({ good: 200 });
    // Revoking home's cap deletes every cap derived from it, the client's too.
    await r.k.exec(r.home, function* (sys) {
      expect(sys.revoke(r.ep)).toBe(Status.Ok);
    });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.InvalidCapability], good: 0 });
  });

  it('a cap the client moves away no longer calls from its old slot; from the new one it does', async () => {
    const r = await rig();
    client(r, [
      { label: Ask.Echo, count: 100 },
      { label: Ask.Echo, count: 1, moveTo: 10 },
      { label: Ask.Echo, count: 100, slot: 10 },
    ]);
    expect(await phase(r)).toMatchObject({ good: 100 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.InvalidCapability] });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 100, badge: 9 });
  });

  it('a cap the client grants away in a message no longer calls from its slot; its new holder calls through it', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 100 }, { label: Ask.Echo, count: 1, grantVia: 4 }]);
    expect(await phase(r)).toMatchObject({ good: 100 });
    await go(r);
    // Home takes the granted cap, then calls through it itself.
    const got = await r.k.exec(r.home, function* (sys) {
      const u = sys.utcb;
      const slot = sys.allocSlot();
      u.recvSlots[0] = slot;
      const st: number = yield sys.recv(r.report);
      if (st !== Status.Ok || u.label !== 11 || u.capCount !== 1) return { st, label: u.label, caps: u.capCount };
      u.mr[0] = 41;
      const call: number = yield sys.call(slot, Ask.Echo, 3);
      return { call, answer: u.mr[0], badge: u.mr[1] };
    });
    expect(got).toEqual({ call: Status.Ok, answer: 42, badge: 9 });
    expect(await phase(r)).toMatchObject({ statuses: [Status.InvalidCapability] });
  });

  it('a server that dies holding a direct call fails it with DeadPartner (receive phase); others live on', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 50 }, { label: Ask.Die, count: 1 }]);
    expect(await phase(r)).toMatchObject({ good: 50 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.DeadPartner | RECV_PHASE] });
    expect(await r.srv.done).toMatchObject({ reason: 'threw' });
  });

  it('a server body that ends holding a direct call fails it with Aborted (receive phase)', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 50 }, { label: Ask.Leave, count: 1 }]);
    expect(await phase(r)).toMatchObject({ good: 50 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Aborted | RECV_PHASE] });
  });

  it('receiving again without answering fails the direct caller with Aborted (receive phase), as Decision 4', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 50 }, { label: Ask.Drop, count: 1 }, { label: Ask.Echo, count: 10 }]);
    expect(await phase(r)).toMatchObject({ good: 50 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Aborted | RECV_PHASE] });
    await go(r);
    expect(await phase(r)).toMatchObject({ good: 10 });
  });

  it('a direct call the server saves, or answers with an item or a cap, is handed to the kernel and answered there', async () => {
    const r = await rig();
    client(r, [
      { label: Ask.Save, count: 50 },
      { label: Ask.Item, count: 50 },
      { label: Ask.Cap, count: 50, recvSlot: 60 },
      { label: Ask.Echo, count: 50 },
    ]);
    // Saved (saveCaller Ok, no implicit caller left), then answered through the saved cap.
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 50, words: [50, Status.Ok, 0] });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 50, items: 50 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 50, caps: 50 });
    await go(r);
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 50, badge: 9 });
  });

  it('a sender queued in the kernel is served while an isolated client calls directly', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 5000 }]);
    const done = phase(r);
    const other = r.k.createTask('other');
    const cep = r.k.grant(r.home, r.ep, other, { badge: 4 });
    const got = await r.k.exec(other, function* (sys) {
      const u = sys.utcb;
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        u.mr[0] = 100 + i;
        const st: number = yield sys.call(cep, Ask.Echo, 3);
        out.push(st === Status.Ok && u.mr[1] === 4 ? u.mr[0]! : -st);
      }
      return out;
    });
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    expect(await done).toMatchObject({ good: 5000 });
  });

  it('a client that scribbles over its own link hurts only itself: the server answers another client throughout', async () => {
    const r = await rig();
    const bad = createIsolatedTask(r.k, 'bad', { module: BODIES, export: 'hostileClient', arg: { ep: 3, report: 4, rounds: 1000 } });
    live.push(bad);
    r.k.grant(r.home, r.ep, bad.task, { slot: 3, badge: 66 });
    r.k.grant(r.home, r.report, bad.task, { slot: 4 });
    client(r, [{ label: Ask.Echo, count: 2000 }]);
    // (The hostile client may hang itself on its own link; only the honest one is waited for.)
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 2000, badge: 9 });
    // The server still serves: another honest client, through the kernel and then its link.
    client(r, [{ label: Ask.Echo, count: 100 }], 'cli2');
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 100, badge: 9 });
  });

  it('direct calls are progress for the watchdog: a server and a client busy with them for longer than it live on', async () => {
    const r = await rig(100);
    const cli = client(r, [{ label: Ask.Echo, count: 400_000 }], 'cli', 100);
    const t0 = performance.now();
    expect(await phase(r)).toMatchObject({ statuses: [Status.Ok], good: 400_000 });
    // (Only meaningful when the calls took longer than the watchdog, as they do here.)
    expect(performance.now() - t0).toBeGreaterThan(100);
    expect(r.srv.task.alive && cli.task.alive).toBe(true);
  });

  it('attaching a tracer ends direct calls: every call is traced again', async () => {
    const r = await rig();
    client(r, [{ label: Ask.Echo, count: 100 }, { label: Ask.Echo, count: 100 }]);
    expect(await phase(r)).toMatchObject({ good: 100 });
    const tracer = new RecordingTracer();
    r.k.setTracer(tracer);
    await go(r);
    expect(await phase(r)).toMatchObject({ good: 100 });
    const calls = tracer.events.filter((e) => e.type === 'ipc' && (e as { op?: string }).op === 'call');
    expect(calls.length).toBeGreaterThanOrEqual(100);
  });

  it('an in-process thread may ask serveDirect: Ok for an endpoint cap with Read, InvalidCapability otherwise', async () => {
    const k = new Kernel();
    const t = k.createTask('t');
    const ep = k.createEndpoint(t);
    const got = await k.exec(t, function* (sys) {
      return [sys.serveDirect(ep), sys.serveDirect(ep + 50)];
    });
    expect(got).toEqual([Status.Ok, Status.InvalidCapability]);
  });
});
