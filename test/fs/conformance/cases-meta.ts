// Conformance cases for metadata: stat, lstat, access, chmod, chown, utimes, lutimes,
// and permission checks for a user who is not root.

import { constants } from 'node:fs';
import { expect } from 'vitest';
import { perm, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

export function statCases(t: Cases): void {
  t('a file: type, size, mode, links, owner, inode, times', async ({ fs, p, uid, gid, umask }) => {
    await fs.writeFile(p('f'), 'hello');
    const s = await fs.stat(p('f'));
    expect([s.isFile(), s.isDirectory(), s.isSymbolicLink(), s.isFIFO(), s.isSocket(), s.isBlockDevice(), s.isCharacterDevice()]).toEqual([
      true, false, false, false, false, false, false,
    ]);
    expect(s.size).toBe(5);
    expect(s.mode & constants.S_IFMT).toBe(constants.S_IFREG);
    expect(perm(s.mode)).toBe(0o666 & ~umask);
    expect(s.nlink).toBe(1);
    expect([s.uid, s.gid]).toEqual([uid, gid]);
    expect(s.ino).toBeGreaterThan(0);
    expect(s.blksize).toBeGreaterThan(0);
    for (const k of ['atime', 'mtime', 'ctime', 'birthtime'] as const) {
      expect(s[k]).toBeInstanceOf(Date);
      // Node builds the Date from seconds and nanoseconds: it may round the last millisecond.
      expect(Math.abs(s[k].getTime() - s[`${k}Ms`])).toBeLessThanOrEqual(1);
    }
  });
  t('a directory', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    const s = await fs.stat(p('d'));
    expect(s.isDirectory()).toBe(true);
    expect(s.isFile()).toBe(false);
    expect(s.mode & constants.S_IFMT).toBe(constants.S_IFDIR);
  });
  t('inode numbers: stable for a file, different for two files, one device', async ({ fs, p }) => {
    await fs.writeFile(p('a'), 'x');
    await fs.writeFile(p('b'), 'x');
    const a1 = await fs.stat(p('a'));
    const a2 = await fs.stat(p('a'));
    const b = await fs.stat(p('b'));
    expect(a1.ino).toBe(a2.ino);
    expect(a1.ino).not.toBe(b.ino);
    expect(a1.dev).toBe(b.dev);
  });
  t('stat follows symlinks, lstat does not', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    await fs.symlink('f', p('l'));
    const s = await fs.stat(p('l'));
    const l = await fs.lstat(p('l'));
    expect(s.isFile()).toBe(true);
    expect(s.size).toBe(5);
    expect(l.isSymbolicLink()).toBe(true);
    expect(l.mode & constants.S_IFMT).toBe(constants.S_IFLNK);
    expect(l.ino).not.toBe(s.ino);
  });
  t("a symlink's size is the length of its target", async ({ fs, p }) => {
    await fs.symlink('some/target', p('l'));
    expect((await fs.lstat(p('l'))).size).toBe('some/target'.length);
  });
  t('lstat of a dangling symlink works; stat: ENOENT', async ({ fs, p }) => {
    await fs.symlink('nothere', p('l'));
    expect((await fs.lstat(p('l'))).isSymbolicLink()).toBe(true);
    await rejectsWith(fs.stat(p('l')), { code: 'ENOENT', syscall: 'stat', path: p('l') });
  });
  t('lstat with a trailing slash follows the symlink', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.symlink('d', p('l'));
    expect((await fs.lstat(p('l/'))).isDirectory()).toBe(true);
  });
  t('ENOENT for a missing name (stat and lstat)', async ({ fs, p }) => {
    await rejectsWith(fs.stat(p('nope')), { code: 'ENOENT', syscall: 'stat', path: p('nope') });
    await rejectsWith(fs.lstat(p('nope')), { code: 'ENOENT', syscall: 'lstat', path: p('nope') });
  });
  t("ENOTDIR for 'file/', 'file/.' and 'file/x'; 'dir/' is fine", async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.mkdir(p('d'));
    for (const q of ['f/', 'f/.', 'f/x', 'f/..']) await rejectsWith(fs.stat(p(q)), { code: 'ENOTDIR', syscall: 'stat', path: p(q) });
    expect((await fs.stat(p('d/'))).isDirectory()).toBe(true);
  });
  t('ELOOP for a symlink loop (stat); lstat still sees the link', async ({ fs, p }) => {
    await fs.symlink('l2', p('l1'));
    await fs.symlink('l1', p('l2'));
    await rejectsWith(fs.stat(p('l1')), { code: 'ELOOP', syscall: 'stat', path: p('l1') });
    expect((await fs.lstat(p('l1'))).isSymbolicLink()).toBe(true);
  });
  t('bigint: every number a bigint, with nanosecond times', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'hello');
    const s = await (fs.stat as unknown as (p: string, o: { bigint: true }) => Promise<Record<string, unknown> & { isFile(): boolean }>)(p('f'), { bigint: true });
    expect(typeof s.size).toBe('bigint');
    expect(s.size).toBe(5n);
    expect(typeof s.mtimeNs).toBe('bigint');
    expect(s.isFile()).toBe(true);
  });
  t('the root of the tree is a directory', async ({ fs }) => {
    expect((await fs.stat('/')).isDirectory()).toBe(true);
  });
}

