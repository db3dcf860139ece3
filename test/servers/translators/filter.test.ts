// The filter translator: a transformed view of a file (absolute or relative source) or,
// on a directory, of a whole tree; live reads, per-open offsets, rot13 writing through,
// EROFS for the lossy modes, EISDIR / ENOTDIR / ENOENT / EACCES in the tree, a source
// that leads back into the filter (ELOOP), fsysopts, goaway, and bad arguments.

import { describe, expect, it } from 'vitest';
import { FSYS_GOAWAY, O } from '../../../protocol/fs.ts';
import { FILTER_USAGE, parseFilterArgs, transformBytes } from '../../../servers/translators/index.ts';
import { errorOf } from '../fs/harness.ts';
import { controlOf, mountOn, namesIn, text, translatorTasks, translatorWorld } from './mount.ts';

describe('filter on a file', () => {
  it('--upper shows the source (absolute path) upper-cased, read at every call', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'Hello, World!\n');
    await mountOn(c, 'view', ['filter', '--upper', '/src']);
    expect(await c.readFile('view')).toBe('HELLO, WORLD!\n');
    await c.writeFile('src', 'changed underneath\n');
    expect(await c.readFile('view')).toBe('CHANGED UNDERNEATH\n');
    expect(await c.readFile('src')).toBe('changed underneath\n');
  });

  it('a relative source is taken from the directory holding the node; --lower', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    await c.writeFile('d/src', 'MiXeD Case');
    await c.writeFile('src', 'the wrong one');
    await mountOn(c, 'd/view', ['filter', '--lower', 'src']);
    expect(await c.readFile('d/view')).toBe('mixed case');
  });

  it('per-open offsets, pread, and stat: the source\'s size and times, the node\'s mode and owner', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'abcdefghij');
    await mountOn(c, 'view', ['filter', '--upper', 'src'], { mode: 0o640 });
    const a = c.protid(await c.open('view'));
    const b = c.protid(await c.open('view'));
    expect(text((await a.read({ amount: 3 })).data)).toBe('ABC');
    expect(text((await b.read({ amount: 5 })).data)).toBe('ABCDE');
    expect(text((await a.read({ amount: 100 })).data)).toBe('DEFGHIJ');
    expect((await a.read({ amount: 100 })).data.length).toBe(0);
    expect(text((await b.read({ amount: 2, offset: 8 })).data)).toBe('IJ');
    const { stat } = await a.stat();
    expect(stat.size).toBe(10);
    expect(stat.mode).toBe(0o100640);
    expect((await b.seek({ offset: -4, whence: 'end' })).offset).toBe(6);
  });

  it('bytes other than ASCII letters pass through unchanged (lengths kept)', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'déjà vu, 1-2-3\n');
    await mountOn(c, 'view', ['filter', '--upper', 'src']);
    expect(await c.readFile('view')).toBe('DéJà VU, 1-2-3\n');
    expect(text(transformBytes('rot13', Buffer.from('Uryyb, 13!')))).toBe('Hello, 13!');
  });

  it('--upper and --lower are read-only: EROFS for an open for writing (root), EACCES without write permission', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'x');
    await mountOn(c, 'view', ['filter', '--upper', 'src'], { mode: 0o644 });
    expect(errorOf(await c.tryOpen('view', O.WRONLY))).toBe('EROFS');
    expect(errorOf(await c.tryOpen('view', O.RDWR | O.TRUNC))).toBe('EROFS');
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('view', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await c.protid(await c.open('view')).attempt.write({ data: Buffer.from('y') }))).toBe('EBADF');
    expect(await c.readFile('src')).toBe('x');
  });

  it('--rot13 writes through: writes, pwrite, O_APPEND, O_TRUNC and truncate reach the source rot13\'d back', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'Uryyb');
    await mountOn(c, 'view', ['filter', '--rot13', 'src']);
    expect(await c.readFile('view')).toBe('Hello');
    const f = c.protid(await c.open('view', O.RDWR));
    await f.seek({ offset: 0, whence: 'end' });
    await f.write({ data: Buffer.from(', world') });
    expect(await c.readFile('src')).toBe('Uryyb, jbeyq');
    await f.write({ data: Buffer.from('W'), offset: 7 });
    expect(await c.readFile('view')).toBe('Hello, World');
    await f.truncate({ size: 5 });
    expect(await c.readFile('src')).toBe('Uryyb');
    const app = c.protid(await c.open('view', O.WRONLY | O.APPEND));
    await app.write({ data: Buffer.from('!') });
    expect(await c.readFile('view')).toBe('Hello!');
    await c.writeFile('view', 'New text');
    expect(await c.readFile('src')).toBe('Arj grkg');
    expect((await c.protid(await c.open('view')).stat()).stat.size).toBe(8);
  });

  it('a missing source: reads answer ENOENT; once it exists the view shows it', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'view', ['filter', '--upper', '/later']);
    const v = c.protid(await c.open('view'));
    expect(errorOf(await v.attempt.read({ amount: 10 }))).toBe('ENOENT');
    await c.writeFile('later', 'here now');
    expect(text((await v.read({ amount: 10 })).data)).toBe('HERE NOW');
  });

  it('a directory source on a file node: reads answer EISDIR', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.root.mkdir({ name: 'dir', mode: 0o755 });
    await mountOn(c, 'view', ['filter', '--upper', '/dir']);
    expect(errorOf(await c.protid(await c.open('view')).attempt.read({ amount: 10 }))).toBe('EISDIR');
    expect(errorOf(await c.tryOpen('view/x'))).toBe('ENOTDIR');
  });

  it('the source may be a translated node (filter over hello)', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'hi', ['hello']);
    await mountOn(c, 'view', ['filter', '--upper', 'hi']);
    expect(await c.readFile('view')).toBe('HELLO, WORLD!\n');
  });

  it('a source leading back into the filter answers ELOOP, and the filter keeps serving', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'self', ['filter', '--upper', 'self']);
    const v = c.protid(await c.open('self'));
    expect(errorOf(await v.attempt.read({ amount: 10 }))).toBe('ELOOP');
    const ctl = await controlOf(c, 'self');
    await c.writeFile('other', 'fine');
    await ctl.setOptions({ options: ['other'] });
    expect(text((await v.read({ amount: 10 })).data)).toBe('FINE');
  });
});

