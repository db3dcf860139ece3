// The dir interface besides lookup, through raw Protid stubs: readdir (sorted, paged,
// without "." and ".."), mkdir, rmdir, unlink, rename (replacing, EXDEV across servers),
// link and symlink, each with its declared errors and Linux's precedence.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { errorOf, fsWorld, makeClient, must } from './harness.ts';

async function setup() {
  const w = await fsWorld();
  const c = w.client('alice');
  await c.root.mkdir({ name: 'd', mode: 0o755 });
  await c.root.mkdir({ name: 'full', mode: 0o755 });
  await c.writeFile('/full/x', 'x');
  await c.writeFile('/f', 'file');
  return { w, c };
}

describe('readdir', () => {
  it('lists entries sorted, without "." and "..", with their inode numbers and types', async () => {
    const { c } = await setup();
    await c.root.symlink({ name: 'l', target: 'f' });
    const r = await c.root.readdir({ offset: 0, max: 0 });
    expect(r.eof).toBe(true);
    expect(r.entries.map((e) => [e.name, e.type])).toEqual([
      ['d', 'dir'],
      ['f', 'file'],
      ['full', 'dir'],
      ['l', 'symlink'],
    ]);
    const f = await c.open('f');
    expect(r.entries[1]!.ino).toBe((await c.protid(f).stat()).stat.ino);
  });

  it('pages with offset and max', async () => {
    const { c } = await setup();
    const d = c.protid(await c.open('d'));
    for (let i = 0; i < 25; i++) await d.mkdir({ name: `n${String(i).padStart(2, '0')}`, mode: 0o755 });
    const names: string[] = [];
    let offset = 0;
    for (;;) {
      const r = await d.readdir({ offset, max: 10 });
      names.push(...r.entries.map((e) => e.name));
      offset = r.next;
      if (r.eof) break;
    }
    expect(names).toHaveLength(25);
    expect(names[0]).toBe('n00');
    expect(names[24]).toBe('n24');
  });

  it('ENOTDIR on a file; EBADF on a directory opened O_PATH', async () => {
    const { c } = await setup();
    expect(errorOf(await c.protid(await c.open('f')).attempt.readdir({ offset: 0, max: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await c.protid(await c.open('d', O.PATH)).attempt.readdir({ offset: 0, max: 0 }))).toBe('EBADF');
  });
});

describe('mkdir, rmdir, unlink', () => {
  it('mkdir: the mode given, nlink 2, the parent gains a link; EEXIST, ENOENT, ENOTDIR, ENAMETOOLONG', async () => {
    const { c } = await setup();
    const before = (await c.root.stat()).stat.nlink;
    await c.root.mkdir({ name: 'm', mode: 0o700 });
    const { stat } = await c.protid(await c.open('m')).stat();
    expect(stat.mode).toBe(0o040700);
    expect(stat.nlink).toBe(2);
    expect((await c.root.stat()).stat.nlink).toBe(before + 1);
    expect(errorOf(await c.root.attempt.mkdir({ name: 'm', mode: 0o755 }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.mkdir({ name: '.', mode: 0o755 }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.mkdir({ name: '', mode: 0o755 }))).toBe('ENOENT');
    expect(errorOf(await c.protid(await c.open('f')).attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('ENOTDIR');
    // 100 three-byte characters: within the codec's 255 units, over NAME_MAX bytes.
    expect(errorOf(await c.root.attempt.mkdir({ name: '€'.repeat(100), mode: 0o755 }))).toBe('ENAMETOOLONG');
    expect(errorOf(await c.root.attempt.mkdir({ name: 'a/b', mode: 0o755 }))).toBe('EINVAL');
  });

  it('a removed directory that is still open takes no new entries (ENOENT)', async () => {
    const { c } = await setup();
    const d = c.protid(await c.open('d'));
    await c.root.rmdir({ name: 'd' });
    expect(errorOf(await d.attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('ENOENT');
    expect(errorOf(await d.attempt.lookup({ name: 'x', flags: O.WRONLY | O.CREAT, mode: 0o644 }))).toBe('ENOENT');
    expect((await d.readdir({ offset: 0, max: 0 })).entries).toEqual([]);
    expect(errorOf(await d.attempt.lookup({ name: '..', flags: 0, mode: 0 }))).toBe('ENOENT');
  });

  it('rmdir: ENOTEMPTY, ENOTDIR, ENOENT, EINVAL for ".", ENOTEMPTY for ".."', async () => {
    const { c } = await setup();
    expect(errorOf(await c.root.attempt.rmdir({ name: 'full' }))).toBe('ENOTEMPTY');
    expect(errorOf(await c.root.attempt.rmdir({ name: 'f' }))).toBe('ENOTDIR');
    expect(errorOf(await c.root.attempt.rmdir({ name: 'none' }))).toBe('ENOENT');
    const d = c.protid(await c.open('d'));
    expect(errorOf(await d.attempt.rmdir({ name: '.' }))).toBe('EINVAL');
    expect(errorOf(await d.attempt.rmdir({ name: '..' }))).toBe('ENOTEMPTY');
    await c.root.rmdir({ name: 'd' });
    expect(errorOf(await c.root.attempt.lookup({ name: 'd', flags: 0, mode: 0 }))).toBe('ENOENT');
  });

  it('unlink: removes a name; EISDIR for a directory and for "." / ".."; ENOENT', async () => {
    const { c } = await setup();
    await c.root.unlink({ name: 'f' });
    expect(errorOf(await c.root.attempt.lookup({ name: 'f', flags: 0, mode: 0 }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.unlink({ name: 'f' }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.unlink({ name: 'd' }))).toBe('EISDIR');
    expect(errorOf(await c.root.attempt.unlink({ name: '..' }))).toBe('EISDIR');
    expect(errorOf(await c.protid(await c.open('full/x')).attempt.unlink({ name: 'x' }))).toBe('ENOTDIR');
  });
});

describe('rename', () => {
  it('moves within a directory and across directories; replaces a file; same node is a no-op', async () => {
    const { c } = await setup();
    await c.root.rename({ oldName: 'f', newDir: c.rootSlot, newName: 'g', excl: false });
    expect(await c.readFile('g')).toBe('file');
    const d = await c.open('d');
    await c.root.rename({ oldName: 'g', newDir: d, newName: 'h', excl: false });
    expect(await c.readFile('d/h')).toBe('file');
    await c.writeFile('d/other', 'other');
    await c.protid(d).rename({ oldName: 'other', newDir: d, newName: 'h', excl: false });
    expect(await c.readFile('d/h')).toBe('other');
    await c.protid(d).link({ file: await c.open('d/h'), name: 'h2', excl: true });
    await c.protid(d).rename({ oldName: 'h', newDir: d, newName: 'h2', excl: false });
    expect(must(await c.tryOpen('d/h')) > 0).toBe(true);
  });

  it('moves a directory with its contents; ".." follows it', async () => {
    const { c } = await setup();
    const d = await c.open('d');
    await c.root.rename({ oldName: 'full', newDir: d, newName: 'moved', excl: false });
    expect(await c.readFile('d/moved/x')).toBe('x');
    expect(await c.readFile('d/moved/../moved/x')).toBe('x');
    expect((await c.protid(d).stat()).stat.nlink).toBe(3);
  });

  it('EEXIST with excl; ENOTDIR dir onto file; EISDIR file onto dir; ENOTEMPTY; EINVAL into itself; EBUSY for dots', async () => {
    const { c } = await setup();
    const root = c.rootSlot;
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: root, newName: 'd', excl: true }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'd', newDir: root, newName: 'f', excl: false }))).toBe('ENOTDIR');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: root, newName: 'd', excl: false }))).toBe('EISDIR');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'd', newDir: root, newName: 'full', excl: false }))).toBe('ENOTEMPTY');
    const full = await c.open('full');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'full', newDir: full, newName: 'in', excl: false }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.rename({ oldName: '.', newDir: root, newName: 'x', excl: false }))).toBe('EBUSY');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: root, newName: '..', excl: false }))).toBe('EBUSY');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'none', newDir: root, newName: 'x', excl: false }))).toBe('ENOENT');
    const file = await c.open('f');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'd', newDir: file, newName: 'x', excl: false }))).toBe('ENOTDIR');
    // A directory replaces an empty directory.
    await c.root.rename({ oldName: 'full', newDir: root, newName: 'd', excl: false });
    expect(await c.readFile('d/x')).toBe('x');
  });

  it('EXDEV when newDir or the linked file belongs to another server, or is not a protid at all', async () => {
    const { w, c } = await setup();
    const other = await fsWorld({}, { k: w.k });
    const otherRoot = other.fs.install(c.task, { uid: 0, gid: 0 });
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: otherRoot, newName: 'f', excl: false }))).toBe('EXDEV');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: c.authSlot, newName: 'f', excl: false }))).toBe('EXDEV');
    const otherClient = makeClient(w.k, c.task, c.ids, otherRoot, c.authSlot);
    await otherClient.writeFile('there', 'y');
    const there = await otherClient.open('there');
    expect(errorOf(await c.root.attempt.link({ file: there, name: 'hard', excl: true }))).toBe('EXDEV');
    expect(await c.readFile('f')).toBe('file');
  });
});

