// Auth handles: getids answers the four id vectors, and makeauth follows the Hurd's union
// rule: allowed when the union of this handle and up to two others holds uid 0
// (effective or available) or every requested id; EPERM otherwise.

import { describe, expect, it } from 'vitest';
import { connect } from '../../../libcap/index.ts';
import { Auth, idsFor, ROOT_IDS } from '../../../servers/auth/index.ts';
import { authWorld } from './world.ts';

const none = { euids: [], auids: [], egids: [], agids: [] };

describe('auth: getids', () => {
  it('answers the ids a handle was installed with', async () => {
    const w = await authWorld();
    const root = w.user('root');
    const alice = w.user('alice', { uid: 1000, gid: 100, groups: [10, 100] });
    const full = w.user('full', { euids: [5], auids: [5, 6], egids: [7], agids: [] });
    expect(await root.auth.getids()).toEqual(ROOT_IDS);
    expect(await alice.auth.getids()).toEqual({ euids: [1000], auids: [1000], egids: [100, 10], agids: [100, 10] });
    expect(await full.auth.getids()).toEqual({ euids: [5], auids: [5, 6], egids: [7], agids: [] });
    expect(idsFor(1000, 100, [10])).toEqual({ euids: [1000], auids: [1000], egids: [100, 10], agids: [100, 10] });
  });
});

describe('auth: makeauth', () => {
  it('makes a handle with a subset of the ids held, effective or available', async () => {
    const w = await authWorld();
    const u = w.user('u', { euids: [1000], auids: [1000, 1001], egids: [100], agids: [100, 200] });
    const { handle } = await u.auth.makeauth({ euids: [1001], auids: [1000], egids: [200], agids: [] });
    expect(await connect(Auth, w.k, u.task, handle).getids()).toEqual({ euids: [1001], auids: [1000], egids: [200], agids: [] });
    // The empty handle: nobody.
    const { handle: nobody } = await u.auth.makeauth(none);
    expect(await connect(Auth, w.k, u.task, nobody).getids()).toEqual(none);
  });

  it('answers EPERM for any id the handles do not hold, in each of the four vectors', async () => {
    const w = await authWorld();
    const u = w.user('u', { uid: 1000, gid: 100 });
    for (const ask of [
      { ...none, euids: [0] },
      { ...none, auids: [1001] },
      { ...none, egids: [0] },
      { ...none, agids: [101] },
      { euids: [1000], auids: [1000], egids: [100], agids: [100, 5] },
    ]) {
      expect(await u.auth.attempt.makeauth(ask)).toMatchObject({ ok: false, error: 'EPERM' });
    }
  });

  it('takes the union of up to two other handles', async () => {
    const w = await authWorld();
    const a = w.user('a', { uid: 1000, gid: 100 });
    const b = w.user('b', { uid: 2000, gid: 200 });
    const c = w.user('c', { uid: 3000, gid: 300 });
    // a holds copies of b's and c's handles (as if they had been passed to it).
    const bInA = w.k.grant(b.task, b.cap, a.task);
    const cInA = w.k.grant(c.task, c.cap, a.task);
    const want = { euids: [1000, 2000, 3000], auids: [2000], egids: [300], agids: [100, 200] };
    expect(await a.auth.attempt.makeauth({ other1: bInA, ...want })).toMatchObject({ ok: false, error: 'EPERM' });
    const { handle } = await a.auth.makeauth({ other1: bInA, other2: cInA, ...want });
    expect(await connect(Auth, w.k, a.task, handle).getids()).toEqual(want);
    // The other handle alone in the second position counts too.
    await a.auth.makeauth({ other2: cInA, euids: [3000], auids: [], egids: [], agids: [] });
  });

  it('lets uid 0 make any ids, whether it holds uid 0 effective or only available', async () => {
    const w = await authWorld();
    const root = w.user('root');
    const any = { euids: [12345], auids: [1], egids: [99, 98], agids: [7] };
    const { handle } = await root.auth.makeauth(any);
    expect(await connect(Auth, w.k, root.task, handle).getids()).toEqual(any);
    // A setuid-root program: root only in its available uids (the Hurd's isroot checks both).
    const saved = w.user('saved', { euids: [1000], auids: [0], egids: [100], agids: [] });
    await saved.auth.makeauth(any);
    // Root lent through another handle counts as well.
    const u = w.user('u', { uid: 1000, gid: 100 });
    const rootInU = w.k.grant(root.task, root.cap, u.task);
    await u.auth.makeauth({ other1: rootInU, ...any });
  });

  it('answers EPERM when another handle is not a handle of this auth server', async () => {
    const w = await authWorld();
    const root = w.user('root');
    const { rendezvous } = await root.auth.rendezvous();
    expect(await root.auth.attempt.makeauth({ other1: rendezvous, ...none })).toMatchObject({ ok: false, error: 'EPERM' });
    const foreign = w.k.createEndpoint(root.task);
    expect(await root.auth.attempt.makeauth({ other2: foreign, ...none })).toMatchObject({ ok: false, error: 'EPERM' });
  });
});
