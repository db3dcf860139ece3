// dir.lookup through raw Protid stubs: the server walks the components itself ("." and
// "..", relative escapes stopping at the root), splices relative symlinks (ELOOP past
// 40), answers MAGICAL "/..." for absolute ones, honours O_NOLINK / O_NOFOLLOW, trailing
// slashes, O_CREAT / O_EXCL / O_TRUNC / O_DIRECTORY, and refuses bad names and flags.

import { describe, expect, it } from 'vitest';
import { O, PATH_MAX } from '../../../protocol/fs.ts';
import { errorOf, fsWorld, must } from './harness.ts';

async function tree() {
  const w = await fsWorld();
  const c = w.client('alice');
  await c.root.mkdir({ name: 'a', mode: 0o755 });
  await c.writeFile('/a/f', 'file a/f');
  await c.root.mkdir({ name: 'b', mode: 0o755 });
  return { w, c };
}

describe('dir.lookup walks the path', () => {
  it('opens a nested file in one call (retry normal, empty retryName)', async () => {
    const { c } = await tree();
    const r = must(await c.root.attempt.lookup({ name: 'a/f', flags: O.RDONLY, mode: 0 }));
    expect(r.retry).toBe('normal');
    expect(r.retryName).toBe('');
    expect(r.port).toBeGreaterThan(0);
    const { data } = await c.protid(r.port!).read({ amount: 100 });
    expect(Buffer.from(data).toString()).toBe('file a/f');
  });

  it('skips empty components and "."; ".." goes up', async () => {
    const { c } = await tree();
    expect(await c.readFile('a//./f')).toBe('file a/f');
    expect(await c.readFile('b/../a/f')).toBe('file a/f');
    expect(await c.readFile('/a/f')).toBe('file a/f');
  });

  it('".." past the root stays at the root', async () => {
    const { c } = await tree();
    expect(await c.readFile('../../../a/f')).toBe('file a/f');
    const root = await c.open('..', O.RDONLY);
    const { stat } = await c.protid(root).stat();
    const { stat: top } = await c.root.stat();
    expect(stat.ino).toBe(top.ino);
  });

  it('an empty name reopens the directory itself', async () => {
    const { c } = await tree();
    const a = await c.open('a', O.RDONLY);
    const again = must(await c.protid(a).attempt.lookup({ name: '', flags: O.RDONLY, mode: 0 }));
    const s1 = (await c.protid(a).stat()).stat;
    const s2 = (await c.protid(again.port!).stat()).stat;
    expect(s2.ino).toBe(s1.ino);
  });

  it('ENOENT for a missing component, ENOTDIR through a file or for a trailing slash on one', async () => {
    const { c } = await tree();
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/nope', flags: 0, mode: 0 }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.lookup({ name: 'nope/f', flags: 0, mode: 0 }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/f/x', flags: 0, mode: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/f/', flags: 0, mode: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/', flags: 0, mode: 0 }))).toBe('ok');
  });

  it('ENOTDIR when the protid is not a directory', async () => {
    const { c } = await tree();
    const f = await c.open('a/f');
    expect(errorOf(await c.protid(f).attempt.lookup({ name: 'x', flags: 0, mode: 0 }))).toBe('ENOTDIR');
  });
});

