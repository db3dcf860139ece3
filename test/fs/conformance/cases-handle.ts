// Conformance cases for open() and the FileHandle it gives: flags, offsets and
// positions, reads past the end, writes, stat, truncate, readFile/writeFile on the
// handle, and the handle after close().

import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { expect } from 'vitest';
import { pattern, perm, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

export function openCases(t: Cases): void {
  t('opens for reading by default; ENOENT when missing (open)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const h = await fs.open(p('f'));
    expect(typeof h.fd).toBe('number');
    await h.close();
    await rejectsWith(fs.open(p('nope')), { code: 'ENOENT', syscall: 'open', path: p('nope') });
  });
  t("'w' creates and truncates, 'wx' refuses an existing file (EEXIST)", async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'), 'w');
    await h.close();
    expect((await fs.stat(p('f'))).size).toBe(0);
    await rejectsWith(fs.open(p('f'), 'wx'), { code: 'EEXIST', syscall: 'open', path: p('f') });
    const g = await fs.open(p('g'), 'wx+');
    await g.close();
    expect((await fs.stat(p('g'))).isFile()).toBe(true);
  });
  t('numeric flags: O_CREAT | O_EXCL | O_WRONLY', async ({ fs, p }) => {
    const flags = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY;
    const h = await fs.open(p('n'), flags, 0o640);
    await h.write('abc');
    await h.close();
    expect(await fs.readFile(p('n'), 'utf8')).toBe('abc');
    await rejectsWith(fs.open(p('n'), flags), { code: 'EEXIST', syscall: 'open', path: p('n') });
  });
  t('the mode of a created file is the one given, less the umask', async ({ fs, p, umask }) => {
    const h = await fs.open(p('f'), 'w', 0o751);
    await h.close();
    expect(perm((await fs.stat(p('f'))).mode)).toBe(0o751 & ~umask);
  });
  t("EISDIR opening a directory for writing; 'r' on a directory opens, read gives EISDIR", async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.open(p('d'), 'w'), { code: 'EISDIR', syscall: 'open', path: p('d') });
    await rejectsWith(fs.open(p('d'), 'r+'), { code: 'EISDIR', syscall: 'open', path: p('d') });
    const h = await fs.open(p('d'), 'r');
    await rejectsWith(h.read(Buffer.alloc(4), 0, 4, 0), { code: 'EISDIR', syscall: 'read', path: null });
    await h.close();
  });
  t('O_DIRECTORY on a file: ENOTDIR', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.open(p('f'), constants.O_RDONLY | constants.O_DIRECTORY), { code: 'ENOTDIR', syscall: 'open', path: p('f') });
  });
  t('O_NOFOLLOW on a symlink: ELOOP', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.symlink('f', p('l'));
    await rejectsWith(fs.open(p('l'), constants.O_RDONLY | constants.O_NOFOLLOW), { code: 'ELOOP', syscall: 'open', path: p('l') });
  });
  t('O_CREAT with a trailing slash: EISDIR', async ({ fs, p }) => {
    await rejectsWith(fs.open(p('nd/'), 'w'), { code: 'EISDIR', syscall: 'open', path: p('nd/') });
  });
  t('unknown flag strings and non-integer flags are argument errors', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.open(p('f'), 'zz'), 'ERR_INVALID_ARG_VALUE');
    await rejectsAsync(() => fs.open(p('f'), 'rw'), 'ERR_INVALID_ARG_VALUE');
    await rejectsAsync(() => fs.open(p('f'), {} as unknown as string), 'ERR_INVALID_ARG_VALUE');
  });
}

