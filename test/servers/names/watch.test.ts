// Namespace.watch and Watcher.next: a sync event first, then one event per registration,
// removal and attach with the namespace's ticks; a bounded queue whose overflow shows as
// a gap in the ticks; next waits (deferred) with a timeout; a dropped watcher detaches.

import { describe, expect, it } from 'vitest';
import { Rights } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Watcher } from '../../../servers/names/index.ts';
import { advance, settle, track } from '../system/harness.ts';
import { namesWorld } from './setup.ts';

describe('Namespace.watch', () => {
  it('reports sync, then registered, attached and removed with consecutive ticks', async () => {
    const w = await namesWorld();
    const c = w.client('app', { register: true });
    c.space.bindPending('early');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    const sync = (await events.next({ timeout: 0 })).event;
    expect(sync).toEqual({ tick: c.space.tick, kind: 'sync', name: '' });
    await c.ns.register({ name: 'echo', cap: w.echoFor(c.task), rights: Rights.All });
    c.space.attach('early', { task: c.task, slot: w.echoFor(c.task) });
    await c.ns.unregister({ name: 'echo' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await events.next({ timeout: 0 })).event);
    expect(got).toEqual([
      { tick: sync.tick + 1, kind: 'registered', name: 'echo' },
      { tick: sync.tick + 2, kind: 'attached', name: 'early' },
      { tick: sync.tick + 3, kind: 'removed', name: 'echo' },
    ]);
  });

  it('waits in next for the next event, or answers ETIMEDOUT', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 });
    const waiting = track(events.attempt.next({ timeout: 0 }));
    await settle(w.k);
    expect(waiting.done).toBe(false);
    c.space.bindPending('x');
    await settle(w.k);
    expect(waiting.value).toMatchObject({ ok: true, value: { event: { kind: 'registered', name: 'x' } } });
    const timed = track(events.attempt.next({ timeout: 100 }));
    await advance(w.k, 100);
    expect(timed.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
  });

  it('drops events beyond the queue bound; the gap shows in the ticks', async () => {
    const w = await namesWorld(); // watchers keep 4 events here
    const c = w.client('app');
    const { watcher } = await c.ns.watch();
    const events = connect(Watcher, w.k, c.task, watcher);
    for (let i = 0; i < 10; i++) c.space.bindPending(`n${i}`);
    const ticks: number[] = [];
    for (let i = 0; i < 4; i++) ticks.push((await events.next({ timeout: 0 })).event.tick);
    // sync (tick 0) and the first three changes were kept; the rest were dropped.
    expect(ticks).toEqual([0, 1, 2, 3]);
    c.space.bindPending('late');
    expect((await events.next({ timeout: 0 })).event).toEqual({ tick: 11, kind: 'registered', name: 'late' });
  });

  it('detaches a watcher when its last cap goes, and a watch of one namespace sees nothing of another', async () => {
    const w = await namesWorld();
    const c = w.client('app');
    const other = w.client('other');
    const { watcher } = await c.ns.watch();
    expect(c.space.watchers.size).toBe(1);
    other.space.bindPending('elsewhere');
    const events = connect(Watcher, w.k, c.task, watcher);
    await events.next({ timeout: 0 });
    const next = track(events.attempt.next({ timeout: 10 }));
    await advance(w.k, 10);
    expect(next.value).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    await w.k.exec(c.task, function* (sys) {
      sys.delete(watcher);
    });
    await settle(w.k);
    expect(c.space.watchers.size).toBe(0);
  });
});
