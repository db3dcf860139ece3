// What one client cannot do to the notification service or to other clients: strings that
// are not well-formed UTF-16 are refused at the door (and never poison a take), waiting
// calls whose caller gave up are never served (the event stays queued), and the calls a
// client may have waiting are bounded (EAGAIN). All on virtual time.

import { describe, expect, it } from 'vitest';
import type { Kernel, Sys, SysGen, Task } from '../../../core/index.ts';
import { stub } from '../../../libcap/index.ts';
import { DEFAULT_MAX_WAITERS, Mailbox } from '../../../servers/notify/index.ts';
import { notifyWorld, settle, track } from './world.ts';

/**
 * A waiting `next` whose caller is gone without a word: a thread of `task` calls it and is
 * killed while it waits (no cancel reaches the server; its reply cap just dies).
 */
async function orphanNext(k: Kernel, task: Task, box: number): Promise<void> {
  const t = k.spawn(task, function* (sys: Sys): SysGen<void> {
    yield* stub(Mailbox, sys, box).next({ timeout: 0 });
  });
  await settle(k);
  k.killThread(t);
  await settle(k);
}

const LONE = 'bad\ud800name';

describe('notify: strings at the door', () => {
  it('refuses a source, type or data with a lone surrogate (EINVAL); good events beside it are kept', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(8);
    expect(await box.attempt.allow({ source: LONE })).toMatchObject({ ok: false, error: 'EINVAL' });
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'one' });
    expect(await sender.attempt.post({ type: LONE, data: '' })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(await sender.attempt.post({ type: 'add', data: `x\udc00` })).toMatchObject({ ok: false, error: 'EINVAL' });
    // A well-formed pair is fine.
    await sender.post({ type: 'add', data: 'two \ud83d\ude00' });
    const { events } = await box.take({ max: 10 });
    expect(events.map((e) => e.data)).toEqual(['', 'one', 'two \ud83d\ude00']);
    expect(await box.stats()).toMatchObject({ posted: 2, dropped: 0 });
  });
});

describe('notify: abandoned waiters', () => {
  it('a next whose caller timed out is never served: the event stays queued for the next call', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(8);
    await box.take({ max: 1 });
    // The client gives up after 10 ms of kernel time; the server still has the call waiting.
    expect(await box.attempt.next({ timeout: 0 }, { timeout: 10 })).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'kept' });
    await settle(w.k);
    // Not counted as delivered to the orphan: it is still queued.
    expect(await box.stats()).toMatchObject({ queued: 1, posted: 1, dropped: 0 });
    expect((await box.next({ timeout: 0 })).event).toMatchObject({ tick: 1, data: 'kept' });
    expect(w.inst.stats()).toMatchObject({ waiters: 0 });
    expect(w.inst.bucket.stats().inflight).toBe(0);
  });

  it('a next whose calling thread died without a cancel is found gone: the event stays queued, counted abandoned', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { slot, box } = await c.mailbox(8);
    await box.take({ max: 1 });
    await orphanNext(w.k, c.task, slot);
    expect(w.inst.stats()).toMatchObject({ waiters: 1 });
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'kept' });
    await settle(w.k);
    expect(await box.stats()).toMatchObject({ queued: 1, posted: 1, dropped: 0 });
    expect(w.inst.stats()).toMatchObject({ waiters: 0, abandoned: 1 });
    expect(w.inst.bucket.stats().inflight).toBe(0);
  });

  it('hands the event to the next live waiter after skipping gone ones', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { slot, box } = await c.mailbox(8);
    await box.take({ max: 1 });
    for (let i = 0; i < 5; i++) await orphanNext(w.k, c.task, slot);
    const live = track(box.wait({ max: 4, timeout: 0 }));
    await settle(w.k);
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'for-the-live-one' });
    await settle(w.k);
    expect(live.value).toEqual({ events: [{ tick: 1, type: 'add', source: 'fs', data: 'for-the-live-one' }] });
    expect(w.inst.stats()).toMatchObject({ waiters: 0, queued: 0 });
    expect(w.inst.stats().abandoned).toBe(5);
  });

  it('bounds the calls one client may have waiting (EAGAIN); gone ones do not count; others keep waiting', async () => {
    const w = await notifyWorld({ maxWaiters: 3 });
    const a = await w.client('a');
    const b = await w.client('b');
    const boxA = (await a.mailbox(4)).box;
    const boxB = (await b.mailbox(4)).box;
    await boxA.take({ max: 1 });
    await boxB.take({ max: 1 });
    const waiting = [0, 1, 2].map(() => track(boxA.attempt.next({ timeout: 0 })));
    await settle(w.k);
    expect(await boxA.attempt.next({ timeout: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(await boxA.attempt.wait({ max: 1, timeout: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    // Another client is not affected.
    const other = track(boxB.next({ timeout: 0 }));
    await settle(w.k);
    expect(w.inst.stats().waiters).toBe(4);
    const { sender } = await b.allowTo(boxB, 'x', w.server());
    await sender.post({ type: 't', data: '' });
    await settle(w.k);
    expect(other.done).toBe(true);
    expect(waiting.every((t) => !t.done)).toBe(true);
    expect(DEFAULT_MAX_WAITERS).toBe(64);
  });

  it('sweeps abandoned calls when the bound is reached, so a client that timed out can wait again', async () => {
    const w = await notifyWorld({ maxWaiters: 2 });
    const c = await w.client();
    const { slot, box } = await c.mailbox(4);
    await box.take({ max: 1 });
    for (let i = 0; i < 2; i++) await orphanNext(w.k, c.task, slot);
    expect(w.inst.stats()).toMatchObject({ waiters: 2, abandoned: 0 });
    const again = track(box.next({ timeout: 0 }));
    await settle(w.k);
    expect(w.inst.stats()).toMatchObject({ waiters: 1, abandoned: 2 });
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'y' });
    await settle(w.k);
    expect(again.value).toMatchObject({ event: { tick: 1, data: 'y' } });
  });
});
