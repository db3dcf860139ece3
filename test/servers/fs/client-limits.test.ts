// Per-client bounds of the filesystem server, through raw protid stubs: caps one client
// holds (EMFILE, default 1024), the server's own slot reserve (ENOMEM to whoever asks
// for a new cap, while everything already open keeps working), and that one client at
// its bound never makes another fail.

import { describe, expect, it } from 'vitest';
import { taskSnapshot } from '../../../core/introspect.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../../servers/fs/client-limits.ts';
import { O } from '../../../protocol/fs.ts';
import { defaultRegistry } from '../../../servers/translators/index.ts';
import { collectBugs, errorOf, fsWorld } from './harness.ts';

describe('opens per client', () => {
  it('EMFILE past the default 1024 caps; other clients keep opening; closing makes room', async () => {
    expect(DEFAULT_CLIENT_LIMITS.maxOpens).toBe(1024);
    const bugs = collectBugs();
    try {
      const w = await fsWorld({ root: { mode: 0o777 } });
      const m = w.client('mallory', { uid: 1000, gid: 1000 });
      await m.writeFile('/f', 'data');
      const slots: number[] = [];
      let refused = 0;
      for (let i = 0; i < 1100; i++) {
        const r = await m.tryOpen('f');
        if (r.ok) slots.push(r.value);
        else {
          expect(r.error).toBe('EMFILE');
          refused++;
        }
      }
      // The root protid counts too: 1023 opens fit beside it.
      expect(slots.length).toBe(1023);
      expect(refused).toBe(77);
      expect(errorOf(await m.root.attempt.duplicate())).toBe('EMFILE');
      expect(errorOf(await m.root.attempt.restrictAuth({ uids: [], gids: [] }))).toBe('EMFILE');
      // What is open keeps working.
      expect(Buffer.from((await m.protid(slots[0]!).read({ amount: 10 })).data).toString()).toBe('data');
      const bob = w.client('bob', { uid: 1001, gid: 1001 });
      expect(await bob.readFile('/f')).toBe('data');
      m.drop(slots.pop()!);
      await w.settle();
      expect(errorOf(await m.tryOpen('f'))).toBe('ok');
      expect(bugs.list).toEqual([]);
    } finally {
      bugs.restore();
    }
  });

  it('a smaller bound set per server', async () => {
    const w = await fsWorld({ clientLimits: { maxOpens: 4 } });
    const c = w.client('c');
    await c.writeFile('/f', '');
    for (let i = 0; i < 3; i++) await c.open('f');
    expect(errorOf(await c.tryOpen('f'))).toBe('EMFILE');
  });
});

describe('the server\'s own cap slots', () => {
  it('ENOMEM for a new cap when only the reserve is left; open caps keep working; no thread faults', async () => {
    const bugs = collectBugs();
    try {
      // The harness's fs has 65,536 slots: a reserve that leaves room for a few dozen client caps.
      const w2 = await fsWorld({ root: { mode: 0o777 }, clientLimits: { reserveSlots: (1 << 16) - 30 } });
      const a = w2.client('a', { uid: 1000, gid: 1000 });
      const b = w2.client('b', { uid: 1001, gid: 1001 });
      await a.writeFile('/f', 'x');
      const held: number[] = [];
      let first: string | null = null;
      for (let i = 0; i < 40 && first === null; i++) {
        const r = await a.tryOpen('f');
        if (r.ok) held.push(r.value);
        else first = r.error;
      }
      expect(first).toBe('ENOMEM');
      expect(held.length).toBeGreaterThan(0);
      // Every cap already given keeps working, for both clients.
      expect(Buffer.from((await a.protid(held[0]!).read({ amount: 1 })).data).toString()).toBe('x');
      expect((await b.root.stat()).stat.mode & 0o777).toBe(0o777);
      // Room made by one client is usable again.
      for (const s of held) a.drop(s);
      await w2.settle();
      expect(await b.readFile('/f')).toBe('x');
      expect(bugs.list).toEqual([]);
      expect(taskSnapshot(w2.fsTask).threads.every((t) => t.fault === 0)).toBe(true);
    } finally {
      bugs.restore();
    }
  });
});

describe('translators built on netfs and trivfs', () => {
  // A translator's roots are fetched by its parent filesystem (fsys.getroot) for every
  // user, so the translator sees one client; its own cap space is guarded by the slot
  // reserve (ENOMEM past it), and nothing faults.
  it('ENOMEM from a translator with a 512-slot space before it fills: nothing faults, other clients keep reading', async () => {
    const bugs = collectBugs();
    try {
      const w = await fsWorld({ registry: defaultRegistry(), root: { mode: 0o777 }, translatorSlots: 512 });
      const root = w.client('root');
      await root.writeFile('/hello', '');
      await root.protid(await root.open('hello', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
      const bob = w.client('bob', { uid: 1001, gid: 1001 });
      const bobs = await bob.open('hello');
      const m = w.client('mallory', { uid: 1000, gid: 1000 });
      const held: number[] = [];
      let first: string | null = null;
      for (let i = 0; i < 600 && first === null; i++) {
        const r = await m.tryOpen('hello');
        if (r.ok) held.push(r.value);
        else first = r.error;
      }
      // Each open costs the translator its root entry and the ".." cap it keeps: the reserve answers first.
      expect(first).toBe('ENOMEM');
      expect(held.length).toBeGreaterThan(100);
      const ht = [...w.k.tasks.values()].find((t) => t.alive && t.name.startsWith('fs:hello'))!;
      expect([...ht.cspace.entries()].length).toBeLessThan(512);
      expect(Buffer.from((await bob.protid(bobs).read({ amount: 5 })).data).toString()).toBe('Hello');
      for (const s of held) m.drop(s);
      await w.settle();
      expect(await bob.readFile('hello')).toBe('Hello, world!\n');
      expect(bugs.list).toEqual([]);
    } finally {
      bugs.restore();
    }
  });
});
