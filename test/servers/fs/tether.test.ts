// Translator tasks end with the filesystem that started them: killing the server's task
// (no goaway, no shutdown) leaves no translator task, thread or cap, nested translators
// (inside a tmpfs) included; a server started again over the same volume starts fresh
// translators and nothing of the old ones is left. Counted by kernel introspection.

import { describe, expect, it } from 'vitest';
import { snapshot } from '../../../core/introspect.ts';
import type { Kernel } from '../../../core/index.ts';
import { O } from '../../../protocol/fs.ts';
import { fsServer } from '../../../servers/fs/fs-server.ts';
import { defaultRegistry } from '../../../servers/translators/index.ts';
import { idsFor } from '../../../servers/auth/auth-server.ts';
import { installService } from '../../../libcap/server.ts';
import { fsWorld, makeClient, type Client } from './harness.ts';

/** Live tasks, threads and caps of the kernel, outside the tasks named in `except`. */
function counts(k: Kernel, except: (name: string) => boolean = () => false): { tasks: number; threads: number; caps: number } {
  let tasks = 0;
  let threads = 0;
  let caps = 0;
  for (const t of snapshot(k).tasks) {
    if (!t.alive || except(t.name)) continue;
    tasks++;
    threads += t.threads.length;
    caps += t.caps.length;
  }
  return { tasks, threads, caps };
}

async function mount(c: Client, path: string, argv: string[], dir = false): Promise<void> {
  if (dir) await c.root.mkdir({ name: path, mode: 0o755 });
  else await c.writeFile(path, '');
  await c.protid(await c.open(path, O.PATH | O.NOTRANS)).setTranslator({ passive: argv, flags: 0 });
}

describe('translator tasks end with their filesystem', () => {
  it('killing the fs task leaves no translator task, thread or cap (nested ones too)', async () => {
    const w = await fsWorld({ registry: defaultRegistry(), root: { mode: 0o777 } });
    const before = counts(w.k);
    const c = w.client('root');
    await mount(c, 'hello', ['hello']);
    await mount(c, 'tmp', ['tmpfs'], true);
    expect(await c.readFile('hello')).toBe('Hello, world!\n');
    await c.writeFile('tmp/inner', '');
    const tmp = c.protid(await c.open('tmp'));
    await c.protid(await c.open('tmp/inner', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello', '--contents=deep'], flags: 0 });
    expect(await c.readFile('tmp/inner')).toBe('deep');
    void tmp;
    const names = [...w.k.tasks.values()].filter((t) => t.alive).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fs:hello /hello', 'fs:tmpfs /tmp', 'tmpfs:hello /inner']));

    w.k.deleteTask(w.fsTask);
    await w.settle();
    const left = [...w.k.tasks.values()].filter((t) => t.alive).map((t) => t.name);
    expect(left.filter((n) => n.includes(':'))).toEqual([]);
    // Only the client task is new; the fs task is gone.
    const after = counts(w.k, (n) => n === 'root');
    expect(after.tasks).toBe(before.tasks - 1);
    expect(after.threads).toBeLessThanOrEqual(before.threads);
  });

  it('after a restart over the same volume, translators start afresh and nothing old is left', async () => {
    const w = await fsWorld({ registry: defaultRegistry(), root: { mode: 0o777 } });
    const c = w.client('root');
    await mount(c, 'hello', ['hello']);
    expect(await c.readFile('hello')).toBe('Hello, world!\n');
    const baseline = counts(w.k, (n) => n === 'root');
    w.k.deleteTask(w.fsTask);
    await w.settle();

    const task2 = w.k.createTask('fs', { quota: 100_000, slots: 1 << 16 });
    const fs2 = fsServer({ registry: defaultRegistry(), volume: w.fs.volume })({
      kernel: w.k,
      task: task2,
      caps: new Map([['auth', installService(w.auth, task2, idsFor(0, 0))]]),
    });
    const t2 = w.k.createTask('root2', { slots: 1 << 12 });
    const ids = idsFor(0, 0);
    const c2 = makeClient(w.k, t2, ids, fs2.install(t2, ids), installService(w.auth, t2, ids));
    // Passive settings are the server's (not kept in the memfs volume): set it again.
    await c2.protid(await c2.open('hello', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
    expect(await c2.readFile('hello')).toBe('Hello, world!\n');
    const hellos = [...w.k.tasks.values()].filter((t) => t.alive && t.name.startsWith('fs:hello'));
    expect(hellos).toHaveLength(1);
    // As many tasks, threads and caps as with the first server (the new client aside).
    const now = counts(w.k, (n) => n === 'root' || n === 'root2');
    expect(now.tasks).toBe(baseline.tasks);
    expect(now.threads).toBe(baseline.threads);
  });
});
