// Property tests of cap spaces and the derivation tree: random sequences of mint, copy,
// move, delete, revoke and IPC transfer (map and grant) checked against a small model.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAP_SELF, Rights, Status, type Kernel, type Sys, type Task } from '../../core/index.ts';
import { invariantViolations, kernel } from './harness.ts';

// ------------------------------------------------------------------ the model

type ObjKind = 'task' | 'endpoint' | 'notification';

interface MCap {
  readonly id: number;
  readonly obj: number;
  readonly kind: ObjKind;
  readonly rights: number;
  readonly badge: number;
  parent: number | null;
}

/** Slots the random operations name: 0 (never valid), the task cap, and 2..11. */
const MAX_SLOT = 11;
const SIZE = 4096;
const TASKS = 2;

class Model {
  private nextId = 1;
  /** Per task: slot -> cap. */
  readonly spaces: Map<number, MCap>[] = [new Map(), new Map()];

  add(task: number, slot: number, obj: number, kind: ObjKind): void {
    this.spaces[task]!.set(slot, { id: this.nextId++, obj, kind, rights: Rights.All, badge: 0, parent: null });
  }

  private lookupSrc(task: number, slot: number): MCap | number {
    if (slot === 0 || slot >= SIZE) return Status.RangeError;
    return this.spaces[task]!.get(slot) ?? Status.FailedLookup;
  }

  private checkFree(task: number, slot: number): number {
    if (slot === 0 || slot >= SIZE) return Status.RangeError;
    return this.spaces[task]!.has(slot) ? Status.DeleteFirst : Status.Ok;
  }

  mint(task: number, src: number, dst: number, rights: number, badge: number): number {
    const s = this.lookupSrc(task, src);
    if (typeof s === 'number') return s;
    const free = this.checkFree(task, dst);
    if (free !== Status.Ok) return free;
    let newBadge = s.badge;
    if (badge !== 0) {
      if (s.kind === 'task') return Status.InvalidArgument;
      if (s.badge !== 0 && s.badge !== badge) return Status.IllegalOperation;
      newBadge = badge;
    }
    this.spaces[task]!.set(dst, { id: this.nextId++, obj: s.obj, kind: s.kind, rights: s.rights & rights, badge: newBadge, parent: s.id });
    return Status.Ok;
  }

  move(task: number, src: number, dst: number): number {
    const s = this.lookupSrc(task, src);
    if (typeof s === 'number') return s;
    if (src === dst) return Status.Ok;
    const free = this.checkFree(task, dst);
    if (free !== Status.Ok) return free;
    this.spaces[task]!.delete(src);
    this.spaces[task]!.set(dst, s);
    return Status.Ok;
  }

  private all(): MCap[] {
    return this.spaces.flatMap((m) => [...m.values()]);
  }

  private removeCap(c: MCap): void {
    for (const m of this.spaces) for (const [slot, x] of m) if (x === c) m.delete(slot);
    // Children move up to the deleted cap's parent.
    for (const x of this.all()) if (x.parent === c.id) x.parent = c.parent;
  }

  remove(task: number, slot: number): number {
    if (slot === 0 || slot >= SIZE) return Status.RangeError;
    const c = this.spaces[task]!.get(slot);
    if (c !== undefined) this.removeCap(c);
    return Status.Ok;
  }