describe('symlinks', () => {
  it('relative symlinks are followed by the server, relative to their directory', async () => {
    const { c } = await tree();
    await c.root.symlink({ name: 'lf', target: 'a/f' });
    await c.protid(await c.open('b')).symlink({ name: 'up', target: '../a' });
    expect(await c.readFile('lf')).toBe('file a/f');
    expect(await c.readFile('b/up/f')).toBe('file a/f');
  });

  it('an absolute symlink answers MAGICAL with "/target/rest"', async () => {
    const { c } = await tree();
    await c.protid(await c.open('b')).symlink({ name: 'abs', target: '/a' });
    const r = must(await c.root.attempt.lookup({ name: 'b/abs/f', flags: O.RDONLY, mode: 0 }));
    expect(r).toEqual({ retry: 'magical', retryName: '/a/f' });
    expect(await c.readFile('b/abs/f')).toBe('file a/f');
  });

  it('O_NOLINK opens the link itself (readlink, lstat); O_NOFOLLOW refuses it with ELOOP', async () => {
    const { c } = await tree();
    await c.root.symlink({ name: 'lf', target: 'a/f' });
    const l = await c.open('lf', O.PATH | O.NOLINK);
    expect((await c.protid(l).readlink()).target).toBe('a/f');
    const { stat } = await c.protid(l).stat();
    expect(stat.mode & 0o170000).toBe(0o120000);
    expect(stat.size).toBe(3);
    expect(errorOf(await c.root.attempt.lookup({ name: 'lf', flags: O.RDONLY | O.NOFOLLOW, mode: 0 }))).toBe('ELOOP');
    // A trailing slash follows the link even with O_NOLINK.
    await c.root.symlink({ name: 'la', target: 'a' });
    const d = await c.open('la/', O.PATH | O.NOLINK);
    expect((await c.protid(d).stat()).stat.mode & 0o170000).toBe(0o040000);
    // A symlink opened for writing: ELOOP.
    expect(errorOf(await c.root.attempt.lookup({ name: 'lf', flags: O.WRONLY | O.NOLINK, mode: 0 }))).toBe('ELOOP');
  });

  it('loops answer ELOOP after 40 links', async () => {
    const { c } = await tree();
    await c.root.symlink({ name: 'l1', target: 'l2' });
    await c.root.symlink({ name: 'l2', target: 'l1' });
    expect(errorOf(await c.root.attempt.lookup({ name: 'l1', flags: 0, mode: 0 }))).toBe('ELOOP');
    // A chain of 40 is fine, 41 is not.
    await c.root.symlink({ name: 's0', target: 'a/f' });
    for (let i = 1; i <= 40; i++) await c.root.symlink({ name: `s${i}`, target: `s${i - 1}` });
    expect(errorOf(await c.root.attempt.lookup({ name: 's39', flags: 0, mode: 0 }))).toBe('ok');
    expect(errorOf(await c.root.attempt.lookup({ name: 's40', flags: 0, mode: 0 }))).toBe('ELOOP');
  });

  it('a dangling symlink is ENOENT; O_CREAT through it creates the target', async () => {
    const { c } = await tree();
    await c.root.symlink({ name: 'dang', target: 'b/made' });
    expect(errorOf(await c.root.attempt.lookup({ name: 'dang', flags: 0, mode: 0 }))).toBe('ENOENT');
    await c.writeFile('dang', 'through the link');
    expect(await c.readFile('b/made')).toBe('through the link');
    // O_EXCL refuses an existing symlink, even a dangling one.
    await c.root.symlink({ name: 'dang2', target: 'b/none' });
    expect(errorOf(await c.root.attempt.lookup({ name: 'dang2', flags: O.WRONLY | O.CREAT | O.EXCL, mode: 0o644 }))).toBe('EEXIST');
  });

  it('ENAMETOOLONG when a symlink makes the retry name longer than PATH_MAX', async () => {
    const { c } = await tree();
    const long = `/${'x'.repeat(200)}`.repeat(20).slice(0, PATH_MAX - 10);
    await c.root.symlink({ name: 'big', target: long });
    expect(errorOf(await c.root.attempt.lookup({ name: `big/${'y'.repeat(100)}`, flags: 0, mode: 0 }))).toBe('ENAMETOOLONG');
  });
});

describe('open flags', () => {
  it('O_CREAT makes a missing file with the mode given, owned by the caller', async () => {
    const { w, c } = await tree();
    await c.protid(await c.open('b')).chmod({ mode: 0o777 });
    const bob = w.client('bob', { uid: 1000, gid: 100 });
    await bob.writeFile('b/mine', 'x', 0o640);
    const { stat } = await bob.protid(await bob.open('b/mine')).stat();
    expect(stat.mode).toBe(0o100640);
    expect(stat.uid).toBe(1000);
    expect(stat.gid).toBe(100);
  });

  it('O_EXCL: EEXIST when the name exists; O_TRUNC empties; O_DIRECTORY needs a directory', async () => {
    const { c } = await tree();
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/f', flags: O.WRONLY | O.CREAT | O.EXCL, mode: 0o644 }))).toBe('EEXIST');
    expect(errorOf(await c.root.attempt.lookup({ name: 'a/f', flags: O.RDONLY | O.DIRECTORY, mode: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await c.root.attempt.lookup({ name: 'a', flags: O.RDONLY | O.DIRECTORY, mode: 0 }))).toBe('ok');
    const t = await c.open('a/f', O.WRONLY | O.TRUNC);
    expect((await c.protid(t).stat()).stat.size).toBe(0);
  });

  it('EISDIR opening a directory for writing, truncation or creation; reading one gives EISDIR', async () => {
    const { c } = await tree();
    for (const flags of [O.WRONLY, O.RDWR, O.RDONLY | O.TRUNC, O.RDONLY | O.CREAT]) {
      expect(errorOf(await c.root.attempt.lookup({ name: 'a', flags, mode: 0 }))).toBe('EISDIR');
    }
    const d = await c.open('a', O.RDONLY);
    expect(errorOf(await c.protid(d).attempt.read({ amount: 10 }))).toBe('EISDIR');
  });

  it('O_CREAT with a trailing slash on a missing name: EISDIR', async () => {
    const { c } = await tree();
    expect(errorOf(await c.root.attempt.lookup({ name: 'newdir/', flags: O.WRONLY | O.CREAT, mode: 0o644 }))).toBe('EISDIR');
  });

  it('malformed flags answer EINVAL (access mode 3, O_PATH with write, O_CREAT with O_DIRECTORY)', async () => {
    const { c } = await tree();
    for (const flags of [O.ACCMODE, O.PATH | O.WRONLY, O.PATH | O.CREAT, O.CREAT | O.DIRECTORY]) {
      expect(errorOf(await c.root.attempt.lookup({ name: 'a/f', flags, mode: 0o644 }))).toBe('EINVAL');
    }
  });
});
