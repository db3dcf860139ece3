// Dataspaces (DS1-DS6): creation against a memory quota, caps with rights and badges,
// mapping into address spaces, map and grant items in messages, recursive unmap and
// revoke across tasks, page faults through dead views, raw arrays cut for real.

import { describe, expect, it } from 'vitest';
import {
  CAP_FACTORY,
  FaultKind,
  Kind,
  MAP_ITEM,
  MemView,
  PAGE_SIZE,
  PageFault,
  Rights,
  Status,
  snapshot,
  type Kernel,
  type MemEvent,
  type Sys,
  type Task,
} from '../../core/index.ts';
import { kernel, rig } from './harness.ts';

const P = PAGE_SIZE;

/** Run `body` as a thread of `task` to completion on virtual time; return its value. */
function inThread<R>(k: Kernel, task: Task, body: (sys: Sys) => Generator<unknown, R, number> | R): R {
  let out: { v: R } | null = null;
  k.spawn(task, function* (sys: Sys) {
    const r = body(sys);
    if (r !== null && typeof r === 'object' && typeof (r as Generator).next === 'function') {
      out = { v: (yield* r as Generator<never, R, number>) as R };
    } else out = { v: r as R };
  });
  k.run();
  if (out === null) throw new Error('thread did not finish');
  return (out as { v: R }).v;
}

function memUse(k: Kernel, task: Task): { limit: number; used: number } {
  const id = task.cspace.get(CAP_FACTORY)!.obj.id;
  const q = snapshot(k).memory.find((x) => x.factory === id)!;
  return { limit: q.limit, used: q.used };
}

/** Map `task[slot]` and fail the test on an error. */
function mapOk(sys: Sys, slot: number, opts = {}): MemView {
  const r = sys.map(slot, opts);
  if (!r.ok) throw new Error(`map failed: ${r.detail.message}`);
  return r.value;
}

/**
 * A sends a map item for its mapping at `vaddr` to B through an endpoint; B's window is
 * `window` bytes at 0x100000. Returns B's view (or null) and what the receiver saw.
 */
function sendMap(
  k: Kernel,
  from: Task,
  to: Task,
  vaddr: number,
  length: number,
  opts: { rights?: number; grant?: boolean; window?: number; epRights?: number } = {},
): { view: MemView | null; mapped: number; item: unknown; status: number } {
  const ep = k.createEndpoint(to);
  const cep = k.grant(to, ep, from, { rights: opts.epRights ?? Rights.Write | Rights.Grant });
  const got: { view: MemView | null; mapped: number; item: unknown; status: number } = { view: null, mapped: -1, item: null, status: -1 };
  k.spawn(to, function* (sys: Sys) {
    sys.utcb.setMemWindow(0x100000, opts.window ?? 0x100000);
    yield sys.recv(ep);
    got.view = sys.utcb.mapsIn[0] ?? null;
    got.mapped = sys.utcb.mapped;
    got.item = sys.utcb.itemsIn[0];
  }, { priority: 120 });
  k.spawn(from, function* (sys: Sys) {
    sys.utcb.setMap(0, { vaddr, length, rights: opts.rights ?? Rights.All, grant: opts.grant ?? false });
    got.status = yield sys.send(cep, 7, 0, 0, 1, 0);
  });
  k.run();
  return got;
}

