// Conformance cases for links and names: symlink, readlink, link, realpath, mkdtemp,
// how paths are walked ("..", "//", long names, symlink chains), and odd arguments (NUL
// bytes, empty paths, wrong types: always a rejection, never a synchronous throw).

import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import type { FsPromisesApi } from '../../../clients/fs/index.ts';
import { names, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

export function symlinkCases(t: Cases): void {
  t('a relative symlink; readlink gives the target as written', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.symlink('./f', p('l'));
    expect(await fs.readlink(p('l'))).toBe('./f');
    expect(await fs.readFile(p('l'), 'utf8')).toBe('x');
  });
  t('an absolute symlink', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'abs');
    await fs.symlink(p('d'), p('l'));
    expect(await fs.readlink(p('l'))).toBe(p('d'));
    expect(await fs.readFile(p('l/f'), 'utf8')).toBe('abs');
    expect(await names(fs, p('l'))).toEqual(['f']);
  });
  t('a chain of symlinks, relative and absolute', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'end');
    await fs.symlink('f', p('l0'));
    for (let i = 1; i < 10; i++) await fs.symlink(i % 2 === 0 ? `l${i - 1}` : p(`l${i - 1}`), p(`l${i}`));
    expect(await fs.readFile(p('l9'), 'utf8')).toBe('end');
  });
  t('a dangling symlink can be made', async ({ fs, p }) => {
    await fs.symlink('nothere', p('l'));
    expect(await fs.readlink(p('l'))).toBe('nothere');
  });
  t('EEXIST for an existing name (symlink, target -> path)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.symlink('t', p('f')), { code: 'EEXIST', syscall: 'symlink', path: 't', dest: p('f') });
  });
  t('ENOENT for a missing directory and for a trailing slash on a new name', async ({ fs, p }) => {
    await rejectsWith(fs.symlink('t', p('no/l')), { code: 'ENOENT', syscall: 'symlink', path: 't', dest: p('no/l') });
    await rejectsWith(fs.symlink('t', p('s/')), { code: 'ENOENT', syscall: 'symlink', path: 't', dest: p('s/') });
  });
}

export function readlinkCases(t: Cases): void {
  t('EINVAL for a file or a directory (readlink)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.mkdir(p('d'));
    await rejectsWith(fs.readlink(p('f')), { code: 'EINVAL', syscall: 'readlink', path: p('f') });
    await rejectsWith(fs.readlink(p('d')), { code: 'EINVAL', syscall: 'readlink', path: p('d') });
  });
  t('a trailing slash follows the link: EINVAL', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.symlink('d', p('l'));
    await rejectsWith(fs.readlink(p('l/')), { code: 'EINVAL', syscall: 'readlink', path: p('l/') });
  });
  t('ENOENT for a missing name', async ({ fs, p }) => {
    await rejectsWith(fs.readlink(p('nope')), { code: 'ENOENT', syscall: 'readlink', path: p('nope') });
  });
  t("encoding 'buffer'", async ({ fs, p }) => {
    await fs.symlink('target', p('l'));
    const b = await (fs.readlink as (p: string, o: unknown) => Promise<unknown>)(p('l'), { encoding: 'buffer' });
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(String(b)).toBe('target');
  });
}

export function linkCases(t: Cases): void {
  t('a second name for a file: same inode, two links', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'shared');
    await fs.link(p('a'), p('b'));
    const [a, b] = [await fs.stat(p('a')), await fs.stat(p('b'))];
    expect(a.ino).toBe(b.ino);
    expect(a.nlink).toBe(2);
    await fs.writeFile(p('b'), 'changed');
    expect(await fs.readFile(p('a'), 'utf8')).toBe('changed');
    await fs.unlink(p('a'));
    expect((await fs.stat(p('b'))).nlink).toBe(1);
  });
  t('EEXIST for an existing new name, ENOENT for a missing file (link, existing -> new)', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'x');
    await fs.writeFile(p('b'), 'y');
    await rejectsWith(fs.link(p('a'), p('b')), { code: 'EEXIST', syscall: 'link', path: p('a'), dest: p('b') });
    await rejectsWith(fs.link(p('nope'), p('c')), { code: 'ENOENT', syscall: 'link', path: p('nope'), dest: p('c') });
  });
  t('EPERM for a directory', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsWith(fs.link(p('d'), p('e')), { code: 'EPERM', syscall: 'link', path: p('d'), dest: p('e') });
  });
}

