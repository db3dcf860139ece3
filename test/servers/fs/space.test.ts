// The volume's space through raw protid stubs: file.statfs's figures (quota, usage,
// i-nodes, largest file, read-only flag), the volume quota (ENOSPC before anything is
// allocated), the largest file (EFBIG), the i-node bound (ENOSPC), and that a write far
// past the end allocates what it needs, not a doubling.

import { describe, expect, it } from 'vitest';
import { Fsys, O, ST, TMPFS_MAGIC } from '../../../protocol/fs.ts';
import { DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_INODES, DEFAULT_VOLUME_QUOTA } from '../../../servers/fs/fs-server.ts';
import { capacityOf } from '../../../servers/fs/volume-space.ts';
import { connect } from '../../../libcap/index.ts';
import { errorOf, fsWorld } from './harness.ts';

const MiB = 1 << 20;

describe('file.statfs', () => {
  it('answers the defaults: 256 MiB quota in 4 KiB blocks, 65,536 i-nodes, 256 MiB files', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    const { stat } = await c.root.statfs();
    expect(DEFAULT_VOLUME_QUOTA).toBe(256 * MiB);
    expect(stat).toMatchObject({
      type: TMPFS_MAGIC,
      bsize: 4096,
      blocks: DEFAULT_VOLUME_QUOTA / 4096,
      bfree: DEFAULT_VOLUME_QUOTA / 4096,
      bavail: DEFAULT_VOLUME_QUOTA / 4096,
      files: DEFAULT_MAX_INODES,
      ffree: DEFAULT_MAX_INODES - 1,
      maxFileSize: DEFAULT_MAX_FILE_SIZE,
      namelen: 255,
      flags: 0,
    });
  });

  it('follows usage: bytes written, i-nodes made, and gives them back on unlink', async () => {
    const w = await fsWorld({ quota: 1 * MiB, maxInodes: 10 });
    const c = w.client('alice');
    const before = (await c.root.statfs()).stat;
    expect(before.blocks).toBe(256);
    const slot = await c.open('f', O.CREAT | O.WRONLY);
    const f = c.protid(slot);
    await f.write({ data: Buffer.alloc(100_000, 1), offset: 0 });
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    const mid = (await f.statfs()).stat;
    expect(mid.ffree).toBe(before.ffree - 2);
    // 100,000 bytes and the append slack (a quarter) are charged: 122 blocks and more.
    expect(before.bfree - mid.bfree).toBeGreaterThanOrEqual(Math.ceil(100_000 / 4096));
    expect(before.bfree - mid.bfree).toBeLessThanOrEqual(Math.ceil(125_000 / 4096));
    c.drop(slot);
    await w.settle();
    await c.root.unlink({ name: 'f' });
    await c.root.rmdir({ name: 'd' });
    expect((await c.root.statfs()).stat).toEqual(before);
  });

  it('says read-only while mounted read-only', async () => {
    const w = await fsWorld();
    const c = w.client('root');
    const fsys = connect(Fsys, w.k, c.task, w.fs.installControl(c.task));
    await fsys.setOptions({ options: ['--readonly'] });
    expect((await c.root.statfs()).stat.flags).toBe(ST.RDONLY);
  });
});