  revoke(task: number, slot: number): number {
    const c = this.lookupSrc(task, slot);
    if (typeof c === 'number') return c;
    const doomed = new Set<number>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const x of this.all()) {
        if (x.parent !== null && (x.parent === c.id || doomed.has(x.parent)) && !doomed.has(x.id)) {
          doomed.add(x.id);
          grew = true;
        }
      }
    }
    for (const m of this.spaces) for (const [s, x] of m) if (doomed.has(x.id)) m.delete(s);
    return Status.Ok;
  }

  /** Send caps from task `from` to task `to` through a cap with Grant (C2, C3, C5). */
  transfer(from: number, to: number, names: number[], grantMask: number, recvSlots: number[]): { st: number; count: number } {
    for (const n of names) {
      const c = this.lookupSrc(from, n);
      if (typeof c === 'number') return { st: c, count: -1 };
    }
    let count = 0;
    let next = 0;
    for (let i = 0; i < names.length; i++) {
      const c = this.spaces[from]!.get(names[i]!);
      if (c === undefined) break; // moved away by an earlier item of this message
      if (next >= recvSlots.length) break;
      const dst = recvSlots[next++]!;
      if (this.checkFree(to, dst) !== Status.Ok) break;
      if ((grantMask & (1 << i)) !== 0) {
        this.spaces[from]!.delete(names[i]!);
        this.spaces[to]!.set(dst, c);
      } else {
        this.spaces[to]!.set(dst, { id: this.nextId++, obj: c.obj, kind: c.kind, rights: c.rights, badge: c.badge, parent: c.id });
      }
      count++;
    }
    return { st: Status.Ok, count };
  }

  /** Where a model cap lives, as "task:slot". */
  where(id: number): string | null {
    for (let t = 0; t < TASKS; t++) for (const [s, x] of this.spaces[t]!) if (x.id === id) return `${t}:${s}`;
    return null;
  }
}

// ------------------------------------------------------------------ operations

/**
 * A slot named by an operation: a raw slot number, or the i-th occupied slot of the task
 * (modulo their number), so that sequences keep hitting live caps and their children.
 */
type SlotRef = { raw: number } | { occ: number };

type Op =
  | { op: 'mint'; task: number; src: SlotRef; dst: SlotRef; rights: number; badge: number }
  | { op: 'copy'; task: number; src: SlotRef; dst: SlotRef }
  | { op: 'move'; task: number; src: SlotRef; dst: SlotRef }
  | { op: 'delete'; task: number; slot: SlotRef }
  | { op: 'revoke'; task: number; slot: SlotRef }
  | { op: 'transfer'; from: number; names: SlotRef[]; grantMask: number; recvSlots: SlotRef[] };

/** The same op with every slot resolved to a number against the model's occupancy. */
type Resolved =
  | { op: 'mint'; task: number; src: number; dst: number; rights: number; badge: number }
  | { op: 'copy' | 'move'; task: number; src: number; dst: number }
  | { op: 'delete' | 'revoke'; task: number; slot: number }
  | { op: 'transfer'; from: number; names: number[]; grantMask: number; recvSlots: number[] };

