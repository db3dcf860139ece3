// Namespace.register / unregister / list over IPC, and the composer's host API: who may
// register (a property of the view), EEXIST, EPERM, ENAMETOOLONG, EINVAL, attaching a
// pending name, nesting a namespace of the same server (unwrapped by the kernel, C4).

import { describe, expect, it } from 'vitest';
import { Rights } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { MAX_ENTRIES, MAX_NAME, Namespace, Watcher } from '../../../servers/names/index.ts';
import { settle } from '../system/harness.ts';
import { CALL_ONLY, Echo, namesWorld, rightsOf } from './setup.ts';

describe('Namespace.register', () => {
  it('binds a cap through a view that may register; queries get at most its rights', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    const echo = w.echoFor(c.task);
    expect(await c.ns.attempt.register({ name: 'echo', cap: echo, rights: CALL_ONLY })).toMatchObject({ ok: true });
    const { cap } = await c.ns.query({ path: 'echo', wait: 0 });
    expect(rightsOf(c.task, cap)).toBe(CALL_ONLY);
    expect((await connect(Echo, w.k, c.task, cap).who()).task).toBe(c.task.id);
    expect((await c.ns.list()).entries).toEqual([{ name: 'echo', kind: 'cap' }]);
  });

  it('refuses a read-only view of the same namespace with EPERM', async () => {
    const w = await namesWorld();
    const writer = w.client('writer', { register: true });
    const reader = w.client('reader', { space: writer.space });
    expect(await reader.ns.attempt.register({ name: 'x', cap: w.echoFor(reader.task), rights: Rights.All })).toMatchObject({
      ok: false,
      error: 'EPERM',
    });
    await writer.ns.register({ name: 'x', cap: w.echoFor(writer.task), rights: Rights.All });
    expect(await reader.ns.attempt.unregister({ name: 'x' })).toMatchObject({ ok: false, error: 'EPERM' });
    // The reader still sees what the writer registered.
    expect((await reader.ns.list()).entries).toEqual([{ name: 'x', kind: 'cap' }]);
  });

  it('answers EEXIST for a bound name, and attaches a pending one', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    await c.ns.register({ name: 'echo', cap: w.echoFor(c.task), rights: Rights.All });
    expect(await c.ns.attempt.register({ name: 'echo', cap: w.echoFor(c.task), rights: Rights.All })).toMatchObject({ ok: false, error: 'EEXIST' });
    c.space.bindPending('later');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 }); // sync
    await c.ns.register({ name: 'later', cap: w.echoFor(c.task), rights: Rights.All });
    expect((await events.next({ timeout: 0 })).event).toMatchObject({ kind: 'attached', name: 'later' });
  });

  it('answers ENAMETOOLONG above 255 bytes and EINVAL for bad names or rights', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    const echo = w.echoFor(c.task);
    // 200 UTF-16 units (within the interface's bound), 400 UTF-8 bytes.
    expect(await c.ns.attempt.register({ name: 'é'.repeat(200), cap: echo, rights: Rights.All })).toMatchObject({ ok: false, error: 'ENAMETOOLONG' });
    expect(await c.ns.attempt.register({ name: 'x'.repeat(MAX_NAME + 1), cap: echo, rights: Rights.All })).toMatchObject({ ok: false, error: 'EINVAL' });
    for (const name of ['', 'a/b', '.', '..']) {
      expect(await c.ns.attempt.register({ name, cap: echo, rights: Rights.All }), name).toMatchObject({ ok: false, error: 'EINVAL' });
    }
    expect(await c.ns.attempt.register({ name: 'ok', cap: echo, rights: 0x100 })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(c.space.size).toBe(0);
  });

  it('nests a namespace of the same server: the cap comes back unwrapped and resolves server-side', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    const sub = w.names.createNamespace('sub');
    sub.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    const subView = w.names.installView(sub, c.task);
    await c.ns.register({ name: 'sub', cap: subView, rights: Rights.All });
    expect((await c.ns.list()).entries).toEqual([{ name: 'sub', kind: 'namespace' }]);
    expect((await c.ns.attempt.query({ path: 'sub/echo', wait: 0 })).ok).toBe(true);
  });

  it('refuses other objects of the name server itself (a watcher) with EINVAL', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    const { watcher } = await c.ns.watch();
    expect(await c.ns.attempt.register({ name: 'w', cap: watcher, rights: Rights.All })).toMatchObject({ ok: false, error: 'EINVAL' });
  });
});

describe('Namespace.unregister and list', () => {
  it('removes a name (ENOENT when absent) and deletes the cap the server kept', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    await settle(w.k);
    const before = [...w.namesTask.cspace.entries()].length;
    await c.ns.register({ name: 'echo', cap: w.echoFor(c.task), rights: Rights.All });
    expect([...w.namesTask.cspace.entries()].length).toBe(before + 1);
    await c.ns.unregister({ name: 'echo' });
    expect([...w.namesTask.cspace.entries()].length).toBe(before);
    expect(await c.ns.attempt.unregister({ name: 'echo' })).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(await c.ns.attempt.query({ path: 'echo', wait: 0 })).toMatchObject({ ok: false, error: 'ENOENT' });
  });

  it('lists caps, namespaces and pending names, sorted', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('zeta');
    c.space.bindNamespace('dir', w.names.createNamespace('dir'));
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    expect((await c.ns.list()).entries).toEqual([
      { name: 'dir', kind: 'namespace' },
      { name: 'echo', kind: 'cap' },
      { name: 'zeta', kind: 'pending' },
    ]);
  });
});

describe('host API of the name server', () => {
  it('answers errors as values: EBADF, ENOENT, EEXIST, EINVAL, ENOSPC', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    expect(c.space.register('x', { task: c.task, slot: 999 })).toBe('EBADF');
    expect(c.space.attach('missing', { task: c.task, slot: w.echoFor(c.task) })).toBe('ENOENT');
    c.space.register('bound', { task: c.task, slot: w.echoFor(c.task) });
    expect(c.space.attach('bound', { task: c.task, slot: w.echoFor(c.task) })).toBe('EEXIST');
    expect(c.space.bindPending('bound')).toBe('EEXIST');
    expect(c.space.bindPending('a/b')).toBe('EINVAL');
    expect(c.space.bindPending('x'.repeat(300))).toBe('ENAMETOOLONG');
    expect(c.space.unregister('nope')).toBe('ENOENT');
    const full = w.names.createNamespace('full');
    for (let i = 0; i < MAX_ENTRIES; i++) expect(full.bindPending(`n${i}`)).toBeNull();
    expect(full.bindPending('one-more')).toBe('ENOSPC');
  });

  it('destroying a namespace revokes its views and empties it', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    c.space.destroy();
    await settle(w.k);
    expect(c.task.cspace.get(c.slot)).toBeNull();
    expect(await c.ns.attempt.list()).toMatchObject({ ok: false, error: 'EBADF' });
    expect(w.names.spaces()).not.toContain(c.space);
  });

  it('a nested namespace that was destroyed disappears from its parent', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const sub = w.names.createNamespace('sub');
    c.space.bindNamespace('sub', sub);
    sub.destroy();
    expect(await c.ns.attempt.query({ path: 'sub', wait: 0 })).toMatchObject({ ok: false, error: 'ENOENT' });
    expect(c.space.list()).toEqual([]);
    expect(c.space.bindNamespace('again', sub)).toBe('ENOENT');
  });
});
