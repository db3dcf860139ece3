// Faults as IPC (F1, F2): the fault message a faulting thread sends to its handler, the
// handler's reply deciding resume or stop, and threads without a valid handler.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_SELF, FAULT_WORDS, FaultKind, FaultReply, RECV_PHASE, RecordingTracer, Rights, Status, type Sys, type ThreadBody } from '../../core/index.ts';
import { kernel, rig, stateOf, clientServer } from './harness.ts';

describe('faults', () => {
  it('F1: a thread whose body throws sends a fault message to its handler, as if it had called it', () => {
    const k = kernel();
    const a = k.createTask('a');
    const pager = k.createTask('pager');
    const fep = k.createEndpoint(pager);
    const fcap = k.grant(pager, fep, a, { rights: Rights.Call, badge: 0x51 });
    const got: Record<string, unknown> = {};
    k.spawn(pager, function* (sys: Sys) {
      const st = yield sys.recv(fep);
      const u = sys.utcb;
      Object.assign(got, {
        st,
        label: u.label,
        length: u.length,
        words: Array.from(u.mr.subarray(0, u.length)),
        badge: u.badge,
        item: u.itemsIn[0],
      });
    });
    const t = k.spawn(
      a,
      function* () {
        throw new Error('boom');
      },
      { faultHandler: fcap },
    );
    k.run();
    expect(got).toEqual({
      st: Status.Ok,
      label: FaultKind.UserException,
      length: FAULT_WORDS,
      // B1: no thread or task ids; the handler tells threads apart by the badge.
      words: [],
      badge: 0x51,
      item: 'Error: boom',
    });
    expect(k.counters.faults).toBe(1);
  });

  it('F1: while the handler has not answered, the thread is faulted and waits for the reply', () => {
    const k = kernel();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(fep);
      sys.saveCaller(40);
    });
    const t = k.spawn(
      a,
      function* () {
        throw new Error('x');
      },
      { faultHandler: fep },
    );
    k.run();
    expect(stateOf(t)).toBe('faulted (blocked-reply)');
  });

  it('F1: the handler replying Resume restarts a thrown body from its entry; Stop stops it for good', () => {
    const k = kernel();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    let runs = 0;
    const t = k.spawn(
      a,
      function* (sys: Sys) {
        runs++;
        yield sys.yield();
        throw new Error(`run ${runs}`);
      },
      { faultHandler: fep, priority: 50 },
    );
    const seen: unknown[] = [];
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(fep);
      seen.push(sys.utcb.itemsIn[0]);
      yield sys.reply(FaultReply.Resume);
      yield sys.recv(fep);
      seen.push(sys.utcb.itemsIn[0]);
      yield sys.reply(FaultReply.Stop);
      yield sys.recv(fep);
    });
    k.run();
    expect(seen).toEqual(['Error: run 1', 'Error: run 2']);
    expect(runs).toBe(2);
    expect(stateOf(t)).toBe('faulted');
    expect(k.counters.faults).toBe(2);
  });

  it('F1: a thread that yields a non-syscall faults with UnknownSyscall; Resume continues it with InvalidArgument', () => {
    const k = kernel();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    const out: unknown[] = [];
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(fep);
      out.push(sys.utcb.label);
      yield sys.reply(FaultReply.Resume);
    });
    // A body that yields something other than a syscall token (only plain JS can).
    const rogue = function* (): Generator<unknown, void, number> {
      const st = yield 'not a syscall';
      out.push(st);
    } as unknown as ThreadBody;
    const t = k.spawn(a, rogue, { faultHandler: fep, priority: 50 });
    k.run();
    expect(out).toEqual([FaultKind.UnknownSyscall, Status.InvalidArgument]);
    expect(stateOf(t)).toBe('exited');
  });

  it('F1: a continuation body that throws faults the same way', () => {
    const k = kernel();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    let label = -1;
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(fep);
      label = sys.utcb.label;
      yield sys.reply(FaultReply.Stop);
    });
    const t = k.spawn(
      a,
      () => () => {
        throw new TypeError('cont');
      },
      { faultHandler: fep },
    );
    k.run();
    expect(label).toBe(FaultKind.UserException);
    expect(stateOf(t)).toBe('faulted');
  });

  it('F1: the fault is traced with the handler endpoint', () => {
    const { k, tr } = rig();
    const a = k.createTask('a');
    const fep = k.createEndpoint(a);
    k.spawn(a, function* (sys: Sys) {
      yield sys.recv(fep);
      yield sys.reply(FaultReply.Stop);
    });
    const t = k.spawn(
      a,
      function* () {
        throw new Error('traced');
      },
      { faultHandler: fep },
    );
    k.run();
    const faults = tr.events.filter((e) => e.type === 'fault');
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ thread: t.id, kind: FaultKind.UserException, message: 'Error: traced', handler: a.cspace.get(fep)!.obj.id });
  });

  it('F2: a thread with no fault handler is stopped for good; nothing else is affected', () => {
    const k = kernel();
    const tr = new RecordingTracer();
    k.setTracer(tr);
    const a = k.createTask('a');
    const ep = k.createEndpoint(a);
    let peer = 0;
    const bad = k.spawn(a, function* () {
      throw new Error('no handler');
    });
    const good = k.spawn(a, function* (sys: Sys) {
      for (let i = 0; i < 3; i++) {
        peer++;
        yield sys.yield();
      }
      yield sys.recv(ep);
    });
    k.run();
    expect(stateOf(bad)).toBe('faulted');
    expect(peer).toBe(3);
    expect(stateOf(good)).toBe('blocked-recv');
    expect(tr.events.find((e) => e.type === 'fault')).toMatchObject({ handler: -1 });
  });

  it('F2: a handler invalid at fault time (emptied, replaced by a notification or a Read-only cap, dead) stops the thread for good', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const ep = k.createEndpoint(a);
    const n = k.createNotification(a);
    const other = k.createTask('other');
    const dead = k.createEndpoint(other);
    const deadCap = k.grant(other, dead, a, { rights: Rights.Call });
    // Every handler is valid when set (F1); all but the dead one change before the fault.
    for (const s of [300, 301, 302]) k.grant(a, ep, a, { rights: Rights.Call, slot: s });
    const throwing = function* () {
      throw new Error('x');
    };
    const sts: number[] = [];
    k.spawn(
      a,
      function* (sys: Sys) {
        [300, 301, 302, deadCap].forEach((h, i) => sts.push(sys.createThread(CAP_FACTORY, CAP_SELF, 50 + i, throwing, { priority: 10, faultHandler: h })));
        sts.push(sys.delete(300), sys.delete(301), sys.delete(302));
        sts.push(sys.mint(n, 301, Rights.All), sys.mint(ep, 302, Rights.Read));
      },
      { priority: 200 },
    );
    k.deleteTask(other); // the only Read cap goes: the endpoint is dead
    k.run();
    expect(sts.every((st) => st === Status.Ok)).toBe(true);
    const ts = [...a.threads];
    expect(ts.map(stateOf)).toEqual(['faulted', 'faulted', 'faulted', 'faulted']);
    expect(k.counters.faults).toBe(4);
  });

  it('F2: a server stopped for good aborts the caller it owed a reply (Decision 4)', () => {
    const { k, srv, cli, ep, cep } = clientServer(Rights.Call);
    let st = -1;
    k.spawn(cli, function* (sys) {
      st = yield sys.call(cep, 1);
    });
    k.spawn(srv, function* (sys: Sys) {
      yield sys.recv(ep);
      throw new Error('server bug');
    });
    k.run();
    expect(st).toBe(Status.Aborted | RECV_PHASE);
  });

  it('F1: setFaultHandler through a thread cap names the handler for a created thread', () => {
    const k = kernel();
    const a = k.createTask('a', { quota: 10 });
    const fep = k.createEndpoint(a);
    let label = -1;
    const sts: number[] = [];
    k.spawn(
      a,
      function* (sys: Sys) {
        const child = function* () {
          throw new Error('child');
        };
        sts.push(sys.createThread(CAP_FACTORY, CAP_SELF, 50, child, { priority: 10 }));
        sts.push(sys.setFaultHandler(50, fep));
        yield sys.recv(fep);
        label = sys.utcb.label;
        yield sys.reply(FaultReply.Stop);
      },
      { priority: 200 },
    );
    k.run();
    expect(sts).toEqual([Status.Ok, Status.Ok]);
    expect(label).toBe(FaultKind.UserException);
  });
});