describe('dataspaces: creation and quota (DS1, DS6)', () => {
  it('DS1: created against the factory memory quota in bytes, rounded up to pages; past it NotEnoughMemory and nothing half-created', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10, memQuota: 3 * P });
    const out = inThread(k, a, (sys) => [
      sys.createDataspace(CAP_FACTORY, 10, 1),
      sys.createDataspace(CAP_FACTORY, 11, P + 1),
      sys.createDataspace(CAP_FACTORY, 12, 1),
      sys.identify(10)?.kind,
    ]);
    expect(out).toEqual([Status.Ok, Status.Ok, Status.NotEnoughMemory, Kind.Dataspace]);
    expect(a.cspace.get(12)).toBeNull();
    expect(memUse(k, a)).toEqual({ limit: 3 * P, used: 3 * P });
    expect(snapshot(k).dataspaces.map((d) => d.size)).toEqual([P, 2 * P]);
  });

  it('DS1: bad sizes, factories and slots are refused and charge nothing', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10, memQuota: 4 * P });
    const ep = k.createEndpoint(a);
    const out = inThread(k, a, (sys) => [
      sys.createDataspace(CAP_FACTORY, 10, 0),
      sys.createDataspace(CAP_FACTORY, 10, 1.5),
      sys.createDataspace(CAP_FACTORY, 10, Number.NaN),
      sys.createDataspace(CAP_FACTORY, 10, 2 ** 31),
      sys.createDataspace(ep, 10, P),
      sys.createDataspace(CAP_FACTORY, ep, P),
      sys.createDataspace(CAP_FACTORY, 0, P),
    ]);
    expect(out).toEqual([
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.RangeError,
      Status.InvalidCapability,
      Status.DeleteFirst,
      Status.RangeError,
    ]);
    expect(memUse(k, a).used).toBe(0);
  });

  it('DS1: a task with no memory quota cannot create dataspaces; a sub-factory carves its bytes out of its parent', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const b = k.createTask('b', { quota: 10, memQuota: 4 * P });
    expect(inThread(k, a, (sys) => sys.createDataspace(CAP_FACTORY, 10, 1))).toBe(Status.NotEnoughMemory);
    const out = inThread(k, b, (sys) => [
      sys.createFactory(CAP_FACTORY, 20, 2, 5 * P),
      sys.createFactory(CAP_FACTORY, 20, 2, 3 * P),
      sys.createDataspace(20, 21, 3 * P),
      sys.createDataspace(20, 22, 1),
      sys.createDataspace(CAP_FACTORY, 23, P),
      sys.createDataspace(CAP_FACTORY, 24, P),
    ]);
    expect(out).toEqual([Status.NotEnoughMemory, Status.Ok, Status.Ok, Status.NotEnoughMemory, Status.Ok, Status.NotEnoughMemory]);
    // Deleting the sub-factory's dataspace and the sub-factory gives its bytes back.
    inThread(k, b, (sys) => [sys.delete(21), sys.delete(20)]);
    expect(memUse(k, b)).toEqual({ limit: 4 * P, used: P });
    expect(inThread(k, b, (sys) => sys.createDataspace(CAP_FACTORY, 25, 3 * P))).toBe(Status.Ok);
  });

  it('DS6: deleting the last cap refunds the quota and unmaps the dataspace everywhere', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10, memQuota: 2 * P });
    const b = k.createTask('b');
    const views = inThread(k, a, (sys) => {
      sys.createDataspace(CAP_FACTORY, 10, 2 * P);
      return [mapOk(sys, 10)];
    });
    const bslot = k.grant(a, 10, b, { rights: Rights.Read });
    const vb = k.map(b, bslot);
    views[0]!.setUint8(0, 9);
    expect(vb.getUint8(0)).toBe(9);
    inThread(k, a, (sys) => sys.delete(10));
    expect(vb.live).toBe(true); // b's copy is a cap too: the dataspace lives
    k.deleteTask(b);
    expect(vb.live).toBe(false);
    expect(views[0]!.live).toBe(false);
    expect(memUse(k, a).used).toBe(0);
    expect(snapshot(k).dataspaces).toEqual([]);
  });
});