describe('the volume quota and the largest file', () => {
  it('ENOSPC for a write the quota cannot hold; nothing is written or allocated', async () => {
    const w = await fsWorld({ quota: 64 * 1024 });
    const c = w.client('alice');
    const f = c.protid(await c.open('f', O.CREAT | O.RDWR));
    await f.write({ data: Buffer.alloc(60 * 1024, 7), offset: 0 });
    const a = c.protid(await c.open('g', O.CREAT | O.RDWR));
    expect(errorOf(await a.attempt.write({ data: Buffer.alloc(8 * 1024), offset: 0 }))).toBe('ENOSPC');
    expect((await a.stat()).stat.size).toBe(0);
    expect(w.fs.fs.store.space.used).toBeLessThanOrEqual(64 * 1024);
    expect(errorOf(await f.attempt.truncate({ size: 128 * 1024 }))).toBe('ENOSPC');
    expect((await f.stat()).stat.size).toBe(60 * 1024);
  });

  it('EFBIG beyond the largest file, before the quota is looked at', async () => {
    const w = await fsWorld({ quota: 1 * MiB, maxFileSize: 4096 });
    const c = w.client('alice');
    const f = c.protid(await c.open('f', O.CREAT | O.RDWR));
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x'), offset: 4096 }))).toBe('EFBIG');
    expect(errorOf(await f.attempt.truncate({ size: 4097 }))).toBe('EFBIG');
    expect((await f.write({ data: Buffer.from('x'), offset: 4095 })).amount).toBe(1);
    expect((await f.statfs()).stat.maxFileSize).toBe(4096);
  });

  it('a 1-byte write at 64 MiB allocates 64 MiB + 1 byte, not 128 MiB', async () => {
    const w = await fsWorld();
    const c = w.client('alice');
    const f = c.protid(await c.open('f', O.CREAT | O.RDWR));
    await f.write({ data: Buffer.from('x'), offset: 64 * MiB });
    const node = w.fs.fs.store.child(w.fs.fs.store.root, 'f')!.node;
    expect(capacityOf(node)).toBe(64 * MiB + 1);
    expect(w.fs.fs.store.space.used).toBe(64 * MiB + 1);
    expect([...(await f.read({ amount: 2, offset: 64 * MiB - 1 })).data]).toEqual([0, 120]);
  });

  it('appends grow the buffer by a quarter, not by doubling, and stay within the quota', async () => {
    const w = await fsWorld({ quota: 1 * MiB });
    const c = w.client('alice');
    const f = c.protid(await c.open('f', O.CREAT | O.WRONLY | O.APPEND));
    for (let i = 0; i < 15; i++) await f.write({ data: Buffer.alloc(64 * 1024, i) });
    const node = w.fs.fs.store.child(w.fs.fs.store.root, 'f')!.node;
    expect(node.getSize()).toBe(15 * 64 * 1024);
    expect(capacityOf(node)).toBeLessThanOrEqual(1 * MiB);
    expect(capacityOf(node)).toBeLessThan(node.getSize() * 1.25 + 64 * 1024);
    // The 16th fills the quota exactly (the slack gives way).
    expect((await f.write({ data: Buffer.alloc(64 * 1024) })).amount).toBe(64 * 1024);
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x') }))).toBe('ENOSPC');
  });

  it('shrinking gives the bytes back', async () => {
    const w = await fsWorld({ quota: 1 * MiB });
    const c = w.client('alice');
    const f = c.protid(await c.open('f', O.CREAT | O.RDWR));
    await f.write({ data: Buffer.alloc(512 * 1024, 1), offset: 0 });
    await f.truncate({ size: 10 });
    expect(w.fs.fs.store.space.used).toBe(10);
    await c.protid(await c.open('f', O.WRONLY | O.TRUNC)).stat();
    expect(w.fs.fs.store.space.used).toBe(0);
  });

  it('ENOSPC when the volume holds its most i-nodes (create, mkdir, symlink)', async () => {
    const w = await fsWorld({ maxInodes: 3 });
    const c = w.client('alice');
    await c.writeFile('/a', 'a');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    expect(errorOf(await c.tryOpen('b', O.CREAT | O.WRONLY))).toBe('ENOSPC');
    expect(errorOf(await c.root.attempt.mkdir({ name: 'e', mode: 0o755 }))).toBe('ENOSPC');
    expect(errorOf(await c.root.attempt.symlink({ name: 's', target: 'a' }))).toBe('ENOSPC');
    expect((await c.root.statfs()).stat.ffree).toBe(0);
    await c.root.unlink({ name: 'a' });
    expect(errorOf(await c.tryOpen('b', O.CREAT | O.WRONLY))).toBe('ok');
  });
});
