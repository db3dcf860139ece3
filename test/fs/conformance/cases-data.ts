// Conformance cases for whole-file data calls: readFile, writeFile, appendFile, truncate
// and copyFile, with their success paths, Node's errors and odd inputs.

import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import { pattern, perm, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

/** More than one message's worth (IO_MAX is 1 MiB), not a multiple of it. */
const BIG = 3 * (1 << 20) + 12345;

export function readFileCases(t: Cases): void {
  t('reads a file as a Buffer', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const b = await fs.readFile(p('f'));
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(b.toString()).toBe('hello');
  });
  t('decodes with an encoding string or option', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'héllo');
    expect(await fs.readFile(p('f'), 'utf8')).toBe('héllo');
    expect(await fs.readFile(p('f'), { encoding: 'base64' })).toBe(Buffer.from('héllo').toString('base64'));
    expect(await fs.readFile(p('f'), { encoding: 'hex' })).toBe(Buffer.from('héllo').toString('hex'));
  });
  t('reads an empty file as an empty Buffer', async ({ fs, p }) => {
    await fs.writeFile(p('e'), '');
    expect((await fs.readFile(p('e'))).length).toBe(0);
  });
  t('reads a file larger than one message, byte for byte', async ({ fs, p }) => {
    const data = pattern(BIG);
    await fs.writeFile(p('big'), data);
    const back = await fs.readFile(p('big'));
    expect(back.length).toBe(BIG);
    expect(Buffer.compare(back, Buffer.from(data))).toBe(0);
  });
  t('accepts a Buffer path and a file: URL', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    expect(await fs.readFile(Buffer.from(p('f')), 'utf8')).toBe('x');
    expect(await fs.readFile(new URL(`file://${p('f')}`), 'utf8')).toBe('x');
  });
  t('reads through a symlink', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'target');
    await fs.symlink('f', p('l'));
    expect(await fs.readFile(p('l'), 'utf8')).toBe('target');
  });
  t('flag w+ truncates before reading', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    expect((await fs.readFile(p('f'), { flag: 'w+' })).length).toBe(0);
    expect((await fs.readFile(p('f'))).length).toBe(0);
  });
  t('ENOENT for a missing file (open, with the path)', async ({ fs, p }) => {
    await rejectsWith(fs.readFile(p('nope')), { code: 'ENOENT', syscall: 'open', path: p('nope') });
  });
  t('ENOENT for a missing directory on the way', async ({ fs, p }) => {
    await rejectsWith(fs.readFile(p('no/such/file')), { code: 'ENOENT', syscall: 'open', path: p('no/such/file') });
  });
  t('EISDIR for a directory (read, without a path)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.readFile(p('d')), { code: 'EISDIR', syscall: 'read', path: null });
  });
  t('ENOTDIR through a file and for a trailing slash on a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.readFile(p('f/x')), { code: 'ENOTDIR', syscall: 'open', path: p('f/x') });
    await rejectsWith(fs.readFile(p('f/')), { code: 'ENOTDIR', syscall: 'open', path: p('f/') });
  });
  t('rejects a bad encoding and a bad flag with argument errors', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.readFile(p('f'), 'nope' as BufferEncoding), 'ERR_INVALID_ARG_VALUE');
    await rejectsAsync(() => fs.readFile(p('f'), { flag: 'zz' }), 'ERR_INVALID_ARG_VALUE');
  });
}