describe('dataspaces: caps, rights and badges (DS2, R2, B1)', () => {
  it('DS2: Read maps read-only, Write maps read-write; both tasks see the same bytes', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, P);
    const ro = k.grant(a, ds, b, { rights: Rights.Read });
    const va = k.map(a, ds);
    const vb = k.map(b, ro);
    expect([va.writable, vb.writable]).toEqual([true, false]);
    va.write(8, new Uint8Array([1, 2, 3]));
    expect(Array.from(vb.bytes(8, 3))).toEqual([1, 2, 3]);
    expect(() => vb.setUint8(0, 1)).toThrow(PageFault);
    expect(() => vb.write(0, new Uint8Array(1))).toThrow(/rights/);
    vb.read(8, new Uint8Array(3));
  });

  it('DS2, R2: rights asked for are intersected with the cap; a cap with neither Read nor Write cannot map', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ds = k.createDataspace(a, P);
    const r = inThread(k, a, (sys) => {
      const v = mapOk(sys, ds, { rights: Rights.Read });
      sys.mint(ds, 20, Rights.Grant);
      return [v.writable, sys.map(20).ok ? 0 : sys.utcb.error!.status];
    });
    expect(r).toEqual([false, Status.InvalidCapability]);
  });

  it('DS2: map checks the cap, the range and the address', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ds = k.createDataspace(a, 4 * P);
    const ep = k.createEndpoint(a);
    const st = inThread(k, a, (sys) => {
      const code = (r: { ok: boolean }): number => (r.ok ? Status.Ok : sys.utcb.error!.status);
      return [
        code(sys.map(ep)),
        code(sys.map(999)),
        code(sys.map(100000)),
        code(sys.map(ds, { offset: 1 })),
        code(sys.map(ds, { length: 100 })),
        code(sys.map(ds, { offset: 3 * P, length: 2 * P })),
        code(sys.map(ds, { offset: 8 * P })),
        code(sys.map(ds, { at: 0x1234 })),
        code(sys.map(ds, { at: 2 ** 32 })),
        code(sys.map(ds, { at: 0x10000, length: P })),
        code(sys.map(ds, { at: 0x10000, length: P })),
        code(sys.map(ds, { offset: P, length: 2 * P })),
      ];
    });
    expect(st).toEqual([
      Status.InvalidCapability,
      Status.InvalidCapability,
      Status.RangeError,
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.RangeError,
      Status.RangeError,
      Status.InvalidArgument,
      Status.RangeError,
      Status.Ok,
      Status.DeleteFirst,
      Status.Ok,
    ]);
    const maps = snapshot(k).tasks.find((t) => t.name === 'a')!.mappings;
    expect(maps.map((m) => [m.vaddr, m.length, m.offset, m.rights])).toEqual([
      [P, 2 * P, P, 'RWG-'],
      [0x10000, P, 0, 'RWG-'],
    ]);
  });

  it('B1, B2: dataspace caps carry badges; a badged cap cannot be rebadged; copies keep the badge', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ds = k.createDataspace(a, P);
    const out = inThread(k, a, (sys) => [
      sys.mint(ds, 20, Rights.Read, 0x77),
      sys.identify(20)!.badge,
      sys.mint(20, 21, Rights.All, 0x78),
      sys.copy(20, 22),
      sys.identify(22)!.badge,
      sys.identify(22)!.rights,
    ]);
    expect(out).toEqual([Status.Ok, 0x77, Status.IllegalOperation, Status.Ok, 0x77, Rights.Read]);
  });
});

