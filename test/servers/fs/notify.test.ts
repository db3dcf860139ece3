// Change notification end to end: a client subscribes a mailbox at the notification
// service, hands the filesystem a sender cap with dir.noticeDirChanges or
// file.noticeFileChanges, and reads the events the server posted. A sender whose
// service never answers does not slow a handler down; a revoked sender is dropped.

import { describe, expect, it } from 'vitest';
import { connect, defineClass, Bucket, type SpecsOf, type AsyncClient } from '../../../libcap/index.ts';
import { O } from '../../../servers/fs/fs-interfaces.ts';
import { Mailbox, Notify, Sender, notifyServer, type NotifyEvent, type NotifyInstance } from '../../../servers/notify/index.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from './harness.ts';

async function mailboxFor(w: FsWorld, c: Client): Promise<{ box: AsyncClient<SpecsOf<typeof Mailbox>>; sender: number; notify: NotifyInstance }> {
  const task = w.k.createTask('notify', { quota: 10_000, slots: 1 << 14 });
  const notify = (await notifyServer()({ kernel: w.k, task, caps: new Map() })) as NotifyInstance;
  const root = connect(Notify, w.k, c.task, notify.install!(c.task, undefined));
  const { mailbox } = await root.subscribe({ capacity: 64 });
  const box = connect(Mailbox, w.k, c.task, mailbox);
  const { sender } = await box.allow({ source: 'fs' });
  return { box, sender, notify };
}

async function events(w: FsWorld, box: AsyncClient<SpecsOf<typeof Mailbox>>): Promise<string[]> {
  await w.settle();
  const { events: evs } = await box.take({ max: 256 });
  return evs.filter((e: NotifyEvent) => e.type !== 'sync').map((e: NotifyEvent) => `${e.type} ${e.data}`.trim());
}

describe('change notification', () => {
  it('a directory reports entries added, removed and replaced', async () => {
    const w = await fsWorld();
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
    const w = await fsWorld();
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
    const w = await fsWorld();
    const c = w.client('alice');
    await c.writeFile('f', 'x');
    const { sender } = await mailboxFor(w, c);
    expect(errorOf(await c.protid(await c.open('f')).attempt.noticeDirChanges({ sender }))).toBe('ENOTDIR');
  });

  it('a sender that never answers never blocks a handler', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    // A stand-in service whose posts are never answered.
    const task = w.k.createTask('mute-notify', { quota: 10_000, slots: 1 << 12 });
    const bucket = Bucket.start(w.k, task, { name: 'mute' });
    let posts = 0;
    const cls = defineClass({ name: 'mute.sender', interface: Sender, init: () => null, handlers: { post: (ctx) => (posts++, ctx.defer()) } });
    const obj = bucket.create(cls, undefined);
    if (!('refs' in obj)) throw new Error('test bug');
    const sender = bucket.install(obj, c.task);
    await c.root.noticeDirChanges({ sender });
    for (let i = 0; i < 20; i++) await c.root.mkdir({ name: `d${i}`, mode: 0o755 });
    expect((await c.root.readdir({ offset: 0, max: 0 })).entries).toHaveLength(20);
    expect(posts).toBe(1);
  });

  it('a revoked sender is dropped; later changes are not posted to it', async () => {
    const w = await fsWorld();
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
});
