// The io interface of the filesystem's protids, through raw stubs: per-open offsets
// (shared by io.duplicate, separate between opens), pread/pwrite, O_APPEND, reads past
// the end, seek, readable, open modes, identity, stat, and every declared error.

import { describe, expect, it } from 'vitest';
import { IO_MAX, O } from '../../../protocol/fs.ts';
import { errorOf, fsWorld } from './harness.ts';

const text = (d: Uint8Array): string => Buffer.from(d).toString();

async function withFile(content = '0123456789') {
  const w = await fsWorld({ maxFileSize: 1 << 16 });
  const c = w.client('alice');
  await c.writeFile('/f', content);
  return { w, c };
}

describe('io.read and io.write', () => {
  it('each open has its own offset; a duplicate shares it', async () => {
    const { c } = await withFile();
    const a = c.protid(await c.open('f'));
    const b = c.protid(await c.open('f'));
    expect(text((await a.read({ amount: 4 })).data)).toBe('0123');
    expect(text((await b.read({ amount: 2 })).data)).toBe('01');
    const dup = c.protid((await a.duplicate()).port);
    expect(text((await dup.read({ amount: 3 })).data)).toBe('456');
    expect(text((await a.read({ amount: 3 })).data)).toBe('789');
  });

  it('an explicit offset reads and writes there and leaves the open offset alone', async () => {
    const { c } = await withFile();
    const f = c.protid(await c.open('f', O.RDWR));
    expect(text((await f.read({ amount: 3, offset: 5 })).data)).toBe('567');
    expect((await f.write({ data: Buffer.from('ab'), offset: 8 })).amount).toBe(2);
    expect(text((await f.read({ amount: 100 })).data)).toBe('01234567ab');
  });

  it('reads at or past the end answer no bytes; writes past the end fill with zeros', async () => {
    const { c } = await withFile('abc');
    const f = c.protid(await c.open('f', O.RDWR));
    expect((await f.read({ amount: 10, offset: 3 })).data.length).toBe(0);
    expect((await f.read({ amount: 10, offset: 1e9 })).data.length).toBe(0);
    await f.write({ data: Buffer.from('Z'), offset: 6 });
    expect([...(await f.read({ amount: 10, offset: 0 })).data]).toEqual([97, 98, 99, 0, 0, 0, 90]);
  });

  it('O_APPEND writes at the end, whatever offset is named', async () => {
    const { c } = await withFile('abc');
    const f = c.protid(await c.open('f', O.WRONLY | O.APPEND));
    await f.write({ data: Buffer.from('d') });
    await f.write({ data: Buffer.from('e'), offset: 0 });
    expect(await c.readFile('f')).toBe('abcde');
  });

  it('reads are bounded by IO_MAX', async () => {
    const { c } = await withFile('x'.repeat(10));
    const f = c.protid(await c.open('f'));
    expect((await f.read({ amount: IO_MAX * 4 })).data.length).toBe(10);
  });

  it('EBADF reading a write-only open, writing a read-only one, either through O_PATH', async () => {
    const { c } = await withFile();
    const wo = c.protid(await c.open('f', O.WRONLY));
    const ro = c.protid(await c.open('f', O.RDONLY));
    const path = c.protid(await c.open('f', O.PATH));
    expect(errorOf(await wo.attempt.read({ amount: 1 }))).toBe('EBADF');
    expect(errorOf(await ro.attempt.write({ data: Buffer.from('x') }))).toBe('EBADF');
    expect(errorOf(await path.attempt.read({ amount: 1 }))).toBe('EBADF');
    expect(errorOf(await path.attempt.write({ data: Buffer.from('x') }))).toBe('EBADF');
  });

  it('EINVAL for a negative or fractional offset, and for reading a symlink', async () => {
    const { c } = await withFile();
    const f = c.protid(await c.open('f', O.RDWR));
    expect(errorOf(await f.attempt.read({ amount: 1, offset: -1 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x'), offset: 1.5 }))).toBe('EINVAL');
    await c.root.symlink({ name: 'l', target: 'f' });
    const l = c.protid(await c.open('l', O.RDONLY | O.NOLINK));
    expect(errorOf(await l.attempt.read({ amount: 1 }))).toBe('EINVAL');
  });

  it('EFBIG beyond the largest file size; nothing is written', async () => {
    const { c } = await withFile('abc');
    const f = c.protid(await c.open('f', O.RDWR));
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x'), offset: 1 << 16 }))).toBe('EFBIG');
    expect(errorOf(await f.attempt.truncate({ size: (1 << 16) + 1 }))).toBe('EFBIG');
    expect((await f.stat()).stat.size).toBe(3);
  });
});

describe('io.seek, readable, open modes, identity, stat', () => {
  it('seeks from the start, the current offset and the end; EINVAL before the start', async () => {
    const { c } = await withFile();
    const f = c.protid(await c.open('f'));
    expect((await f.seek({ offset: 3, whence: 'set' })).offset).toBe(3);
    expect((await f.seek({ offset: 2, whence: 'cur' })).offset).toBe(5);
    expect((await f.readable()).amount).toBe(5);
    expect((await f.seek({ offset: -1, whence: 'end' })).offset).toBe(9);
    expect(text((await f.read({ amount: 5 })).data)).toBe('9');
    expect(errorOf(await f.attempt.seek({ offset: -20, whence: 'cur' }))).toBe('EINVAL');
    expect((await f.seek({ offset: 100, whence: 'set' })).offset).toBe(100);
    expect((await f.readable()).amount).toBe(0);
  });

  it('open modes: the access mode is kept, O_APPEND and O_NONBLOCK can change, other bits EINVAL', async () => {
    const { c } = await withFile();
    const f = c.protid(await c.open('f', O.WRONLY | O.TRUNC));
    expect((await f.getOpenModes()).flags).toBe(O.WRONLY);
    await f.setOpenModes({ flags: O.APPEND | O.NONBLOCK });
    expect((await f.getOpenModes()).flags).toBe(O.WRONLY | O.APPEND | O.NONBLOCK);
    expect(errorOf(await f.attempt.setOpenModes({ flags: O.CREAT }))).toBe('EINVAL');
  });

  it('identity and stat name the node; the device tells filesystems apart', async () => {
    const { w, c } = await withFile();
    const f = c.protid(await c.open('f'));
    const id = await f.identity();
    const { stat } = await f.stat();
    expect(id).toEqual({ dev: stat.dev, ino: stat.ino });
    expect(stat.dev).toBe(w.fs.fs.dev);
    expect(stat).toMatchObject({ mode: 0o100644, nlink: 1, uid: 0, gid: 0, size: 10, blksize: 4096 });
    const other = await fsWorld();
    const o = other.client('x');
    expect((await o.root.identity()).dev).not.toBe(id.dev);
  });
});
