// Faults around the name server: clients that die with a query or a next waiting, a
// service that ends while its name is bound, the name server dying mid-request. Nothing
// hangs, nothing stays behind (waiters, watchers, client records, caps).

import { describe, expect, it } from 'vitest';
import { connect } from '../../../libcap/index.ts';
import { Namespace, Watcher } from '../../../servers/names/index.ts';
import { settle, track } from '../system/harness.ts';
import { namesWorld } from './setup.ts';

describe('name server faults', () => {
  it('a client that dies while waiting in query is forgotten: no waiter, no client record, no cap', async () => {
    const w = await namesWorld();
    // Warm up: the first timed wait starts the bucket's timer thread (a notification and its cap).
    const warm = w.client('warm');
    warm.space.bindPending('x');
    const first = track(warm.ns.attempt.query({ path: 'x', wait: 10 }));
    await settle(w.k);
    warm.space.attach('x', { task: warm.task, slot: w.echoFor(warm.task) });
    await settle(w.k);
    expect(first.value?.ok).toBe(true);
    w.k.deleteTask(warm.task);
    warm.space.destroy();
    await settle(w.k);
    const slotsBefore = [...w.namesTask.cspace.entries()].length;
    const c = w.client('app');
    c.space.bindPending('echo');
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 60_000 }));
    await settle(w.k);
    expect(c.space.waiters.size).toBe(1);
    w.k.deleteTask(c.task);
    await settle(w.k);
    expect(c.space.waiters.size).toBe(0);
    expect(w.names.bucket.stats()).toMatchObject({ clients: 0, outstanding: 0, inflight: 0 });
    // Attaching later answers nobody and mints nothing.
    const other = w.k.createTask('other');
    c.space.attach('echo', { task: other, slot: w.echoFor(other) });
    await settle(w.k);
    c.space.destroy();
    expect([...w.namesTask.cspace.entries()].length).toBe(slotsBefore);
    expect(q.done).toBe(true); // the host call saw its thread die
  });

  it('a caller that dies between a deferred answer and its delivery leaves no cap behind', async () => {
    const w = await namesWorld();
    const warm = w.client('warm');
    warm.space.bindPending('x');
    const first = track(warm.ns.attempt.query({ path: 'x', wait: 10 }));
    await settle(w.k);
    warm.space.attach('x', { task: warm.task, slot: w.echoFor(warm.task) });
    await settle(w.k);
    expect(first.value?.ok).toBe(true);
    const sweeper = w.client('sweeper');
    sweeper.space.bindPending('nothing');
    await settle(w.k);
    const slotsBefore = [...w.namesTask.cspace.entries()].length;
    const c = w.client('app');
    c.space.bindPending('echo');
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 60_000 }));
    await settle(w.k);
    // The answer (a freshly minted cap) is queued, then its caller dies before it is sent.
    c.space.attach('echo', { task: warm.task, slot: w.echoFor(warm.task) });
    w.k.deleteTask(c.task);
    await settle(w.k);
    expect(q.done).toBe(true);
    c.space.destroy();
    await sweeper.ns.attempt.query({ path: 'nothing', wait: 0 }); // any query sweeps
    await settle(w.k);
    expect([...w.namesTask.cspace.entries()].length).toBe(slotsBefore);
  });

  it('a client that dies while waiting in next is forgotten and its watcher detached', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 });
    const pending = track(events.attempt.next({ timeout: 0 }));
    await settle(w.k);
    w.k.deleteTask(c.task);
    await settle(w.k);
    expect(c.space.watchers.size).toBe(0);
    expect(w.names.bucket.stats()).toMatchObject({ clients: 0, outstanding: 0, inflight: 0 });
    expect(pending.done).toBe(true);
    c.space.bindPending('after'); // posting to nobody is fine
  });

  it('a service that ends makes its name pending again (EAGAIN), never a dead cap', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    expect((await c.ns.attempt.query({ path: 'echo', wait: 0 })).ok).toBe(true);
    await w.echo.bucket.end(true);
    await settle(w.k);
    expect(await c.ns.attempt.query({ path: 'echo', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
  });

  it('the name server dying mid-request fails the waiting call instead of hanging', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.bindPending('echo');
    const q = track(c.ns.attempt.query({ path: 'echo', wait: 60_000 }));
    await settle(w.k);
    expect(q.done).toBe(false);
    w.k.deleteTask(w.namesTask);
    await settle(w.k);
    expect(q.done).toBe(true);
    expect(q.value?.ok).toBe(false);
    // Later calls fail at once too.
    const again = await connect(Namespace, w.k, c.task, c.slot).attempt.list();
    expect(again.ok).toBe(false);
  });

  it('a dead registrant\'s identity is not handed out: its name falls back to pending', async () => {
    const w = await namesWorld();
    const owner = w.client('owner', { register: true });
    const reader = w.client('reader', { space: owner.space });
    await owner.ns.register({ name: 'echo', cap: w.echoFor(owner.task), rights: 15 });
    w.k.deleteTask(owner.task);
    await settle(w.k);
    expect(await reader.ns.attempt.query({ path: 'echo', wait: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
  });

  it('shutdown ends the bucket, answers waiting queries and leaves no stored cap', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    c.space.register('echo', { task: c.task, slot: w.echoFor(c.task) });
    c.space.bindPending('later');
    const q = track(c.ns.attempt.query({ path: 'later', wait: 60_000 }));
    await settle(w.k);
    const notes = await w.names.shutdown!(false);
    await settle(w.k);
    expect(q.value?.ok).toBe(false);
    expect(notes.some((n) => n.what.includes('capabilities held'))).toBe(true);
    expect(w.names.spaces()).toEqual([]);
    expect(w.names.bucket.ended).toBe(true);
  });
});