export function writeFileCases(t: Cases): void {
  t('creates a file with the data', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    expect(await fs.readFile(p('f'), 'utf8')).toBe('hello');
  });
  t('replaces (truncates) an existing file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'a long first version');
    await fs.writeFile(p('f'), 'short');
    expect(await fs.readFile(p('f'), 'utf8')).toBe('short');
  });
  t('writes Buffers, Uint8Arrays, DataViews and encoded strings', async ({ fs, p }) => {
    await fs.writeFile(p('a'), Buffer.from('buf'));
    await fs.writeFile(p('b'), new Uint8Array([104, 105]));
    await fs.writeFile(p('c'), new DataView(new Uint8Array([1, 2, 3]).buffer));
    await fs.writeFile(p('d'), '68656c6c6f', 'hex');
    expect(await fs.readFile(p('a'), 'utf8')).toBe('buf');
    expect(await fs.readFile(p('b'), 'utf8')).toBe('hi');
    expect([...(await fs.readFile(p('c')))]).toEqual([1, 2, 3]);
    expect(await fs.readFile(p('d'), 'utf8')).toBe('hello');
  });
  t('writes more than one message, byte for byte', async ({ fs, p }) => {
    const data = pattern(BIG, 3);
    await fs.writeFile(p('big'), data);
    expect((await fs.stat(p('big'))).size).toBe(BIG);
    expect(Buffer.compare(await fs.readFile(p('big')), Buffer.from(data))).toBe(0);
  });
  t('creates with mode 0666 less the umask by default, or the mode given', async ({ fs, p, umask }) => {
    await fs.writeFile(p('a'), 'x');
    await fs.writeFile(p('b'), 'x', { mode: 0o600 });
    expect(perm((await fs.stat(p('a'))).mode)).toBe(0o666 & ~umask);
    expect(perm((await fs.stat(p('b'))).mode)).toBe(0o600 & ~umask);
  });
  t('keeps the mode of a file it replaces', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x', { mode: 0o600 });
    await fs.chmod(p('f'), 0o640);
    await fs.writeFile(p('f'), 'y', { mode: 0o600 });
    expect(perm((await fs.stat(p('f'))).mode)).toBe(0o640);
  });
  t('flag a appends, flag wx refuses an existing file (EEXIST, open)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'one');
    await fs.writeFile(p('f'), 'two', { flag: 'a' });
    expect(await fs.readFile(p('f'), 'utf8')).toBe('onetwo');
    await rejectsWith(fs.writeFile(p('f'), 'x', { flag: 'wx' }), { code: 'EEXIST', syscall: 'open', path: p('f') });
    await fs.writeFile(p('g'), 'new', { flag: 'wx' });
    expect(await fs.readFile(p('g'), 'utf8')).toBe('new');
  });
  t('writes through a dangling symlink, creating its target', async ({ fs, p }) => {
    await fs.symlink('target', p('l'));
    await fs.writeFile(p('l'), 'via link');
    expect(await fs.readFile(p('target'), 'utf8')).toBe('via link');
  });
  t('EISDIR for a directory and for a new name with a trailing slash (open)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.writeFile(p('d'), 'x'), { code: 'EISDIR', syscall: 'open', path: p('d') });
    await rejectsWith(fs.writeFile(p('new/'), 'x'), { code: 'EISDIR', syscall: 'open', path: p('new/') });
  });
  t('ENOENT when the directory is missing, ENOTDIR under a file (open)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.writeFile(p('none/f'), 'x'), { code: 'ENOENT', syscall: 'open', path: p('none/f') });
    await rejectsWith(fs.writeFile(p('f/x'), 'x'), { code: 'ENOTDIR', syscall: 'open', path: p('f/x') });
  });
  t('rejects data of the wrong type (a number, an object)', async ({ fs, p }) => {
    await rejectsAsync(() => fs.writeFile(p('f'), 123 as unknown as string), 'ERR_INVALID_ARG_TYPE');
    await rejectsAsync(() => fs.writeFile(p('f'), { a: 1 } as unknown as string), 'ERR_INVALID_ARG_TYPE');
  });
}

export function appendFileCases(t: Cases): void {
  t('appends to an existing file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'a');
    await fs.appendFile(p('f'), 'b');
    await fs.appendFile(p('f'), Buffer.from('c'));
    expect(await fs.readFile(p('f'), 'utf8')).toBe('abc');
  });
  t('creates a missing file', async ({ fs, p }) => {
    await fs.appendFile(p('f'), 'new');
    expect(await fs.readFile(p('f'), 'utf8')).toBe('new');
  });
  t('EISDIR for a directory (open)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.appendFile(p('d'), 'x'), { code: 'EISDIR', syscall: 'open', path: p('d') });
  });
}

