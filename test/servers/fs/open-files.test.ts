// Open files outlive their names (POSIX): an unlinked or renamed file stays readable and
// writable through its open protids and keeps its i-node number (never handed to a new
// file meanwhile); the i-node is freed when the last protid on it goes.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { errorOf, fsWorld } from './harness.ts';

describe('open files', () => {
  it('an unlinked file stays readable and writable through its protid', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    await c.writeFile('f', 'still here');
    const f = c.protid(await c.open('f', O.RDWR));
    await c.root.unlink({ name: 'f' });
    expect(errorOf(await c.tryOpen('f'))).toBe('ENOENT');
    expect(Buffer.from((await f.read({ amount: 100 })).data).toString()).toBe('still here');
    await f.write({ data: Buffer.from('!'), offset: 10 });
    const { stat } = await f.stat();
    expect(stat.nlink).toBe(0);
    expect(stat.size).toBe(11);
  });

  it('its i-node number is not reused while it is open, and is freed after the last close', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    await c.writeFile('f', 'x');
    const slot = await c.open('f');
    const ino = (await c.protid(slot).identity()).ino;
    await c.root.unlink({ name: 'f' });
    for (let i = 0; i < 5; i++) await c.writeFile(`n${i}`, 'y');
    for (let i = 0; i < 5; i++) expect((await c.protid(await c.open(`n${i}`)).identity()).ino).not.toBe(ino);
    const inodes = w.fs.volume._core.inodes;
    expect(inodes[ino]).toBeDefined();
    c.drop(slot);
    await w.settle();
    expect(inodes[ino]).toBeUndefined();
  });

  it('a file renamed while open keeps its open, offset and identity', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    await c.writeFile('f', 'abcdef');
    const f = c.protid(await c.open('f'));
    await f.read({ amount: 2 });
    const id = await f.identity();
    await c.root.rename({ oldName: 'f', newDir: await c.open('d'), newName: 'g', excl: false });
    expect(Buffer.from((await f.read({ amount: 2 })).data).toString()).toBe('cd');
    expect(await c.protid(await c.open('d/g')).identity()).toEqual(id);
  });

  it('a file replaced by a rename stays open with its old content', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    await c.writeFile('old', 'old content');
    await c.writeFile('new', 'new content');
    const old = c.protid(await c.open('old'));
    await c.root.rename({ oldName: 'new', newDir: c.rootSlot, newName: 'old', excl: false });
    expect(Buffer.from((await old.read({ amount: 100 })).data).toString()).toBe('old content');
    expect(await c.readFile('old')).toBe('new content');
  });

  it('a removed directory open elsewhere is freed when that open goes', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    const d = await c.open('d');
    const ino = (await c.protid(d).identity()).ino;
    await c.root.rmdir({ name: 'd' });
    expect((await c.protid(d).stat()).stat.nlink).toBe(0);
    const inodes = w.fs.volume._core.inodes;
    expect(inodes[ino]).toBeDefined();
    c.drop(d);
    await w.settle();
    expect(inodes[ino]).toBeUndefined();
  });
});
