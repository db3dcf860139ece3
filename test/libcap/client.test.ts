// Client stubs (client.ts, host-caller.ts): in-thread stubs answering result values,
// generator handlers calling other servers, host clients, call timeouts, kernel
// statuses as errnos, and replies that do not match the interface (EPROTO).

import { describe, expect, it } from 'vitest';
import { Rights, Status, type Sys, type SysGen } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, kernelErrno, RpcError, stub, t, type RpcResult } from '../../libcap/index.ts';
import { advance, Ctl, mustCreate, settle, track, world } from './harness.ts';

describe('in-thread stubs', () => {
  it('each method is a generator answering a result value; errors are values, not throws', async () => {
    const w = world();
    const a = w.client();
    const out = await w.k.exec(a.task, function* (sys: Sys): SysGen<RpcResult<unknown>[]> {
      const s = stub(Ctl, sys, a.slot);
      return [yield* s.add({ by: 3 }), yield* s.get(), yield* s.add({ by: 5000 }), yield* s.unimpl(), yield* s.name({ s: 'x'.repeat(9) })];
    });
    expect(out[0]).toEqual({ ok: true, value: { value: 3 } });
    expect(out[1]).toEqual({ ok: true, value: { value: 3 } });
    expect(out[2]).toEqual({ ok: false, error: 'EOVERFLOW', message: 'ctl.add' });
    expect(out[3]).toMatchObject({ ok: false, error: 'EOPNOTSUPP' });
    expect(out[4]).toMatchObject({ ok: false, error: 'EINVAL', message: 'ctl.name: s: string longer than 8' });
  });

  it('a generator handler calls another server with stub(iface, ctx.sys, cap) and relays its answer', async () => {
    const w = world();
    const back = w.client(); // the backend object, reached through srvA's cap
    const srvA = w.k.createTask('front', { quota: 100, slots: 4096 });
    const capB = w.bucket.install(back.obj, srvA);
    const Front = defineInterface('front', { relay: { op: 1, args: { by: t.u32 }, reply: { value: t.u32 }, errors: ['EOVERFLOW'] } });
    const cls = defineClass({
      name: 'front',
      interface: Front,
      init: () => null,
      handlers: {
        *relay(ctx, { by }) {
          const r = yield* stub(Ctl, ctx.sys!, capB).add({ by });
          if (!r.ok) return r.error === 'EOVERFLOW' ? ctx.fail('EOVERFLOW') : ctx.fail('EIO');
          return { value: r.value.value * 10 };
        },
      },
    });
    const bA = Bucket.start(w.k, srvA, { maxWorkers: 2 });
    const o = mustCreate(bA, cls);
    const user = w.k.createTask('user');
    const f = connect(Front, w.k, user, bA.install(o, user));
    expect(await f.relay({ by: 2 })).toEqual({ value: 20 });
    expect(await f.attempt.relay({ by: 5000 })).toMatchObject({ ok: false, error: 'EOVERFLOW' });
    expect(await connect(Ctl, w.k, back.task, back.slot).get()).toEqual({ value: 2 });
  });
});

