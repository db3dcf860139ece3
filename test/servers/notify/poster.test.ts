// The poster servers use to post without blocking: a small libcap server whose handlers
// post change events through it, answering at once whatever the client does; local
// bounds reported to the service as gaps; watchers dropped when their post fails.

import { describe, expect, it } from 'vitest';
import { Rights, type Sys, type SysGen, type Task } from '../../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, t } from '../../../libcap/index.ts';
import { DEFAULT_GIVE_UP, Poster, RETRY_MS, type PosterOptions } from '../../../servers/notify/index.ts';
import { advance } from '../../world-helpers.ts';
import { capCount, notifyWorld, settle, type NotifyWorld } from './world.ts';

/** A tiny watched-object server: clients register sender caps, `touch` changes a name. */
const Watched = defineInterface('watched', {
  watch: { op: 1, args: { sender: t.cap() } },
  touch: { op: 2, args: { name: t.string(64) }, reply: { watchers: t.u32 } },
});

interface WatchedServer {
  readonly task: Task;
  readonly poster: Poster;
  readonly watchers: Set<number>;
  readonly dropped: string[];
  /** A client task's cap to the watched object. */
  install(task: Task): number;
}

function watchedServer(w: NotifyWorld, opts: PosterOptions = {}): WatchedServer {
  const task = w.k.createTask('watched', { quota: 1000, slots: 1 << 12 });
  const bucket = Bucket.start(w.k, task, { name: 'watched' });
  const watchers = new Set<number>();
  const dropped: string[] = [];
  const poster = Poster.start(w.k, task, {
    ...opts,
    onDrop: (slot, error) => {
      watchers.delete(slot);
      dropped.push(error);
    },
  });
  const cls = defineClass({
    name: 'watched',
    interface: Watched,
    init: () => ({}),
    handlers: {
      watch(ctx, { sender }) {
        ctx.keep(sender);
        poster.adopt(sender);
        watchers.add(sender);
        return {};
      },
      touch(_ctx, { name }) {
        // No IPC here: the poster's thread sends, this handler answers at once.
        for (const s of watchers) poster.post(s, 'change', name);
        return { watchers: watchers.size };
      },
    },
  });
  const obj = bucket.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error('test bug: create failed');
  return { task, poster, watchers, dropped, install: (t) => bucket.install(obj, t) };
}

