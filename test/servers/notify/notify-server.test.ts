// The notification service through its public interfaces: mailboxes with a sync event,
// senders by source, posts that answer at once, waiting and polling, bounded queues with
// gaps in the ticks, quotas, revocation, and release on cap deletion and client death.
// Every error the Notify, Mailbox and Sender interfaces declare is produced here.

import { describe, expect, it } from 'vitest';
import { stub } from '../../../libcap/index.ts';
import type { Sys, SysGen } from '../../../core/index.ts';
import { Mailbox, Notify, Sender, TAKE_MAX, type NotifyEvent } from '../../../servers/notify/index.ts';
import { capCount, deleteCap, notifyWorld, settle, track } from './world.ts';

describe('notify: mailboxes', () => {
  it('starts a mailbox with a sync event at tick 0, then numbers posts 1, 2, 3', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(8);
    expect(await box.stats()).toEqual({ capacity: 8, queued: 1, posted: 0, dropped: 0 });
    const srv = w.server();
    const { sender } = await c.allowTo(box, 'fs', srv);
    for (const type of ['add', 'remove', 'change']) await sender.post({ type, data: `${type}d` });
    const { events } = await box.take({ max: 10 });
    expect(events).toEqual([
      { tick: 0, type: 'sync', source: '', data: '' },
      { tick: 1, type: 'add', source: 'fs', data: 'addd' },
      { tick: 2, type: 'remove', source: 'fs', data: 'removed' },
      { tick: 3, type: 'change', source: 'fs', data: 'changed' },
    ]);
    expect(await box.take({ max: 10 })).toEqual({ events: [] });
    expect(await box.stats()).toEqual({ capacity: 8, queued: 0, posted: 3, dropped: 0 });
  });

  it('labels events with the source their sender was allowed under; one source is one handle', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(8);
    await box.take({ max: 1 });
    const fs = await c.allowTo(box, 'fs', w.server('fs'));
    const proc = await c.allowTo(box, 'proc', w.server('proc'));
    const again = await box.allow({ source: 'fs' });
    // The same sender object, so the same handle (badge) as the first allow.
    expect(c.task.cspace.get(again.sender)!.badge).toBe(c.task.cspace.get(fs.mine)!.badge);
    expect(c.task.cspace.get(proc.mine)!.badge).not.toBe(c.task.cspace.get(fs.mine)!.badge);
    await proc.sender.post({ type: 'exit', data: '42' });
    await fs.sender.post({ type: 'add', data: 'a' });
    const { events } = await box.take({ max: 10 });
    expect(events.map((e) => `${e.tick}:${e.source}:${e.type}`)).toEqual(['1:proc:exit', '2:fs:add']);
    expect([...w.inst.mailboxes()[0]!.sources].sort()).toEqual(['fs', 'proc']);
  });

  it('refuses a capacity of 0 (EINVAL) and the sync type from a server (EINVAL)', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    expect(await c.notify.attempt.subscribe({ capacity: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const { box } = await c.mailbox(4);
    const { sender } = await c.allowTo(box, 'fs', w.server());
    expect(await sender.attempt.post({ type: 'sync', data: '' })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(await box.stats()).toMatchObject({ queued: 1, posted: 0 });
  });
});

describe('notify: waiting and polling', () => {
  it('next answers a queued event at once and otherwise waits for the next post (a deferred reply)', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    expect((await box.next({ timeout: 0 })).event.type).toBe('sync');
    const waiting = track(box.next({ timeout: 0 }));
    await settle(w.k);
    expect(waiting.done).toBe(false);
    expect(w.inst.mailboxes()[0]!.waiters).toBe(1);
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'x' });
    await settle(w.k);
    expect(waiting.done).toBe(true);
    expect(waiting.value).toEqual({ event: { tick: 1, type: 'add', source: 'fs', data: 'x' } });
    // Handed straight to the waiter: nothing was queued.
    expect(await box.stats()).toMatchObject({ queued: 0, posted: 1 });
  });

  it('next with a timeout answers ETIMEDOUT after that much kernel time', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    await box.take({ max: 1 });
    const t0 = w.k.now();
    expect(await box.attempt.next({ timeout: 250 })).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(w.k.now() - t0).toBe(250);
    expect(w.inst.mailboxes()[0]!.waiters).toBe(0);
  });

  it('a cancelled next answers EINTR and leaves no waiter behind; the next post is queued', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    await box.take({ max: 1 });
    const ac = new AbortController();
    const p = box.attempt.next({ timeout: 0 }, { signal: ac.signal });
    await settle(w.k);
    expect(w.inst.mailboxes()[0]!.waiters).toBe(1);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.inst.mailboxes()[0]!.waiters).toBe(0);
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'add', data: 'kept' });
    expect((await box.next({ timeout: 0 })).event).toMatchObject({ tick: 1, data: 'kept' });
  });

  it('wait answers a batch of queued events, or waits for the next one (ETIMEDOUT after its timeout)', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(8);
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'a', data: '' });
    await sender.post({ type: 'b', data: '' });
    expect((await box.wait({ max: 2, timeout: 0 })).events.map((e) => e.tick)).toEqual([0, 1]);
    expect((await box.wait({ max: 0, timeout: 0 })).events).toEqual([]);
    expect((await box.wait({ max: 8, timeout: 0 })).events.map((e) => e.tick)).toEqual([2]);
    const waiting = track(box.wait({ max: 8, timeout: 0 }));
    await settle(w.k);
    expect(waiting.done).toBe(false);
    await sender.post({ type: 'c', data: 'late' });
    await settle(w.k);
    expect(waiting.value).toEqual({ events: [{ tick: 3, type: 'c', source: 'fs', data: 'late' }] });
    const t0 = w.k.now();
    expect(await box.attempt.wait({ max: 8, timeout: 40 })).toMatchObject({ ok: false, error: 'ETIMEDOUT' });
    expect(w.k.now() - t0).toBe(40);
  });

  it('take answers at most 256 events per message, oldest first', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(400);
    await box.take({ max: 1 });
    const srv = w.server();
    const { theirs } = await c.allowTo(box, 'fs', srv);
    await w.k.exec(srv, function* (sys: Sys): SysGen<void> {
      const s = stub(Sender, sys, theirs);
      for (let i = 0; i < 300; i++) yield* s.post({ type: 'n', data: String(i) });
    });
    const first = await box.take({ max: 1000 });
    expect(first.events).toHaveLength(TAKE_MAX);
    expect(first.events[0]!.tick).toBe(1);
    const rest = await box.take({ max: 1000 });
    expect(rest.events.map((e) => e.tick)).toEqual(Array.from({ length: 44 }, (_, i) => 257 + i));
  });
});

