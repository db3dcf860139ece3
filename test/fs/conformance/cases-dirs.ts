// Conformance cases for directories and names: mkdir (and recursive), rmdir, readdir
// (withFileTypes, recursive, large directories), unlink, rename and rm.

import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import { names, perm, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

export function mkdirCases(t: Cases): void {
  t('creates a directory, mode 0777 less the umask by default', async ({ fs, p, umask }) => {
    expect(await fs.mkdir(p('d'))).toBeUndefined();
    const s = await fs.stat(p('d'));
    expect(s.isDirectory()).toBe(true);
    expect(perm(s.mode)).toBe(0o777 & ~umask);
  });
  t('with a mode (number, octal string, option)', async ({ fs, p, umask }) => {
    await fs.mkdir(p('a'), 0o700);
    await fs.mkdir(p('b'), '750');
    await fs.mkdir(p('c'), { mode: 0o711 });
    expect(perm((await fs.stat(p('a'))).mode)).toBe(0o700 & ~umask);
    expect(perm((await fs.stat(p('b'))).mode)).toBe(0o750 & ~umask);
    expect(perm((await fs.stat(p('c'))).mode)).toBe(0o711 & ~umask);
  });
  t('with a trailing slash', async ({ fs, p }) => {
    await fs.mkdir(p('d/'));
    await fs.mkdir(p('e//'));
    expect((await fs.stat(p('d'))).isDirectory()).toBe(true);
    expect((await fs.stat(p('e'))).isDirectory()).toBe(true);
  });
  t('EEXIST for an existing name, "d/." and "d/.." (mkdir)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('f'), 'x');
    for (const q of ['d', 'f', 'd/.', 'd/..']) await rejectsWith(fs.mkdir(p(q)), { code: 'EEXIST', syscall: 'mkdir', path: p(q) });
  });
  t('EEXIST for the root', async ({ fs }) => {
    await rejectsWith(fs.mkdir('/'), { code: 'EEXIST', syscall: 'mkdir', path: '/' });
  });
  t('ENOENT when the parent is missing (also "new/."), ENOTDIR under a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.mkdir(p('no/d')), { code: 'ENOENT', syscall: 'mkdir', path: p('no/d') });
    await rejectsWith(fs.mkdir(p('new/.')), { code: 'ENOENT', syscall: 'mkdir', path: p('new/.') });
    await rejectsWith(fs.mkdir(p('f/d')), { code: 'ENOTDIR', syscall: 'mkdir', path: p('f/d') });
  });
  t('ENAMETOOLONG for a name over 255 bytes', async ({ fs, p }) => {
    const long = 'n'.repeat(256);
    await rejectsWith(fs.mkdir(p(long)), { code: 'ENAMETOOLONG', syscall: 'mkdir', path: p(long) });
    await fs.mkdir(p('n'.repeat(255)));
  });
  t('recursive: creates the chain and answers the first directory made', async ({ fs, p }) => {
    expect(await fs.mkdir(p('a/b/c'), { recursive: true })).toBe(p('a'));
    expect((await fs.stat(p('a/b/c'))).isDirectory()).toBe(true);
    expect(await fs.mkdir(p('a/b/c/d/e'), { recursive: true })).toBe(p('a/b/c/d'));
  });
  t('recursive: everything exists, or a symlink to a directory: undefined', async ({ fs, p }) => {
    await fs.mkdir(p('a/b'), { recursive: true });
    await fs.symlink('a', p('l'));
    expect(await fs.mkdir(p('a/b'), { recursive: true })).toBeUndefined();
    expect(await fs.mkdir(p('l'), { recursive: true })).toBeUndefined();
    expect(await fs.mkdir(p('l/b/c'), { recursive: true })).toBe(p('l/b/c'));
  });
  t('recursive: ENOTDIR through a file, EEXIST when the last is a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.mkdir(p('f/x/y'), { recursive: true }), { code: 'ENOTDIR', syscall: 'mkdir', path: p('f/x/y') });
    await rejectsWith(fs.mkdir(p('f'), { recursive: true }), { code: 'EEXIST', syscall: 'mkdir', path: p('f') });
  });
  t('recursive with ".." components', async ({ fs, p }) => {
    await fs.mkdir(p('a/../b/c'), { recursive: true });
    expect(await names(fs, p(''))).toEqual(['a', 'b']);
    expect(await names(fs, p('b'))).toEqual(['c']);
  });
}

