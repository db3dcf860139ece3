// Conformance cases for cp: files, trees, symlinks (made absolute or verbatim, or
// dereferenced), the options (force, errorOnExist, filter, preserveTimestamps), and its
// own errors (Node's SystemErrors ERR_FS_CP_* and ERR_FS_EISDIR, with their messages).

import { expect } from 'vitest';
import { names, perm, rejectsAsync, rejectsWith, type Cases } from './harness.ts';

/** cp's SystemError: code, the errno name in `info`, syscall cp, path, and Node's message. */
async function rejectsCp(p: Promise<unknown>, code: string, errno: string, prefix: string, detail: string, path: string): Promise<void> {
  const e = await rejectsWith(p, { code });
  expect({ name: e.name, syscall: e.syscall, path: e.path, infoCode: (e.info as { code?: string } | undefined)?.code }).toEqual({
    name: 'SystemError',
    syscall: 'cp',
    path,
    infoCode: errno,
  });
  expect(e.message).toBe(`${prefix}: cp returned ${errno} (${detail}) ${path}`);
}

export function cpCases(t: Cases): void {
  t('copies a file with its mode', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'data', { mode: 0o640 });
    await fs.cp(p('f'), p('g'));
    expect(await fs.readFile(p('g'), 'utf8')).toBe('data');
    expect(perm((await fs.stat(p('g'))).mode)).toBe(perm((await fs.stat(p('f'))).mode));
  });
  t('makes the missing parents of dest', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await fs.cp(p('f'), p('a/b/g'));
    expect(await fs.readFile(p('a/b/g'), 'utf8')).toBe('x');
  });
  t('a directory without recursive: ERR_FS_EISDIR', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsCp(fs.cp(p('d'), p('e')), 'ERR_FS_EISDIR', 'EISDIR', 'Path is a directory', `${p('d')} is a directory (not copied)`, p('d'));
  });
  t('recursive: copies a tree (files, directories, symlinks)', async ({ fs, p }) => {
    await fs.mkdir(p('d/sub/deep'), { recursive: true });
    await fs.writeFile(p('d/a'), 'a');
    await fs.writeFile(p('d/sub/b'), 'b');
    await fs.writeFile(p('d/sub/deep/c'), 'c');
    await fs.symlink('a', p('d/l'));
    await fs.cp(p('d'), p('e'), { recursive: true });
    expect(await names(fs, p('e'))).toEqual(['a', 'l', 'sub']);
    expect(await fs.readFile(p('e/sub/deep/c'), 'utf8')).toBe('c');
    expect((await fs.lstat(p('e/l'))).isSymbolicLink()).toBe(true);
    // A relative target is made absolute (the source's target), unless verbatimSymlinks.
    expect(await fs.readlink(p('e/l'))).toBe(p('d/a'));
  });
  t('verbatimSymlinks keeps a relative target; dereference copies what a link names', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'target');
    await fs.symlink('f', p('l'));
    await fs.cp(p('l'), p('v'), { verbatimSymlinks: true });
    expect(await fs.readlink(p('v'))).toBe('f');
    await fs.cp(p('l'), p('d'), { dereference: true });
    expect((await fs.lstat(p('d'))).isFile()).toBe(true);
    expect(await fs.readFile(p('d'), 'utf8')).toBe('target');
  });
  t('src and dest the same: ERR_FS_CP_EINVAL', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsCp(fs.cp(p('f'), p('f')), 'ERR_FS_CP_EINVAL', 'EINVAL', 'Invalid src or dest', 'src and dest cannot be the same', p('f'));
  });
  t('a directory into itself: ERR_FS_CP_EINVAL', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await rejectsCp(
      fs.cp(p('d'), p('d/inner'), { recursive: true }),
      'ERR_FS_CP_EINVAL',
      'EINVAL',
      'Invalid src or dest',
      `cannot copy ${p('d')} to a subdirectory of self ${p('d/inner')}`,
      p('d/inner'),
    );
  });
  t('a directory onto a file, a file onto a directory', async ({ fs, p }) => {
    await fs.mkdir(p('d'));
    await fs.writeFile(p('f'), 'x');
    await rejectsCp(
      fs.cp(p('d'), p('f'), { recursive: true }),
      'ERR_FS_CP_DIR_TO_NON_DIR',
      'EISDIR',
      'Cannot overwrite non-directory with directory',
      `cannot overwrite non-directory ${p('f')} with directory ${p('d')}`,
      p('f'),
    );
    await rejectsCp(
      fs.cp(p('f'), p('d')),
      'ERR_FS_CP_NON_DIR_TO_DIR',
      'ENOTDIR',
      'Cannot overwrite directory with non-directory',
      `cannot overwrite directory ${p('d')} with non-directory ${p('f')}`,
      p('d'),
    );
  });
  t('force (the default) replaces; force false keeps; errorOnExist: ERR_FS_CP_EEXIST', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'new');
    await fs.writeFile(p('g'), 'old');
    await fs.cp(p('f'), p('g'), { force: false });
    expect(await fs.readFile(p('g'), 'utf8')).toBe('old');
    await rejectsCp(fs.cp(p('f'), p('g'), { force: false, errorOnExist: true }), 'ERR_FS_CP_EEXIST', 'EEXIST', 'Target already exists', `${p('g')} already exists`, p('g'));
    await fs.cp(p('f'), p('g'));
    expect(await fs.readFile(p('g'), 'utf8')).toBe('new');
  });
  t('filter (sync or async) skips what it refuses', async ({ fs, p }) => {
    await fs.mkdir(p('d/skip'), { recursive: true });
    await fs.writeFile(p('d/keep.txt'), 'k');
    await fs.writeFile(p('d/drop.log'), 'd');
    await fs.writeFile(p('d/skip/x'), 'x');
    await fs.cp(p('d'), p('e'), { recursive: true, filter: (src) => !src.endsWith('.log') && !src.endsWith('skip') });
    expect(await names(fs, p('e'))).toEqual(['keep.txt']);
    await fs.cp(p('d'), p('g'), { recursive: true, filter: async (src) => !src.endsWith('keep.txt') });
    expect(await names(fs, p('g'))).toEqual(['drop.log', 'skip']);
    await fs.cp(p('d'), p('h'), { recursive: true, filter: () => false });
    await rejectsWith(fs.stat(p('h')), { code: 'ENOENT', syscall: 'stat', path: p('h') });
  });
  t('preserveTimestamps keeps the times', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const when = new Date('2001-02-03T04:05:06Z');
    await fs.utimes(p('f'), when, when);
    await fs.cp(p('f'), p('g'), { preserveTimestamps: true });
    expect((await fs.stat(p('g'))).mtime.getTime()).toBe(when.getTime());
    await fs.cp(p('f'), p('h'));
    expect((await fs.stat(p('h'))).mtime.getTime()).not.toBe(when.getTime());
  });
  t('ENOENT for a missing src (lstat)', async ({ fs, p }) => {
    await rejectsWith(fs.cp(p('none'), p('x')), { code: 'ENOENT', syscall: 'lstat', path: p('none') });
  });
  t('bad options are argument errors', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsAsync(() => fs.cp(p('f'), p('g'), { dereference: true, verbatimSymlinks: true }), 'ERR_INCOMPATIBLE_OPTION_PAIR');
    await rejectsAsync(() => fs.cp(p('f'), p('g'), { filter: 1 as never }), 'ERR_INVALID_ARG_TYPE');
    await rejectsAsync(() => fs.cp(p('f'), p('g'), { recursive: 'yes' as never }), 'ERR_INVALID_ARG_TYPE');
  });
}
