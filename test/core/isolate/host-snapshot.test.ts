// The host cap and the snapshot syscall (core/host-info.ts): a task holding a host cap
// with Read reads the kernel's introspection snapshot as JSON; every error (empty slot,
// a name outside the cap space, a cap of another kind, a host cap without Read, a bad
// max, a snapshot longer than max, a bad scope) answers the same status and detail in-process and
// from an isolated task (over the ring).

import { afterEach, describe, expect, it } from 'vitest';
import { grantHost, Kernel, Rights, snapshot, Status, type Task, type ThreadBody } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { snapshotReader } from './fixtures/bodies.ts';

const BODIES = new URL('./fixtures/bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];

afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

const SLOTS = { host: 3, noRead: 4, ep: 5, report: 6 };

/** Give `reader` what the body expects in its slots (same turn as its creation). */
function equip(k: Kernel, home: Task, reader: Task, report: number): void {
  grantHost(k, reader, { slot: SLOTS.host });
  grantHost(k, reader, { slot: SLOTS.noRead, rights: Rights.Write });
  k.grant(home, k.createEndpoint(home), reader, { slot: SLOTS.ep });
  k.grant(home, report, reader, { slot: SLOTS.report });
}

async function reportOf(k: Kernel, home: Task, report: number): Promise<unknown> {
  return k.exec(home, function* (sys) {
    const st: number = yield sys.recv(report);
    if (st !== Status.Ok) throw new Error(`recv ${st}`);
    return JSON.parse(sys.utcb.itemsIn[0] as string) as unknown;
  });
}

const EXPECTED = {
  ok: 'ok',
  self: { name: 'reader', alive: true },
  empty: [Status.InvalidCapability, 'host (host cap with Read)', 40],
  outside: [Status.RangeError, 'host (host cap with Read)', 1_000_000],
  wrongKind: [Status.InvalidCapability, 'host (host cap with Read)', SLOTS.ep],
  noRead: [Status.InvalidCapability, 'host (host cap with Read)', SLOTS.noRead],
  badMax: [Status.InvalidArgument, 'max', null],
  tooLong: [Status.RangeError, 'max', null],
  tooLongSays: true,
  // Its caps: CAP_SELF, the two host caps, the endpoint, the report endpoint.
  selfCaps: 5,
  // SnapshotScope.Threads: its thread(s) (an isolated task has its host context's proxy too), no caps, no other objects.
  brief: { caps: 0, threads: true, endpoints: 0 },
  badScope: [Status.InvalidArgument, 'scope', null],
};

describe('kernelSnapshot through a host cap', () => {
  it('in-process: the snapshot, and each error with its detail', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const report = k.createEndpoint(home);
    const reader = k.createTask('reader');
    equip(k, home, reader, report);
    k.spawn(reader, snapshotReader(SLOTS) as ThreadBody);
    expect(await reportOf(k, home, report)).toEqual(EXPECTED);
  });

  it('isolated: the same answers over the ring', async () => {
    const k = new Kernel();
    const home = k.createTask('home');
    const report = k.createEndpoint(home);
    const it = createIsolatedTask(k, 'reader', { module: BODIES, export: 'snapshotReader', arg: SLOTS });
    live.push(it);
    equip(k, home, it.task, report);
    expect(await reportOf(k, home, report)).toEqual(EXPECTED);
  });

  it('the text is the snapshot of the kernel: the same tasks and threads snapshot() gives', async () => {
    const k = new Kernel();
    const t = k.createTask('t');
    const slot = grantHost(k, t);
    const text = await k.exec(t, function* (sys) {
      const r = sys.kernelSnapshot(slot);
      return r.ok ? r.value : '';
    });
    const got = JSON.parse(text) as ReturnType<typeof snapshot>;
    expect(got.tasks.map((x) => [x.id, x.name])).toEqual(snapshot(k).tasks.map((x) => [x.id, x.name]));
    // The host cap shows in the holder's caps, of kind 'host', Read only.
    expect(snapshot(k).tasks.find((x) => x.id === t.id)!.caps.find((c) => c.slot === slot)).toMatchObject({ kind: 'host', rights: 'R---' });
  });

  it('the host object outlives its last cap: a later grant reads again', async () => {
    const k = new Kernel();
    const a = k.createTask('a');
    const s = grantHost(k, a);
    k.deleteTask(a);
    const b = k.createTask('b');
    const slot = grantHost(k, b);
    const ok = await k.exec(b, function* (sys) {
      return sys.kernelSnapshot(slot).ok;
    });
    expect(ok).toBe(true);
    expect(s).toBeGreaterThan(0);
  });
});
