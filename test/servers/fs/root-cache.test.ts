// Kept roots (servers/fs/root-cache.ts): a crossing into an active translator by a user
// who crossed before copies the root the parent kept instead of calling fsys.getroot;
// the root kept for one user's ids is never handed to another; at most
// KEPT_ROOTS_PER_TRANSLATOR are kept; a translator whose only users are the kept roots
// can go away without force; a dead translator's kept roots are dropped and it restarts.

import { describe, expect, it } from 'vitest';
import { snapshot, type Task } from '../../../core/index.ts';
import { FS_TRANS, O } from '../../../protocol/fs.ts';
import { forgetKeptRoots, KEPT_ROOTS_PER_TRANSLATOR } from '../../../servers/fs/root-cache.ts';
import { TranslatorRegistry, type TranslatorFactory } from '../../../servers/fs/translator.ts';
import { trivfs } from '../../../servers/fs/trivfs.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from './harness.ts';

/** A directory translator only its owner (root) may search. */
const privateDir: TranslatorFactory = (env) => trivfs(env, { name: 'private', type: 'dir', mode: 0o700 });
/** A directory translator anyone may search. */
const openDir: TranslatorFactory = (env) => trivfs(env, { name: 'open', type: 'dir', mode: 0o755 });

async function world(): Promise<{ w: FsWorld; c: Client }> {
  const w = await fsWorld({
    registry: new TranslatorRegistry([
      ['private', privateDir],
      ['open', openDir],
    ]),
    root: { mode: 0o755 },
  });
  const c = w.client('root');
  for (const [name, argv] of [['p', 'private'], ['o', 'open']] as const) {
    await c.root.mkdir({ name, mode: 0o755 });
    const n = await c.open(name, O.PATH | O.NOTRANS);
    await c.protid(n).setTranslator({ passive: [argv], flags: 0 });
    c.drop(n);
  }
  return { w, c };
}

function translatorTask(w: FsWorld, name: string): Task {
  return [...w.k.tasks.values()].find((t) => t.name.startsWith('fs:') && t.name.includes(name) && t.alive)!;
}

/** Caps a task holds now. */
function capsOf(w: FsWorld, task: Task): number {
  return snapshot(w.k).tasks.find((t) => t.id === task.id)!.caps.length;
}

describe('kept roots', () => {
  it('a second crossing by the same user does not call getroot: the translator makes no new root', async () => {
    const { w, c } = await world();
    const a = await c.open('o', O.PATH);
    const t = translatorTask(w, 'o');
    await w.settle();
    const after1 = capsOf(w, t);
    // Each getroot would leave the translator a ".." cap for the new root's open.
    const held = [await c.open('o', O.PATH), await c.open('o', O.PATH), await c.open('o/x', O.PATH).catch(() => 0)];
    await w.settle();
    expect(capsOf(w, t)).toBe(after1);
    // 'o/' asks for a directory: its root is fetched, not copied (the translator gains caps).
    held.push(await c.open('o/', O.PATH));
    await w.settle();
    expect(capsOf(w, t)).toBeGreaterThan(after1);
    for (const s of [a, ...held]) if (s !== 0) c.drop(s);
    await w.settle();
    expect(forgetKeptRoots(w.k)).toBe(1);
  });

  it("the root kept for one user is never handed to another: each gets one made for its own ids", async () => {
    const { w, c } = await world();
    // Root crosses first: its root may search the 0700 translator directory.
    expect(errorOf(await c.tryOpen('p/x', O.PATH))).toBe('ENOENT');
    const u = w.client('user', { uid: 1000, gid: 1000 });
    // A user's crossing gets a root made for uid 1000, which may not search it.
    expect(errorOf(await u.tryOpen('p/x', O.PATH))).toBe('EACCES');
    expect(errorOf(await u.tryOpen('p/x', O.PATH))).toBe('EACCES');
    expect(errorOf(await c.tryOpen('p/x', O.PATH))).toBe('ENOENT');
    await w.settle();
    expect(forgetKeptRoots(w.k)).toBe(2);
  });

  it(`at most ${KEPT_ROOTS_PER_TRANSLATOR} roots are kept per translator (the oldest-used goes)`, async () => {
    const { w } = await world();
    for (let i = 0; i < KEPT_ROOTS_PER_TRANSLATOR + 4; i++) {
      const u = w.client(`u${i}`, { uid: 2000 + i, gid: 2000 });
      expect(errorOf(await u.tryOpen('o/x', O.PATH))).toBe('ENOENT');
    }
    await w.settle();
    expect(forgetKeptRoots(w.k)).toBe(KEPT_ROOTS_PER_TRANSLATOR);
  });

  it('a translator whose only users are the kept roots goes away without force', async () => {
    const { w, c } = await world();
    const s = await c.open('o', O.PATH);
    c.drop(s);
    await w.settle();
    const t = translatorTask(w, 'o');
    const node = c.protid(await c.open('o', O.PATH | O.NOTRANS));
    const ctl = c.fsys((await node.getTranslatorCntl()).control);
    // A client's own root is a user: EBUSY.
    const held = await c.open('o', O.PATH);
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    c.drop(held);
    await w.settle();
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('ok');
    await w.settle();
    expect(t.alive).toBe(false);
    // The next crossing starts it again and gets a fresh root.
    expect(errorOf(await c.tryOpen('o/x', O.PATH))).toBe('ENOENT');
    expect(translatorTask(w, 'o')).not.toBe(t);
  });

  it('settrans -g through the parent (fsys.goaway without force) is not refused because of kept roots', async () => {
    const { w, c } = await world();
    c.drop(await c.open('o', O.PATH));
    await w.settle();
    const t = translatorTask(w, 'o');
    const node = c.protid(await c.open('o', O.PATH | O.NOTRANS));
    await node.setTranslator({ passive: ['open'], flags: FS_TRANS.SET_GOAWAY });
    await w.settle();
    expect(t.alive).toBe(false);
  });

  it('a translator that died has its kept roots dropped, and the next crossing restarts it', async () => {
    const { w, c } = await world();
    c.drop(await c.open('o', O.PATH));
    await w.settle();
    const t = translatorTask(w, 'o');
    w.k.deleteTask(t);
    await w.settle();
    const s = await c.open('o', O.PATH);
    expect(errorOf(await c.tryOpen('o/x', O.PATH))).toBe('ENOENT');
    const again = translatorTask(w, 'o');
    expect(again).toBeDefined();
    expect(again).not.toBe(t);
    c.drop(s);
    await w.settle();
    expect(forgetKeptRoots(w.k)).toBe(1);
  });
});
