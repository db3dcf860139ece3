// The reauthentication rendezvous: a user and a server meet on a rendezvous cap, in
// either order; the server learns the user's ids and the user gets the server's new port.
// Each half waits interruptibly (EINTR), with a deadline on kernel time (ETIMEDOUT), and
// fails cleanly when every copy of the rendezvous cap is gone (ECONNABORTED); the port a
// waiting server handed in never stays behind in auth.

import { describe, expect, it } from 'vitest';
import { HostSys, type Task } from '../../../core/index.ts';
import { Auth } from '../../../servers/auth/index.ts';
import { copiesOf, deleteCap, authWorld, settle, track, type AuthWorld } from './world.ts';

/** A user (uid 1000) and a server (root), a rendezvous made by the user and copied to the server, and a port the server will hand over. */
async function meeting(w: AuthWorld) {
  const user = w.user('user', { uid: 1000, gid: 100, groups: [20] });
  const server = w.user('server', { uid: 0, gid: 0 });
  const { rendezvous } = await user.auth.rendezvous();
  const serverR = w.k.grant(user.task, rendezvous, server.task); // as io.reauthenticate would carry it
  const port = w.k.createEndpoint(server.task);
  return { user, server, rendezvous, serverR, port };
}

/** True when `slot` of `holder` names the same kernel object as `of[ofSlot]`. */
function sameObject(holder: Task, slot: number, of: Task, ofSlot: number): boolean {
  return copiesOf(holder, of, ofSlot).includes(slot);
}