export function rmdirCases(t: Cases): void {
  t('removes an empty directory (also with a trailing slash)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.mkdir(p('e'));
    await fs.rmdir(p('d'));
    await fs.rmdir(p('e/'));
    expect(await names(fs, p(''))).toEqual([]);
  });
  t('ENOTEMPTY for a directory with entries, and for "e/.."', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'x');
    await fs.mkdir(p('e'));
    await rejectsWith(fs.rmdir(p('d')), { code: 'ENOTEMPTY', syscall: 'rmdir', path: p('d') });
    await rejectsWith(fs.rmdir(p('e/..')), { code: 'ENOTEMPTY', syscall: 'rmdir', path: p('e/..') });
  });
  t('EINVAL for "e/."', async ({ fs, p }) => {
    await fs.mkdir(p('e'));
    await rejectsWith(fs.rmdir(p('e/.')), { code: 'EINVAL', syscall: 'rmdir', path: p('e/.') });
  });
  t('ENOENT for a missing name, ENOTDIR for a file and for a symlink to a directory', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.mkdir(p('d'));
    await fs.symlink('d', p('l'));
    await rejectsWith(fs.rmdir(p('nope')), { code: 'ENOENT', syscall: 'rmdir', path: p('nope') });
    await rejectsWith(fs.rmdir(p('f')), { code: 'ENOTDIR', syscall: 'rmdir', path: p('f') });
    await rejectsWith(fs.rmdir(p('l')), { code: 'ENOTDIR', syscall: 'rmdir', path: p('l') });
  });
  t('EBUSY for the root', async ({ fs }) => {
    await rejectsWith(fs.rmdir('/'), { code: 'EBUSY', syscall: 'rmdir', path: '/' });
  });
}

export function readdirCases(t: Cases): void {
  t('lists the names, without "." and ".."', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'x');
    await fs.mkdir(p('b'));
    await fs.symlink('a', p('c'));
    expect(await names(fs, p(''))).toEqual(['a', 'b', 'c']);
  });
  t('an empty directory; a trailing slash', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    expect(await fs.readdir(p('d'))).toEqual([]);
    await fs.writeFile(p('d/x'), 'x');
    expect(await fs.readdir(p('d/'))).toEqual(['x']);
  });
  t('withFileTypes: Dirents with name, parentPath and type tests', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.mkdir(p('d'));
    await fs.symlink('f', p('l'));
    const ds = await fs.readdir(p(''), { withFileTypes: true });
    const got = ds
      .map((d) => [d.name, d.isFile(), d.isDirectory(), d.isSymbolicLink(), (d as unknown as { parentPath: string }).parentPath] as const)
      .sort((a, b) => a[0].localeCompare(b[0]));
    expect(got).toEqual([
      ['d', false, true, false, p('')],
      ['f', true, false, false, p('')],
      ['l', false, false, true, p('')],
    ]);
  });
  t('recursive: names relative to the directory', async ({ fs, p }) => {
    await fs.mkdir(p('a/b/c'), { recursive: true });
    await fs.writeFile(p('a/b/f'), 'x');
    await fs.writeFile(p('a/g'), 'x');
    expect((await fs.readdir(p('a'), { recursive: true })).sort()).toEqual(['b', 'b/c', 'b/f', 'g']);
  });
  t('recursive with file types: each entry names its own directory, symlinks not followed', async ({ fs, p }) => {
    await fs.mkdir(p('a/b'), { recursive: true });
    await fs.writeFile(p('a/b/f'), 'x');
    await fs.symlink('b', p('a/l'));
    const ds = await fs.readdir(p('a'), { recursive: true, withFileTypes: true });
    const got = ds.map((d) => [d.name, (d as unknown as { parentPath: string }).parentPath]).sort();
    expect(got).toEqual([
      ['b', p('a')],
      ['f', p('a/b')],
      ['l', p('a')],
    ]);
  });
  t('more entries than one reply holds', async ({ fs, p }) => {
    const n = 1100;
    for (let i = 0; i < n; i++) await fs.mkdir(p(`d${i}`));
    const got = await fs.readdir(p(''));
    expect(got.length).toBe(n);
    expect(new Set(got).size).toBe(n);
  });
  t("encoding 'buffer': names as Buffers", async ({ fs, p }) => {
    await fs.writeFile(p('ñ'), 'x');
    const got = (await (fs.readdir as (p: string, o: unknown) => Promise<unknown[]>)(p(''), { encoding: 'buffer' })) as Buffer[];
    expect(got.map((b) => Buffer.isBuffer(b))).toEqual([true]);
    expect(got[0]!.toString()).toBe('ñ');
  });
  t('ENOENT for a missing directory, ENOTDIR for a file (scandir)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.readdir(p('nope')), { code: 'ENOENT', syscall: 'scandir', path: p('nope') });
    await rejectsWith(fs.readdir(p('f')), { code: 'ENOTDIR', syscall: 'scandir', path: p('f') });
  });
}