export function truncateCases(t: Cases): void {
  t('shrinks a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello world');
    await fs.truncate(p('f'), 5);
    expect(await fs.readFile(p('f'), 'utf8')).toBe('hello');
  });
  t('extends a file with zero bytes', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'abc');
    await fs.truncate(p('f'), 6);
    expect([...(await fs.readFile(p('f')))]).toEqual([97, 98, 99, 0, 0, 0]);
  });
  t('defaults to length 0; a negative length counts as 0', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'abc');
    await fs.writeFile(p('b'), 'abc');
    await fs.truncate(p('a'));
    await fs.truncate(p('b'), -5);
    expect((await fs.stat(p('a'))).size).toBe(0);
    expect((await fs.stat(p('b'))).size).toBe(0);
  });
  t('EISDIR for a directory, ENOENT for a missing file (open)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.truncate(p('d')), { code: 'EISDIR', syscall: 'open', path: p('d') });
    await rejectsWith(fs.truncate(p('nope')), { code: 'ENOENT', syscall: 'open', path: p('nope') });
  });
  t('rejects a non-integer length', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'abc');
    await rejectsAsync(() => fs.truncate(p('f'), 1.5), 'ERR_OUT_OF_RANGE');
    await rejectsAsync(() => fs.truncate(p('f'), '1' as unknown as number), 'ERR_INVALID_ARG_TYPE');
  });
}

export function copyFileCases(t: Cases): void {
  t('copies the data and the mode', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'content');
    await fs.chmod(p('a'), 0o640);
    await fs.copyFile(p('a'), p('b'));
    expect(await fs.readFile(p('b'), 'utf8')).toBe('content');
    expect(perm((await fs.stat(p('b'))).mode)).toBe(0o640);
  });
  t('replaces an existing destination', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'new');
    await fs.writeFile(p('b'), 'much older content');
    await fs.copyFile(p('a'), p('b'));
    expect(await fs.readFile(p('b'), 'utf8')).toBe('new');
  });
  t('copies more than one message', async ({ fs, p }) => {
    const data = pattern(BIG, 11);
    await fs.writeFile(p('a'), data);
    await fs.copyFile(p('a'), p('b'));
    expect(Buffer.compare(await fs.readFile(p('b')), Buffer.from(data))).toBe(0);
  });
  t('a file onto itself is left alone', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'same');
    await fs.copyFile(p('a'), p('a'));
    expect(await fs.readFile(p('a'), 'utf8')).toBe('same');
  });
  t('COPYFILE_EXCL: EEXIST when the destination exists (copyfile, src -> dest)', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'a');
    await fs.writeFile(p('b'), 'b');
    await rejectsWith(fs.copyFile(p('a'), p('b'), 1), { code: 'EEXIST', syscall: 'copyfile', path: p('a'), dest: p('b') });
    expect(await fs.readFile(p('b'), 'utf8')).toBe('b');
  });
  t('ENOENT for a missing source (copyfile, src -> dest)', async ({ fs, p }) => {
    await rejectsWith(fs.copyFile(p('nope'), p('b')), { code: 'ENOENT', syscall: 'copyfile', path: p('nope'), dest: p('b') });
  });
  t('EISDIR for a directory as source or destination', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.copyFile(p('d'), p('x')), { code: 'EISDIR', syscall: 'copyfile', path: p('d'), dest: p('x') });
    await rejectsWith(fs.copyFile(p('f'), p('d')), { code: 'EISDIR', syscall: 'copyfile', path: p('f'), dest: p('d') });
  });
  t('rejects a mode out of range', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'a');
    await rejectsAsync(() => fs.copyFile(p('a'), p('b'), 8), 'ERR_OUT_OF_RANGE');
  });
}