describe('notify: bounded queues', () => {
  it('a flood of 100,000 posts into a capacity-16 mailbox stays within 16 events; the client sees the gap', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(16);
    await box.take({ max: 1 }); // the sync event
    const srv = w.server();
    const { theirs } = await c.allowTo(box, 'flood', srv);
    const N = 100_000;
    let answered = 0;
    let largest = 0;
    await w.k.exec(srv, function* (sys: Sys): SysGen<void> {
      const s = stub(Sender, sys, theirs);
      for (let i = 0; i < N; i++) {
        const r = yield* s.post({ type: 'change', data: String(i) });
        if (r.ok) answered++;
        if (i % 1000 === 0) largest = Math.max(largest, w.inst.mailboxes()[0]!.storage, w.inst.mailboxes()[0]!.queued);
      }
    });
    // Every post was answered at once: the server never waited for the client.
    expect(answered).toBe(N);
    expect(largest).toBeLessThanOrEqual(16);
    const info = w.inst.mailboxes()[0]!;
    expect(info).toMatchObject({ capacity: 16, queued: 16, storage: 16, posted: N, dropped: N - 16 });
    expect(w.inst.stats()).toMatchObject({ mailboxes: 1, reserved: 16, queued: 16 });
    const { events } = await box.take({ max: 100 });
    // The newest 16 survive; the first one shows the gap after tick 0.
    expect(events.map((e) => e.tick)).toEqual(Array.from({ length: 16 }, (_, i) => N - 15 + i));
    expect(events[0]!.tick - 0 - 1).toBe(N - 16);
    expect(await box.stats()).toEqual({ capacity: 16, queued: 0, posted: N, dropped: N - 16 });
  });

  it('skip advances the ticks and counts the events a poster lost', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    await box.take({ max: 1 });
    const { sender } = await c.allowTo(box, 'fs', w.server());
    await sender.post({ type: 'a', data: '' });
    await sender.skip({ count: 5 });
    await sender.post({ type: 'b', data: '' });
    expect((await box.take({ max: 4 })).events.map((e: NotifyEvent) => e.tick)).toEqual([1, 7]);
    expect(await box.stats()).toMatchObject({ posted: 7, dropped: 5 });
  });
});