describe('dataspaces: map and grant items (DS3)', () => {
  it('DS3: a map item lands at the receiver window and both see the same bytes; the tag says how much was mapped', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const va = k.map(a, k.createDataspace(a, 4 * P));
    va.setUint32(P, 0xcafe);
    const got = sendMap(k, a, b, va.vaddr + P, 2 * P);
    expect(got.status).toBe(Status.Ok);
    expect(got.item).toBe(MAP_ITEM);
    expect(got.mapped).toBe(2 * P);
    expect(got.view!.vaddr).toBe(0x100000);
    expect(got.view!.getUint32(0)).toBe(0xcafe);
    got.view!.setUint32(4, 0xbeef);
    expect(va.getUint32(P + 4)).toBe(0xbeef);
    expect(() => got.view!.getUint8(2 * P)).toThrow(/bounds/);
  });

  it('DS3: the item is clipped to the window; no window means nothing lands and no error', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const va = k.map(a, k.createDataspace(a, 4 * P));
    const clipped = sendMap(k, a, b, va.vaddr, 4 * P, { window: P });
    expect([clipped.status, clipped.mapped, clipped.view!.length]).toEqual([Status.Ok, P, P]);
    const c = k.createTask('c');
    const none = sendMap(k, a, c, va.vaddr, P, { window: 0 });
    expect([none.status, none.mapped, none.view]).toEqual([Status.Ok, 0, null]);
    // A window over an occupied range: nothing lands either (as C3's occupied slot).
    const again = sendMap(k, a, b, va.vaddr, P);
    expect([again.status, again.mapped, again.view]).toEqual([Status.Ok, 0, null]);
  });

  it('DS3, R4: through an endpoint cap without Grant the words go, the mapping does not', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const va = k.map(a, k.createDataspace(a, P));
    const got = sendMap(k, a, b, va.vaddr, P, { epRights: Rights.Write });
    expect([got.status, got.mapped, got.view]).toEqual([Status.Ok, 0, null]);
  });

  it('DS2: a map item never gives more rights than the mapping it comes from', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, P);
    const va = k.map(a, ds, { rights: Rights.Read | Rights.Grant });
    const got = sendMap(k, a, b, va.vaddr, P, { rights: Rights.All });
    expect(got.view!.writable).toBe(false);
    const c = k.createTask('c');
    const vw = k.map(a, ds);
    const ro = sendMap(k, a, c, vw.vaddr, P, { rights: Rights.Read });
    expect(ro.view!.writable).toBe(false);
  });

  it('C2: a bad map item fails the whole send and delivers nothing', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ds = k.createDataspace(a, 2 * P);
    const noGrant = k.map(a, ds, { rights: Rights.Read | Rights.Write });
    const full = k.map(a, ds);
    const cases: [number, number, boolean, number][] = [
      [0x7000_0000, P, false, Status.FailedLookup],
      [full.vaddr + 1, P, false, Status.InvalidArgument],
      [full.vaddr, 100, false, Status.InvalidArgument],
      [full.vaddr, 3 * P, false, Status.RangeError],
      [noGrant.vaddr, P, false, Status.IllegalOperation],
      [full.vaddr, P, true, Status.InvalidArgument],
    ];
    for (const [vaddr, length, grant, want] of cases) {
      const b = k.createTask('b');
      const got = sendMap(k, a, b, vaddr, length, { grant });
      expect(got.status).toBe(want);
      expect(got.mapped).toBe(-1); // the receiver got nothing: it is still waiting
    }
  });

  it('DS4: grant moves the mapping: the sender loses it, the receiver holds it, revoking above still reaches it', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const c = k.createTask('c');
    const ds = k.createDataspace(a, 2 * P);
    const bslot = k.grant(a, ds, b);
    const vb = k.map(b, bslot);
    vb.setUint8(5, 42);
    const got = sendMap(k, b, c, vb.vaddr, 2 * P, { grant: true });
    expect(got.status).toBe(Status.Ok);
    expect(vb.live).toBe(false);
    expect(() => vb.getUint8(5)).toThrow(/unmapped/);
    expect(got.view!.getUint8(5)).toBe(42);
    expect(got.view!.writable).toBe(true);
    // The granted mapping still hangs off b's cap, which a can revoke.
    inThread(k, a, (sys) => sys.revoke(ds));
    expect(got.view!.live).toBe(false);
  });

  it('DS3: a grant that does not fit the window does not move; the sender keeps its mapping', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const va = k.map(a, k.createDataspace(a, 2 * P));
    const got = sendMap(k, a, b, va.vaddr, 2 * P, { grant: true, window: P });
    expect([got.status, got.view, va.live]).toEqual([Status.Ok, null, true]);
  });
});