const raw = fc.integer({ min: 0, max: MAX_SLOT }).map((n): SlotRef => ({ raw: n }));
const occ = fc.nat({ max: 1000 }).map((n): SlotRef => ({ occ: n }));
/** Mostly live caps: for sources and targets of delete and revoke. */
const live = fc.oneof({ weight: 4, arbitrary: occ }, { weight: 1, arbitrary: raw });
/** Mostly raw slots: for destinations, which must usually be free. */
const dest = fc.oneof({ weight: 4, arbitrary: raw }, { weight: 1, arbitrary: occ });
const task = fc.integer({ min: 0, max: TASKS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mint' as const), task, src: live, dst: dest, rights: fc.integer({ min: 0, max: 15 }), badge: fc.constantFrom(0, 0, 1, 2, 3) }),
  fc.record({ op: fc.constant('copy' as const), task, src: live, dst: dest }),
  fc.record({ op: fc.constant('move' as const), task, src: live, dst: dest }),
  fc.record({ op: fc.constant('delete' as const), task, slot: live }),
  fc.record({ op: fc.constant('revoke' as const), task, slot: live }),
  fc.record({
    op: fc.constant('transfer' as const),
    from: task,
    names: fc.array(live, { minLength: 1, maxLength: 3 }),
    grantMask: fc.integer({ min: 0, max: 7 }),
    recvSlots: fc.array(dest, { minLength: 3, maxLength: 3 }),
  }),
);

function resolveSlot(m: Model, t: number, r: SlotRef): number {
  if ('raw' in r) return r.raw;
  const used = [...m.spaces[t]!.keys()].filter((s) => s <= MAX_SLOT).sort((a, b) => a - b);
  return used.length === 0 ? 0 : used[r.occ % used.length]!;
}

function resolve(m: Model, o: Op): Resolved {
  switch (o.op) {
    case 'mint':
      return { ...o, src: resolveSlot(m, o.task, o.src), dst: resolveSlot(m, o.task, o.dst) };
    case 'copy':
    case 'move':
      return { op: o.op, task: o.task, src: resolveSlot(m, o.task, o.src), dst: resolveSlot(m, o.task, o.dst) };
    case 'delete':
    case 'revoke':
      return { op: o.op, task: o.task, slot: resolveSlot(m, o.task, o.slot) };
    case 'transfer':
      return {
        op: 'transfer',
        from: o.from,
        names: o.names.map((r) => resolveSlot(m, o.from, r)),
        grantMask: o.grantMask,
        recvSlots: o.recvSlots.map((r) => resolveSlot(m, 1 - o.from, r)),
      };
  }
}

// ------------------------------------------------------------------ the system under test

/** Transport endpoint slots, outside the slots the random operations name. */
const INBOX = 100;
const OUTBOX = 101;

interface World {
  k: Kernel;
  tasks: Task[];
  model: Model;
}

function build(): World {
  const k = kernel();
  const model = new Model();
  const tasks = [k.createTask('a', { slots: SIZE }), k.createTask('b', { slots: SIZE })];
  tasks.forEach((t, i) => model.add(i, CAP_SELF, t.id, 'task'));
  const add = (ti: number, s: number, kind: 'endpoint' | 'notification') => {
    const t = tasks[ti]!;
    if (kind === 'endpoint') k.createEndpoint(t, s);
    else k.createNotification(t, s);
    model.add(ti, s, t.cspace.get(s)!.obj.id, kind);
  };
  add(0, 3, 'endpoint');
  add(0, 4, 'notification');
  add(1, 3, 'endpoint');
  add(1, 5, 'notification');
  // Each task receives on its INBOX and sends to the other's through OUTBOX (with Grant).
  for (const t of tasks) k.createEndpoint(t, INBOX);
  k.grant(tasks[1]!, INBOX, tasks[0]!, { rights: Rights.CallGrant, slot: OUTBOX });
  k.grant(tasks[0]!, INBOX, tasks[1]!, { rights: Rights.CallGrant, slot: OUTBOX });
  return { k, tasks, model };
}

/** Perform one op in the kernel (from inside a thread, as a task would) and return [status, count]. */
function perform(w: World, o: Resolved): { st: number; count: number } {
  const { k, tasks } = w;
  const res = { st: -1, count: -1 };
  if (o.op === 'transfer') {
    const from = tasks[o.from]!;
    const to = tasks[1 - o.from]!;
    k.spawn(to, function* (sys: Sys) {
      o.recvSlots.forEach((s, i) => (sys.utcb.recvSlots[i] = s));
      yield sys.recv(INBOX);
      res.count = sys.utcb.capCount;
    });
    k.spawn(from, function* (sys: Sys) {
      o.names.forEach((n, i) => (sys.utcb.caps[i] = n));
      sys.utcb.grantMask = o.grantMask;
      res.st = yield sys.send(OUTBOX, 0, 0, o.names.length);
      // A rejected send delivered nothing: release the receiver with an empty message.
      if (res.st !== Status.Ok) yield sys.send(OUTBOX, 0);
    });
    k.run();
    if (res.st !== Status.Ok) res.count = -1;
    return res;
  }
  k.spawn(tasks[o.task]!, function* (sys: Sys) {
    switch (o.op) {
      case 'mint':
        res.st = sys.mint(o.src, o.dst, o.rights, o.badge);
        break;
      case 'copy':
        res.st = sys.copy(o.src, o.dst);
        break;
      case 'move':
        res.st = sys.move(o.src, o.dst);
        break;
      case 'delete':
        res.st = sys.delete(o.slot);
        break;
      case 'revoke':
        res.st = sys.revoke(o.slot);
        break;
    }
    yield sys.yield();
  });
  k.run();
  return res;
}

function applyModel(m: Model, o: Resolved): { st: number; count: number } {
  switch (o.op) {
    case 'mint':
      return { st: m.mint(o.task, o.src, o.dst, o.rights, o.badge), count: -1 };
    case 'copy':
      return { st: m.mint(o.task, o.src, o.dst, Rights.All, 0), count: -1 };
    case 'move':
      return { st: m.move(o.task, o.src, o.dst), count: -1 };
    case 'delete':
      return { st: m.remove(o.task, o.slot), count: -1 };
    case 'revoke':
      return { st: m.revoke(o.task, o.slot), count: -1 };
    case 'transfer':
      return m.transfer(o.from, 1 - o.from, o.names, o.grantMask, o.recvSlots);
  }
}

/** A kernel cap as a task's cap space holds it (the class is not part of the public API). */
type Cap = NonNullable<ReturnType<Task['cspace']['get']>>;

/** Location "task:slot" of a kernel cap, or null. */
function whereCap(w: World, c: Cap | null): string | null {
  if (c === null || c.cspace === null) return null;
  const ti = w.tasks.findIndex((t) => t.cspace === c.cspace);
  return `${ti}:${c.slot}`;
}

/** Compare every slot the operations can reach: object, rights, badge, derivation parent. */
function compare(w: World): void {
  for (let ti = 0; ti < TASKS; ti++) {
    for (let s = 0; s <= MAX_SLOT; s++) {
      const kc = w.tasks[ti]!.cspace.get(s);
      const mc = w.model.spaces[ti]!.get(s);
      const got = kc === null ? null : { obj: kc.obj.id, rights: kc.rights, badge: kc.badge, parent: whereCap(w, kc.parent) };
      const want =
        mc === undefined ? null : { obj: mc.obj, rights: mc.rights, badge: mc.badge, parent: mc.parent === null ? null : w.model.where(mc.parent) };
      expect(got, `slot ${ti}:${s}`).toEqual(want);
    }
  }
  // The transport endpoints are never touched, and no IPC is left half-done.
  for (const t of w.tasks) expect(t.cspace.get(INBOX)).not.toBeNull();
  expect(w.k.idle).toBe(true);
  expect(invariantViolations(w.k)).toEqual([]);
}

describe('cap space properties', () => {
  it('C5 / D3 / R2 / B2 / B3: random cap operations and transfers never diverge from the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
        const w = build();
        compare(w);
        for (const op of ops) {
          const o = resolve(w.model, op);
          const want = applyModel(w.model, o);
          const got = perform(w, o);
          expect(got, JSON.stringify(o)).toEqual(want);
          compare(w);
        }
        expect(w.k.counters.faults).toBe(0);
      }),
      { seed: 0x5eed, numRuns: 200 },
    );
  });

  it('C2 / C3 / Decision 9: transfers that go wrong change nothing or truncate, never half-move a cap', () => {
    const transferOnly = opArb.filter((o) => o.op === 'transfer');
    fc.assert(
      fc.property(fc.array(fc.oneof(transferOnly, opArb), { minLength: 5, maxLength: 30, size: 'max' }), (ops) => {
        const w = build();
        for (const op of ops) {
          const o = resolve(w.model, op);
          const want = applyModel(w.model, o);
          expect(perform(w, o), JSON.stringify(o)).toEqual(want);
        }
        compare(w);
      }),
      { seed: 0xc3, numRuns: 100 },
    );
  });
});
