// The tree translator library: a translator describes nodes (content, entries, symlink
// targets, setContent for writable files, async callbacks) and the library walks, opens,
// reads, writes, lists and stats them, answers ".." and absolute symlinks with retries,
// and answers "not supported" for what the tree does not do.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { netfs, type NetfsNode } from '../../../servers/fs/netfs.ts';
import { TranslatorRegistry, type TranslatorFactory } from '../../../servers/fs/translator.ts';
import { HostSys } from '../../../core/index.ts';
import { idsFor } from '../../../servers/auth/auth-server.ts';
import { slotsHoldingCopyOf } from '../../world-helpers.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from './harness.ts';

/** A directory node over a map of children. */
function dir(ino: number, children: Record<string, NetfsNode>, extra: Partial<NetfsNode> = {}): NetfsNode {
  return { ino, type: 'dir', lookup: (n) => children[n], list: () => Object.keys(children), ...extra };
}

function tree(): { root: NetfsNode; note: { text: string } } {
  const note = { text: 'scribble' };
  const motd: NetfsNode = { ino: 3, type: 'file', content: () => 'message of the day\n' };
  const notes: NetfsNode = {
    ino: 4,
    type: 'file',
    content: () => note.text,
    setContent: (d) => {
      note.text = Buffer.from(d).toString();
      return null;
    },
  };
  const etc = dir(2, {
    motd,
    notes,
    link: { ino: 5, type: 'symlink', target: 'motd' },
    up: { ino: 6, type: 'symlink', target: '../top' },
    abs: { ino: 7, type: 'symlink', target: '/elsewhere/x' },
  });
  const slow = dir(8, {}, {
    lookup: async (n) => (n === 'later' ? { ino: 9, type: 'file', content: async () => 'answered later' } : undefined),
    list: async () => ['later'],
  });
  const secret = dir(10, { hidden: { ino: 11, type: 'file', content: () => 'no' } }, { mode: 0o700 });
  const top: NetfsNode = { ino: 12, type: 'file', content: () => 'top file' };
  return { root: dir(1, { etc, slow, secret, top }), note };
}

async function mounted(): Promise<{ w: FsWorld; c: Client; note: { text: string } }> {
  const t = tree();
  const factory: TranslatorFactory = (env) => netfs(env, { name: 'vtree', root: t.root });
  const w = await fsWorld({ registry: new TranslatorRegistry([['vtree', factory]]), root: { mode: 0o777 } });
  const c = w.client('root');
  await c.root.mkdir({ name: 'v', mode: 0o755 });
  await c.protid(await c.open('v', O.PATH | O.NOTRANS)).setTranslator({ passive: ['vtree'], flags: 0 });
  await c.root.mkdir({ name: 'elsewhere', mode: 0o755 });
  await c.writeFile('elsewhere/x', 'outside the tree');
  return { w, c, note: t.note };
}

