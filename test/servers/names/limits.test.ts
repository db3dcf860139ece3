// What one client cannot do to the name server or to other clients: names that are not
// well-formed UTF-16 are refused at the door, waiting calls whose caller gave up are never
// served (nothing minted for nobody, events stay queued), waiting calls and watchers are
// bounded per client (EAGAIN), and a dead server's name is held for its restart: nobody
// else with a writable view may take it over (EBUSY) or remove it (EPERM).

import { describe, expect, it } from 'vitest';
import { Rights, taskSnapshot, type Sys, type SysGen } from '../../../core/index.ts';
import { connect, stub } from '../../../libcap/index.ts';
import { DEFAULT_MAX_NAMES, DEFAULT_MAX_WATCHERS, DEFAULT_NAMES_MAX_WAITERS, Namespace, Watcher } from '../../../servers/names/index.ts';
import { advance, ops, settle, track } from '../system/harness.ts';
import { Echo, namesWorld } from './setup.ts';

const LONE = 'svc\udc00';

describe('names: strings at the door', () => {
  it('refuses names and paths with a lone surrogate (EINVAL), host API included; list stays encodable', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    expect(await c.ns.attempt.register({ name: LONE, cap: w.echoFor(c.task), rights: Rights.All })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(await c.ns.attempt.query({ path: `a/${LONE}`, wait: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(await c.ns.attempt.unregister({ name: LONE })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(c.space.bindPending(LONE)).toBe('EINVAL');
    await c.ns.register({ name: 'ok-\ud83d\ude00', cap: w.echoFor(c.task), rights: Rights.All });
    expect((await c.ns.list()).entries).toEqual([{ name: 'ok-\ud83d\ude00', kind: 'cap' }]);
  });
});

describe('names: abandoned and bounded waiting calls', () => {
  it('a query whose caller timed out is never answered when the name attaches: nothing is minted for it', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('late');
    await settle(w.k);
    const endpoints = (): number => taskSnapshot(w.namesTask).caps.filter((x) => x.kind === 'endpoint').length;
    const before = endpoints();
    const q = track(c.ns.attempt.query({ path: 'late', wait: 1_000_000 }, { timeout: 10 }));
    await advance(w.k, 10);
    expect(q.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    const other = w.k.createTask('other');
    expect(c.space.attach('late', { task: other, slot: w.echoFor(other) })).toBeNull();
    await settle(w.k);
    expect(w.names.stats()).toMatchObject({ waiters: 0 });
    // Only the stored copy of the attached cap was added: no answer cap, no reply cap left.
    expect(endpoints()).toBe(before + 1);
    expect(taskSnapshot(w.namesTask).caps.filter((x) => x.kind === 'reply')).toEqual([]);
    expect(w.names.bucket.stats().inflight).toBe(0);
  });

  it('a watcher next whose caller timed out is never served: the event stays queued for the next call', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 }); // sync
    const gone = track(events.attempt.next({ timeout: 0 }, { timeout: 5 }));
    await advance(w.k, 5);
    expect(gone.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    await c.ns.register({ name: 'x', cap: w.echoFor(c.task), rights: Rights.All });
    await settle(w.k);
    expect((await events.next({ timeout: 0 })).event).toMatchObject({ kind: 'registered', name: 'x' });
    expect(w.names.stats()).toMatchObject({ waiters: 0 });
  });

  it('waiting calls whose thread died without a cancel are found gone: nothing minted, events kept, counted abandoned', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    c.space.bindPending('late');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 }); // sync
    const waiter = w.k.spawn(c.task, function* (sys: Sys): SysGen<void> {
      yield* stub(Namespace, sys, c.slot).query({ path: 'late', wait: 1_000_000 });
    });
    const watching = w.k.spawn(c.task, function* (sys: Sys): SysGen<void> {
      yield* stub(Watcher, sys, watcher).next({ timeout: 0 });
    });
    await settle(w.k);
    expect(w.names.stats().waiters).toBe(2);
    w.k.killThread(waiter);
    w.k.killThread(watching);
    await settle(w.k);
    const replies = (): number => taskSnapshot(w.namesTask).caps.filter((x) => x.kind === 'reply').length;
    expect(c.space.attach('late', { task: c.task, slot: w.echoFor(c.task) })).toBeNull();
    await settle(w.k);
    expect(w.names.stats()).toMatchObject({ waiters: 0, abandoned: 2 });
    expect(replies()).toBe(0);
    // The 'attached' event was not handed to the dead watcher: it is still queued.
    expect((await events.next({ timeout: 0 })).event).toMatchObject({ kind: 'attached', name: 'late' });
    expect(w.names.bucket.stats().inflight).toBe(0);
  });

  it('bounds the calls one client may have waiting (EAGAIN); abandoned ones are swept; others are not affected', async () => {
    const w = await namesWorld({ maxWaiters: 2 });
    const a = w.client('a');
    const b = w.client('b', { space: a.space });
    a.space.bindPending('late');
    const waiting = [track(a.ns.attempt.query({ path: 'late', wait: 1000 })), track(a.ns.attempt.query({ path: 'late', wait: 1000 }))];
    await settle(w.k);
    expect(await a.ns.attempt.query({ path: 'late', wait: 1000 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const { watcher } = await a.ns.watch();
    expect(await connect(Watcher, w.k, a.task, watcher).attempt.next({ timeout: 0 })).toMatchObject({ ok: true }); // sync, no wait
    expect(await connect(Watcher, w.k, a.task, watcher).attempt.next({ timeout: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const bq = track(b.ns.attempt.query({ path: 'late', wait: 1000 }));
    await advance(w.k, 1000);
    expect(waiting.map((t) => t.value?.ok === false && t.value.error)).toEqual(['ETIMEDOUT', 'ETIMEDOUT']);
    expect(bq.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    // A client that gives up early frees its places at its next call.
    for (let i = 0; i < 2; i++) void a.ns.attempt.query({ path: 'late', wait: 1_000_000 }, { timeout: 1 });
    await advance(w.k, 1);
    const again = track(a.ns.attempt.query({ path: 'late', wait: 50 }));
    await advance(w.k, 50);
    expect(again.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(DEFAULT_NAMES_MAX_WAITERS).toBe(64);
  });

  it('bounds the watchers one client holds (EAGAIN); deleting one makes room', async () => {
    const w = await namesWorld({ maxWatchers: 2 });
    const c = w.client('app');
    const other = w.client('other', { space: c.space });
    const first = (await c.ns.watch()).watcher;
    await c.ns.watch();
    expect(await c.ns.attempt.watch()).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect((await other.ns.attempt.watch()).ok).toBe(true);
    ops(w.k, c.task).delete(first);
    await settle(w.k);
    expect((await c.ns.attempt.watch()).ok).toBe(true);
    expect(w.names.stats().watchers).toBe(3);
    expect(DEFAULT_MAX_WATCHERS).toBe(64);
  });
});

describe('names: a dead server\'s name is held for its restart', () => {
  it('an impostor with a writable view gets EBUSY; the owner and the composer may bind it again', async () => {
    const w = await namesWorld();
    const owner = w.client('owner', { register: true });
    const impostor = w.client('impostor', { space: owner.space, register: true });
    const reader = w.client('reader', { space: owner.space });
    // The owner registers a cap carrying another task's identity; that task dies and the
    // echo service revokes the cap: the name is pending, held for the owner.
    const srv = w.k.createTask('srv');
    await owner.ns.register({ name: 'svc', cap: w.k.grant(srv, w.echoFor(srv), owner.task), rights: Rights.All });
    w.k.deleteTask(srv);
    await settle(w.k);
    expect(await reader.ns.attempt.query({ path: 'svc', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(await impostor.ns.attempt.register({ name: 'svc', cap: w.echoFor(impostor.task), rights: Rights.All })).toMatchObject({ ok: false, error: 'EBUSY' });
    expect(await impostor.ns.attempt.unregister({ name: 'svc' })).toMatchObject({ ok: false, error: 'EPERM' });
    await owner.ns.register({ name: 'svc', cap: w.echoFor(owner.task), rights: Rights.All });
    const got = await reader.ns.query({ path: 'svc', wait: 0 });
    const echo = connect(Echo, w.k, reader.task, got.cap);
    expect((await echo.who()).task).toBe(owner.task.id);
  });

  it('a name whose cap its owner revoked never resolves to the cap that later fills the same slot', async () => {
    const w = await namesWorld();
    const a = w.client('a', { register: true });
    const b = w.client('b', { space: a.space, register: true });
    const reader = w.client('reader', { space: a.space });
    const own = w.echoFor(a.task);
    const slots = (): number[] => taskSnapshot(w.namesTask).caps.map((x) => x.slot);
    const before = new Set(slots());
    await a.ns.register({ name: 'mine', cap: own, rights: Rights.All });
    const [held] = slots().filter((slot) => !before.has(slot));
    // a revokes what it handed out: the server's kept copy goes, its slot is free again.
    expect(ops(w.k, a.task).revoke(own)).toBe(0);
    expect(w.namesTask.cspace.get(held!)).toBeNull();
    // b's caps land in the server's receive window, then in the next free slot: a's old one.
    await b.ns.register({ name: 'filler', cap: w.echoFor(b.task), rights: Rights.All });
    await b.ns.register({ name: 'theirs', cap: w.echoFor(b.task), rights: Rights.All });
    expect(w.namesTask.cspace.get(held!)).not.toBeNull();
    expect(await reader.ns.attempt.query({ path: 'mine', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const got = await reader.ns.query({ path: 'theirs', wait: 0 });
    expect((await connect(Echo, w.k, reader.task, got.cap).who()).task).toBe(b.task.id);
    // a removing its dead name leaves b's cap where it is.
    await a.ns.unregister({ name: 'mine' });
    const again = await reader.ns.query({ path: 'theirs', wait: 0 });
    expect((await connect(Echo, w.k, reader.task, again.cap).who()).task).toBe(b.task.id);
  });

  it('a name the composer attached is held for the composer when its server dies', async () => {
    const w = await namesWorld();
    const impostor = w.client('impostor', { register: true });
    const srv = w.k.createTask('srv');
    impostor.space.bindPending('svc');
    expect(impostor.space.attach('svc', { task: srv, slot: w.echoFor(srv) })).toBeNull();
    w.k.deleteTask(srv);
    await settle(w.k);
    expect(await impostor.ns.attempt.register({ name: 'svc', cap: w.echoFor(impostor.task), rights: Rights.All })).toMatchObject({ ok: false, error: 'EBUSY' });
    expect(await impostor.ns.attempt.unregister({ name: 'svc' })).toMatchObject({ ok: false, error: 'EPERM' });
    const restarted = w.k.createTask('srv2');
    expect(impostor.space.attach('svc', { task: restarted, slot: w.echoFor(restarted) })).toBeNull();
    expect(impostor.space.list()).toEqual([{ name: 'svc', kind: 'cap' }]);
  });

  it('a client removes only the names it registered (EPERM for another client\'s)', async () => {
    const w = await namesWorld();
    const a = w.client('a', { register: true });
    const b = w.client('b', { space: a.space, register: true });
    await a.ns.register({ name: 'mine', cap: w.echoFor(a.task), rights: Rights.All });
    expect(await b.ns.attempt.unregister({ name: 'mine' })).toMatchObject({ ok: false, error: 'EPERM' });
    await a.ns.unregister({ name: 'mine' });
    expect((await b.ns.list()).entries).toEqual([]);
  });
});

describe('names: names per client', () => {
  it('bounds the names one client binds across namespaces (EDQUOT); its own held name does not count twice', async () => {
    const w = await namesWorld({ maxNames: 2 });
    const a = w.client('a', { register: true });
    const b = w.client('b', { space: a.space, register: true });
    const other = w.k.createTask('srv');
    await a.ns.register({ name: 'one', cap: w.k.grant(other, w.echoFor(other), a.task), rights: Rights.All });
    await a.ns.register({ name: 'two', cap: w.echoFor(a.task), rights: Rights.All });
    expect(await a.ns.attempt.register({ name: 'three', cap: w.echoFor(a.task), rights: Rights.All })).toMatchObject({ ok: false, error: 'EDQUOT' });
    expect((await b.ns.attempt.register({ name: 'theirs', cap: w.echoFor(b.task), rights: Rights.All })).ok).toBe(true);
    expect(w.names.stats().names).toBe(3);
    // 'one' dies and is held for a: still counted, and a may bind it again at its bound.
    w.k.deleteTask(other);
    await settle(w.k);
    expect(w.names.stats().names).toBe(3);
    expect((await a.ns.attempt.register({ name: 'one', cap: w.echoFor(a.task), rights: Rights.All })).ok).toBe(true);
    await a.ns.unregister({ name: 'two' });
    expect((await a.ns.attempt.register({ name: 'three', cap: w.echoFor(a.task), rights: Rights.All })).ok).toBe(true);
    expect(DEFAULT_MAX_NAMES).toBe(256);
  });
});