export function accessCases(t: Cases): void {
  t('F_OK (the default) for an existing name; ENOENT otherwise (access)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.access(p('f'));
    await fs.access(p('f'), constants.F_OK);
    await rejectsWith(fs.access(p('nope')), { code: 'ENOENT', syscall: 'access', path: p('nope') });
  });
  t('R_OK | W_OK on a file of ours', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.access(p('f'), constants.R_OK | constants.W_OK);
  });
  t('ENOTDIR for a trailing slash on a file', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.access(p('f/')), { code: 'ENOTDIR', syscall: 'access', path: p('f/') });
  });
  t('a mode out of 0..7 is ERR_OUT_OF_RANGE', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.access(p('f'), 8), 'ERR_OUT_OF_RANGE');
  });
  t('EACCES for bits the mode does not grant', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.chmod(p('f'), 0o444);
    await fs.access(p('f'), constants.R_OK);
    await rejectsWith(fs.access(p('f'), constants.W_OK), { code: 'EACCES', syscall: 'access', path: p('f') });
    await rejectsWith(fs.access(p('f'), constants.X_OK), { code: 'EACCES', syscall: 'access', path: p('f') });
  }, { permissions: true });
}

export function chmodCases(t: Cases): void {
  t('sets the permission bits (number or octal string)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.chmod(p('f'), 0o600);
    expect(perm((await fs.stat(p('f'))).mode)).toBe(0o600);
    await fs.chmod(p('f'), '755');
    expect(perm((await fs.stat(p('f'))).mode)).toBe(0o755);
    expect((await fs.stat(p('f'))).isFile()).toBe(true);
  });
  t('changes the target through a symlink', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.symlink('f', p('l'));
    await fs.chmod(p('l'), 0o604);
    expect(perm((await fs.stat(p('f'))).mode)).toBe(0o604);
  });
  t('ENOENT for a missing file (chmod)', async ({ fs, p }) => {
    await rejectsWith(fs.chmod(p('nope'), 0o644), { code: 'ENOENT', syscall: 'chmod', path: p('nope') });
  });
  t('a mode that is not a number or octal string is ERR_INVALID_ARG_VALUE', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.chmod(p('f'), 'abc'), 'ERR_INVALID_ARG_VALUE');
  });
}

export function chownCases(t: Cases): void {
  t('to our own ids, and -1 for unchanged', async ({ fs, p, uid, gid }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.chown(p('f'), uid, gid);
    await fs.chown(p('f'), -1, -1);
    const s = await fs.stat(p('f'));
    expect([s.uid, s.gid]).toEqual([uid, gid]);
  });
  t('lchown acts on the link itself', async ({ fs, p, uid, gid }) => {
    await fs.symlink('nothere', p('l'));
    await fs.lchown(p('l'), uid, gid);
    const s = await fs.lstat(p('l'));
    expect([s.uid, s.gid]).toEqual([uid, gid]);
  });
  t('ENOENT for a missing file (chown)', async ({ fs, p, uid, gid }) => {
    await rejectsWith(fs.chown(p('nope'), uid, gid), { code: 'ENOENT', syscall: 'chown', path: p('nope') });
  });
  t('ids out of range are ERR_OUT_OF_RANGE', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.chown(p('f'), -2, 0), 'ERR_OUT_OF_RANGE');
  });
  t("EPERM giving a file to someone else", async ({ fs, p, gid }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.chown(p('f'), 4242, gid), { code: 'EPERM', syscall: 'chown', path: p('f') });
  }, { permissions: true });
}