describe('filter on a directory: the whole tree', () => {
  async function tree() {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.root.mkdir({ name: 'src', mode: 0o755 });
    await c.writeFile('src/a.txt', 'alpha');
    await c.protid(await c.open('src')).mkdir({ name: 'sub', mode: 0o755 });
    await c.writeFile('src/sub/b.txt', 'beta');
    await c.protid(await c.open('src')).symlink({ name: 'link', target: 'sub/b.txt' });
    await c.writeFile('src/secret', 'hidden', 0o600);
    await mountOn(c, 'view', ['filter', '--upper', '/src'], { dir: true });
    return { w, c };
  }

  it('lists the source\'s entries with their types and reads every file transformed', async () => {
    const { c } = await tree();
    const { entries } = await c.protid(await c.open('view')).readdir({ offset: 0, max: 0 });
    expect(entries.map((e) => e.name)).toEqual(await namesIn(c, 'src'));
    expect(entries.map((e) => `${e.name}:${e.type}`).sort()).toEqual(['a.txt:file', 'link:symlink', 'secret:file', 'sub:dir']);
    expect(await c.readFile('view/a.txt')).toBe('ALPHA');
    expect(await c.readFile('view/sub/b.txt')).toBe('BETA');
    expect(await c.readFile('view/link')).toBe('BETA');
    expect((await c.protid(await c.open('view/link', O.PATH | O.NOLINK)).readlink()).target).toBe('sub/b.txt');
    expect((await c.protid(await c.open('view/sub/b.txt')).stat()).stat.size).toBe(4);
  });

  it('live: files and entries added to the source show at the next lookup', async () => {
    const { c } = await tree();
    expect(await namesIn(c, 'view/sub')).toEqual(['b.txt']);
    await c.writeFile('src/sub/c.txt', 'gamma');
    expect(await namesIn(c, 'view/sub')).toEqual(['b.txt', 'c.txt']);
    expect(await c.readFile('view/sub/c.txt')).toBe('GAMMA');
  });

  it('permissions are the source\'s: bob cannot read a 0600 file through the view', async () => {
    const { w, c } = await tree();
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(await bob.readFile('view/a.txt')).toBe('ALPHA');
    expect(errorOf(await bob.tryOpen('view/secret'))).toBe('EACCES');
    expect(await c.readFile('view/secret')).toBe('HIDDEN');
  });

  it('EISDIR reading a directory, ENOTDIR below a file, ENOENT for a missing name, EROFS writing', async () => {
    const { c } = await tree();
    expect(errorOf(await c.protid(await c.open('view/sub')).attempt.read({ amount: 1 }))).toBe('EISDIR');
    expect(errorOf(await c.tryOpen('view/a.txt/x'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('view/nope'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen('view/a.txt', O.WRONLY))).toBe('EROFS');
    expect(errorOf(await c.tryOpen('view/new', O.WRONLY | O.CREAT))).toBe('EROFS');
    expect(errorOf(await c.protid(await c.open('view')).attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EOPNOTSUPP');
  });

  it('".." at the top of the view leads back to the directory holding it', async () => {
    const { c } = await tree();
    await c.writeFile('beside', 'next door');
    expect(await c.readFile('view/sub/../../beside')).toBe('next door');
  });

  it('--rot13 writes through files of the tree', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.root.mkdir({ name: 'src', mode: 0o755 });
    await c.writeFile('src/n', 'Uryyb');
    await mountOn(c, 'view', ['filter', '--rot13', 'src'], { dir: true });
    await c.writeFile('view/n', 'Goodbye');
    expect(await c.readFile('src/n')).toBe('Tbbqolr');
    expect(await c.readFile('view/n')).toBe('Goodbye');
  });

  it('a tree view whose source is its own node shows nothing (the source leads back into it)', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'loop', ['filter', '--upper', 'loop'], { dir: true });
    expect(await namesIn(c, 'loop')).toEqual([]);
    expect(errorOf(await c.tryOpen('loop/x'))).toBe('ENOENT');
  });

  it('a tree view inside its own source terminates: each level is one more lookup through the parent', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.root.mkdir({ name: 'src', mode: 0o755 });
    await c.writeFile('src/f', 'deep');
    await mountOn(c, 'src/view', ['filter', '--upper', '/src'], { dir: true });
    expect(await c.readFile('src/view/f')).toBe('DEEP');
    expect(await c.readFile('src/view/view/f')).toBe('DEEP');
  });
});

