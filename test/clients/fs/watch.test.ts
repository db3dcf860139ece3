// fs.promises.watch over the notify service: one client watches, another makes the
// changes (also inside a tmpfs translator), a file watch sees content changes, a
// recursive watch follows new directories, the signal ends it and frees the mailbox,
// errors are Node's, and the node:fs object's FSWatcher emits the same events.
// Readiness is read from the notify service (the watch's mailbox has a waiter), never
// from time.

import { expect, it, describe } from 'vitest';
import type { Task } from '../../../core/index.ts';
import { createNodeFs, settrans, type FsClient } from '../../../clients/fs/index.ts';
import { capCount, notifyingWorld, serverWorld, USER, type ServerWorld } from '../../fs/server-world.ts';
import type { NotifyInstance } from '../../../servers/notify/index.ts';

type World = ServerWorld & { notify: NotifyInstance };

const BOB = { uid: 1001, gid: 1001 } as const;

/** A world with /w (mode 0777), a watcher (alice) and a changer (bob). */
async function setup(): Promise<{ w: World; alice: { task: Task; fs: FsClient }; bob: { task: Task; fs: FsClient } }> {
  const w = await notifyingWorld();
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/w', 0o777);
  await admin.fs.chmod('/w', 0o777);
  return { w, alice: w.client('alice', USER), bob: w.client('bob', BOB) };
}

/** Settle the kernel until `task`'s watch waits at its mailbox (registration done), bounded. */
async function watching(w: World, task: Task, mailboxes = 1): Promise<void> {
  const ready = (): boolean => w.notify.mailboxes().filter((m) => m.owner === task.id && m.waiters > 0).length >= mailboxes;
  for (let i = 0; i < 500 && !ready(); i++) await w.k.settle();
  expect(ready(), 'the watch registered and waits for events').toBe(true);
}

/** The next `n` events of `it`, as "eventType filename". */
async function take(it: AsyncIterator<{ eventType: string; filename: unknown }>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(`${r.value.eventType} ${String(r.value.filename)}`);
  }
  return out;
}

describe('watch', () => {
  it("sees another client's creations, renames and removals in a directory", async () => {
    const { w, alice, bob } = await setup();
    const ac = new AbortController();
    const it = alice.fs.watch('/w', { signal: ac.signal })[Symbol.asyncIterator]();
    const events = take(it, 4);
    await watching(w, alice.task);
    await bob.fs.writeFile('/w/a', 'x');
    await bob.fs.rename('/w/a', '/w/b');
    await bob.fs.unlink('/w/b');
    expect(await events).toEqual(['rename a', 'rename a', 'rename b', 'rename b']);
    ac.abort();
  });

  it('a file: each change of its content or attributes is a "change" named by the file', async () => {
    const { w, alice, bob } = await setup();
    await bob.fs.writeFile('/w/f', 'x');
    await bob.fs.chmod('/w/f', 0o666);
    const ac = new AbortController();
    const it = alice.fs.watch('/w/f', { signal: ac.signal })[Symbol.asyncIterator]();
    const events = take(it, 2);
    await watching(w, alice.task);
    await bob.fs.appendFile('/w/f', 'more');
    await bob.fs.truncate('/w/f', 1);
    expect(await events).toEqual(['change f', 'change f']);
    ac.abort();
  });

  it('recursive: directories below, and those made later, are watched too', async () => {
    const { w, alice, bob } = await setup();
    await bob.fs.mkdir('/w/d/e', { recursive: true });
    const ac = new AbortController();
    const it = alice.fs.watch('/w', { recursive: true, signal: ac.signal })[Symbol.asyncIterator]();
    const first = take(it, 2);
    await watching(w, alice.task);
    await bob.fs.writeFile('/w/d/e/x', '');
    await bob.fs.mkdir('/w/n');
    expect(await first).toEqual(['rename d/e/x', 'rename n']);
    // /w/n is registered while its event is handled; then a change inside it is seen.
    const next = take(it, 1);
    await watching(w, alice.task);
    await bob.fs.writeFile('/w/n/y', '');
    expect(await next).toEqual(['rename n/y']);
    ac.abort();
  });

  it('through a tmpfs translator: changes made by another client inside it', async () => {
    const { w, alice, bob } = await setup();
    await alice.fs.mkdir('/w/mnt');
    await settrans(alice.fs, '/w/mnt', ['tmpfs']);
    await alice.fs.chmod('/w/mnt', 0o777);
    const ac = new AbortController();
    const it = alice.fs.watch('/w/mnt', { signal: ac.signal })[Symbol.asyncIterator]();
    const events = take(it, 3);
    await watching(w, alice.task);
    await bob.fs.writeFile('/w/mnt/t', 'in tmpfs');
    await bob.fs.mkdir('/w/mnt/dir');
    await bob.fs.rmdir('/w/mnt/dir');
    expect(await events).toEqual(['rename t', 'rename dir', 'rename dir']);
    ac.abort();
  });

  it('the signal ends it with AbortError; the mailbox and every cap are freed', async () => {
    const { w, alice } = await setup();
    const baseline = capCount(alice.task);
    const ac = new AbortController();
    const it = alice.fs.watch('/w', { signal: ac.signal })[Symbol.asyncIterator]();
    const pending = it.next();
    await watching(w, alice.task);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await w.k.settle();
    expect(w.notify.mailboxes().filter((m) => m.owner === alice.task.id)).toEqual([]);
    expect(capCount(alice.task)).toBe(baseline);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('withSignal: a view whose signal ends the watch', async () => {
    const { w, alice } = await setup();
    const ac = new AbortController();
    const it = alice.fs.withSignal(ac.signal).watch('/w')[Symbol.asyncIterator]();
    const pending = it.next();
    await watching(w, alice.task);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("errors are Node's: ENOENT (watch, path, filename); ENOSYS with no notify service", async () => {
    const { alice } = await setup();
    await expect(alice.fs.watch('/w/none')[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'watch',
      path: '/w/none',
      filename: '/w/none',
      message: "ENOENT: no such file or directory, watch '/w/none'",
    });
    const plain = serverWorld().client('u', USER);
    await expect(plain.fs.watch('/')[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'ENOSYS', syscall: 'watch' });
  });

  it("the node:fs object's watch: an FSWatcher emitting 'change' (eventType, filename), then 'close'", async () => {
    const { w, alice, bob } = await setup();
    const fs = createNodeFs(alice.fs);
    const seen: string[] = [];
    const got = new Promise<void>((resolve) => {
      const watcher = fs.watch('/w', (eventType: string, filename: string) => {
        seen.push(`${eventType} ${filename}`);
        watcher.close();
      });
      watcher.on('close', () => resolve());
    });
    await watching(w, alice.task);
    await bob.fs.writeFile('/w/z', '');
    await got;
    expect(seen).toEqual(['rename z']);
  });
});
