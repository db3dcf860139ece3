// The tmpfs translator: a fresh memfs volume mounted on a directory, served by a fresh
// filesystem server running as the node's owner; ".." leads back to the parent; renames
// and links to the parent answer EXDEV; translators work inside it; fsysopts and goaway.

import { describe, expect, it } from 'vitest';
import { FSYS_GOAWAY, O } from '../../../protocol/fs.ts';
import { defaultRegistry, parseTmpfsOptions } from '../../../servers/translators/index.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from '../fs/harness.ts';

async function withTmpfs(argv: string[] = ['tmpfs'], owner = { uid: 0, gid: 0 }): Promise<{ w: FsWorld; c: Client }> {
  const w = await fsWorld({ registry: defaultRegistry(), root: { mode: 0o777 } });
  const c = w.client('user', owner);
  await c.root.mkdir({ name: 'tmp', mode: 0o755 });
  await c.protid(await c.open('tmp', O.PATH | O.NOTRANS)).setTranslator({ passive: argv, flags: 0 });
  return { w, c };
}

describe('tmpfs', () => {
  it('a fresh volume: files made inside are not in the parent\'s volume', async () => {
    const { w, c } = await withTmpfs();
    expect((await c.protid(await c.open('tmp')).readdir({ offset: 0, max: 0 })).entries).toEqual([]);
    await c.writeFile('tmp/a', 'in tmpfs');
    const tmp = c.protid(await c.open('tmp'));
    await tmp.mkdir({ name: 'sub', mode: 0o755 });
    await c.writeFile('tmp/sub/b', 'deeper');
    expect(await c.readFile('tmp/sub/b')).toBe('deeper');
    expect(w.fs.volume.existsSync('/tmp/a')).toBe(false);
    expect((await tmp.stat()).stat.dev).not.toBe((await c.root.stat()).stat.dev);
  });

  it('runs as the node owner: its root belongs to them', async () => {
    const { c } = await withTmpfs(['tmpfs', '--mode=0700'], { uid: 1000, gid: 100 });
    const { stat } = await c.protid(await c.open('tmp')).stat();
    expect([stat.uid, stat.gid, stat.mode]).toEqual([1000, 100, 0o040700]);
    await c.writeFile('tmp/mine', 'x');
    expect(await c.readFile('tmp/mine')).toBe('x');
  });

  it('".." at its root goes back to the parent (REAUTH), with the user\'s own ids', async () => {
    const { w, c } = await withTmpfs();
    await c.writeFile('beside', 'parent file');
    await c.root.mkdir({ name: 'private', mode: 0o700 });
    expect(await c.readFile('tmp/../beside')).toBe('parent file');
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(await bob.readFile('tmp/../beside')).toBe('parent file');
    expect(errorOf(await bob.tryOpen('tmp/../private'))).toBe('EACCES');
  });

  it('renames and links between tmpfs and its parent: EXDEV', async () => {
    const { c } = await withTmpfs();
    await c.writeFile('outside', 'x');
    await c.writeFile('tmp/inside', 'y');
    const tmp = await c.open('tmp');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'outside', newDir: tmp, newName: 'o', excl: false }))).toBe('EXDEV');
    expect(errorOf(await c.protid(tmp).attempt.rename({ oldName: 'inside', newDir: c.rootSlot, newName: 'i', excl: false }))).toBe('EXDEV');
    expect(errorOf(await c.protid(tmp).attempt.link({ file: await c.open('outside'), name: 'l', excl: true }))).toBe('EXDEV');
  });

  it('translators inside tmpfs (from the same registry); an absolute symlink inside leads to the client\'s root', async () => {
    const { c } = await withTmpfs();
    await c.writeFile('tmp/h', '');
    await c.protid(await c.open('tmp/h', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
    expect(await c.readFile('tmp/h')).toBe('Hello, world!\n');
    await c.writeFile('top', 'at the top');
    await c.protid(await c.open('tmp')).symlink({ name: 'abs', target: '/top' });
    expect(await c.readFile('tmp/abs')).toBe('at the top');
  });

  it('fsysopts --readonly; goaway EBUSY while used, then gone; a restart is empty again', async () => {
    const { w, c } = await withTmpfs();
    await c.writeFile('tmp/a', 'x');
    const node = c.protid(await c.open('tmp', O.PATH | O.NOTRANS));
    const ctl = c.fsys((await node.getTranslatorCntl()).control);
    await ctl.setOptions({ options: ['--readonly'] });
    expect(errorOf(await c.tryOpen('tmp/b', O.WRONLY | O.CREAT))).toBe('EROFS');
    const held = await c.open('tmp/a');
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    c.drop(held);
    await w.settle();
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(errorOf(await c.tryOpen('tmp/a'))).toBe('ENOENT');
  });

  it('runs with its owner\'s authority only: it cannot start a translator as someone else (EACCES)', async () => {
    const { w, c } = await withTmpfs(['tmpfs', '--mode=0777'], { uid: 1000, gid: 100 });
    // Root, inside alice's tmpfs, gives a node to bob and sets hello on it: tmpfs would
    // have to start it as bob, but its auth handle only holds alice's ids.
    const root = w.client('root');
    await root.writeFile('tmp/bobs', '');
    await root.protid(await root.open('tmp/bobs', O.PATH | O.NOTRANS)).chown({ uid: 1001, gid: 100 });
    await root.protid(await root.open('tmp/bobs', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
    expect(errorOf(await root.tryOpen('tmp/bobs'))).toBe('EACCES');
    // Her own node is fine.
    await c.writeFile('tmp/hers', '');
    await c.protid(await c.open('tmp/hers', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
    expect(await c.readFile('tmp/hers')).toBe('Hello, world!\n');
  });

  it('bad arguments fail the start', async () => {
    const { c } = await withTmpfs(['tmpfs', '--mode=999']);
    expect(errorOf(await c.tryOpen('tmp'))).toBe('EIO');
    expect(parseTmpfsOptions(['--mode=0755', '-r'])).toEqual({ mode: 0o755, readonly: true, size: 64 * 1024 * 1024 });
    expect(parseTmpfsOptions(['--size=1M'])).toEqual({ mode: 0o755, readonly: false, size: 1024 * 1024 });
    expect(parseTmpfsOptions(['--size=12x'])).toBeUndefined();
    expect(parseTmpfsOptions(['--size=99999999999999g'])).toBeUndefined();
  });

  it('statfs answers its own volume: --size is its quota (default 64 MiB); ENOSPC beyond', async () => {
    const { c } = await withTmpfs(['tmpfs', '--size=8k']);
    const tmp = c.protid(await c.open('tmp'));
    const { stat } = await tmp.statfs();
    expect([stat.blocks, stat.bfree, stat.maxFileSize]).toEqual([2, 2, 8192]);
    expect((await c.root.statfs()).stat.blocks).toBe(65_536);
    const f = c.protid(await c.open('tmp/f', O.CREAT | O.WRONLY));
    expect(errorOf(await f.attempt.write({ data: Buffer.alloc(8193), offset: 0 }))).toBe('EFBIG');
    await f.write({ data: Buffer.alloc(8192), offset: 0 });
    expect((await tmp.statfs()).stat.bfree).toBe(0);
    const g = c.protid(await c.open('tmp/g', O.CREAT | O.WRONLY));
    expect(errorOf(await g.attempt.write({ data: Buffer.alloc(1), offset: 0 }))).toBe('ENOSPC');
    const { c: c2 } = await withTmpfs();
    expect((await c2.protid(await c2.open('tmp')).statfs()).stat.blocks).toBe(16_384);
  });
});
