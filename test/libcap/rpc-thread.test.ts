// Continuation stubs (rpc-thread.ts): the same answers as the generator stubs for
// replies, declared and library errors, bad arguments, kernel statuses and reply caps;
// timeouts that cancel at the server; cancellation through a signal; the thread's own
// syscalls going to its own continuation; refused calls in a loop in bounded stack.

import { describe, expect, it } from 'vitest';
import { Status, type Continuation, type Sys, type Syscall, type SysGen } from '../../core/index.ts';
import { rpcThread, stub, type RpcResult, type RpcThread } from '../../libcap/index.ts';
import { advance, Ctl, settle, track, world } from './harness.ts';

type Step = (t: RpcThread, done: (v: unknown) => null) => Continuation;

/** Run a continuation thread of `task` made by `step`; resolves with what it passed to done(). */
function contThread(w: ReturnType<typeof world>, task: Parameters<typeof w.k.spawn>[0], step: Step): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const th = w.k.spawn(
      task,
      rpcThread((t) =>
        step(t, (v) => {
          resolve(v);
          return null;
        }),
      ),
    );
    th.onExit = (_v, e, failed) => {
      if (failed) reject(e);
    };
  });
}

/** Calls made one after another by a continuation thread, each a function of the stub. */
function sequence(calls: ((then: (r: RpcResult<unknown>) => Syscall | null) => Syscall | null)[], done: (v: unknown) => null): Continuation {
  const out: RpcResult<unknown>[] = [];
  let i = 0;
  const next = (r: RpcResult<unknown>): Syscall | null => {
    out.push(r);
    return ++i === calls.length ? done(out) : calls[i]!(next);
  };
  return () => calls[0]!(next);
}

