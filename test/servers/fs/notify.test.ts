// Change notification end to end: a client subscribes a mailbox at the notification
// service the filesystem was given, hands the filesystem a sender cap with
// dir.noticeDirChanges or file.noticeFileChanges, and reads the events the server
// posted. A sender whose service never answers does not slow a handler down; a revoked
// sender is dropped; only senders of that service are kept (EINVAL), at most so many per
// client (EAGAIN), and other clients keep being served.

import { describe, expect, it } from 'vitest';
import { connect, defineClass, Bucket, type SpecsOf, type AsyncClient } from '../../../libcap/index.ts';
import { O } from '../../../protocol/fs.ts';
import { Mailbox, Notify, Sender, notifyServer, type NotifyEvent, type NotifyInstance } from '../../../servers/notify/index.ts';
import type { FsServerOptions } from '../../../servers/fs/fs-server.ts';
import { errorOf, fsWorld, virtualKernel, type Client, type FsWorld } from './harness.ts';

/** A world whose filesystem was given a notification service. */
async function notifyWorld(opts: FsServerOptions = {}): Promise<FsWorld & { notify: NotifyInstance }> {
  const k = virtualKernel();
  const task = k.createTask('notify', { quota: 10_000, slots: 1 << 14 });
  const notify = (await notifyServer()({ kernel: k, task, caps: new Map() })) as NotifyInstance;
  const w = await fsWorld(opts, { k, notifyFor: (t) => notify.install!(t, undefined) });
  return { ...w, notify };
}

async function mailboxFor(w: FsWorld & { notify: NotifyInstance }, c: Client, source = 'fs'): Promise<{ box: AsyncClient<SpecsOf<typeof Mailbox>>; sender: number }> {
  const root = connect(Notify, w.k, c.task, w.notify.install!(c.task, undefined));
  const { mailbox } = await root.subscribe({ capacity: 64 });
  const box = connect(Mailbox, w.k, c.task, mailbox);
  const { sender } = await box.allow({ source });
  return { box, sender };
}

async function events(w: FsWorld, box: AsyncClient<SpecsOf<typeof Mailbox>>): Promise<string[]> {
  await w.settle();
  const { events: evs } = await box.take({ max: 256 });
  return evs.filter((e: NotifyEvent) => e.type !== 'sync').map((e: NotifyEvent) => `${e.type} ${e.data}`.trim());
}