describe('dataspaces: unmap and revoke (DS4, DS5)', () => {
  /** a maps and hands the range on: a -> b -> c by map items; d holds a copy of a's cap and maps it. */
  function chain(): { k: Kernel; a: Task; ds: number; va: MemView; vb: MemView; vc: MemView; vd: MemView } {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const c = k.createTask('c');
    const d = k.createTask('d');
    const ds = k.createDataspace(a, 2 * P);
    const va = k.map(a, ds);
    const vb = sendMap(k, a, b, va.vaddr, 2 * P).view!;
    const vc = sendMap(k, b, c, vb.vaddr, P).view!;
    const vd = k.map(d, k.grant(a, ds, d));
    va.setUint8(0, 1);
    return { k, a, ds, va, vb, vc, vd };
  }

  it('DS4: unmap removes the mapping and every mapping derived from it, in every task', () => {
    const { k, a, va, vb, vc, vd } = chain();
    expect(vc.getUint8(0)).toBe(1);
    expect(inThread(k, a, (sys) => sys.unmap(va.vaddr))).toBe(Status.Ok);
    expect([va.live, vb.live, vc.live, vd.live]).toEqual([false, false, false, true]);
    for (const v of [va, vb, vc]) {
      expect(() => v.getUint8(0)).toThrow(PageFault);
      expect(() => v.setUint8(0, 1)).toThrow(PageFault);
      expect(() => v.read(0, new Uint8Array(1))).toThrow(PageFault);
      expect(() => v.write(0, new Uint8Array(1))).toThrow(PageFault);
    }
    expect(vd.getUint8(0)).toBe(1);
  });

  it('DS4: revoking a mapping keeps it and takes away what was derived from it', () => {
    const { k, a, va, vb, vc } = chain();
    expect(inThread(k, a, (sys) => sys.revokeMapping(va.vaddr))).toBe(Status.Ok);
    expect([va.live, vb.live, vc.live]).toEqual([true, false, false]);
  });

  it('DS4, D3: revoking the dataspace cap cuts every task that got the range through it: derived caps, their mappings, and map items', () => {
    const { k, a, ds, va, vb, vc, vd } = chain();
    expect(inThread(k, a, (sys) => sys.revoke(ds))).toBe(Status.Ok);
    // a keeps its cap and its own mapping; b and c got the range by map items from a's
    // mapping (made through the cap), d through a copy of the cap: all lose it.
    expect([va.live, vb.live, vc.live, vd.live]).toEqual([true, false, false, false]);
    for (const v of [vb, vc, vd]) expect(() => v.getUint8(0)).toThrow(/unmapped/);
    expect(a.cspace.get(ds)).not.toBeNull();
  });

  it('DS4: deleting a cap unmaps the mappings made through it, with their subtrees', () => {
    const { k, a, ds, va, vb, vc, vd } = chain();
    inThread(k, a, (sys) => sys.delete(ds));
    expect([va.live, vb.live, vc.live, vd.live]).toEqual([false, false, false, true]);
  });

  it('DS4: a task that dies takes its mappings and those derived from them', () => {
    const { k, va, vb, vc } = chain();
    k.deleteTask(vb.m.space.task);
    expect([va.live, vb.live, vc.live]).toEqual([true, false, false]);
  });

  it('DS4: unmap and revoke name a mapping by its start address', () => {
    const k = kernel();
    const a = k.createTask('a');
    const va = k.map(a, k.createDataspace(a, 2 * P));
    const out = inThread(k, a, (sys) => [
      sys.unmap(va.vaddr + P),
      sys.unmap(va.vaddr + 1),
      sys.revokeMapping(0x7000_0000),
      sys.view(va.vaddr).ok,
      sys.mappings().length,
    ]);
    expect(out).toEqual([Status.FailedLookup, Status.InvalidArgument, Status.FailedLookup, true, 1]);
  });

  it('DS5: a thread touching a view after revoke faults as a page fault, delivered to its handler', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const pager = k.createTask('pager');
    const fep = k.createEndpoint(pager);
    const fcap = k.grant(pager, fep, b, { rights: Rights.Call });
    const ds = k.createDataspace(a, P);
    const vb = k.map(b, k.grant(a, ds, b));
    inThread(k, a, (sys) => sys.revoke(ds));
    const got: { label: number; item: unknown } = { label: -1, item: null };
    k.spawn(pager, function* (sys: Sys) {
      yield sys.recv(fep);
      got.label = sys.utcb.label;
      got.item = sys.utcb.itemsIn[0];
    });
    k.spawn(
      b,
      function* () {
        vb.setUint8(0, 1);
      },
      { faultHandler: fcap },
    );
    k.run();
    expect(got.label).toBe(FaultKind.PageFault);
    expect(got.item).toMatch(/^PageFault: write at 0x1000: unmapped/);
  });
});