export function unlinkCases(t: Cases): void {
  t('removes a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.unlink(p('f'));
    expect(await names(fs, p(''))).toEqual([]);
  });
  t('removes a symlink, not its target', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.symlink('f', p('l'));
    await fs.unlink(p('l'));
    expect(await names(fs, p(''))).toEqual(['f']);
  });
  t('an open file stays readable after unlink', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'still here');
    const h = await fs.open(p('f'));
    await fs.unlink(p('f'));
    expect(await h.readFile('utf8')).toBe('still here');
    await h.close();
  });
  t('ENOENT for a missing name (unlink)', async ({ fs, p }) => {
    await rejectsWith(fs.unlink(p('nope')), { code: 'ENOENT', syscall: 'unlink', path: p('nope') });
  });
  t('EISDIR for a directory, "e/.", "e/.." and the root', async ({ fs, p }) => {
    await fs.mkdir(p('e'));
    for (const q of [p('e'), p('e/.'), p('e/..'), '/']) await rejectsWith(fs.unlink(q), { code: 'EISDIR', syscall: 'unlink', path: q });
  });
  t('ENOTDIR for a trailing slash on a file or on a symlink to a directory', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.mkdir(p('d'));
    await fs.symlink('d', p('l'));
    await rejectsWith(fs.unlink(p('f/')), { code: 'ENOTDIR', syscall: 'unlink', path: p('f/') });
    await rejectsWith(fs.unlink(p('l/')), { code: 'ENOTDIR', syscall: 'unlink', path: p('l/') });
    expect(await names(fs, p(''))).toEqual(['d', 'f', 'l']);
  });
}