export function realpathCases(t: Cases): void {
  t('resolves symlinks, ".", ".." and repeated slashes', async ({ fs, p, root }) => {
    const real = await fs.realpath(root);
    await fs.mkdir(p('a/b/c'), { recursive: true });
    await fs.symlink('a/b', p('l'));
    await fs.symlink(p('a/b/c'), p('abs'));
    expect(await fs.realpath(p('l'))).toBe(`${real}/a/b`);
    expect(await fs.realpath(p('l/c/..//./c'))).toBe(`${real}/a/b/c`);
    expect(await fs.realpath(p('abs'))).toBe(`${real}/a/b/c`);
  });
  t('".." after a symlink goes to the physical parent', async ({ fs, p, root }) => {
    const real = await fs.realpath(root);
    await fs.mkdir(p('a/b/c'), { recursive: true });
    await fs.symlink(p('a/b/c'), p('lc'));
    expect(await fs.realpath(p('lc/..'))).toBe(`${real}/a/b`);
    expect(await names(fs, p('lc/..'))).toEqual(['c']);
  });
  t('the root is "/"', async ({ fs }) => {
    expect(await fs.realpath('/')).toBe('/');
    expect(await fs.realpath('/..')).toBe('/');
  });
  t('ENOENT for a missing name, ENOTDIR for "file/" (realpath)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.realpath(p('nope')), { code: 'ENOENT', syscall: 'realpath', path: p('nope') });
    await rejectsWith(fs.realpath(p('f/')), { code: 'ENOTDIR', syscall: 'realpath', path: p('f/') });
  });
  t('ELOOP for a symlink loop', async ({ fs, p }) => {
    await fs.symlink('l2', p('l1'));
    await fs.symlink('l1', p('l2'));
    await rejectsWith(fs.realpath(p('l1')), { code: 'ELOOP', syscall: 'realpath', path: p('l1') });
  });
}

export function mkdtempCases(t: Cases): void {
  t('makes a new directory named prefix + six characters', async ({ fs, p }) => {
    const a = await fs.mkdtemp(p('tmp-'));
    const b = await fs.mkdtemp(p('tmp-'));
    expect(a).toMatch(/\/tmp-[A-Za-z0-9]{6}$/);
    expect(a).not.toBe(b);
    expect((await fs.stat(a)).isDirectory()).toBe(true);
  });
  t('ENOENT when the prefix names a missing directory', async ({ fs, p }) => {
    const e = await rejectsWith(fs.mkdtemp(p('no/tmp-')), { code: 'ENOENT' });
    expect(e.syscall).toBe('mkdtemp');
  });
}