describe('dataspaces: raw arrays (the escape hatch)', () => {
  it('a raw array sees the bytes at no cost per access; unmapping its mapping cuts it for real', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, 2 * P);
    const va = k.map(a, ds);
    const vb = k.map(b, k.grant(a, ds, b));
    const raw = vb.raw();
    raw[3] = 33;
    expect(va.getUint8(3)).toBe(33);
    expect(inThread(k, b, (sys) => sys.unmap(vb.vaddr))).toBe(Status.Ok);
    expect(raw.length).toBe(0);
    expect(raw[3]).toBeUndefined();
    raw[3] = 99; // dropped
    expect(() => raw.set([1])).toThrow(TypeError);
    expect(va.getUint8(3)).toBe(33); // the safe view followed the migration, bytes kept
    expect(snapshot(k).dataspaces[0]!.migrations).toBe(1);
  });

  it('revoking the cap cuts the raw arrays of the tasks that got it through the cap; the others ask again', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, P);
    const va = k.map(a, ds);
    const mine = va.raw();
    const theirs = k.map(b, k.grant(a, ds, b)).raw();
    mine[0] = 5;
    expect(theirs[0]).toBe(5);
    inThread(k, a, (sys) => sys.revoke(ds));
    expect([theirs.length, mine.length]).toEqual([0, 0]);
    const again = va.raw();
    expect(again[0]).toBe(5);
  });

  it('a read-only mapping gives no raw array; a holder detaching the buffer only zeroes it, as a write would', () => {
    const k = kernel();
    const a = k.createTask('a');
    const ds = k.createDataspace(a, P);
    const ro = k.map(a, ds, { rights: Rights.Read });
    expect(() => ro.raw()).toThrow(/rights/);
    const rw = k.map(a, ds);
    rw.setUint8(1, 7);
    rw.setUint32(8, 0xdeadbeef);
    const raw = rw.raw();
    const stolen = structuredClone(raw.buffer as ArrayBuffer, { transfer: [raw.buffer as ArrayBuffer] });
    expect(new Uint8Array(stolen)[1]).toBe(7);
    // The word reads (which skip the heal) see the zeros healing gives, before anything heals.
    expect([ro.getUint32(8), ro.load32(8), ro.getUint32(1)]).toEqual([0, 0, 0]);
    expect(ro.getUint8(1)).toBe(0);
    expect(ro.length).toBe(P);
    // The memory works again: a write lands and every accessor reads it.
    rw.setUint32(8, 0x01020304);
    expect([ro.getUint32(8), ro.load32(8), ro.getUint8(8)]).toEqual([0x01020304, 0x01020304, 4]);
  });
});

describe('dataspaces: tracing and introspection', () => {
  it('the tracer sees maps, grants, unmaps (with their cause) and revokes', () => {
    const { k, tr } = rig();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, P);
    const va = k.map(a, ds);
    sendMap(k, a, b, va.vaddr, P);
    inThread(k, a, (sys) => sys.revoke(ds));
    const mem = tr.events.filter((e): e is MemEvent => e.type === 'mem').map((e) => [e.op, e.task, e.fromTask, e.cause]);
    expect(mem).toEqual([
      ['map', a.id, -1, 'map'],
      ['map', b.id, a.id, 'map'],
      ['revoke', a.id, -1, 'revoke'],
      ['unmap', b.id, -1, 'revoke'],
    ]);
  });

  it('snapshots list dataspaces with their caps and mappings, and each task its mappings', () => {
    const k = kernel();
    const a = k.createTask('a');
    const b = k.createTask('b');
    const ds = k.createDataspace(a, 2 * P);
    const va = k.map(a, ds);
    sendMap(k, a, b, va.vaddr, P);
    const s = snapshot(k);
    expect(s.dataspaces).toEqual([{ id: a.cspace.get(ds)!.obj.id, size: 2 * P, caps: 1, mappings: 2, migrations: 0 }]);
    expect(s.tasks.find((t) => t.name === 'a')!.mappings[0]).toMatchObject({ vaddr: P, root: true, children: 1 });
    expect(s.tasks.find((t) => t.name === 'b')!.mappings[0]).toMatchObject({ vaddr: 0x100000, root: false, rights: 'RWG-' });
  });
});
