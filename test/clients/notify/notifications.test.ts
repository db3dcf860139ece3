// The rxjs client: a feed registers one mailbox and its senders on first use (a subscriber
// or reading `senders`), events are emitted in order, the stream is shared, the mailbox and
// its senders outlive the subscribers until close() frees everything in the service; gaps
// become data (withGaps) and trackState reloads across them.

import { firstValueFrom, of, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Sys, SysGen, Task } from '../../../core/index.ts';
import { RpcError, stub } from '../../../libcap/index.ts';
import { notifications, Sender, trackState, withGaps, type Notice, type NotifyEvent } from '../../../servers/notify/index.ts';
import { capCount, notifyWorld, settle, type NotifyWorld } from '../../servers/notify/world.ts';

/** Post events from `server` through the sender in `slot`, all in one thread (no host turn between them). */
async function postAll(w: NotifyWorld, server: Task, slot: number, events: readonly [string, string][]): Promise<void> {
  await w.k.exec(server, function* (sys: Sys): SysGen<void> {
    const s = stub(Sender, sys, slot);
    for (const [type, data] of events) {
      const r = yield* s.post({ type, data });
      if (!r.ok) throw new Error(`post failed: ${r.error}`);
    }
  });
}

describe('notifications (rxjs)', () => {
  it('registers on subscribe, emits every event, and frees the mailbox on close', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const srv = w.server();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 8, sources: ['fs', 'proc'] });
    const caps = capCount(c.task);
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);

    const seen: NotifyEvent[] = [];
    const sub = feed.events$.subscribe((e) => seen.push(e));
    const senders = await feed.senders;
    expect(Object.keys(senders).sort()).toEqual(['fs', 'proc']);
    expect(w.inst.mailboxes()).toMatchObject([{ capacity: 8, sources: ['fs', 'proc'] }]);
    const theirs = w.k.grant(c.task, senders.fs, srv);
    await postAll(w, srv, theirs, [['add', 'a'], ['remove', 'b']]);
    await settle(w.k);
    expect(seen).toEqual([
      { tick: 0, type: 'sync', source: '', data: '' },
      { tick: 1, type: 'add', source: 'fs', data: 'a' },
      { tick: 2, type: 'remove', source: 'fs', data: 'b' },
    ]);
    expect(await feed.stats()).toEqual({ capacity: 8, queued: 0, posted: 2, dropped: 0 });
    expect(w.inst.mailboxes()[0]!.waiters).toBe(1);

    sub.unsubscribe();
    await settle(w.k);
    // The wait was cancelled; the mailbox stays (its senders were handed out).
    expect(w.inst.mailboxes()).toMatchObject([{ waiters: 0 }]);
    await feed.close();
    await settle(w.k);
    // The caps were deleted, and the service let everything go.
    expect(w.inst.stats()).toMatchObject({ clients: 0, mailboxes: 0, reserved: 0 });
    expect(w.inst.bucket.stats().inflight).toBe(0);
    expect(capCount(c.task)).toBe(caps);
    expect(srv.cspace.get(theirs)).toBeNull();
    expect(await feed.stats()).toBeNull();
  });

  it('shares one mailbox between subscribers, early and late: its senders stay valid while the feed lives', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 4, sources: ['fs'] });
    const a: number[] = [];
    const b: number[] = [];
    const subA = feed.events$.subscribe((e) => a.push(e.tick));
    const first = await feed.senders;
    await settle(w.k); // A has had the sync event; B joins later and sees what follows
    const subB = feed.events$.subscribe((e) => b.push(e.tick));
    expect(await feed.senders).toBe(first);
    expect(w.inst.stats().mailboxes).toBe(1);
    const srv = w.server();
    await postAll(w, srv, w.k.grant(c.task, first.fs, srv), [['x', '1']]);
    await settle(w.k);
    expect(a).toEqual([0, 1]);
    expect(b).toEqual([1]);
    subA.unsubscribe();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(1);
    subB.unsubscribe();
    await settle(w.k);
    // Nobody subscribed: the mailbox keeps what comes, and the handed-out sender still works.
    expect(w.inst.stats().mailboxes).toBe(1);
    await postAll(w, srv, w.k.grant(c.task, first.fs, srv), [['y', '2']]);
    // A late subscriber joins the same mailbox: no new sync event, the queued event first.
    const again = await firstValueFrom(feed.events$.pipe(take(1)));
    expect(again).toMatchObject({ tick: 2, type: 'y', data: '2' });
    expect(await feed.senders).toBe(first);
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(1);
    await feed.close();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);
  });

  it('resolves senders without a subscriber; events posted meanwhile wait for the first one', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 8, sources: ['fs'] });
    const { fs } = await feed.senders;
    expect(w.inst.stats().mailboxes).toBe(1);
    const srv = w.server();
    await postAll(w, srv, w.k.grant(c.task, fs, srv), [['add', 'early']]);
    const got = await firstValueFrom(feed.events$.pipe(take(2), toArray()));
    expect(got.map((e) => [e.tick, e.type])).toEqual([
      [0, 'sync'],
      [1, 'add'],
    ]);
    expect(await feed.stats()).toMatchObject({ posted: 1, queued: 0 });
    await feed.close();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);
    expect(await feed.stats()).toBeNull();
  });

  it('frees a registration nobody could have handed out when its last subscriber leaves', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 4, sources: ['fs'] });
    const caps = capCount(c.task);
    const sub = feed.events$.subscribe(() => {});
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(1);
    sub.unsubscribe();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);
    expect(capCount(c.task)).toBe(caps);
  });

  it('errors the stream and the senders with EDQUOT when the quota is spent', async () => {
    const w = await notifyWorld({ quota: 8 });
    const c = await w.client();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 9, sources: ['fs'] });
    const caught = await firstValueFrom(feed.events$).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(RpcError);
    expect((caught as RpcError).code).toBe('EDQUOT');
    await expect(feed.senders).rejects.toMatchObject({ code: 'EDQUOT' });
  });

  it('withGaps shows the events a full queue dropped', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 4, sources: ['fs'] });
    const notices: Notice[] = [];
    const sub = feed.events$.pipe(withGaps()).subscribe((n) => notices.push(n));
    const { fs } = await feed.senders;
    await settle(w.k);
    const srv = w.server();
    // 100 posts in one thread: the client's host loop gets no turn in between.
    const events = Array.from({ length: 100 }, (_, i): [string, string] => ['change', String(i + 1)]);
    await postAll(w, srv, w.k.grant(c.task, fs, srv), events);
    await settle(w.k);
    // Tick 1 went straight to the waiting next; 2..100 went through a queue of 4.
    expect(notices.map((n) => [n.tick, n.gap])).toEqual([
      [0, 0],
      [1, 0],
      [97, 95],
      [98, 0],
      [99, 0],
      [100, 0],
    ]);
    expect((await feed.stats())!.dropped).toBe(95);
    sub.unsubscribe();
  });

  it('trackState keeps a view correct across gaps by reloading', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const srv = w.server();
    const names = new Set<string>();
    let loads = 0;
    const load = () => {
      loads++;
      return of(new Set(names));
    };
    const apply = (s: Set<string>, e: NotifyEvent): Set<string> => {
      if (e.type === 'add') s.add(e.data);
      if (e.type === 'remove') s.delete(e.data);
      return s;
    };
    const feed = notifications(w.k, c.task, c.cap, { capacity: 4, sources: ['dir'] });
    let view = new Set<string>();
    const sub = feed.events$.pipe(trackState(load, apply)).subscribe((s) => (view = s));
    const slot = w.k.grant(c.task, (await feed.senders).dir, srv);
    await settle(w.k);
    expect(loads).toBe(1);

    async function change(batch: [string, string][]): Promise<void> {
      for (const [op, name] of batch) {
        if (op === 'add') names.add(name);
        else names.delete(name);
      }
      await postAll(w, srv, slot, batch);
      await settle(w.k);
    }
    await change([['add', 'a']]);
    await change([['add', 'b']]);
    await change([['remove', 'a']]);
    expect([...view]).toEqual(['b']);
    expect(loads).toBe(1);

    // A burst the queue cannot hold: the gap makes trackState reload.
    await change(Array.from({ length: 40 }, (_, i): [string, string] => [i % 3 === 2 ? 'remove' : 'add', `n${i % 7}`]));
    expect(loads).toBe(2);
    expect([...view].sort()).toEqual([...names].sort());
    sub.unsubscribe();
    await feed.close();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);
  });

  it('emits every event of a busy stream in tick order when nothing is dropped', async () => {
    const w = await notifyWorld();
    const c = await w.client();
    const srv = w.server();
    const feed = notifications(w.k, c.task, c.cap, { capacity: 256, sources: ['fs'], batch: 16 });
    const all = firstValueFrom(feed.events$.pipe(withGaps(), take(201), toArray()));
    const slot = w.k.grant(c.task, (await feed.senders).fs, srv);
    await postAll(w, srv, slot, Array.from({ length: 200 }, (_, i): [string, string] => ['n', String(i)]));
    const got = await all;
    expect(got.map((n) => n.tick)).toEqual(Array.from({ length: 201 }, (_, i) => i));
    expect(got.every((n) => n.gap === 0)).toBe(true);
    await feed.close();
    await settle(w.k);
    expect(w.inst.stats().mailboxes).toBe(0);
  });
});