export function utimesCases(t: Cases): void {
  t('sets access and modification times (seconds, Dates, numeric strings)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.utimes(p('f'), 1000, new Date(2_000_000));
    let s = await fs.stat(p('f'));
    expect([s.atimeMs, s.mtimeMs]).toEqual([1_000_000, 2_000_000]);
    expect(s.mtime.getTime()).toBe(2_000_000);
    await fs.utimes(p('f'), '1000', '1500.5');
    s = await fs.stat(p('f'));
    expect([s.atimeMs, s.mtimeMs]).toEqual([1_000_000, 1_500_500]);
  });
  t('lutimes sets the times of the link itself', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.utimes(p('f'), 10, 10);
    await fs.symlink('f', p('l'));
    await fs.lutimes(p('l'), 5000, 6000);
    expect((await fs.lstat(p('l'))).mtimeMs).toBe(6_000_000);
    expect((await fs.stat(p('f'))).mtimeMs).toBe(10_000);
  });
  t('ENOENT for a missing file (utime)', async ({ fs, p }) => {
    await rejectsWith(fs.utimes(p('nope'), 1, 1), { code: 'ENOENT', syscall: 'utime', path: p('nope') });
  });
  t('a time that is not a number, Date or numeric string is ERR_INVALID_ARG_TYPE', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.utimes(p('f'), 'abc', 1), 'ERR_INVALID_ARG_TYPE');
  });
}

export function permissionCases(t: Cases): void {
  const opts = { permissions: true } as const;
  t('stat works on a file we may not read', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'secret');
    await fs.chmod(p('f'), 0o000);
    expect((await fs.stat(p('f'))).size).toBe(6);
  }, opts);
  t('EACCES reading a file without read permission (open)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'secret');
    await fs.chmod(p('f'), 0o200);
    await rejectsWith(fs.readFile(p('f')), { code: 'EACCES', syscall: 'open', path: p('f') });
  }, opts);
  t('EACCES writing a read-only file (open)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.chmod(p('f'), 0o444);
    await rejectsWith(fs.writeFile(p('f'), 'y'), { code: 'EACCES', syscall: 'open', path: p('f') });
    await rejectsWith(fs.open(p('f'), 'r+'), { code: 'EACCES', syscall: 'open', path: p('f') });
  }, opts);
  t('EACCES listing a directory without read permission (scandir)', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.chmod(p('d'), 0o300);
    await rejectsWith(fs.readdir(p('d')), { code: 'EACCES', syscall: 'scandir', path: p('d') });
  }, opts);
  t('EACCES creating in a directory without write permission', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.chmod(p('d'), 0o555);
    await rejectsWith(fs.writeFile(p('d/f'), 'x'), { code: 'EACCES', syscall: 'open', path: p('d/f') });
    await rejectsWith(fs.mkdir(p('d/e')), { code: 'EACCES', syscall: 'mkdir', path: p('d/e') });
  }, opts);
  t('EACCES removing from a directory without write permission', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'x');
    await fs.chmod(p('d'), 0o555);
    await rejectsWith(fs.unlink(p('d/f')), { code: 'EACCES', syscall: 'unlink', path: p('d/f') });
    await rejectsWith(fs.rename(p('d/f'), p('g')), { code: 'EACCES', syscall: 'rename', path: p('d/f'), dest: p('g') });
  }, opts);
  t('EACCES looking up through a directory without search permission', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('d/f'), 'x');
    await fs.chmod(p('d'), 0o600);
    await rejectsWith(fs.stat(p('d/f')), { code: 'EACCES', syscall: 'stat', path: p('d/f') });
  }, opts);
}