describe('netfs', () => {
  it('walks the tree, reads content, lists entries with their types and numbers', async () => {
    const { c } = await mounted();
    expect(await c.readFile('v/etc/motd')).toBe('message of the day\n');
    const { entries } = await c.protid(await c.open('v/etc')).readdir({ offset: 0, max: 0 });
    expect(entries.map((e) => `${e.name}:${e.type}:${e.ino}`)).toEqual(['motd:file:3', 'notes:file:4', 'link:symlink:5', 'up:symlink:6', 'abs:symlink:7']);
    const { stat } = await c.protid(await c.open('v/etc/motd')).stat();
    expect(stat).toMatchObject({ ino: 3, mode: 0o100444, size: 19 });
  });

  it('symlinks: relative ones inside the tree, ".." within it, absolute ones restart at the client root', async () => {
    const { c } = await mounted();
    expect(await c.readFile('v/etc/link')).toBe('message of the day\n');
    expect(await c.readFile('v/etc/up')).toBe('top file');
    expect(await c.readFile('v/etc/../etc/./motd')).toBe('message of the day\n');
    expect(await c.readFile('v/etc/abs')).toBe('outside the tree');
    expect((await c.protid(await c.open('v/etc/link', O.PATH | O.NOLINK)).readlink()).target).toBe('motd');
  });

  it('".." at the root of the tree leads back to the parent filesystem', async () => {
    const { c } = await mounted();
    await c.writeFile('beside', 'parent');
    expect(await c.readFile('v/etc/../../beside')).toBe('parent');
    const r = await c.protid(await c.open('v')).lookup({ name: '../beside', flags: O.RDONLY, mode: 0 });
    expect(r.retry).toBe('reauth');
  });

  it('a ".." its giver revoked answers EIO, even when another client\'s cap refills the slot the tree kept it in; that cap is never handed out or deleted', async () => {
    const { w, c } = await mounted();
    expect(await c.readFile('v/etc/motd')).toBe('message of the day\n');
    const act = [...w.fs.fs.children.keys()][0]!;
    const tree = act.task!;
    // A client holding the tree's control port asks it for a root, with a ".." of its own.
    const ctl = c.fsys(w.k.grant(w.fsTask, act.control, c.task));
    const parent = w.fs.install(c.task, { uid: 0, gid: 0 });
    const r = await ctl.getroot({ dotdot: parent, ids: idsFor(0, 0), flags: O.RDONLY });
    expect((await c.protid(r.root).lookup({ name: '../beside', flags: O.RDONLY, mode: 0 })).retry).toBe('reauth');
    const [kept, ...more] = slotsHoldingCopyOf(c.task, parent, tree);
    expect(kept).toBeDefined();
    expect(more).toEqual([]);
    // The giver takes it back, and another client's port refills the very slot the tree kept.
    new HostSys(w.k, c.task).revoke(parent);
    const treeOps = new HostSys(w.k, tree);
    expect(treeOps.identify(kept!)).toBeNull();
    const bob = w.client('bob', { uid: 1000, gid: 100 });
    w.k.grant(bob.task, bob.rootSlot, tree, { slot: kept! });
    const bobs = treeOps.identify(kept!)!;
    expect(errorOf(await c.protid(r.root).attempt.lookup({ name: '../beside', flags: O.RDONLY, mode: 0 }))).toBe('EIO');
    c.drop(r.root);
    await w.settle();
    expect(treeOps.identify(kept!)?.serial).toBe(bobs.serial);
  });

  it('async lookups and content', async () => {
    const { c } = await mounted();
    expect(await c.readFile('v/slow/later')).toBe('answered later');
    expect((await c.protid(await c.open('v/slow')).readdir({ offset: 0, max: 0 })).entries.map((e) => e.name)).toEqual(['later']);
    expect(errorOf(await c.tryOpen('v/slow/never'))).toBe('ENOENT');
  });

  it('writable files through setContent (offsets, O_TRUNC, truncate); read-only ones EROFS', async () => {
    const { c, note } = await mounted();
    const f = c.protid(await c.open('v/etc/notes', O.RDWR));
    await f.write({ data: Buffer.from('S') });
    expect(note.text).toBe('Scribble');
    await f.truncate({ size: 3 });
    expect(note.text).toBe('Scr');
    await c.writeFile('v/etc/notes', 'replaced');
    expect(note.text).toBe('replaced');
    expect(errorOf(await c.tryOpen('v/etc/motd', O.WRONLY))).toBe('EROFS');
    expect(errorOf(await c.tryOpen('v/etc/new', O.WRONLY | O.CREAT))).toBe('EROFS');
  });

  it('permission bits of virtual nodes apply; tree changes answer not supported', async () => {
    const { w, c } = await mounted();
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('v/secret/hidden'))).toBe('EACCES');
    expect(errorOf(await c.tryOpen('v/secret/hidden'))).toBe('ok');
    const etc = c.protid(await c.open('v/etc'));
    expect(errorOf(await etc.attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await etc.attempt.unlink({ name: 'motd' }))).toBe('EOPNOTSUPP');
    expect(errorOf(await c.protid(await c.open('v/etc/motd')).attempt.unlink({ name: 'x' }))).toBe('ENOTDIR');
    expect(errorOf(await etc.attempt.read({ amount: 1 }))).toBe('EISDIR');
    expect(errorOf(await c.tryOpen('v/etc/motd/x'))).toBe('ENOTDIR');
  });
});
