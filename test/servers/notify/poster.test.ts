// The poster servers use to post without blocking: a small libcap server whose handlers
// post change events through it, answering at once whatever the client does; local
// bounds reported to the service as gaps; watchers dropped when their post fails.

import { describe, expect, it } from 'vitest';
import type { Task } from '../../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, t } from '../../../libcap/index.ts';
import { Poster, type PosterOptions } from '../../../servers/notify/index.ts';
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
});
