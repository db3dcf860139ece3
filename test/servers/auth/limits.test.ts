// What one client cannot do to the auth server: hold rendezvous without bound (EAGAIN),
// or have a port handed to nobody. A rendezvous half whose caller gave up is never
// matched: the port stays with its server half, which keeps waiting for a live user.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RENDEZVOUS } from '../../../servers/auth/index.ts';
import { copiesOf, deleteCap, authWorld, settle, track } from './world.ts';

describe('auth: limits', () => {
  it('bounds the rendezvous one client holds (EAGAIN); others are not affected; deleting one makes room', async () => {
    const w = await authWorld({ maxRendezvous: 2 });
    const a = w.user('a', { uid: 1000, gid: 100 });
    const b = w.user('b', { uid: 1001, gid: 100 });
    const first = (await a.auth.rendezvous()).rendezvous;
    await a.auth.rendezvous();
    expect(await a.auth.attempt.rendezvous()).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect((await b.auth.attempt.rendezvous()).ok).toBe(true);
    deleteCap(w.k, a.task, first);
    await settle(w.k);
    expect((await a.auth.attempt.rendezvous()).ok).toBe(true);
    expect(DEFAULT_MAX_RENDEZVOUS).toBe(64);
  });

  it('never hands the port to a user half whose caller timed out: the server half waits for a live one', async () => {
    const w = await authWorld();
    const user = w.user('user', { uid: 1000, gid: 100 });
    const server = w.user('server', { uid: 0, gid: 0 });
    const { rendezvous } = await user.auth.rendezvous();
    const serverR = w.k.grant(user.task, rendezvous, server.task);
    const port = w.k.createEndpoint(server.task);
    // The user gives up after 5 ms on its side; auth still has the half waiting.
    expect(await user.auth.attempt.userAuthenticate({ rendezvous, timeout: 0 }, { timeout: 5 })).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    const s = track(server.auth.serverAuthenticate({ rendezvous: serverR, port, timeout: 0 }));
    await settle(w.k);
    expect(s.done).toBe(false);
    // The port is still held by auth for the server half, not lost with the orphan.
    expect(copiesOf(w.authTask, server.task, port).length).toBe(1);
    const u = await user.auth.userAuthenticate({ rendezvous, timeout: 0 });
    expect(copiesOf(user.task, server.task, port)).toContain(u.port);
    await settle(w.k);
    expect(s.value).toMatchObject({ euids: [1000] });
    expect(w.auth.bucket.stats().inflight).toBe(0);
  });
});