describe('notify poster', () => {
  it('lets a handler post without IPC: events arrive in order through the poster thread', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(16);
    const { sender } = await box.allow({ source: 'watched' });
    const watched = connect(Watched, w.k, c.task, srv.install(c.task));
    await watched.watch({ sender });
    for (const name of ['a', 'b', 'c']) expect(await watched.touch({ name })).toEqual({ watchers: 1 });
    await srv.poster.flushed();
    const { events } = await box.take({ max: 10 });
    expect(events.map((e) => `${e.tick}:${e.source}:${e.type}:${e.data}`)).toEqual([
      '0::sync:',
      '1:watched:change:a',
      '2:watched:change:b',
      '3:watched:change:c',
    ]);
    expect(srv.poster.stats()).toMatchObject({ senders: 1, queued: 0, sent: 3, lost: 0, dropped: 0 });
  });

  it('never makes the server wait for a client that does not read', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(4);
    const { sender } = await box.allow({ source: 'watched' });
    const watched = connect(Watched, w.k, c.task, srv.install(c.task));
    await watched.watch({ sender });
    for (let i = 0; i < 500; i++) await watched.touch({ name: String(i) });
    await srv.poster.flushed();
    expect(await box.stats()).toEqual({ capacity: 4, queued: 4, posted: 500, dropped: 497 });
    const ticks = (await box.take({ max: 10 })).events.map((e) => e.tick);
    expect(ticks).toEqual([497, 498, 499, 500]);
  });

  it('bounds its own queue per sender and reports what it lost as a gap in the ticks', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w, { limit: 8 });
    const c = await w.client();
    const { box } = await c.mailbox(64);
    await box.take({ max: 1 });
    const { sender } = await box.allow({ source: 'watched' });
    const theirs = w.k.grant(c.task, sender, srv.task);
    srv.poster.adopt(theirs);
    // 100 posts before the poster thread gets to run: only the newest 8 stay.
    for (let i = 0; i < 100; i++) expect(srv.poster.post(theirs, 'n', String(i))).toBe(true);
    expect(srv.poster.stats()).toMatchObject({ queued: 8, lost: 92 });
    await srv.poster.flushed();
    const { events } = await box.take({ max: 64 });
    expect(events.map((e) => e.tick)).toEqual([93, 94, 95, 96, 97, 98, 99, 100]);
    expect(events[0]!.data).toBe('92');
    expect(await box.stats()).toMatchObject({ posted: 100, dropped: 92 });
  });

  it('drops a watcher whose post fails (revoked sender): its slot is deleted and onDrop is told', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(8);
    const { sender } = await box.allow({ source: 'watched' });
    const watched = connect(Watched, w.k, c.task, srv.install(c.task));
    await watched.watch({ sender });
    const [slot] = [...srv.watchers];
    await box.revoke({ source: 'watched' });
    await watched.touch({ name: 'x' });
    await srv.poster.flushed();
    await settle(w.k);
    expect(srv.dropped).toEqual(['EBADF']);
    expect(srv.watchers.size).toBe(0);
    expect(srv.poster.holds(slot!)).toBe(false);
    expect(srv.poster.post(slot!, 'change', 'y')).toBe(false);
    expect(srv.poster.stats()).toMatchObject({ senders: 0, dropped: 1 });
  });

  it('a sender revoked from under it is dropped, and the cap that later fills its slot is left alone', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(8);
    const { sender } = await box.allow({ source: 'watched' });
    const watched = connect(Watched, w.k, c.task, srv.install(c.task));
    await watched.watch({ sender });
    const [slot] = [...srv.watchers];
    // The origin revokes: the server's slot empties, and the next cap the server gets lands there.
    await box.revoke({ source: 'watched' });
    expect(srv.task.cspace.get(slot!)).toBeNull();
    const other = await box.allow({ source: 'other' });
    const reused = w.k.grant(c.task, other.sender, srv.task);
    expect(reused).toBe(slot);
    const stranger = srv.task.cspace.get(slot!);
    expect(srv.poster.holds(slot!)).toBe(false);
    // A post queued for the old sender is never sent through the stranger cap...
    srv.poster.post(slot!, 'change', 'x');
    await srv.poster.flushed();
    await settle(w.k);
    expect(srv.dropped).toEqual(['EBADF']);
    expect((await box.take({ max: 10 })).events.filter((e) => e.source === 'other')).toEqual([]);
    // ...and releasing the old sender does not delete it.
    srv.poster.release(slot!);
    expect(srv.task.cspace.get(slot!)).toBe(stranger);
    // Adopting the new cap in that slot works as for any sender.
    expect(srv.poster.adopt(slot!)).toBe(true);
    expect(srv.poster.holds(slot!)).toBe(true);
  });

  it('release and close delete the sender caps; close ends the thread', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(8);
    const a = w.k.grant(c.task, (await box.allow({ source: 'a' })).sender, srv.task);
    const b = w.k.grant(c.task, (await box.allow({ source: 'b' })).sender, srv.task);
    srv.poster.adopt(a);
    srv.poster.adopt(b);
    const held = capCount(srv.task);
    srv.poster.release(a);
    expect(srv.task.cspace.get(a)).toBeNull();
    const threads = srv.task.threads.size;
    await srv.poster.close();
    await settle(w.k);
    expect(srv.task.cspace.get(b)).toBeNull();
    // Both senders, the poster's notification and its signalling cap are gone.
    expect(capCount(srv.task)).toBe(held - 4);
    expect(srv.task.threads.size).toBe(threads - 1);
    expect(() => srv.poster.adopt(a)).toThrow(/closed/);
  });

  it('refuses an event the Sender interface would refuse (a bug in the server)', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    expect(() => srv.poster.post(99, 'sync')).toThrow(RangeError);
    expect(() => srv.poster.post(99, 'x'.repeat(65))).toThrow(RangeError);
    expect(() => srv.poster.post(99, 'change', 'x'.repeat(4097))).toThrow(RangeError);
    expect(srv.poster.post(99, 'change')).toBe(false);
  });

  it('never delays anyone for receivers that never receive: 20 of them cost root nothing, and go after giveUp', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    // 20 "watchers": endpoint caps whose endpoints nobody ever receives on.
    for (let i = 0; i < 20; i++) {
      const bad = w.k.createTask(`bad${i}`);
      const ep = w.k.createEndpoint(bad);
      const slot = w.k.grant(bad, ep, srv.task, { rights: Rights.CallGrant });
      expect(srv.poster.adopt(slot)).toBe(true);
      srv.watchers.add(slot);
    }
    const root = await w.client('root');
    const { box } = await root.mailbox(64);
    await box.take({ max: 1 });
    const { sender } = await box.allow({ source: 'fs' });
    const watched = connect(Watched, w.k, root.task, srv.install(root.task));
    await watched.watch({ sender });
    const t0 = w.k.now();
    await watched.touch({ name: 'first' });
    // Root's event is there at once: no kernel time passed for the 20 bad receivers.
    expect((await box.next({ timeout: 0 })).event).toMatchObject({ type: 'change', data: 'first' });
    expect(w.k.now()).toBe(t0);
    expect(srv.poster.stats().stalled).toBe(20);
    // Still none while they are being retried.
    const t1 = w.k.now() + 5 * RETRY_MS;
    while (w.k.now() < t1) {
      await watched.touch({ name: `at ${w.k.now()}` });
      const ev = (await box.next({ timeout: 0 })).event;
      expect(ev.data).toBe(`at ${w.k.now()}`);
      w.k.advance(RETRY_MS);
      await settle(w.k);
    }
    // After giveUp every bad receiver is dropped (ETIMEDOUT), its queued events counted lost.
    // (The poster's retries are kernel timers: host code moves virtual time here.)
    while (srv.poster.stats().stalled > 0) await advance(w.k, RETRY_MS);
    await srv.poster.flushed();
    expect(w.k.now() - t0).toBeGreaterThanOrEqual(DEFAULT_GIVE_UP);
    expect(w.k.now() - t0).toBeLessThanOrEqual(DEFAULT_GIVE_UP + RETRY_MS);
    expect(srv.dropped).toEqual(new Array(20).fill('ETIMEDOUT'));
    expect(srv.poster.stats()).toMatchObject({ senders: 1, dropped: 20, stalled: 0 });
    const t2 = w.k.now();
    await watched.touch({ name: 'after' });
    expect((await box.next({ timeout: 0 })).event).toMatchObject({ data: 'after' });
    expect(w.k.now()).toBe(t2);
  });

  it('a receiver that takes a post but never answers is dropped after `timeout`, once', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w, { timeout: 50 });
    const rogue = w.k.createTask('rogue');
    const ep = w.k.createEndpoint(rogue);
    // Receives one message and never answers.
    w.k.spawn(rogue, function* (sys: Sys): SysGen<void> {
      yield sys.recv(ep);
      yield sys.sleep(1_000_000);
    });
    const slot = w.k.grant(rogue, ep, srv.task, { rights: Rights.CallGrant });
    srv.poster.adopt(slot);
    srv.watchers.add(slot);
    const root = await w.client('root');
    const { box } = await root.mailbox(64);
    await box.take({ max: 1 });
    const { sender } = await box.allow({ source: 'fs' });
    const watched = connect(Watched, w.k, root.task, srv.install(root.task));
    await watched.watch({ sender });
    const t0 = w.k.now();
    await watched.touch({ name: 'a' });
    await watched.touch({ name: 'b' });
    expect((await box.next({ timeout: 0 })).event.data).toBe('a');
    expect((await box.next({ timeout: 0 })).event.data).toBe('b');
    expect(w.k.now() - t0).toBeLessThanOrEqual(50);
    await srv.poster.flushed();
    expect(srv.dropped).toEqual(['ETIMEDOUT']);
    const t1 = w.k.now();
    await watched.touch({ name: 'c' });
    expect((await box.next({ timeout: 0 })).event.data).toBe('c');
    expect(w.k.now()).toBe(t1);
  });

  it('adopts only endpoint caps that can call, of the notify service when given, at most maxSenders', async () => {
    const w = await notifyWorld();
    const task = w.k.createTask('srv', { quota: 1000, slots: 4096 });
    const c = await w.client();
    const serviceCap = w.inst.install!(task, undefined);
    const poster = Poster.start(w.k, task, { service: serviceCap, maxSenders: 1 });
    const notif = w.k.createNotification(task);
    expect(poster.check(notif)).toBe('EINVAL');
    expect(poster.adopt(notif)).toBe(false);
    expect(task.cspace.get(notif)).not.toBeNull(); // refused: the caller keeps it
    const foreign = w.k.createEndpoint(task);
    expect(poster.check(foreign)).toBe('EINVAL');
    const { box } = await c.mailbox(4);
    const one = w.k.grant(c.task, (await box.allow({ source: 'a' })).sender, task);
    const two = w.k.grant(c.task, (await box.allow({ source: 'b' })).sender, task);
    const readOnly = w.k.grant(c.task, (await box.allow({ source: 'c' })).sender, task, { rights: Rights.Read });
    expect(poster.check(readOnly)).toBe('EINVAL');
    expect(poster.adopt(one)).toBe(true);
    expect(poster.check(two)).toBe('EAGAIN');
    expect(poster.adopt(two)).toBe(false);
    await poster.close();
  });

  it('counts an event with malformed text as lost (the owner sees the gap) instead of sending it', async () => {
    const w = await notifyWorld();
    const srv = watchedServer(w);
    const c = await w.client();
    const { box } = await c.mailbox(8);
    await box.take({ max: 1 });
    const { sender } = await box.allow({ source: 'watched' });
    const theirs = w.k.grant(c.task, sender, srv.task);
    srv.poster.adopt(theirs);
    expect(srv.poster.post(theirs, 'change', 'a')).toBe(true);
    expect(srv.poster.post(theirs, 'change', 'bad\ud800')).toBe(true);
    expect(srv.poster.post(theirs, 'change', 'c')).toBe(true);
    await srv.poster.flushed();
    const { events } = await box.take({ max: 8 });
    expect(events.map((e) => `${e.tick}:${e.data}`)).toEqual(['1:a', '3:c']);
    expect(await box.stats()).toMatchObject({ posted: 3, dropped: 1 });
  });
});