describe('auth: rendezvous', () => {
  for (const order of ['user first', 'server first'] as const) {
    it(`matches the halves (${order}): the server learns the user's ids, the user gets the port`, async () => {
      const w = await authWorld();
      const m = await meeting(w);
      const userHalf = () => m.user.auth.userAuthenticate({ rendezvous: m.rendezvous, timeout: 0 });
      const serverHalf = () => m.server.auth.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 0 });
      let first: { done: boolean };
      let u: Awaited<ReturnType<typeof userHalf>>;
      let s: Awaited<ReturnType<typeof serverHalf>>;
      if (order === 'user first') {
        const p = userHalf();
        first = track(p);
        await settle(w.k);
        expect(first.done).toBe(false);
        s = await serverHalf();
        u = await p;
      } else {
        const p = serverHalf();
        first = track(p);
        await settle(w.k);
        expect(first.done).toBe(false);
        u = await userHalf();
        s = await p;
      }
      expect(s).toEqual({ euids: [1000], auids: [1000], egids: [100, 20], agids: [100, 20] });
      expect(sameObject(m.user.task, u.port, m.server.task, m.port)).toBe(true);
      // The port went through auth (granted on), leaving no copy behind there.
      expect(copiesOf(w.authTask, m.server.task, m.port)).toEqual([]);
    });
  }

  it('a port its server revoked while waiting is never replaced by the cap that later fills its slot', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    const s = track(m.server.auth.attempt.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 0 }));
    await settle(w.k);
    const [held] = copiesOf(w.authTask, m.server.task, m.port);
    expect(held).toBeDefined();
    // The server revokes what it offered: auth's copy goes and its slot is free.
    expect(new HostSys(w.k, m.server.task).revoke(m.port)).toBe(0);
    expect(w.authTask.cspace.get(held!)).toBeNull();
    // Another server's ports land in auth's receive window, then in that free slot.
    const other = await meeting(w);
    const second = await meeting(w);
    void other.server.auth.attempt.serverAuthenticate({ rendezvous: other.serverR, port: other.port, timeout: 0 });
    void second.server.auth.attempt.serverAuthenticate({ rendezvous: second.serverR, port: second.port, timeout: 0 });
    await settle(w.k);
    expect(w.authTask.cspace.get(held!)).not.toBeNull();
    // The user of the first rendezvous must not get another server's port.
    expect(await m.user.auth.attempt.userAuthenticate({ rendezvous: m.rendezvous, timeout: 0 })).toMatchObject({ ok: false, error: 'ECONNABORTED' });
    await settle(w.k);
    expect(s.value).toMatchObject({ ok: false, error: 'ECONNABORTED' });
    expect(w.authTask.cspace.get(held!)).not.toBeNull();
  });

  it('a waiting user half is interruptible (EINTR); the rendezvous can be used again', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    const ac = new AbortController();
    const p = m.user.auth.attempt.userAuthenticate({ rendezvous: m.rendezvous, timeout: 0 }, { signal: ac.signal });
    await settle(w.k);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, error: 'EINTR' });
    const again = m.user.auth.userAuthenticate({ rendezvous: m.rendezvous, timeout: 0 });
    const s = await m.server.auth.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 0 });
    expect(s.euids).toEqual([1000]);
    expect(sameObject(m.user.task, (await again).port, m.server.task, m.port)).toBe(true);
  });

  it('a waiting server half is interruptible (EINTR) and its port does not stay in auth', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    const ac = new AbortController();
    const p = m.server.auth.attempt.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 0 }, { signal: ac.signal });
    await settle(w.k);
    expect(copiesOf(w.authTask, m.server.task, m.port)).toHaveLength(1);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, error: 'EINTR' });
    await settle(w.k);
    expect(copiesOf(w.authTask, m.server.task, m.port)).toEqual([]);
  });

  it('each half answers ETIMEDOUT after its timeout of kernel time', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    let t0 = w.k.now();
    expect(await m.user.auth.attempt.userAuthenticate({ rendezvous: m.rendezvous, timeout: 300 })).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(w.k.now() - t0).toBe(300);
    t0 = w.k.now();
    const s = await m.server.auth.attempt.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 700 });
    expect(s).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(w.k.now() - t0).toBe(700);
    await settle(w.k);
    expect(copiesOf(w.authTask, m.server.task, m.port)).toEqual([]);
  });

  it('the user half fails with ECONNABORTED when every copy of the rendezvous cap is gone', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    const p = track(m.user.auth.attempt.userAuthenticate({ rendezvous: m.rendezvous, timeout: 0 }));
    await settle(w.k);
    deleteCap(w.k, m.user.task, m.rendezvous);
    await settle(w.k);
    expect(p.done).toBe(false); // the server still holds a copy
    deleteCap(w.k, m.server.task, m.serverR);
    await settle(w.k);
    expect(p.value).toMatchObject({ ok: false, error: 'ECONNABORTED' });
  });

  it('the server half fails with ECONNABORTED when every copy is gone, and auth lets its port go', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    const p = track(m.server.auth.attempt.serverAuthenticate({ rendezvous: m.serverR, port: m.port, timeout: 0 }));
    await settle(w.k);
    deleteCap(w.k, m.server.task, m.serverR);
    deleteCap(w.k, m.user.task, m.rendezvous);
    await settle(w.k);
    expect(p.value).toMatchObject({ ok: false, error: 'ECONNABORTED' });
    expect(copiesOf(w.authTask, m.server.task, m.port)).toEqual([]);
  });

  it('refuses a cap that is not a rendezvous (EINVAL) and a second waiter for the same half (EBUSY)', async () => {
    const w = await authWorld();
    const m = await meeting(w);
    expect(await m.user.auth.attempt.userAuthenticate({ rendezvous: m.user.cap, timeout: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const foreign = w.k.createEndpoint(m.server.task);
    expect(await m.server.auth.attempt.serverAuthenticate({ rendezvous: foreign, port: m.port, timeout: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const first = m.user.auth.attempt.userAuthenticate({ rendezvous: m.rendezvous, timeout: 100 });
    await settle(w.k);
    const other = w.user('other', { uid: 2000, gid: 200 });
    const otherR = w.k.grant(m.user.task, m.rendezvous, other.task);
    expect(await other.auth.attempt.userAuthenticate({ rendezvous: otherR, timeout: 0 })).toMatchObject({ ok: false, error: 'EBUSY' });
    expect(await first).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
  });

  it('every error auth declares has been produced', () => {
    // EPERM: handles.test.ts; EAGAIN: limits.test.ts; ECONNABORTED and ETIMEDOUT for both halves: above.
    const declared = new Set(Auth.list.flatMap((m) => m.errors));
    expect([...declared].sort()).toEqual(['EAGAIN', 'ECONNABORTED', 'EPERM', 'ETIMEDOUT']);
  });
});