describe('continuation stubs', () => {
  it('answer as the generator stubs do: replies, declared and library errors, bad arguments', async () => {
    const w = world();
    const a = w.client();
    const b = w.client();
    const got = await contThread(w, a.task, (t, done) => {
      const s = t.stub(Ctl, a.slot);
      return sequence(
        [(k) => s.add({ by: 3 }, k), (k) => s.get(undefined, k), (k) => s.add({ by: 5000 }, k), (k) => s.unimpl(undefined, k), (k) => s.name({ s: 'x'.repeat(9) }, k), (k) => s.boom(undefined, k)],
        done,
      );
    });
    const want = await w.k.exec(b.task, function* (sys: Sys): SysGen<RpcResult<unknown>[]> {
      const s = stub(Ctl, sys, b.slot);
      return [yield* s.add({ by: 3 }), yield* s.get(), yield* s.add({ by: 5000 }), yield* s.unimpl(), yield* s.name({ s: 'x'.repeat(9) }), yield* s.boom()];
    });
    expect(got).toEqual(want);
    expect(got).toEqual([
      { ok: true, value: { value: 3 } },
      { ok: true, value: { value: 3 } },
      { ok: false, error: 'EOVERFLOW', message: 'ctl.add' },
      { ok: false, error: 'EOPNOTSUPP', message: 'ctl.unimpl' },
      { ok: false, error: 'EINVAL', message: 'ctl.name: s: string longer than 8' },
      { ok: false, error: 'EIO', message: 'ctl.boom' },
    ]);
  });

  it('a kernel status is the errno the generator stub answers (an empty slot: EBADF)', async () => {
    const w = world();
    const a = w.client();
    const got = await contThread(w, a.task, (t, done) => {
      const s = t.stub(Ctl, 999);
      // A method with a reply and one without (whose success is the shared empty result).
      return sequence([(k) => s.get(undefined, k), (k) => s.unimpl(undefined, k)], done);
    });
    expect(got).toMatchObject([
      { ok: false, error: 'EBADF', message: 'ctl.get: kernel InvalidCapability' },
      { ok: false, error: 'EBADF', message: 'ctl.unimpl: kernel InvalidCapability' },
    ]);
  });

  it('a reply cap lands in a slot of the client, as with the generator stub', async () => {
    const w = world();
    const a = w.client();
    const got = (await contThread(w, a.task, (t, done) => {
      const s = t.stub(Ctl, a.slot);
      return () =>
        s.open(undefined, (r) => {
          if (!r.ok) return done(r);
          const sub = (r.value as { sub: number }).sub;
          return s.get(undefined, (g) => done({ sub, id: t.sys.identify(sub), g }));
        });
    })) as { sub: number; id: unknown; g: unknown };
    expect(got.sub).toBeGreaterThan(0);
    expect(got.sub).not.toBe(a.slot);
    expect(got.id).not.toBeNull();
    expect(got.g).toEqual({ ok: true, value: { value: 0 } });
  });

  it('a call that times out answers ETIMEDOUT and cancels the handler at the server', async () => {
    const w = world();
    const a = w.client();
    const r = track(
      contThread(w, a.task, (t, done) => {
        const s = t.stub(Ctl, a.slot);
        return sequence([(k) => s.hold({ id: 8 }, k, { timeout: 5 }), (k) => s.block({ ms: 50 }, k, { timeout: 5 }), (k) => s.get(undefined, k)], done);
      }),
    );
    await advance(w.k, 5);
    await advance(w.k, 5);
    expect(w.log.aborted).toEqual([8]);
    await advance(w.k, 50);
    expect(w.log.blockAborted).toEqual([50]);
    expect(w.bucket.stats().inflight).toBe(0);
    // The generator stub, the same calls: the same answers (the get made while the
    // cancelled block still runs is refused, EBUSY, as the thread's one RPC in flight).
    const b = w.client();
    const g = track(
      w.k.exec(b.task, function* (sys: Sys): SysGen<RpcResult<unknown>[]> {
        const s = stub(Ctl, sys, b.slot);
        return [yield* s.hold({ id: 9 }, { timeout: 5 }), yield* s.block({ ms: 50 }, { timeout: 5 }), yield* s.get()];
      }),
    );
    await advance(w.k, 5);
    await advance(w.k, 5);
    await advance(w.k, 50);
    expect(r.value).toMatchObject([{ error: 'ETIMEDOUT' }, { error: 'ETIMEDOUT' }, { error: 'EBUSY' }]);
    expect(r.value).toEqual(g.value);
  });

  it('a signal cancels the call (EINTR, the handler sees its signal); one aborted before never reaches the server', async () => {
    const w = world();
    const a = w.client();
    const ac = new AbortController();
    const gone = AbortSignal.abort();
    const r = track(
      contThread(w, a.task, (t, done) => {
        const s = t.stub(Ctl, a.slot);
        return sequence([(k) => s.hold({ id: 3 }, k, { signal: ac.signal }), (k) => s.add({ by: 1 }, k, { signal: gone }), (k) => s.get(undefined, k)], done);
      }),
    );
    await settle(w.k);
    expect(w.log.held.has(3)).toBe(true);
    ac.abort();
    await settle(w.k);
    expect(w.log.aborted).toEqual([3]);
    expect(w.log.release(3)).toBe(false); // the late answer is ignored
    expect(r.value).toEqual([
      { ok: false, error: 'EINTR', message: 'ctl.hold' },
      { ok: false, error: 'EINTR', message: 'ctl.add: aborted' },
      { ok: true, value: { value: 0 } },
    ]);
    expect(w.log.calls).toEqual(['hold', 'get']);
    expect(w.bucket.stats().inflight).toBe(0);
  });

  it("the thread's own syscalls report to its own continuation, the calls' to their callbacks", async () => {
    const w = world();
    const a = w.client();
    const seen: string[] = [];
    const r = track(
      contThread(w, a.task, (t, done) => {
        const s = t.stub(Ctl, a.slot);
        let slept = false;
        return (status) => {
          seen.push(`own ${status}`);
          if (slept) return s.get(undefined, (g) => done(g));
          slept = true;
          return s.add({ by: 2 }, (x) => {
            seen.push(`add ${x.ok}`);
            return t.sys.sleep(10);
          });
        };
      }),
    );
    await advance(w.k, 10);
    const sleeper = track(w.k.exec(a.task, function* (sys: Sys): SysGen<number> {
      return yield sys.sleep(10);
    }));
    await advance(w.k, 10);
    const sleepStatus = sleeper.value;
    expect(r.value).toEqual({ ok: true, value: { value: 2 } });
    // The sleep's own status (a timeout, as a generator thread's `yield sys.sleep()` sees).
    expect(seen).toEqual([`own ${Status.Ok}`, 'add true', `own ${sleepStatus}`]);
  });

  it('refused calls in a loop answer EINVAL each, in bounded stack', async () => {
    const w = world();
    const a = w.client();
    const n = 100_000;
    const got = await contThread(w, a.task, (t, done) => {
      const s = t.stub(Ctl, a.slot);
      let refused = 0;
      const next = (r: RpcResult<unknown>): Syscall | null => {
        if (!r.ok && r.error === 'EINVAL') refused++;
        if (refused === n) return s.get(undefined, (g) => done({ refused, g }));
        return s.name({ s: 'too long a name' }, next);
      };
      return () => s.name({ s: 'too long a name' }, next);
    });
    expect(got).toEqual({ refused: n, g: { ok: true, value: { value: 0 } } });
    expect(w.log.calls).toEqual(['get']);
  });

  it('a second call while one is out is a bug (throws)', async () => {
    const w = world();
    const a = w.client();
    const p = contThread(w, a.task, (t) => {
      const s = t.stub(Ctl, a.slot);
      return () => {
        s.get(undefined, () => null);
        return s.get(undefined, () => null);
      };
    });
    await expect(p).rejects.toThrow('ctl.get: the thread already has a call out');
  });
});
