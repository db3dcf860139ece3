// The firmlink translator: lookups through the node continue at the target (absolute
// or relative to the node's directory, a directory or a file, through translators),
// with the client's own permissions on the target; ".." from inside leads to the
// target's parent (the Hurd's quirk); missing targets, a target through itself (ELOOP),
// fsysopts, goaway, and bad arguments.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { FIRMLINK_USAGE, parseFirmlinkArgs, splitTarget } from '../../../servers/translators/index.ts';
import { errorOf } from '../fs/harness.ts';
import { controlOf, mountOn, namesIn, translatorTasks, translatorWorld } from './mount.ts';

async function layout() {
  const w = await translatorWorld();
  const c = w.client('root');
  await c.root.mkdir({ name: 'a', mode: 0o755 });
  await c.protid(await c.open('a')).mkdir({ name: 'b', mode: 0o755 });
  await c.writeFile('a/marker', 'in a');
  await c.writeFile('a/b/f', 'in a/b');
  await c.root.mkdir({ name: 'x', mode: 0o755 });
  await c.writeFile('x/marker', 'in x');
  return { w, c };
}

describe('firmlink', () => {
  it('after in-thread crossings into an active translator, a firmlink started next still reauthenticates (receive windows kept)', async () => {
    const { c } = await layout();
    await mountOn(c, 'a/hello', ['hello']);
    // Cross into the now-active hello twice (in-thread getroot on the server's worker).
    c.drop(await c.open('a/hello', O.RDONLY));
    c.drop(await c.open('a/hello', O.RDONLY));
    await mountOn(c, 'x/link', ['firmlink', '/a']);
    expect(await c.readFile('x/link/marker')).toBe('in a');
  });

  it('an absolute target: names below the node are found in the target', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/link', ['firmlink', '/a/b']);
    expect(await c.readFile('x/link/f')).toBe('in a/b');
    expect(await namesIn(c, 'x/link')).toEqual(['f']);
    // The port is the target's own: same identity.
    const via = (await c.protid(await c.open('x/link')).identity());
    expect(via).toEqual(await c.protid(await c.open('a/b')).identity());
  });

  it('a relative target is taken from the directory holding the node', async () => {
    const { c } = await layout();
    await c.protid(await c.open('x')).mkdir({ name: 'b', mode: 0o755 });
    await c.writeFile('x/b/f', 'in x/b');
    await mountOn(c, 'x/link', ['firmlink', 'b']);
    expect(await c.readFile('x/link/f')).toBe('in x/b');
    await mountOn(c, 'x/up', ['firmlink', '../a/b/f']);
    expect(await c.readFile('x/up')).toBe('in a/b');
  });

  it('a file target: reading and stat of the node are the target\'s; writes reach it', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/file', ['firmlink', '/a/b/f']);
    expect(await c.readFile('x/file')).toBe('in a/b');
    expect((await c.protid(await c.open('x/file')).stat()).stat.ino).toBe((await c.protid(await c.open('a/b/f')).stat()).stat.ino);
    await c.writeFile('x/file', 'written through');
    expect(await c.readFile('a/b/f')).toBe('written through');
    expect(errorOf(await c.tryOpen('x/file/more'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('x/file', O.RDONLY | O.DIRECTORY))).toBe('ENOTDIR');
  });

  it('".." inside the target leads to the target\'s parent, not back to the node\'s directory', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/link', ['firmlink', '/a/b']);
    expect(await c.readFile('x/link/../marker')).toBe('in a');
    expect(await c.readFile('x/marker')).toBe('in x');
  });

  it('the client opens the target with its own ids: bob cannot read a 0600 file through it', async () => {
    const { w, c } = await layout();
    await c.writeFile('a/b/secret', 'root only', 0o600);
    await mountOn(c, 'x/link', ['firmlink', '/a/b']);
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(await bob.readFile('x/link/f')).toBe('in a/b');
    expect(errorOf(await bob.tryOpen('x/link/secret'))).toBe('EACCES');
    expect(errorOf(await bob.tryOpen('x/link/f', O.WRONLY))).toBe('EACCES');
  });

  it('the directories above the target\'s own are searched as the owner: alice\'s link reaches past her 0700 home for bob', async () => {
    const w = await translatorWorld();
    const root = w.client('root');
    await root.root.mkdir({ name: 'home', mode: 0o755 });
    await root.root.mkdir({ name: 'shared', mode: 0o777 });
    await root.protid(await root.open('home')).mkdir({ name: 'alice', mode: 0o700 });
    await root.protid(await root.open('home/alice', O.PATH)).chown({ uid: 1000, gid: 100 });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await alice.protid(await alice.open('home/alice')).mkdir({ name: 'pub', mode: 0o755 });
    await alice.protid(await alice.open('home/alice/pub')).mkdir({ name: 'inner', mode: 0o755 });
    await alice.writeFile('home/alice/pub/inner/note', 'shared');
    await mountOn(alice, 'shared/link', ['firmlink', '/home/alice/pub/inner']);
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('home/alice/pub/inner/note'))).toBe('EACCES');
    expect(await bob.readFile('shared/link/note')).toBe('shared');
    // The target's own directory is searched with bob's ids: a 0700 one stops him.
    await alice.protid(await alice.open('home/alice/pub', O.PATH)).chmod({ mode: 0o700 });
    expect(errorOf(await bob.tryOpen('shared/link/note'))).toBe('EACCES');
  });

  it('the target may be a translated node; its translator runs for the client', async () => {
    const { c } = await layout();
    await mountOn(c, 'a/hi', ['hello']);
    await mountOn(c, 'x/link', ['firmlink', '/a/hi']);
    expect(await c.readFile('x/link')).toBe('Hello, world!\n');
  });

  it('a missing target answers ENOENT; once it exists the link leads there', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/link', ['firmlink', '/later/dir']);
    expect(errorOf(await c.tryOpen('x/link'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen('x/link/f'))).toBe('ENOENT');
    await c.root.mkdir({ name: 'later', mode: 0o755 });
    expect(errorOf(await c.tryOpen('x/link'))).toBe('ENOENT');
    await c.protid(await c.open('later')).mkdir({ name: 'dir', mode: 0o755 });
    await c.writeFile('later/dir/f', 'arrived');
    expect(await c.readFile('x/link/f')).toBe('arrived');
  });

  it('a target through the link itself is cut off: ELOOP, and the link keeps serving', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/self', ['firmlink', 'self']);
    expect(errorOf(await c.tryOpen('x/self'))).toBe('ELOOP');
    await mountOn(c, 'x/deep', ['firmlink', '/x/deep/below']);
    expect(errorOf(await c.tryOpen('x/deep'))).toBe('ELOOP');
    const ctl = await controlOf(c, 'x/self').catch(() => null);
    expect(ctl).toBeNull();
    const node = await c.open('x/deep', O.PATH | O.NOTRANS);
    const deep = c.fsys((await c.protid(node).getTranslatorCntl()).control);
    await deep.setOptions({ options: ['/a'] });
    expect(await c.readFile('x/deep/marker')).toBe('in a');
  });

  it('O_NOTRANS opens the node itself', async () => {
    const { c } = await layout();
    await mountOn(c, 'x/link', ['firmlink', '/a'], { text: 'the node' });
    const raw = c.protid(await c.open('x/link', O.RDONLY | O.NOTRANS));
    expect(Buffer.from((await raw.read({ amount: 100 })).data).toString()).toBe('the node');
    expect((await raw.getTranslator()).argv).toEqual(['firmlink', '/a']);
  });

  it('fsysopts reports and changes the target; goaway ends it (it holds no opens of its own), and the opens made through it', async () => {
    const { w, c } = await layout();
    await mountOn(c, 'x/link', ['firmlink', '/a']);
    const ctl = await controlOf(c, 'x/link');
    expect((await ctl.getOptions()).options).toEqual(['/a']);
    await ctl.setOptions({ options: ['/a/b'] });
    expect(await c.readFile('x/link/f')).toBe('in a/b');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['one', 'two'] }))).toBe('EINVAL');
    const held = await c.open('x/link/f');
    const task = translatorTasks(w, 'firmlink')[0]!;
    await ctl.goaway({ flags: 0 });
    await w.settle();
    expect(task.alive).toBe(false);
    // An open made through it is the target's, but the parent's bucket counts it as the
    // firmlink's (it came from the port the firmlink was given): it ends with the firmlink.
    expect(errorOf(await c.protid(held).attempt.read({ amount: 100 }))).toBe('EBADF');
    // Restarted from the passive setting: the target set at run time is gone.
    expect(await c.readFile('x/link/marker')).toBe('in a');
  });

  it('bad arguments fail the start with a clear message; the lookup answers EIO', async () => {
    expect(parseFirmlinkArgs([])).toBe(`expected one TARGET, got 0 arguments; ${FIRMLINK_USAGE}`);
    expect(parseFirmlinkArgs(['a', 'b'])).toMatch(/^expected one TARGET, got 2/);
    expect(parseFirmlinkArgs([''])).toBe(`an empty TARGET; ${FIRMLINK_USAGE}`);
    const { w, c } = await layout();
    for (const argv of [['firmlink'], ['firmlink', '/a', '/b'], ['firmlink', '']]) {
      await mountOn(c, 'bad', argv);
      expect(errorOf(await c.tryOpen('bad'))).toBe('EIO');
      expect(errorOf(await c.tryOpen('bad/x'))).toBe('EIO');
      await c.root.unlink({ name: 'bad' });
    }
    expect(translatorTasks(w)).toHaveLength(0);
  });

  it('splitTarget: the directory the translator opens and the name the client continues with', () => {
    expect(splitTarget('/a/b', false)).toEqual({ dir: '/a', name: 'b' });
    expect(splitTarget('/a', false)).toEqual({ dir: '/', name: 'a' });
    expect(splitTarget('/', false)).toEqual({ dir: '/', name: '' });
    expect(splitTarget('b', false)).toEqual({ dir: '.', name: 'b' });
    expect(splitTarget('../a/b/', false)).toEqual({ dir: '../a', name: 'b/' });
    expect(splitTarget('a/b', true)).toEqual({ dir: 'a', name: 'b/' });
    expect(splitTarget('a/..', false)).toEqual({ dir: 'a/..', name: '' });
  });
});