describe('notify: quotas', () => {
  it('charges each mailbox\'s capacity to its client: EDQUOT beyond the quota, returned when a mailbox goes', async () => {
    const w = await notifyWorld({ quota: 64 });
    const a = await w.client('a');
    const b = await w.client('b');
    const first = await a.mailbox(48);
    expect(await a.notify.attempt.subscribe({ capacity: 17 })).toMatchObject({ ok: false, error: 'EDQUOT' });
    await a.mailbox(16);
    expect(await a.notify.attempt.subscribe({ capacity: 1 })).toMatchObject({ ok: false, error: 'EDQUOT' });
    // Another client has a quota of its own.
    await b.mailbox(64);
    expect(w.inst.stats()).toMatchObject({ clients: 2, mailboxes: 3, reserved: 128 });
    deleteCap(w.k, a.task, first.slot);
    await settle(w.k);
    expect(w.inst.stats()).toMatchObject({ clients: 2, mailboxes: 2, reserved: 80 });
    await a.mailbox(48);
  });

  it('takes a per-client quota from the install params', async () => {
    const w = await notifyWorld({ quota: 1000 });
    const small = await w.client('small', { quota: 8 });
    expect(await small.notify.attempt.subscribe({ capacity: 9 })).toMatchObject({ ok: false, error: 'EDQUOT' });
    await small.mailbox(8);
    const big = await w.client('big');
    await big.mailbox(1000);
  });

  it('bounds the sources of one mailbox: allow answers EDQUOT beyond them', async () => {
    const w = await notifyWorld({ maxSources: 2 });
    const c = await w.client();
    const { box } = await c.mailbox(4);
    await box.allow({ source: 'a' });
    await box.allow({ source: 'b' });
    await box.allow({ source: 'a' }); // known source: the same sender, no new one
    expect(await box.attempt.allow({ source: 'c' })).toMatchObject({ ok: false, error: 'EDQUOT' });
    await box.revoke({ source: 'a' });
    await box.allow({ source: 'c' });
  });
});

