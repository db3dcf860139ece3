// Dataspaces with tasks isolated in workers, on real time with bounded waits: a mapping
// in a worker reaches the same memory as in-process views (a SharedArrayBuffer, no
// copies), map and grant items cross both ways, and unmap and revoke take the mapping
// away in the worker too (its checked view faults on the next access). The libmem ring
// runs between two isolated tasks with notifications for wake-ups.

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, MAP_ITEM, PAGE_SIZE, Rights, Status, type MemView, type Sys, type SysGen } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { M, WINDOW } from './fixtures/mem-bodies.ts';

const BODIES = new URL('./fixtures/mem-bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];

function isolated(k: Kernel, name: string, exp: string, arg: unknown, extra: Record<string, unknown> = {}): IsolatedTask {
  const it = createIsolatedTask(k, name, { module: BODIES, export: exp, arg, ...extra });
  live.push(it);
  return it;
}

afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

/** Call the memory server with `words`; returns the status and the words of the answer. */
function* call(sys: Sys, ep: number, label: number, words: number[], items = 0): SysGen<number[]> {
  const u = sys.utcb;
  words.forEach((w, i) => (u.mr[i] = w));
  const st = yield sys.call(ep, label, words.length, 0, items);
  return [st, ...u.mr.slice(0, u.length)];
}

const UNMAPPED = 1;
const RIGHTS = 3;

/** A home task with an endpoint served by an isolated memory server, and a 2-page dataspace mapped at home. */
function setup() {
  const k = new Kernel();
  const home = k.createTask('home', { quota: 100, memQuota: 1 << 20 });
  const ep = k.createEndpoint(home);
  const srv = isolated(k, 'srv', 'memServer', { ep: 3 });
  k.grant(home, ep, srv.task, { slot: 3 });
  const ds = k.createDataspace(home, 2 * PAGE_SIZE);
  const hv = k.map(home, ds);
  return { k, home, ep, srv, ds, hv };
}

describe('dataspaces in isolated tasks', () => {
  it('a worker maps a dataspace cap: the same memory as the in-process view, both ways, no copies', async () => {
    const { k, home, ep, srv, ds, hv } = setup();
    hv.setUint32(0, 42);
    const raw = hv.raw();
    k.grant(home, ds, srv.task, { slot: 4 });
    const out = await k.exec(home, function* (sys) {
      const mapped = yield* call(sys, ep, M.map, [4, 0, 77]);
      hv.setUint32(8, 1234);
      const read = yield* call(sys, ep, M.read, [mapped[2]!, 8]);
      const list = yield* call(sys, ep, M.list, []);
      const view = yield* call(sys, ep, M.view, [mapped[2]!, 8]);
      const bounds = yield* call(sys, ep, M.read, [mapped[2]!, 2 * PAGE_SIZE - 2]);
      const bad = yield* call(sys, ep, M.bad, [4]);
      return { mapped, read, list, view, bounds, bad };
    });
    expect(out.mapped).toEqual([Status.Ok, Status.Ok, PAGE_SIZE, 42]);
    // What the worker wrote is in the in-process view: one memory.
    expect(hv.getUint32(4)).toBe(77);
    expect(out.read).toEqual([Status.Ok, 0, 1234]);
    expect(out.list).toEqual([Status.Ok, 1, PAGE_SIZE, 2 * PAGE_SIZE, Rights.Read | Rights.Write | Rights.Grant, 1]);
    expect(out.view).toEqual([Status.Ok, Status.Ok, 1234]);
    expect(out.bounds).toEqual([Status.Ok, 1, 2]);
    expect(out.bad).toEqual([Status.Ok, Status.InvalidArgument, Status.RangeError, Status.InvalidCapability, Status.FailedLookup]);
    // Sharing moved the bytes into shared memory once and cut the raw array taken before.
    expect(raw.length).toBe(0);
    expect(hv.raw().buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(hv.getUint32(0)).toBe(42);
  });

  it('revoking the cap takes the mapping away in the worker: its held view faults', async () => {
    const { k, home, ep, srv, ds, hv } = setup();
    k.grant(home, ds, srv.task, { slot: 4 });
    const out = await k.exec(home, function* (sys) {
      const mapped = yield* call(sys, ep, M.map, [4, 0, 5]);
      const vaddr = mapped[2]!;
      const before = yield* call(sys, ep, M.read, [vaddr, 4]);
      const rv = sys.revoke(ds);
      const after = yield* call(sys, ep, M.read, [vaddr, 4]);
      const write = yield* call(sys, ep, M.write, [vaddr, 4, 9]);
      const list = yield* call(sys, ep, M.list, []);
      return { before, rv, after, write, list };
    });
    expect(out.before).toEqual([Status.Ok, 0, 5]);
    expect(out.rv).toBe(Status.Ok);
    expect(out.after).toEqual([Status.Ok, 1, UNMAPPED]);
    expect(out.write).toEqual([Status.Ok, 1, UNMAPPED]);
    expect(out.list[1]).toBe(0);
    // The revoker's own mapping stays, and the worker's refused write did not land.
    expect(hv.getUint32(4)).toBe(5);
  });

  it('the worker unmaps its own mapping: its view faults, a second unmap finds nothing', async () => {
    const { k, home, ep, srv, ds } = setup();
    k.grant(home, ds, srv.task, { slot: 4, rights: Rights.Read });
    const out = await k.exec(home, function* (sys) {
      const mapped = yield* call(sys, ep, M.map, [4, 0, 0]);
      const vaddr = mapped[2]!;
      const write = yield* call(sys, ep, M.write, [vaddr, 0, 1]);
      const un = yield* call(sys, ep, M.unmap, [vaddr]);
      const after = yield* call(sys, ep, M.read, [vaddr, 0]);
      const again = yield* call(sys, ep, M.unmap, [vaddr]);
      return { write, un, after, again };
    });
    expect(out.write).toEqual([Status.Ok, 1, RIGHTS]); // a read-only cap maps read-only
    expect(out.un).toEqual([Status.Ok, Status.Ok]);
    expect(out.after).toEqual([Status.Ok, 1, UNMAPPED]);
    expect(out.again).toEqual([Status.Ok, Status.FailedLookup]);
  });

  it('map items cross both ways; revokeMapping at home takes the worker\'s child mapping away', async () => {
    const { k, home, ep, srv, ds, hv } = setup();
    hv.setUint32(0, 0xabcd);
    k.grant(home, ds, srv.task, { slot: 4 });
    const out = await k.exec(home, function* (sys) {
      const u = sys.utcb;
      // home -> worker: a read-only map item of the first page
      u.setMap(0, { vaddr: hv.vaddr, length: PAGE_SIZE, rights: Rights.Read, grant: false });
      const item = yield* call(sys, ep, M.item, [], 1);
      const vaddr = item[2]!;
      const write = yield* call(sys, ep, M.write, [vaddr, 0, 1]);
      // worker -> home: the worker maps the cap and hands a read-only item of it back
      const mapped = yield* call(sys, ep, M.map, [4, 0, 0x55]);
      u.setMemWindow(0x20000000, 1 << 20);
      u.mr[0] = mapped[2]!;
      u.mr[1] = Rights.Read;
      const st = yield sys.call(ep, M.give, 2);
      const back = { st, itemIsMap: u.itemsIn[0] === MAP_ITEM, mapped: u.mapped, word: (u.mapsIn[0] as MemView | null)?.getUint32(4) };
      const rv = sys.revokeMapping(hv.vaddr);
      const after = yield* call(sys, ep, M.read, [vaddr, 0]);
      const still = yield* call(sys, ep, M.read, [mapped[2]!, 0]);
      return { item, write, back, rv, after, still };
    });
    expect(out.item).toEqual([Status.Ok, PAGE_SIZE, WINDOW, 0xabcd, 1]);
    expect(out.write).toEqual([Status.Ok, 1, RIGHTS]);
    expect(out.back).toEqual({ st: Status.Ok, itemIsMap: true, mapped: 2 * PAGE_SIZE, word: 0x55 });
    expect(out.rv).toBe(Status.Ok);
    expect(out.after).toEqual([Status.Ok, 1, UNMAPPED]);
    // The worker's own mapping through its cap is not derived from home's mapping: it stays.
    expect(out.still).toEqual([Status.Ok, 0, 0xabcd]);
  });

  it('what does not hold: a raw array in a worker survives the revocation of its mapping', async () => {
    const { k, home, ep, srv, ds, hv } = setup();
    k.grant(home, ds, srv.task, { slot: 4 });
    const out = await k.exec(home, function* (sys) {
      const mapped = yield* call(sys, ep, M.map, [4, 0, 0]);
      const raw = yield* call(sys, ep, M.raw, [mapped[2]!]);
      sys.revoke(ds);
      const checked = yield* call(sys, ep, M.read, [mapped[2]!, 0]);
      hv.setUint8(0, 0x5a);
      const use = yield* call(sys, ep, M.rawUse, [0, 0x33]);
      return { raw, checked, use };
    });
    expect(out.raw).toEqual([Status.Ok, 2 * PAGE_SIZE]);
    // The checked view faults; the raw array over the SharedArrayBuffer still reads and
    // writes the dataspace (docs/dataspaces.md, "In workers").
    expect(out.checked).toEqual([Status.Ok, 1, UNMAPPED]);
    expect(out.use).toEqual([Status.Ok, 0x5a]);
    expect(hv.getUint8(1)).toBe(0x33);
  });

  it('the worker drops its reference to a dataspace\'s memory once the task\'s last mapping of it goes', async () => {
    const { k, home, ep, srv, ds } = setup();
    k.grant(home, ds, srv.task, { slot: 4 });
    const other = k.createDataspace(home, PAGE_SIZE);
    k.grant(home, other, srv.task, { slot: 5 });
    const out = await k.exec(home, function* (sys) {
      const a = yield* call(sys, ep, M.map, [4, 0, 0]);
      const b = yield* call(sys, ep, M.map, [4, 0, 0]);
      yield* call(sys, ep, M.map, [5, 0, 0]);
      const two = yield* call(sys, ep, M.known, []);
      // One of two mappings of the first dataspace goes: its memory is still needed.
      yield* call(sys, ep, M.unmap, [a[2]!]);
      const stillTwo = yield* call(sys, ep, M.known, []);
      yield* call(sys, ep, M.unmap, [b[2]!]);
      const one = yield* call(sys, ep, M.known, []);
      // Revoked and deleted at home: the other dataspace's mapping in the worker goes, and its memory.
      sys.revoke(other);
      sys.delete(other);
      const none = yield* call(sys, ep, M.known, []);
      // Mapped again: the memory comes back, the same memory as home's view.
      const again = yield* call(sys, ep, M.map, [4, 0, 0x77]);
      const back = yield* call(sys, ep, M.known, []);
      return { two, stillTwo, one, none, again, back };
    });
    expect(out.two).toEqual([Status.Ok, 2]);
    expect(out.stillTwo).toEqual([Status.Ok, 2]);
    expect(out.one).toEqual([Status.Ok, 1]);
    expect(out.none).toEqual([Status.Ok, 0]);
    expect(out.again[0]).toBe(Status.Ok);
    expect(out.back).toEqual([Status.Ok, 1]);
  });

  it('the libmem ring between two isolated tasks moves every message in order, wake-ups by notifications', async () => {
    expect(await ringBetweenWorkers(0)).toEqual({ 1: [3000, 0], 2: [3000, 0, 0] });
  }, 30_000);

  it('the same with both sides spinning before they sleep (take and put with spins): every message, in order', async () => {
    expect(await ringBetweenWorkers(5000)).toEqual({ 1: [3000, 0], 2: [3000, 0, 0] });
  }, 30_000);
});

/** Run the ring fixtures' producer and consumer, each in a worker, and return their reports. */
async function ringBetweenWorkers(spins: number): Promise<unknown> {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const n = 3000;
  const prod = isolated(k, 'producer', 'ringProducer', { ep: 3, report: 4, n, spins }, { quota: 100, memQuota: 1 << 20 });
  const cons = isolated(k, 'consumer', 'ringConsumer', { ep: 3, report: 4, n, spins }, { quota: 100 });
  for (const t of [prod.task, cons.task]) {
    k.grant(home, ep, t, { slot: 3 });
    k.grant(home, report, t, { slot: 4 });
  }
  const got = await k.exec(home, function* (sys) {
    const u = sys.utcb;
    const seen: Record<number, number[]> = {};
    for (let i = 0; i < 2; i++) {
      const st = yield sys.recv(report);
      if (st !== Status.Ok) return { st };
      seen[u.label] = [...u.mr.slice(0, u.length)];
    }
    return seen;
  });
  return got;
}
