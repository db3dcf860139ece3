// Sessions: RPCs on a cap through shared memory (libcap/session.ts), served by the same
// bucket machinery as kernel calls: answers, declared and library errors, deferred,
// generator and parked (inhibited) calls, limits, revocation, a dead peer, and the
// methods that stay on the kernel path. Virtual time.

import { describe, expect, it } from 'vitest';
import { NEVER, RecordingTracer, Status, type IpcEvent, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { isSession, openSession, sessionStub, SESSION_OPEN, stub, type RpcResult, type Session } from '../../libcap/index.ts';
import { Ctl, mustCreate, world, type World } from './harness.ts';

/** A ctl world whose bucket serves sessions, its server task given memory for answer rings. */
function sessionWorld(limits?: { sessions: number }): World {
  return world({ sessions: true, memQuota: 1 << 20, ...(limits === undefined ? {} : { limits }) });
}

/** A client task with memory for its request rings and a cap to a fresh ctl object. */
function client(w: World, name = 'cli'): { task: Task; slot: number } {
  const task = w.k.createTask(name, { quota: 100, memQuota: 1 << 20 });
  const obj = mustCreate(w.bucket, w.cls);
  const slot = w.bucket.install(obj, task);
  obj.unref();
  return { task, slot };
}

/** Open a session on `slot` (throws on an errno: a test bug where the test expects one). */
function* open(sys: Sys, slot: number): SysGen<Session> {
  const s: Session | RpcResult<never> = yield* openSession(sys, slot);
  if (!isSession(s)) throw new Error(`openSession: ${JSON.stringify(s)}`);
  return s;
}

const show = (r: RpcResult<unknown>): unknown => (r.ok ? r.value : r.error);
const errorOf = (r: RpcResult<never>): string => (r.ok ? 'ok' : r.error);

/** Kernel IPCs through the bucket's endpoint, by label. */
function ipcs(tr: RecordingTracer): number[] {
  return tr.events.filter((e): e is IpcEvent => e.type === 'ipc' && e.op !== 'reply').map((e) => e.label);
}

describe('sessions', () => {
  it('calls through the session answer as through the kernel, and only the open crosses the kernel', () => {
    const w = sessionWorld();
    const c = client(w);
    const tr = new RecordingTracer();
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const s = yield* open(sys, c.slot);
      w.k.setTracer(tr);
      const ctl = sessionStub(Ctl, sys, s);
      got.push(show(yield* ctl.add({ by: 5 })));
      got.push(show(yield* ctl.get()));
      got.push(show(yield* ctl.name({ s: 'bob' })));
      got.push(show(yield* ctl.add({ by: 2000 }))); // declared error
      got.push(show(yield* ctl.unimpl())); // declared, no handler
      got.push(show(yield* ctl.boom())); // the handler throws
      got.push(show(yield* ctl.name({ s: 'far too long' }))); // the client's own validation
      w.k.setTracer(null);
    });
    w.k.run();
    expect(got).toEqual([{ value: 5 }, { value: 5 }, { s: 'hi bob' }, 'EOVERFLOW', 'EOPNOTSUPP', 'EIO', 'EINVAL']);
    expect(w.log.calls).toEqual(['add', 'get', 'add', 'boom']);
    // Wake-ups are signals, not IPC: no message went through the kernel after the open.
    expect(ipcs(tr)).toEqual([]);
  });

  it('deferred, generator and parked calls are answered through the session when their answer comes', async () => {
    const w = sessionWorld();
    const c = client(w);
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const s = yield* open(sys, c.slot);
      const ctl = sessionStub(Ctl, sys, s);
      got.push(show(yield* ctl.hold({ id: 7 }))); // deferred: released below
      got.push(show(yield* ctl.block({ ms: 30 }))); // a generator handler (sleeps)
      yield sys.sleep(100);
      got.push(show(yield* ctl.get())); // parked while the bucket is inhibited
    });
    w.k.run();
    expect(w.log.held.has(7)).toBe(true);
    w.log.release(7, 70);
    w.k.advance(10);
    expect(got).toEqual([{ value: 70 }]);
    w.k.advance(30);
    expect(got).toEqual([{ value: 70 }, { value: 30 }]);
    // The get (sent at about 140) is parked until the bucket resumes.
    const inhibited = w.bucket.inhibit();
    w.k.advance(200);
    expect(await inhibited).toBeNull();
    w.k.advance(200);
    expect(got).toHaveLength(2);
    expect(w.bucket.parked).toHaveLength(1);
    w.bucket.resume();
    w.k.advance(200);
    expect(got).toEqual([{ value: 70 }, { value: 30 }, { value: 0 }]);
  });

  it('methods that carry caps, one-way messages and an AbortSignal go through the kernel on the same cap', () => {
    const w = sessionWorld();
    const c = client(w);
    const tr = new RecordingTracer();
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const s = yield* open(sys, c.slot);
      w.k.setTracer(tr);
      const ctl = sessionStub(Ctl, sys, s);
      const sub = yield* ctl.open();
      got.push(sub.ok && typeof sub.value.sub === 'number');
      yield* ctl.note({ n: 3 });
      got.push(show(yield* ctl.get({}, { signal: new AbortController().signal })));
      w.k.setTracer(null);
    });
    w.k.run();
    expect(got).toEqual([true, { value: 0 }]);
    expect(w.log.notes).toEqual([3]);
    expect(ipcs(tr)).toEqual([6, 9, 1]);
  });

  it('a bucket without sessions answers the open ENOSYS; past the client\'s sessions limit EAGAIN', () => {
    const plain = world({ memQuota: 1 << 20 });
    const a = client(plain);
    let first: unknown;
    plain.k.spawn(a.task, function* (sys: Sys) {
      const s = yield* openSession(sys, a.slot);
      first = isSession(s) ? 'open' : errorOf(s);
    });
    plain.k.run();
    expect(first).toBe('ENOSYS');

    const w = sessionWorld({ sessions: 2 });
    const c = client(w);
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const opened: Session[] = [];
      for (let i = 0; i < 3; i++) {
        const s = yield* openSession(sys, c.slot);
        got.push(isSession(s) ? 'open' : errorOf(s));
        if (isSession(s)) opened.push(s);
      }
      // Closing one gives its place back once the server has seen it go.
      opened[0]!.close(sys);
      yield sys.sleep(1100);
      const again = yield* openSession(sys, c.slot);
      got.push(isSession(again) ? 'open' : errorOf(again));
    });
    w.k.advance(2000);
    expect(got).toEqual(['open', 'open', 'EAGAIN', 'open']);
  });

  it('a server that cannot pay for the answer ring answers ENOMEM, and keeps serving', () => {
    const w = world({ sessions: true }); // no memory quota for dataspaces
    const c = client(w);
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const s = yield* openSession(sys, c.slot);
      got.push(isSession(s) ? 'open' : errorOf(s));
      got.push(show(yield* stub(Ctl, sys, c.slot).get()));
    });
    w.k.run();
    expect(got).toEqual(['ENOMEM', { value: 0 }]);
  });

  it('a revoked cap: the session answers EBADF and closes; later calls go through the kernel and answer EBADF too', () => {
    const w = sessionWorld();
    const task = w.k.createTask('cli', { quota: 100, memQuota: 1 << 20 });
    const obj = mustCreate(w.bucket, w.cls);
    const slot = w.bucket.install(obj, task);
    const got: unknown[] = [];
    let session: Session | null = null;
    w.k.spawn(task, function* (sys: Sys) {
      session = yield* open(sys, slot);
      const ctl = sessionStub(Ctl, sys, session);
      got.push(show(yield* ctl.get()));
      yield sys.sleep(50);
      got.push(show(yield* ctl.get()));
      yield sys.sleep(250);
      got.push(show(yield* ctl.get()));
    });
    w.k.advance(10);
    w.bucket.revokeObject(obj);
    obj.unref();
    w.k.advance(1000);
    expect(got).toEqual([{ value: 0 }, 'EBADF', 'EBADF']);
    expect(session!.closed).toBe(true);
  });

  it('a client that dies: the server closes the session and gives its place back; a server task that dies: EPIPE', () => {
    const w = sessionWorld({ sessions: 1 });
    const c = client(w);
    w.k.spawn(c.task, function* (sys: Sys) {
      yield* open(sys, c.slot);
      yield sys.sleep(NEVER);
    });
    w.k.advance(10);
    const cl = w.bucket.clientList()[0]!;
    expect(cl.used('sessions')).toBe(1);
    w.k.deleteTask(c.task);
    w.k.advance(1100);
    expect(w.bucket.clientList().every((x) => x.used('sessions') === 0)).toBe(true);

    const v = sessionWorld();
    const d = client(v);
    const got: unknown[] = [];
    v.k.spawn(d.task, function* (sys: Sys) {
      const s = yield* open(sys, d.slot);
      const ctl = sessionStub(Ctl, sys, s);
      got.push(show(yield* ctl.hold({ id: 1 }))); // never released: the server dies meanwhile
      got.push(s.closed);
    });
    v.k.advance(10);
    v.k.deleteTask(v.srv);
    v.k.advance(300);
    expect(got).toEqual(['EPIPE', true]);
  });

  it('a call that times out answers ETIMEDOUT and cancels at the server; the late answer never passes for the next', () => {
    const w = sessionWorld();
    const c = client(w);
    const got: unknown[] = [];
    w.k.spawn(c.task, function* (sys: Sys) {
      const s = yield* open(sys, c.slot);
      const ctl = sessionStub(Ctl, sys, s);
      got.push(show(yield* ctl.hold({ id: 4 }, { timeout: 20 })));
      got.push(show(yield* ctl.add({ by: 1 })));
    });
    w.k.advance(100);
    expect(got).toEqual(['ETIMEDOUT', { value: 1 }]);
    expect(w.log.aborted).toEqual([4]);
  });

  it('an open message without a complete offer is refused EINVAL and leaves nothing behind', () => {
    const w = sessionWorld();
    const c = client(w);
    let label = -1;
    w.k.spawn(c.task, function* (sys: Sys) {
      const st: number = yield sys.call(c.slot, SESSION_OPEN, 2);
      if (st === Status.Ok) label = sys.utcb.label;
    });
    w.k.run();
    expect(label).toBe(22); // EINVAL
    expect(w.bucket.clientList().every((x) => x.used('sessions') === 0)).toBe(true);
  });

  it('an idle session costs one wake of its thread per DEFAULT_SESSION_IDLE_CHECK_MS, not a spin', () => {
    const w = sessionWorld();
    const c = client(w);
    w.k.spawn(c.task, function* (sys: Sys) {
      yield* open(sys, c.slot);
      yield sys.sleep(NEVER);
    });
    w.k.advance(10);
    const tr = new RecordingTracer();
    w.k.setTracer(tr);
    w.k.advance(10_000);
    w.k.setTracer(null);
    const wakes = tr.events.filter((e) => e.type === 'wake').length;
    expect(wakes).toBeGreaterThanOrEqual(9);
    expect(wakes).toBeLessThanOrEqual(12);
  });
});
