// Every error the test interface declares, and every error the library may answer
// (LIBRARY_ERRORS), is produced by a real call; plus the errno table (errno.ts).

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen } from '../../core/index.ts';
import { connect, ERRNO, errnoMessage, errnoName, isErrnoName, LIBRARY_ERRORS, type ErrnoName } from '../../libcap/index.ts';
import { Ctl, CTL_LIMIT, collectBugs, header, rawCall, settle, track, world } from './harness.ts';

const produced = new Map<string, Set<ErrnoName>>();
function saw(method: string, r: { ok: boolean; error?: ErrnoName } | { label: number }): void {
  const e = 'label' in r ? errnoName(r.label) : r.ok ? undefined : r.error;
  if (e === undefined) throw new Error(`test bug: ${method} did not fail`);
  let s = produced.get(method);
  if (s === undefined) produced.set(method, (s = new Set()));
  s.add(e);
}

function setup(opts: Parameters<typeof world>[0] = {}) {
  const w = world(opts);
  const a = w.client();
  const c = connect(Ctl, w.k, a.task, a.slot);
  const raw = (label: number, words: number[]) =>
    w.k.exec(a.task, function* (sys: Sys): SysGen<{ label: number }> {
      return yield* rawCall(sys, a.slot, { label, words });
    });
  return { w, a, c, raw };
}

describe('every declared error is produced', () => {
  it('EOVERFLOW (ctl.add, declared)', async () => {
    const { c } = setup();
    const r = await c.attempt.add({ by: CTL_LIMIT + 1 });
    expect(r).toEqual({ ok: false, error: 'EOVERFLOW', message: 'ctl.add' });
    saw('add', r);
    expect(await c.add({ by: CTL_LIMIT })).toEqual({ value: CTL_LIMIT });
    const r2 = await c.attempt.add({ by: 1 });
    saw('add', r2);
    expect(r2).toMatchObject({ error: 'EOVERFLOW' });
  });

  it('EINVAL: a malformed request', async () => {
    const { raw } = setup();
    const r = await raw(Ctl.methods.add.op, header(1, 1));
    expect(r.label).toBe(ERRNO.EINVAL);
    saw('add', r);
  });

  it('EINTR: the client cancelled', async () => {
    const { w, c } = setup();
    const ac = new AbortController();
    const p = c.attempt.hold({ id: 1 }, { signal: ac.signal });
    await settle(w.k);
    ac.abort();
    const r = await p;
    expect(r).toMatchObject({ error: 'EINTR' });
    saw('hold', r);
  });

  it('ECANCELED: the server ended while the call waited', async () => {
    const { w, c } = setup();
    expect(await w.bucket.inhibit()).toBeNull();
    const p = track(c.attempt.get());
    await settle(w.k);
    await w.bucket.end(true);
    await settle(w.k);
    expect(p.value).toMatchObject({ error: 'ECANCELED' });
    saw('get', p.value!);
  });

  it('ENOSYS: an unknown opcode', async () => {
    const { raw } = setup();
    const r = await raw(4321, header(1, 1));
    expect(r.label).toBe(ERRNO.ENOSYS);
    saw('(unknown)', r);
  });

  it('EOPNOTSUPP: declared, not implemented', async () => {
    const { c } = setup();
    const r = await c.attempt.unimpl();
    expect(r).toMatchObject({ error: 'EOPNOTSUPP' });
    saw('unimpl', r);
  });

  it('EBADF: the capability was revoked while the call was parked', async () => {
    const { w, a, c } = setup();
    expect(await w.bucket.inhibit()).toBeNull();
    const p = track(c.attempt.get());
    await settle(w.k);
    w.bucket.revoke(w.bucket.clientFor(a.task), a.obj);
    w.bucket.resume();
    await settle(w.k);
    expect(p.value).toMatchObject({ error: 'EBADF' });
    saw('get', p.value!);
  });

  it('EBUSY: the client thread already has an RPC in flight', async () => {
    const { w, a } = setup();
    void w.k.exec(a.task, function* (sys: Sys): SysGen<unknown> {
      return yield* rawCall(sys, a.slot, { label: Ctl.methods.hold.op, words: [...header(5, 1), 1] });
    });
    await settle(w.k);
    const r = await w.k.exec(a.task, function* (sys: Sys): SysGen<{ label: number }> {
      return yield* rawCall(sys, a.slot, { label: Ctl.methods.get.op, words: header(5, 2) });
    });
    expect(r.label).toBe(ERRNO.EBUSY);
    saw('get', r);
  });

  it('EIO: the handler failed', async () => {
    const bugs = collectBugs();
    try {
      const { c } = setup();
      const r = await c.attempt.boom();
      expect(r).toMatchObject({ error: 'EIO' });
      saw('boom', r);
      expect(bugs.list.length).toBe(1);
    } finally {
      bugs.restore();
    }
  });

  it('EAGAIN: the client reached its limit on RPCs in flight', async () => {
    const { w, c } = setup({ limits: { rpcs: 1 } });
    const held = track(c.attempt.hold({ id: 1 }));
    await settle(w.k);
    const r = await c.attempt.get();
    expect(r).toMatchObject({ error: 'EAGAIN' });
    saw('get', r);
    w.log.release(1);
    await settle(w.k);
    expect(held.value).toMatchObject({ ok: true });
  });

  it('EMFILE: the client reached its limit on capabilities', async () => {
    const { c } = setup({ limits: { caps: 1 } });
    const r = await c.attempt.open();
    expect(r).toMatchObject({ error: 'EMFILE' });
    saw('open', r);
  });

  it("ENOMEM: the server's cap space is full", async () => {
    const { c } = setup({ slots: 64, limits: { caps: Number.POSITIVE_INFINITY } });
    let r = await c.attempt.open();
    while (r.ok) r = await c.attempt.open();
    expect(r).toMatchObject({ error: 'ENOMEM' });
    saw('open', r);
  });

  it('(runs last) every error of the interface and every library error was produced above', () => {
    const all = new Set([...produced.values()].flatMap((s) => [...s]));
    for (const m of Ctl.list) for (const e of m.errors) expect(produced.get(m.name)?.has(e), `${m.fullName} ${e}`).toBe(true);
    for (const e of LIBRARY_ERRORS) expect(all.has(e), e).toBe(true);
    expect(all.size).toBe(LIBRARY_ERRORS.length + 1);
  });
});

describe('the errno table', () => {
  it('names and numbers are Linux and Node ones, both ways; unknown numbers have no name', () => {
    expect([ERRNO.ENOENT, ERRNO.EINTR, ERRNO.EBUSY, ERRNO.EOPNOTSUPP, ERRNO.ECANCELED]).toEqual([2, 4, 16, 95, 125]);
    for (const [name, n] of Object.entries(ERRNO)) expect(errnoName(n)).toBe(name);
    expect(errnoName(0)).toBeUndefined();
    expect(errnoName(9999)).toBeUndefined();
    expect(isErrnoName('EIO')).toBe(true);
    expect(isErrnoName('toString')).toBe(false);
    expect(isErrnoName(5)).toBe(false);
    expect(errnoMessage('ENOENT')).toBe('no such file or directory');
    expect(errnoMessage('ENOTRECOVERABLE')).toBe('enotrecoverable');
    expect(new Set(Object.values(ERRNO)).size).toBe(Object.keys(ERRNO).length);
  });
});