describe('link and symlink', () => {
  it('link adds a name for the same node (nlink counts); EEXIST; EPERM for a directory', async () => {
    const { c } = await setup();
    const f = await c.open('f');
    await c.root.link({ file: f, name: 'f2', excl: true });
    expect((await c.protid(f).stat()).stat.nlink).toBe(2);
    expect((await c.protid(await c.open('f2')).identity()).ino).toBe((await c.protid(f).identity()).ino);
    expect(errorOf(await c.root.attempt.link({ file: f, name: 'd', excl: true }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.link({ file: await c.open('d'), name: 'dl', excl: true }))).toBe('EPERM');
    await c.root.unlink({ name: 'f' });
    expect(await c.readFile('f2')).toBe('file');
    expect((await c.protid(f).stat()).stat.nlink).toBe(1);
  });

  it('link of an unlinked open file: ENOENT', async () => {
    const { c } = await setup();
    const f = await c.open('f');
    await c.root.unlink({ name: 'f' });
    expect(errorOf(await c.root.attempt.link({ file: f, name: 'back', excl: true }))).toBe('ENOENT');
  });

  it('symlink stores the target as written; EEXIST; ENOENT for an empty target', async () => {
    const { c } = await setup();
    await c.root.symlink({ name: 's', target: '../../nowhere' });
    expect((await c.protid(await c.open('s', O.PATH | O.NOLINK)).readlink()).target).toBe('../../nowhere');
    expect(errorOf(await c.root.attempt.symlink({ name: 'f', target: 'x' }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.symlink({ name: 's2', target: '' }))).toBe('ENOENT');
    expect(errorOf(await c.protid(await c.open('f')).attempt.symlink({ name: 's3', target: 'x' }))).toBe('ENOTDIR');
    expect(errorOf(await c.protid(await c.open('f')).attempt.readlink())).toBe('EINVAL');
  });
});

describe('the rest of the declared errors', () => {
  const long = '€'.repeat(100); // 300 bytes of UTF-8: over NAME_MAX, within the codec's bound

  it('ENAMETOOLONG from every single-name call', async () => {
    const { c } = await setup();
    const f = await c.open('f');
    expect(errorOf(await c.root.attempt.rmdir({ name: long }))).toBe('ENAMETOOLONG');
    expect(errorOf(await c.root.attempt.unlink({ name: long }))).toBe('ENAMETOOLONG');
    expect(errorOf(await c.root.attempt.link({ file: f, name: long, excl: true }))).toBe('ENAMETOOLONG');
    expect(errorOf(await c.root.attempt.symlink({ name: long, target: 'f' }))).toBe('ENAMETOOLONG');
  });

  it('rmdir in a sticky directory: EPERM for another user\'s directory', async () => {
    const { w, c } = await setup();
    await c.root.mkdir({ name: 'shared', mode: 0o1777 });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    await alice.protid(await alice.open('shared')).mkdir({ name: 'hers', mode: 0o755 });
    expect(errorOf(await bob.protid(await bob.open('shared')).attempt.rmdir({ name: 'hers' }))).toBe('EPERM');
    await alice.protid(await alice.open('shared')).rmdir({ name: 'hers' });
  });

  it('link: EACCES without write permission on the directory; ENOTDIR through a file', async () => {
    const { w, c } = await setup();
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    const f = await bob.open('f', O.PATH);
    expect(errorOf(await bob.protid(await bob.open('d')).attempt.link({ file: f, name: 'x', excl: true }))).toBe('EACCES');
    expect(errorOf(await c.protid(await c.open('f')).attempt.link({ file: await c.open('f'), name: 'x', excl: true }))).toBe('ENOTDIR');
  });
});
