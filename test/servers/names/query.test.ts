// Namespace.query: resolution through nested namespaces (server-side), rights never
// above the registration, ENOENT / ENOTDIR / EAGAIN, waiting for a pending name (attach,
// timeout, cancel, removal), and the path rules (EINVAL, ENAMETOOLONG).

import { describe, expect, it } from 'vitest';
import { Rights } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { MAX_NAME, MAX_PATH, Namespace } from '../../../servers/names/index.ts';
import { advance, settle, track } from '../system/harness.ts';
import { CALL_ONLY, Echo, namesWorld, rightsOf } from './setup.ts';

describe('Namespace.query', () => {
  it('resolves a 3-level path through nested namespaces to the registered cap', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const a = w.names.createNamespace('a');
    const b = w.names.createNamespace('b');
    expect(c.space.bindNamespace('a', a)).toBeNull();
    expect(a.bindNamespace('b', b)).toBeNull();
    expect(b.register('echo', { task: c.task, slot: w.echoFor(c.task) })).toBeNull();
    const { cap } = await c.ns.query({ path: 'a/b/echo', wait: 0 });
    const who = await connect(Echo, w.k, c.task, cap).who();
    // The cap carries the identity it was installed with: this client's.
    expect(who.task).toBe(c.task.id);
  });

  it('answers a cap with rights never above the registration', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const full = w.echoFor(c.task);
    expect(rightsOf(c.task, full)).toBe(Rights.CallGrant);
    c.space.register('narrow', { task: c.task, slot: full }, CALL_ONLY);
    c.space.register('wide', { task: c.task, slot: full }, Rights.All);
    const narrow = await c.ns.query({ path: 'narrow', wait: 0 });
    const wide = await c.ns.query({ path: 'wide', wait: 0 });
    expect(rightsOf(c.task, narrow.cap)).toBe(CALL_ONLY);
    // All asked for, but never more than the cap the server holds.
    expect(rightsOf(c.task, wide.cap)).toBe(Rights.CallGrant);
  });

  it('grants the answer: the server keeps no copy of what it hands out', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    await settle(w.k);
    const before = [...w.namesTask.cspace.entries()].length;
    for (let i = 0; i < 5; i++) {
      const { cap } = await c.ns.query({ path: 'echo', wait: 0 });
      await w.k.exec(c.task, function* (sys) {
        sys.delete(cap);
      });
    }
    await settle(w.k);
    expect([...w.namesTask.cspace.entries()].length).toBe(before);
  });

  it('answers a nested namespace as a view that resolves the rest', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const sub = w.names.createNamespace('sub');
    c.space.bindNamespace('sub', sub);
    sub.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    const { cap } = await c.ns.query({ path: 'sub', wait: 0 });
    const subNs = connect(Namespace, w.k, c.task, cap);
    expect((await subNs.list()).entries).toEqual([{ name: 'echo', kind: 'cap' }]);
    expect((await subNs.attempt.query({ path: 'echo', wait: 0 })).ok).toBe(true);
  });

  it('answers ENOENT for unknown names, ENOTDIR through a cap', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    expect(await c.ns.attempt.query({ path: 'nope', wait: 0 })).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(await c.ns.attempt.query({ path: 'echo/deeper', wait: 0 })).toMatchObject({ ok: false, error: 'ENOTDIR' });
    // Waiting does not apply to unknown names: only the parent binds names.
    expect(await c.ns.attempt.query({ path: 'nope', wait: 1000 })).toMatchObject({ ok: false, error: 'ENOENT' });
  });

  it('answers EAGAIN for a pending name, and with wait answers once it is attached', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('echo');
    expect(await c.ns.attempt.query({ path: 'echo', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 5000 }));
    await settle(w.k);
    expect(q.done).toBe(false);
    expect(c.space.attach('echo', { task: c.task, slot: w.echoFor(c.task) })).toBeNull();
    await settle(w.k);
    expect(q.done).toBe(true);
    expect(q.value?.ok).toBe(true);
  });

  it('waits through a pending namespace in the middle of a path', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('dir');
    const q = track(c.ns.attempt.query({ path: 'dir/echo', wait: 5000 }));
    await settle(w.k);
    const dir = w.names.createNamespace('dir');
    dir.bindPending('echo');
    c.space.bindNamespace('dir', dir); // attaches the pending 'dir'
    await settle(w.k);
    expect(q.done).toBe(false); // now waiting on 'echo' inside dir
    dir.attach('echo', { task: c.task, slot: w.echoFor(c.task) });
    await settle(w.k);
    expect(q.value?.ok).toBe(true);
  });

  it('times out a wait with ETIMEDOUT on the kernel clock', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('echo');
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 200 }));
    await advance(w.k, 199);
    expect(q.done).toBe(false);
    await advance(w.k, 1);
    expect(q.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(c.space.waiters.size).toBe(0);
  });

  it('answers ENOENT to a waiting query when the pending name is removed', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('echo');
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 5000 }));
    await settle(w.k);
    expect(c.space.unregister('echo')).toBeNull();
    await settle(w.k);
    expect(q.value).toMatchObject({ ok: false, error: 'ENOENT' });
  });

  it('lets the client cancel a wait (EINTR) and forgets it', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('echo');
    const ac = new AbortController();
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 5000 }, { signal: ac.signal }));
    await settle(w.k);
    ac.abort();
    await settle(w.k);
    expect(q.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(c.space.waiters.size).toBe(0);
  });

  it('refuses empty components, dot components and absolute paths with EINVAL', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    for (const path of ['', 'a//b', '/a', 'a/', '.', 'a/../b', '..']) {
      expect(await c.ns.attempt.query({ path, wait: 0 }), path).toMatchObject({ ok: false, error: 'EINVAL' });
    }
  });

  it('answers ENAMETOOLONG for a component above 255 bytes or a path above 1024 bytes', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    expect(await c.ns.attempt.query({ path: 'x'.repeat(MAX_NAME + 1), wait: 0 })).toMatchObject({ ok: false, error: 'ENAMETOOLONG' });
    expect(await c.ns.attempt.query({ path: `a/${'x'.repeat(MAX_NAME + 1)}/b`, wait: 0 })).toMatchObject({ ok: false, error: 'ENAMETOOLONG' });
    // 600 UTF-16 units fit the interface's string bound, but are 1200 UTF-8 bytes.
    const wide = Array.from({ length: 6 }, () => 'é'.repeat(99)).join('/');
    expect(wide.length).toBeLessThanOrEqual(MAX_PATH);
    expect(await c.ns.attempt.query({ path: wide, wait: 0 })).toMatchObject({ ok: false, error: 'ENAMETOOLONG' });
    // Above the interface's bound in UTF-16 units, the codec refuses it: EINVAL.
    expect(await c.ns.attempt.query({ path: 'a/'.repeat(MAX_PATH), wait: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
  });

  it('keeps the view read-only all the way down a nested path', async () => {
    const w = await namesWorld();
    const owner = w.client('owner', { register: true });
    const sub = w.names.createNamespace('sub');
    owner.space.bindNamespace('sub', sub, { register: true });
    // The same namespace seen read-only by a second client.
    const reader = w.client('reader', { space: owner.space });
    const mine = await owner.ns.query({ path: 'sub', wait: 0 });
    const theirs = await reader.ns.query({ path: 'sub', wait: 0 });
    const echoSlot = w.echoFor(owner.task);
    const mineNs = connect(Namespace, w.k, owner.task, mine.cap);
    expect(await mineNs.attempt.register({ name: 'e', cap: echoSlot, rights: Rights.All })).toMatchObject({ ok: true });
    const readerEcho = w.echoFor(reader.task);
    const theirsNs = connect(Namespace, w.k, reader.task, theirs.cap);
    expect(await theirsNs.attempt.register({ name: 'f', cap: readerEcho, rights: Rights.All })).toMatchObject({ ok: false, error: 'EPERM' });
  });

  it('answers EAGAIN when a registered cap was revoked, and waits for it to be attached again', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const other = w.k.createTask('other');
    c.space.register('echo', { task: other, slot: w.echoFor(other) });
    expect((await c.ns.attempt.query({ path: 'echo', wait: 0 })).ok).toBe(true);
    // The identity the cap carried dies: the echo bucket revokes every copy of it.
    w.k.deleteTask(other);
    await settle(w.k);
    expect(await c.ns.attempt.query({ path: 'echo', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(c.space.list()).toEqual([{ name: 'echo', kind: 'pending' }]);
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 1000 }));
    await settle(w.k);
    expect(c.space.attach('echo', { task: c.task, slot: w.echoFor(c.task) })).toBeNull();
    await settle(w.k);
    expect(q.value?.ok).toBe(true);
  });
});