export function pathCases(t: Cases): void {
  t('"a/../b", "./" and "//" are walked as Linux does', async ({ fs, p }) => {
    await fs.mkdir(p('a'));
    await fs.writeFile(p('b'), 'b');
    expect(await fs.readFile(p('a/../b'), 'utf8')).toBe('b');
    expect(await fs.readFile(p('./b'), 'utf8')).toBe('b');
    expect(await fs.readFile(p('a//..//b'), 'utf8')).toBe('b');
    expect(await fs.readFile(`${p('')}//b`, 'utf8')).toBe('b');
  });
  t('".." through a missing directory: ENOENT', async ({ fs, p }) => {
    await fs.writeFile(p('b'), 'b');
    await rejectsWith(fs.readFile(p('none/../b')), { code: 'ENOENT', syscall: 'open', path: p('none/../b') });
  });
  t('"..", even many, cannot climb above the root', async ({ fs }) => {
    const root = await fs.stat('/');
    expect((await fs.stat('/..')).ino).toBe(root.ino);
    expect((await fs.stat('/../../..')).ino).toBe(root.ino);
  });
  t('".." out of the working directory reaches its parent', async ({ fs, p, root }) => {
    const parent = root.slice(0, root.lastIndexOf('/')) || '/';
    const base = root.slice(root.lastIndexOf('/') + 1);
    expect((await fs.stat(p('..'))).ino).toBe((await fs.stat(parent)).ino);
    expect(await fs.readdir(p('..'))).toContain(base);
    await fs.writeFile(p('f'), 'x');
    expect(await fs.readFile(`${root}/../${base}/f`, 'utf8')).toBe('x');
  });
  t('a name of 255 bytes works; 256 bytes is ENAMETOOLONG', async ({ fs, p }) => {
    const ok = 'x'.repeat(255);
    await fs.writeFile(p(ok), 'long');
    expect(await fs.readFile(p(ok), 'utf8')).toBe('long');
    const bad = 'x'.repeat(256);
    await rejectsWith(fs.writeFile(p(bad), 'x'), { code: 'ENAMETOOLONG', syscall: 'open', path: p(bad) });
    await rejectsWith(fs.stat(p(bad)), { code: 'ENAMETOOLONG', syscall: 'stat', path: p(bad) });
  });
  t('a path of 4096 bytes or more is ENAMETOOLONG', async ({ fs, p }) => {
    const long = p('a/'.repeat(2100));
    await rejectsWith(fs.stat(long), { code: 'ENAMETOOLONG', syscall: 'stat', path: long });
  });
  t('non-ASCII names', async ({ fs, p }) => {
    for (const n of ['été', '日本語', 'emoji-😀', 'space name', "quote'name"]) {
      await fs.writeFile(p(n), n);
      expect(await fs.readFile(p(n), 'utf8')).toBe(n);
    }
    expect((await names(fs, p(''))).length).toBe(5);
  });
  t('an empty path is ENOENT, with an empty path in the error', async ({ fs }) => {
    await rejectsWith(fs.stat(''), { code: 'ENOENT', syscall: 'stat', path: '' });
    await rejectsWith(fs.readFile(''), { code: 'ENOENT', syscall: 'open', path: '' });
    await rejectsWith(fs.readdir(''), { code: 'ENOENT', syscall: 'scandir', path: '' });
    await rejectsWith(fs.mkdir(''), { code: 'ENOENT', syscall: 'mkdir', path: '' });
    await rejectsWith(fs.unlink(''), { code: 'ENOENT', syscall: 'unlink', path: '' });
    await rejectsWith(fs.realpath(''), { code: 'ENOENT', syscall: 'realpath', path: '' });
  });
}

/** A call of every method with `bad` where a path goes. */
function everyPathCall(fs: FsPromisesApi, bad: unknown, ok: string): (() => Promise<unknown>)[] {
  const b = bad as string;
  return [
    () => fs.access(b),
    () => fs.appendFile(b, 'x'),
    () => fs.chmod(b, 0o644),
    () => fs.chown(b, 0, 0),
    () => fs.copyFile(b, ok),
    () => fs.copyFile(ok, b),
    () => fs.lchown(b, 0, 0),
    () => fs.link(b, ok),
    () => fs.lstat(b),
    () => fs.lutimes(b, 0, 0),
    () => fs.mkdir(b),
    () => fs.open(b),
    () => fs.readdir(b),
    () => fs.readFile(b),
    () => fs.readlink(b),
    () => fs.realpath(b),
    () => fs.rename(b, ok),
    () => fs.rename(ok, b),
    () => fs.rm(b),
    () => fs.rmdir(b),
    () => fs.stat(b),
    () => fs.symlink(ok, b),
    () => fs.truncate(b),
    () => fs.unlink(b),
    () => fs.utimes(b, 0, 0),
    () => fs.writeFile(b, 'x'),
  ];
}

export function argumentCases(t: Cases): void {
  t('a NUL byte in a path: ERR_INVALID_ARG_VALUE, for every call', async ({ fs, p }) => {
    await fs.writeFile(p('ok'), 'x');
    for (const f of everyPathCall(fs, p('a\0b'), p('ok'))) await rejectsAsync(f, 'ERR_INVALID_ARG_VALUE');
  });
  t('a path of the wrong type (number, undefined, object): ERR_INVALID_ARG_TYPE, never a throw', async ({ fs, p }) => {
    await fs.writeFile(p('ok'), 'x');
    for (const bad of [123, undefined, {}, null, true]) {
      for (const f of everyPathCall(fs, bad, p('ok'))) await rejectsAsync(f, 'ERR_INVALID_ARG_TYPE');
    }
  });
  t('the file is untouched after the rejected calls', async ({ fs, p }) => {
    await fs.writeFile(p('ok'), 'x');
    for (const f of everyPathCall(fs, p('a\0b'), p('ok'))) await f().catch(() => undefined);
    expect(await fs.readFile(p('ok'), 'utf8')).toBe('x');
    expect(await names(fs, p(''))).toEqual(['ok']);
  });
}