describe('change notification', () => {
  it('a directory reports entries added, removed and replaced', async () => {
    const w = await notifyWorld();
    const c = w.client('alice');
    const { box, sender } = await mailboxFor(w, c);
    await c.root.noticeDirChanges({ sender });
    await c.writeFile('f', 'x');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    await c.root.symlink({ name: 'l', target: 'f' });
    await c.root.rename({ oldName: 'l', newDir: c.rootSlot, newName: 'f', excl: false });
    await c.root.rmdir({ name: 'd' });
    expect(await events(w, box)).toEqual(['add f', 'add d', 'add l', 'remove l', 'change f', 'remove d']);
  });

  it('a file reports changes to its content and attributes', async () => {
    const w = await notifyWorld();
    const c = w.client('alice');
    await c.writeFile('f', 'x');
    const { box, sender } = await mailboxFor(w, c);
    const f = c.protid(await c.open('f', O.RDWR));
    await f.noticeFileChanges({ sender });
    await f.write({ data: Buffer.from('more') });
    await f.truncate({ size: 1 });
    await f.chmod({ mode: 0o600 });
    expect(await events(w, box)).toEqual(['change', 'change', 'change']);
  });

  it('ENOTDIR watching a file as a directory', async () => {
    const w = await notifyWorld();
    const c = w.client('alice');
    await c.writeFile('f', 'x');
    const { sender } = await mailboxFor(w, c);
    expect(errorOf(await c.protid(await c.open('f')).attempt.noticeDirChanges({ sender }))).toBe('ENOTDIR');
  });

  it('a sender that never answers never blocks a handler', async () => {
    // A stand-in notification service whose posts are never answered, given to the fs.
    const k = virtualKernel();
    const task = k.createTask('mute-notify', { quota: 10_000, slots: 1 << 12 });
    const bucket = Bucket.start(k, task, { name: 'mute' });
    let posts = 0;
    const cls = defineClass({ name: 'mute.sender', interface: Sender, init: () => null, handlers: { post: (ctx) => (posts++, ctx.defer()) } });
    const service = bucket.create(cls, undefined);
    const obj = bucket.create(cls, undefined);
    if (!('refs' in obj) || !('refs' in service)) throw new Error('test bug');
    const w = await fsWorld({}, { k, notifyFor: (t) => bucket.install(service, t) });
    const c = w.client('alice');
    const sender = bucket.install(obj, c.task);
    await c.root.noticeDirChanges({ sender });
    for (let i = 0; i < 20; i++) await c.root.mkdir({ name: `d${i}`, mode: 0o755 });
    expect((await c.root.readdir({ offset: 0, max: 0 })).entries).toHaveLength(20);
    expect(posts).toBe(1);
  });

  it('a revoked sender is dropped; later changes are not posted to it', async () => {
    const w = await notifyWorld();
    const c = w.client('alice');
    const { box, sender } = await mailboxFor(w, c);
    await c.root.noticeDirChanges({ sender });
    await c.writeFile('a', '');
    expect(await events(w, box)).toEqual(['add a']);
    await box.revoke({ source: 'fs' });
    await c.writeFile('b', '');
    await w.settle();
    await c.writeFile('c', '');
    expect(await events(w, box)).toEqual([]);
    const watchers = w.fs.fs.store.peek(w.fs.fs.store.root.node)?.dirWatchers;
    expect(watchers?.size).toBe(0);
  });

  it('keeps only sender caps of its notification service: EINVAL for any other cap or the service root', async () => {
    const w = await notifyWorld();
    const c = w.client('alice');
    // A cap of the fs itself, a notify root cap, a sender of another notification service.
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: c.rootSlot }))).toBe('EINVAL');
    const f = c.protid(await c.open('.'));
    expect(errorOf(await f.attempt.noticeFileChanges({ sender: c.authSlot }))).toBe('EINVAL');
    const other = w.k.createTask('other-notify', { quota: 10_000, slots: 1 << 12 });
    const rogue = (await notifyServer()({ kernel: w.k, task: other, caps: new Map() })) as NotifyInstance;
    const root = connect(Notify, w.k, c.task, rogue.install!(c.task, undefined));
    const { mailbox } = await root.subscribe({ capacity: 4 });
    const { sender: foreign } = await connect(Mailbox, w.k, c.task, mailbox).allow({ source: 'x' });
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: foreign }))).toBe('EINVAL');
    // The service's root as the fs holds it (its own badge) is no sender either.
    const fsNotify = w.fs.fs.notifySlot;
    const rootCopy = w.k.grant(w.fsTask, fsNotify, c.task);
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: rootCopy }))).toBe('EINVAL');
    expect(w.fs.fs.watcherTotal()).toBe(0);
  });

  it('EOPNOTSUPP when the filesystem was given no notification service', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: c.authSlot }))).toBe('EOPNOTSUPP');
  });

  it('EAGAIN past a client\'s watcher bound; another client is still served; the count goes back', async () => {
    const w = await notifyWorld({ clientLimits: { maxWatchers: 3 }, root: { mode: 0o777 } });
    const c = w.client('mallory', { uid: 1000, gid: 1000 });
    const { box, sender } = await mailboxFor(w, c);
    for (let i = 0; i < 3; i++) {
      const copy = w.k.grant(c.task, sender, c.task);
      await c.root.noticeDirChanges({ sender: copy });
    }
    const extra = w.k.grant(c.task, sender, c.task);
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: extra }))).toBe('EAGAIN');
    const slotsBefore = [...w.fsTask.cspace.entries()].length;
    for (let i = 0; i < 50; i++) expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: extra }))).toBe('EAGAIN');
    // A refused sender is not kept: the fs holds no more caps than before.
    expect([...w.fsTask.cspace.entries()].length).toBe(slotsBefore);
    const bob = w.client('bob', { uid: 1001, gid: 1001 });
    const b = await mailboxFor(w, bob);
    await bob.root.noticeDirChanges({ sender: b.sender });
    await c.writeFile('tmp-file', '');
    expect(await events(w, b.box)).toEqual(['add tmp-file']);
    // Revoking mallory's senders drops her watchers after the next post; she may register again.
    await box.revoke({ source: 'fs' });
    await c.writeFile('other', '');
    await w.settle();
    expect(w.fs.fs.watcherTotal()).toBe(1);
    const again = await mailboxFor(w, c, 'again');
    expect(errorOf(await c.root.attempt.noticeDirChanges({ sender: again.sender }))).toBe('ok');
  });
});