export function fileHandleCases(t: Cases): void {
  t('read with a null position advances the offset; a position does not', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'));
    const r = async (pos: number | null): Promise<string> => {
      const { bytesRead, buffer } = await h.read(Buffer.alloc(2), 0, 2, pos);
      return buffer.subarray(0, bytesRead).toString();
    };
    expect(await r(null)).toBe('he');
    expect(await r(null)).toBe('ll');
    expect(await r(0)).toBe('he');
    expect(await r(null)).toBe('o');
    expect(await r(null)).toBe('');
    await h.close();
  });
  t('reads past the end answer 0 bytes and leave the buffer alone', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'abc');
    const h = await fs.open(p('f'));
    const buf = Buffer.from('zzzz');
    const r = await h.read(buf, 0, 4, 1000);
    expect(r.bytesRead).toBe(0);
    expect(buf.toString()).toBe('zzzz');
    const s = await h.read(buf, 0, 4, 2);
    expect(s.bytesRead).toBe(1);
    expect(buf.toString()).toBe('czzz');
    await h.close();
  });
  t('read into an offset of the buffer, and the options forms', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'));
    const buf = Buffer.alloc(6, '.');
    await h.read(buf, 2, 3, 1);
    expect(buf.toString()).toBe('..ell.');
    const a = await h.read({ buffer: Buffer.alloc(3), position: 2 });
    expect(a.buffer.subarray(0, a.bytesRead).toString()).toBe('llo');
    const b = await (h as unknown as { read(): Promise<{ bytesRead: number; buffer: Buffer }> }).read();
    expect(b.buffer.length).toBe(16384);
    await h.close();
  });
  t('read with offset and length beyond the buffer: ERR_OUT_OF_RANGE', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'));
    await rejectsAsync(() => h.read(Buffer.alloc(3), 5, 1, 0), 'ERR_OUT_OF_RANGE');
    await rejectsAsync(() => h.read(Buffer.alloc(3), 0, 4, 0), 'ERR_OUT_OF_RANGE');
    await h.close();
  });
  t('a large read in one call returns everything', async ({ fs, p }) => {
    const n = 2 * (1 << 20) + 100;
    const data = pattern(n, 5);
    await fs.writeFile(p('big'), data);
    const h = await fs.open(p('big'));
    const buf = Buffer.alloc(n + 10);
    const r = await h.read(buf, 0, n + 10, 0);
    expect(r.bytesRead).toBe(n);
    expect(Buffer.compare(buf.subarray(0, n), Buffer.from(data))).toBe(0);
    await h.close();
  });
  t('write strings (bytes counted in UTF-8) and buffer slices at positions', async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'w+');
    const a = await h.write('héllo');
    expect(a.bytesWritten).toBe(6);
    const b = await h.write(Buffer.from('abc'), 1, 2, 0);
    expect(b.bytesWritten).toBe(2);
    await h.close();
    expect([...(await fs.readFile(p('f')))]).toEqual([0x62, 0x63, 0xa9, 0x6c, 0x6c, 0x6f]);
  });
  t('a large write in one call writes everything', async ({ fs, p }) => {
    const n = 2 * (1 << 20) + 7;
    const data = pattern(n, 9);
    const h = await fs.open(p('big'), 'w');
    const r = await h.write(data, 0, n, 0);
    expect(r.bytesWritten).toBe(n);
    await h.close();
    expect(Buffer.compare(await fs.readFile(p('big')), Buffer.from(data))).toBe(0);
  });
  t("'a' appends even when a position is given", async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'a');
    await h.write('hello');
    await h.write('X', 0);
    await h.close();
    expect(await fs.readFile(p('f'), 'utf8')).toBe('helloX');
  });
  t('EBADF writing to a read-only handle and reading a write-only one', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const r = await fs.open(p('f'), 'r');
    await rejectsWith(r.write('x'), { code: 'EBADF', syscall: 'write', path: null });
    await r.close();
    const w = await fs.open(p('f'), 'a');
    await rejectsWith(w.read(Buffer.alloc(4), 0, 4, 0), { code: 'EBADF', syscall: 'read', path: null });
    await w.close();
  });
  t('stat of the handle', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'));
    const s = await h.stat();
    expect(s.isFile()).toBe(true);
    expect(s.size).toBe(5);
    expect(s.ino).toBe((await fs.stat(p('f'))).ino);
    await h.close();
  });
  t('truncate through the handle; on a read-only handle: EINVAL (ftruncate)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'abcdef');
    const h = await fs.open(p('f'), 'r+');
    await h.truncate(3);
    await h.close();
    expect(await fs.readFile(p('f'), 'utf8')).toBe('abc');
    const r = await fs.open(p('f'), 'r');
    await rejectsWith(r.truncate(1), { code: 'EINVAL', syscall: 'ftruncate', path: null });
    await r.close();
  });
  t('readFile on the handle reads from its offset', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const h = await fs.open(p('f'));
    await h.read(Buffer.alloc(2), 0, 2, null);
    expect(await h.readFile('utf8')).toBe('llo');
    await h.close();
  });
  t('writeFile on the handle writes at its offset', async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'w+');
    await h.write('abcdef');
    await h.writeFile('XY');
    await h.close();
    expect(await fs.readFile(p('f'), 'utf8')).toBe('abcdefXY');
  });
  t('readFile and writeFile accept a handle in place of a path', async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'w+');
    await fs.writeFile(h, 'through the handle');
    await h.close();
    const r = await fs.open(p('f'), 'r');
    expect(await fs.readFile(r, 'utf8')).toBe('through the handle');
    await r.close();
  });
  t('chmod, utimes and sync through the handle', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const h = await fs.open(p('f'), 'r+');
    await h.chmod(0o600);
    await h.utimes(1000, 2000);
    await h.sync();
    await h.datasync();
    await h.close();
    const s = await fs.stat(p('f'));
    expect(perm(s.mode)).toBe(0o600);
    expect(s.atimeMs).toBe(1_000_000);
    expect(s.mtimeMs).toBe(2_000_000);
  });
  t('after close: fd is -1, calls reject with EBADF "file closed", close again is fine', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const h = await fs.open(p('f'));
    await h.close();
    expect(h.fd).toBe(-1);
    const e = await rejectsWith(h.read(Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
    expect([e.syscall, e.message]).toEqual(['read', 'file closed']);
    const f = await rejectsWith(h.stat(), { code: 'EBADF' });
    expect([f.syscall, f.message]).toEqual(['fstat', 'file closed']);
    await h.close();
  });
}