describe('host clients', () => {
  it('throwing form: RpcError with code, negative errno, syscall; attempt form: values', async () => {
    const w = world();
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    expect(c.cap).toBe(a.slot);
    const e = await c.add({ by: 5000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcError);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'EOVERFLOW', errno: -75, syscall: 'ctl.add', message: 'EOVERFLOW: value too large for defined data type, ctl.add' });
    const bad = await c.name({ s: 'too long string' }).catch((x: unknown) => x);
    expect((bad as RpcError).message).toBe('EINVAL: invalid argument, ctl.name (ctl.name: s: string longer than 8)');
  });

  it('concurrent host calls from one task each get their own answer', async () => {
    const w = world();
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    const calls = Array.from({ length: 30 }, (_, i) => track(c.hold({ id: i })));
    await settle(w.k);
    expect(w.log.held.size).toBe(30);
    for (let i = 0; i < 30; i++) w.log.release(i, 100 + i);
    await settle(w.k);
    expect(calls.map((x) => x.value?.value)).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
  });

  it('a call timeout answers ETIMEDOUT; the next calls from the same task are not refused', async () => {
    const w = world();
    const a = w.client();
    const c = connect(Ctl, w.k, a.task, a.slot);
    const timed = track(c.attempt.hold({ id: 1 }, { timeout: 50 }));
    await advance(w.k, 49);
    expect(timed.done).toBe(false);
    await advance(w.k, 1);
    expect(timed.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    // The server still holds the abandoned call; later calls of this client are served.
    const after = await Promise.all([c.attempt.get(), c.attempt.add({ by: 1 })]);
    expect(after).toEqual([
      { ok: true, value: { value: 0 } },
      { ok: true, value: { value: 1 } },
    ]);
    // The late answer of the abandoned call goes nowhere.
    w.log.release(1, 9);
    await settle(w.k);
    expect(await c.get()).toEqual({ value: 1 });
  });
});

describe('kernel statuses and bad replies', () => {
  /** A hand-written server on a raw endpoint that answers with `answer` (or misbehaves). */
  function rawServer(answer: (sys: Sys) => SysGen<void>) {
    const w = world();
    const srv = w.k.createTask('raw-srv');
    const ep = w.k.createEndpoint(srv);
    const cli = w.k.createTask('raw-cli');
    const cap = w.k.grant(srv, ep, cli, { rights: Rights.CallGrant, badge: 1 });
    w.k.spawn(srv, function* (sys: Sys): SysGen<void> {
      for (;;) {
        const st: number = yield sys.recv(ep);
        if (st !== Status.Ok) return;
        yield* answer(sys);
      }
    });
    return { w, srv, ep, c: connect(Ctl, w.k, cli, cap) };
  }

  it('a reply that does not match the interface answers EPROTO', async () => {
    const { w, c } = rawServer(function* (sys) {
      yield sys.reply(0, 0); // no words: `value` is missing
    });
    expect(await c.attempt.get()).toMatchObject({ ok: false, error: 'EPROTO', message: 'ctl.get: bad reply: missing word 0' });
    await settle(w.k);
  });

  it('an error label that is no known errno answers EIO', async () => {
    const { c } = rawServer(function* (sys) {
      yield sys.reply(9999);
    });
    expect(await c.attempt.get()).toMatchObject({ ok: false, error: 'EIO' });
  });

  it('a server that receives again without replying: ECONNABORTED; a dead endpoint: EPIPE', async () => {
    const { w, srv, ep, c } = rawServer(function* () {});
    expect(await c.attempt.get()).toMatchObject({ ok: false, error: 'ECONNABORTED' });
    w.k.deleteTask(srv);
    await settle(w.k);
    expect(ep).toBeGreaterThan(0);
    expect(await c.attempt.get()).toMatchObject({ ok: false, error: 'EPIPE' });
  });

  it('kernelErrno maps each failing status', () => {
    expect(kernelErrno(Status.InvalidCapability)).toBe('EBADF');
    expect(kernelErrno(Status.RangeError)).toBe('EBADF');
    expect(kernelErrno(Status.DeadPartner | 0x40)).toBe('EPIPE');
    expect(kernelErrno(Status.Aborted | 0x40)).toBe('ECONNABORTED');
    expect(kernelErrno(Status.Timeout)).toBe('ETIMEDOUT');
    expect(kernelErrno(Status.Cancelled)).toBe('EINTR');
    expect(kernelErrno(Status.InvalidArgument)).toBe('EINVAL');
    expect(kernelErrno(Status.NotEnoughMemory)).toBe('EIO');
  });

  it('a call through an empty slot answers EBADF', async () => {
    const w = world();
    const task = w.k.createTask('nobody');
    expect(await connect(Ctl, w.k, task, 77).attempt.get()).toMatchObject({ ok: false, error: 'EBADF' });
  });
});
