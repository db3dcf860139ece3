// Factories and quotas (L1): creation against a quota, failure without half-created
// objects, sub-factories bounded by their own quota, refunds when objects die.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_SELF, Kind, Rights, Status, snapshot, type Kernel, type Sys, type Task } from '../../core/index.ts';
import { kernel, stateOf } from './harness.ts';

function factoryUse(k: Kernel, task: Task, slot = CAP_FACTORY): { limit: number; used: number } {
  const id = task.cspace.get(slot)!.obj.id;
  const f = snapshot(k).factories.find((x) => x.id === id)!;
  return { limit: f.limit, used: f.used };
}

describe('factories', () => {
  it('L1: objects are created against the quota; when it is spent creation fails and nothing is half-created', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 3 });
    const before = snapshot(k).endpoints.length + snapshot(k).notifications.length;
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(sys.createEndpoint(CAP_FACTORY, 10));
      out.push(sys.createNotification(CAP_FACTORY, 11));
      out.push(sys.createEndpoint(CAP_FACTORY, 12));
      out.push(sys.createEndpoint(CAP_FACTORY, 13));
      out.push(sys.createNotification(CAP_FACTORY, 14));
      out.push(sys.createTask(CAP_FACTORY, 15, 'child'));
      out.push(sys.createThread(CAP_FACTORY, CAP_SELF, 16, function* () {}));
      out.push(sys.createFactory(CAP_FACTORY, 17, 1));
    });
    k.run();
    expect(out).toEqual([
      Status.Ok,
      Status.Ok,
      Status.Ok,
      Status.NotEnoughMemory,
      Status.NotEnoughMemory,
      Status.NotEnoughMemory,
      Status.NotEnoughMemory,
      Status.NotEnoughMemory,
    ]);
    expect([13, 14, 15, 16, 17].map((s) => a.cspace.get(s))).toEqual([null, null, null, null, null]);
    expect(factoryUse(k, a)).toEqual({ limit: 3, used: 3 });
    const s = snapshot(k);
    expect(s.endpoints.length + s.notifications.length).toBe(before + 3);
    expect(s.tasks.map((t) => t.name)).toEqual(['a']);
    expect(s.tasks[0]!.threads).toHaveLength(0);
  });

  it('L1: a failed creation (occupied destination, bad argument) charges nothing', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 5 });
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(sys.createEndpoint(CAP_FACTORY, CAP_SELF)); // occupied
      out.push(sys.createEndpoint(CAP_FACTORY, 0)); // invalid slot
      out.push(sys.createTask(CAP_FACTORY, 20, 'x', 3)); // too few slots
      out.push(sys.createFactory(CAP_FACTORY, 20, 0));
      out.push(sys.createFactory(CAP_FACTORY, 20, 1.5));
      out.push(sys.createFactory(CAP_FACTORY, 20, Number.NaN));
      out.push(sys.createThread(CAP_FACTORY, CAP_SELF, 20, function* () {}, { priority: 255 }));
      out.push(sys.createEndpoint(CAP_SELF, 20)); // not a factory
      out.push(sys.createEndpoint(30, 20)); // empty
    });
    k.run();
    expect(out).toEqual([
      Status.DeleteFirst,
      Status.RangeError,
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.InvalidArgument,
      Status.IllegalOperation, // above the creator's priority
      Status.InvalidCapability,
      Status.InvalidCapability,
    ]);
    expect(factoryUse(k, a)).toEqual({ limit: 5, used: 0 });
    expect(a.cspace.get(20)).toBeNull();
  });

  it('L1: a factory cap without Write cannot create', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 5 });
    const ro = k.grant(a, CAP_FACTORY, a, { rights: Rights.Read });
    let st = -1;
    k.spawn(a, function* (sys: Sys) {
      st = sys.createEndpoint(ro, 20);
    });
    k.run();
    expect(st).toBe(Status.InvalidCapability);
    expect(factoryUse(k, a).used).toBe(0);
  });

  it('L1: a sub-factory cannot exceed its own quota, and cannot be carved beyond its parent', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const out: number[] = [];
    k.spawn(a, function* (sys: Sys) {
      out.push(sys.createFactory(CAP_FACTORY, 20, 2));
      out.push(sys.createEndpoint(20, 21));
      out.push(sys.createEndpoint(20, 22));
      out.push(sys.createEndpoint(20, 23)); // sub-factory spent; the parent still has room
      out.push(sys.createEndpoint(CAP_FACTORY, 24));
      out.push(sys.createFactory(CAP_FACTORY, 25, 8)); // only 7 left
      out.push(sys.createFactory(20, 26, 1)); // carved from the spent sub-factory
    });
    k.run();
    expect(out).toEqual([
      Status.Ok,
      Status.Ok,
      Status.Ok,
      Status.NotEnoughMemory,
      Status.Ok,
      Status.NotEnoughMemory,
      Status.NotEnoughMemory,
    ]);
    expect(factoryUse(k, a)).toEqual({ limit: 10, used: 3 });
    expect(factoryUse(k, a, 20)).toEqual({ limit: 2, used: 2 });
  });

  it('L1: deleting an object, ending a thread or deleting a task gives its quota back', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 1 });
    const out: number[] = [];
    k.spawn(
      a,
      function* (sys: Sys) {
        for (let i = 0; i < 3; i++) {
          out.push(sys.createEndpoint(CAP_FACTORY, 20));
          out.push(sys.delete(20));
        }
        out.push(sys.createThread(CAP_FACTORY, CAP_SELF, 21, function* () {}));
        yield sys.yield(); // the child runs and ends
        out.push(sys.delete(21));
        for (let i = 0; i < 3; i++) {
          out.push(sys.createTask(CAP_FACTORY, 22, `t${i}`));
          out.push(sys.killTask(22));
          out.push(sys.delete(22));
        }
        out.push(sys.createNotification(CAP_FACTORY, 23));
      },
      { priority: 100 },
    );
    k.run();
    expect(out).toEqual(new Array<number>(out.length).fill(Status.Ok));
    expect(out).toHaveLength(1 + 6 + 2 + 9);
    expect(factoryUse(k, a)).toEqual({ limit: 1, used: 1 });
  });

  it('L1: a created thread runs in the named task at most at its creator priority', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 4 });
    const out: unknown[] = [];
    k.spawn(
      a,
      function* (sys: Sys) {
        out.push(sys.createTask(CAP_FACTORY, 20, 'child', 16));
        out.push(
          sys.createThread(CAP_FACTORY, 20, 21, function* (s: Sys) {
            out.push(`child runs in ${s.taskId} at ${s.priority}`);
          }),
        );
        out.push(sys.identify(21)?.kind, sys.identify(20)?.kind);
        yield sys.yield();
      },
      { priority: 60 },
    );
    k.run();
    const child = [...k.tasks.values()].find((t) => t.name === 'child')!;
    expect(out).toEqual([Status.Ok, Status.Ok, Kind.Thread, Kind.Task, `child runs in ${child.id} at 60`]);
    expect(child.cspace.size).toBe(16);
    expect([...child.threads].map(stateOf)).toEqual([]);
  });
});