describe('filter control and bad input', () => {
  it('fsysopts: reports the mode and source, switches the mode, refuses bad options (EINVAL)', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'Some Text');
    await mountOn(c, 'view', ['filter', '--upper', 'src']);
    const ctl = await controlOf(c, 'view');
    expect((await ctl.getOptions()).options).toEqual(['--upper', 'src']);
    await ctl.setOptions({ options: ['--lower'] });
    expect(await c.readFile('view')).toBe('some text');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--sideways'] }))).toBe('EINVAL');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['a', 'b'] }))).toBe('EINVAL');
    expect((await ctl.getOptions()).options).toEqual(['--lower', 'src']);
  });

  it('goaway: EBUSY while a view is open; then it ends, and the next access starts it again', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await c.writeFile('src', 'abc');
    await mountOn(c, 'view', ['filter', '--upper', 'src']);
    const held = await c.open('view');
    const ctl = await controlOf(c, 'view');
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    const task = translatorTasks(w, 'filter')[0]!;
    c.drop(held);
    await w.settle();
    await ctl.goaway({ flags: 0 });
    await w.settle();
    expect(task.alive).toBe(false);
    expect(await c.readFile('view')).toBe('ABC');
    expect(translatorTasks(w, 'filter')).toHaveLength(1);
    await (await controlOf(c, 'view')).goaway({ flags: FSYS_GOAWAY.FORCE });
  });

  it('bad arguments fail the start with a clear message; the lookup answers EIO, no task is left', async () => {
    expect(parseFilterArgs(['--upper'])).toBe(`no source; ${FILTER_USAGE}`);
    expect(parseFilterArgs(['/src'])).toBe(`no mode; ${FILTER_USAGE}`);
    expect(parseFilterArgs(['--upper', 'a', 'b'])).toMatch(/^more than one source/);
    expect(parseFilterArgs(['--sideways', 'a'])).toMatch(/^unknown option "--sideways"/);
    expect(parseFilterArgs(['--upper', '--', '-odd-name'])).toEqual({ mode: 'upper', source: '-odd-name' });
    expect(parseFilterArgs(['--upper', '--rot13', 'x'])).toEqual({ mode: 'rot13', source: 'x' });
    const w = await translatorWorld();
    const c = w.client('root');
    for (const argv of [['filter'], ['filter', '--upper'], ['filter', 'src'], ['filter', '--nope', 'src'], ['filter', '--upper', 'a', 'b']]) {
      await mountOn(c, 'bad', argv);
      expect(errorOf(await c.tryOpen('bad'))).toBe('EIO');
      await c.root.unlink({ name: 'bad' });
    }
    expect(translatorTasks(w)).toHaveLength(0);
  });
});