export function renameCases(t: Cases): void {
  t('renames a file, within and across directories', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'x');
    await fs.mkdir(p('d'));
    await fs.rename(p('a'), p('b'));
    await fs.rename(p('b'), p('d/c'));
    expect(await names(fs, p(''))).toEqual(['d']);
    expect(await fs.readFile(p('d/c'), 'utf8')).toBe('x');
  });
  t('replaces an existing file', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'new');
    await fs.writeFile(p('b'), 'old');
    await fs.rename(p('a'), p('b'));
    expect(await names(fs, p(''))).toEqual(['b']);
    expect(await fs.readFile(p('b'), 'utf8')).toBe('new');
  });
  t('renames a directory with its contents; replaces an empty directory', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'x');
    await fs.mkdir(p('e'));
    await fs.rename(p('d'), p('e'));
    expect(await names(fs, p(''))).toEqual(['e']);
    expect(await fs.readFile(p('e/f'), 'utf8')).toBe('x');
  });
  t('a directory to a new name with a trailing slash', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.rename(p('d'), p('e/'));
    await fs.rename(p('e/'), p('f'));
    expect(await names(fs, p(''))).toEqual(['f']);
  });
  t('renames a symlink itself', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.symlink('f', p('l'));
    await fs.rename(p('l'), p('m'));
    expect((await fs.lstat(p('m'))).isSymbolicLink()).toBe(true);
    expect(await names(fs, p(''))).toEqual(['f', 'm']);
  });
  t('a name onto itself changes nothing', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.rename(p('f'), p('f'));
    expect(await fs.readFile(p('f'), 'utf8')).toBe('x');
  });
  t('ENOENT for a missing source (rename, path -> dest)', async ({ fs, p }) => {
    await rejectsWith(fs.rename(p('nope'), p('b')), { code: 'ENOENT', syscall: 'rename', path: p('nope'), dest: p('b') });
  });
  t('ENOTDIR directory onto a file; EISDIR file onto a directory', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.rename(p('d'), p('f')), { code: 'ENOTDIR', syscall: 'rename', path: p('d'), dest: p('f') });
    await rejectsWith(fs.rename(p('f'), p('d')), { code: 'EISDIR', syscall: 'rename', path: p('f'), dest: p('d') });
  });
  t('ENOTEMPTY onto a directory with entries', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.mkdir(p('e'));
    await fs.writeFile(p('e/f'), 'x');
    await rejectsWith(fs.rename(p('d'), p('e')), { code: 'ENOTEMPTY', syscall: 'rename', path: p('d'), dest: p('e') });
  });
  t('EINVAL moving a directory into itself', async ({ fs, p }) => {
    await fs.mkdir(p('a/b'), { recursive: true });
    await rejectsWith(fs.rename(p('a'), p('a/b/c')), { code: 'EINVAL', syscall: 'rename', path: p('a'), dest: p('a/b/c') });
  });
  t('ENOTDIR for a trailing slash on a file, either side', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.rename(p('f/'), p('g')), { code: 'ENOTDIR', syscall: 'rename', path: p('f/'), dest: p('g') });
    await rejectsWith(fs.rename(p('f'), p('g/')), { code: 'ENOTDIR', syscall: 'rename', path: p('f'), dest: p('g/') });
  });
  t('EBUSY for ".", ".." and the root', async ({ fs, p }) => {
    await fs.mkdir(p('e'));
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.rename(p('e/.'), p('x')), { code: 'EBUSY', syscall: 'rename', path: p('e/.'), dest: p('x') });
    await rejectsWith(fs.rename(p('f'), p('e/.')), { code: 'EBUSY', syscall: 'rename', path: p('f'), dest: p('e/.') });
    await rejectsWith(fs.rename('/', p('x')), { code: 'EBUSY', syscall: 'rename', path: '/', dest: p('x') });
  });
}

export function rmCases(t: Cases): void {
  t('removes a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.rm(p('f'));
    expect(await names(fs, p(''))).toEqual([]);
  });
  t('recursive: removes a tree', async ({ fs, p }) => {
    await fs.mkdir(p('t/a/b'), { recursive: true });
    await fs.writeFile(p('t/a/f'), 'x');
    await fs.writeFile(p('t/a/b/g'), 'y');
    await fs.symlink('a', p('t/l'));
    await fs.rm(p('t'), { recursive: true });
    expect(await names(fs, p(''))).toEqual([]);
  });
  t('a symlink to a directory: removes the link only', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/x'), 'x');
    await fs.symlink('d', p('l'));
    await fs.rm(p('l'));
    expect(await names(fs, p(''))).toEqual(['d']);
    expect(await names(fs, p('d'))).toEqual(['x']);
  });
  t('a directory without recursive: ERR_FS_EISDIR (a SystemError)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    const e = await rejectsWith(fs.rm(p('d')), { code: 'ERR_FS_EISDIR' });
    expect(e.name).toBe('SystemError');
    expect(e.message).toBe(`Path is a directory: rm returned EISDIR (is a directory) ${p('d')}`);
    expect(await names(fs, p(''))).toEqual(['d']);
  });
  t('ENOENT for a missing name (lstat); nothing with force', async ({ fs, p }) => {
    await rejectsWith(fs.rm(p('nope')), { code: 'ENOENT', syscall: 'lstat', path: p('nope') });
    await rejectsWith(fs.rm(p('nope'), { recursive: true }), { code: 'ENOENT', syscall: 'lstat', path: p('nope') });
    await fs.rm(p('nope'), { force: true });
    await fs.rm(p('nope'), { force: true, recursive: true });
  });
  t('ENOTDIR for a trailing slash on a file (lstat)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.rm(p('f/')), { code: 'ENOTDIR', syscall: 'lstat', path: p('f/') });
  });
  t('bad options are argument errors', async ({ fs, p }) => {
    await rejectsAsync(() => fs.rm(p('f'), { recursive: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG_TYPE');
  });
}