describe('notify: revocation and release', () => {
  it('revoke withdraws a source\'s sender from the servers holding it; ENOENT for an unknown source', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    const srv = w.server();
    const fs = await c.allowTo(box, 'fs', srv);
    const proc = await c.allowTo(box, 'proc', w.server());
    await box.revoke({ source: 'fs' });
    expect(srv.cspace.get(fs.theirs)).toBeNull();
    expect(await fs.sender.attempt.post({ type: 'add', data: '' })).toMatchObject({ ok: false, error: 'EBADF' });
    expect(await box.attempt.revoke({ source: 'fs' })).toMatchObject({ ok: false, error: 'ENOENT' });
    await proc.sender.post({ type: 'exit', data: '' });
    // A new allow under the revoked name is a new sender.
    const again = await c.allowTo(box, 'fs', srv);
    await again.sender.post({ type: 'add', data: 'back' });
    const ticks = (await box.take({ max: 10 })).events.map((e) => `${e.source}:${e.tick}`);
    expect(ticks).toEqual([':0', 'proc:1', 'fs:2']);
  });

  it('forgets a sender once neither the owner nor any server holds it', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const { box } = await c.mailbox(4);
    const srv = w.server();
    const fs = await c.allowTo(box, 'fs', srv);
    deleteCap(w.k, c.task, fs.mine);
    await settle(w.k);
    expect(w.inst.mailboxes()[0]!.sources).toEqual(['fs']);
    deleteCap(w.k, srv, fs.theirs);
    await settle(w.k);
    expect(w.inst.mailboxes()[0]!.sources).toEqual([]);
  });

  it('deleting the mailbox cap frees the mailbox: waiters fail, senders die, the quota returns', async () => {
    const w = await notifyWorld({ quota: 16 });
    const c = await w.client();
    const { slot, box } = await c.mailbox(16);
    const srv = w.server();
    const fs = await c.allowTo(box, 'fs', srv);
    await box.take({ max: 1 });
    const waiting = track(box.attempt.next({ timeout: 0 }));
    await settle(w.k);
    const before = capCount(c.task);
    deleteCap(w.k, c.task, slot);
    await settle(w.k);
    expect(waiting.value).toMatchObject({ ok: false, error: 'EBADF' });
    expect(w.inst.stats()).toEqual({ clients: 0, mailboxes: 0, reserved: 0, queued: 0, posted: 0, dropped: 0, waiters: 0, abandoned: 0 });
    expect(srv.cspace.get(fs.theirs)).toBeNull();
    expect(c.task.cspace.get(fs.mine)).toBeNull();
    expect(capCount(c.task)).toBe(before - 2);
    await c.mailbox(16);
  });

  it('a client\'s death releases its mailboxes, its quota and the senders servers hold', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const other = await w.client();
    await other.mailbox(4);
    const { box } = await c.mailbox(32);
    await c.mailbox(8);
    await box.take({ max: 1 });
    const srv = w.server();
    const fs = await c.allowTo(box, 'fs', srv);
    const waiting = track(box.attempt.next({ timeout: 0 }));
    await settle(w.k);
    expect(w.inst.stats()).toMatchObject({ clients: 2, mailboxes: 3, reserved: 44 });
    expect(w.inst.mailboxes().find((m) => m.capacity === 32)!.waiters).toBe(1);
    w.k.deleteTask(c.task);
    await settle(w.k);
    // The dead client's call ends (libcap fails it with its thread), and the service
    // holds nothing for it any more.
    expect(waiting.done).toBe(true);
    expect(w.inst.stats()).toMatchObject({ clients: 1, mailboxes: 1, reserved: 4 });
    expect(w.inst.bucket.stats().inflight).toBe(0);
    expect(srv.cspace.get(fs.theirs)).toBeNull();
    expect(await fs.sender.attempt.post({ type: 'add', data: '' })).toMatchObject({ ok: false, error: 'EBADF' });
  });
});

describe('notify: declared errors', () => {
  it('every error the interfaces declare is produced above', () => {
    // EDQUOT (subscribe, allow), ETIMEDOUT (next, wait), ENOENT (revoke); EAGAIN (next, wait) in limits.test.ts; Sender declares none.
    const declared = [...Notify.list, ...Mailbox.list, ...Sender.list].map((m) => `${m.fullName}: ${m.errors.join(' ')}`);
    expect(declared).toEqual([
      'notify.subscribe: EDQUOT',
      'notify.mailbox.allow: EDQUOT',
      'notify.mailbox.next: ETIMEDOUT EAGAIN',
      'notify.mailbox.take: ',
      'notify.mailbox.stats: ',
      'notify.mailbox.revoke: ENOENT',
      'notify.mailbox.wait: ETIMEDOUT EAGAIN',
      'notify.sender.post: ',
      'notify.sender.skip: ',
    ]);
  });
});
