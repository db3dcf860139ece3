// The one-node translator library: every call answers "not supported" until the
// translator overrides it (EOPNOTSUPP; ENOTDIR for dir calls on a file node), while the
// library keeps per-open offsets, synthesizes stat and access, checks opens, serves
// getroot / goaway / fsysopts, reauthenticates, and answers ".." at a directory node's
// root with REAUTH. readFrom / writeInto serve io.read / io.write over bytes.

import { describe, expect, it } from 'vitest';
import { ACCESS, FSYS_GOAWAY, O } from '../../../protocol/fs.ts';
import { TranslatorRegistry, type TranslatorFactory } from '../../../servers/fs/translator.ts';
import { readFrom, trivfs, writeInto } from '../../../servers/fs/trivfs.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from './harness.ts';

const bare: TranslatorFactory = (env) => trivfs(env, { name: 'bare', mode: 0o666, allowWrite: true, size: () => 10 });

const note: TranslatorFactory = (env) => {
  let content: Uint8Array = new Uint8Array(0);
  return trivfs(env, {
    name: 'note',
    mode: 0o644,
    allowWrite: true,
    size: () => content.length,
    handlers: {
      read: (ctx, args) => readFrom(ctx, content, args),
      write(ctx, args) {
        const r = writeInto(ctx, content, args);
        if (!('content' in r)) return r;
        content = r.content;
        return { amount: r.amount };
      },
    },
  });
};

const emptyDir: TranslatorFactory = (env) => trivfs(env, { name: 'emptydir', type: 'dir', mode: 0o755 });

const redirect: TranslatorFactory = (env) =>
  trivfs(env, {
    name: 'redirect',
    fsys: {
      getroot(ctx, { dotdot }) {
        if (dotdot === undefined) return ctx.fail('ENOENT');
        ctx.keep(dotdot);
        return { retry: 'magical', retryName: '/target', root: dotdot };
      },
    },
  });

async function mount(name: string, factory: TranslatorFactory, dir = false): Promise<{ w: FsWorld; c: Client }> {
  const w = await fsWorld({ registry: new TranslatorRegistry([[name, factory]]), root: { mode: 0o777 } });
  const c = w.client('root');
  if (dir) await c.root.mkdir({ name: 'n', mode: 0o755 });
  else await c.writeFile('n', '');
  await c.protid(await c.open('n', O.PATH | O.NOTRANS)).setTranslator({ passive: [name], flags: 0 });
  return { w, c };
}

describe('trivfs defaults', () => {
  it('io and file calls answer EOPNOTSUPP, dir calls ENOTDIR, until overridden', async () => {
    const { c } = await mount('bare', bare);
    const f = c.protid(await c.open('n', O.RDWR));
    expect(errorOf(await f.attempt.read({ amount: 1 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x') }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.chmod({ mode: 0 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.truncate({ size: 0 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.readlink())).toBe('EINVAL');
    expect(errorOf(await f.attempt.getTranslator())).toBe('EINVAL');
    expect(errorOf(await f.attempt.getTranslatorCntl())).toBe('ENXIO');
    expect(errorOf(await f.attempt.lookup({ name: 'x', flags: 0, mode: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await f.attempt.readdir({ offset: 0, max: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await f.attempt.mkdir({ name: 'x', mode: 0 }))).toBe('ENOTDIR');
    expect(errorOf(await f.attempt.unlink({ name: 'x' }))).toBe('ENOTDIR');
    await f.sync();
  });

  it('per-open offsets, seek and readable from size(); a duplicate shares the offset', async () => {
    const { c } = await mount('bare', bare);
    const a = c.protid(await c.open('n'));
    const b = c.protid(await c.open('n'));
    await a.seek({ offset: 4, whence: 'set' });
    expect((await a.readable()).amount).toBe(6);
    expect((await b.readable()).amount).toBe(10);
    const dup = c.protid((await a.duplicate()).port);
    expect((await dup.seek({ offset: 0, whence: 'cur' })).offset).toBe(4);
    expect((await a.seek({ offset: -2, whence: 'end' })).offset).toBe(8);
    expect(errorOf(await a.attempt.seek({ offset: -20, whence: 'end' }))).toBe('EINVAL');
    await a.setOpenModes({ flags: O.APPEND });
    expect((await dup.getOpenModes()).flags).toBe(O.RDONLY | O.APPEND);
  });

  it('stat and access are synthesized (owner from the identity it runs as)', async () => {
    const { w, c } = await mount('bare', bare);
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await alice.writeFile('mine', '');
    await alice.protid(await alice.open('mine', O.PATH | O.NOTRANS)).setTranslator({ passive: ['bare'], flags: 0 });
    const { stat } = await alice.protid(await alice.open('mine')).stat();
    expect(stat).toMatchObject({ mode: 0o100666, uid: 1000, gid: 100, size: 10, ino: 1, nlink: 1 });
    expect((await c.protid(await c.open('n')).checkAccess()).allowed).toBe(ACCESS.R_OK | ACCESS.W_OK);
    const id = await c.protid(await c.open('n')).identity();
    expect(id.ino).toBe(1);
    expect(id.dev).not.toBe((await c.root.identity()).dev);
  });

  it('opens are checked: O_DIRECTORY on a file ENOTDIR; writes EROFS unless allowed; bits for users', async () => {
    const hello: TranslatorFactory = (env) => trivfs(env, { name: 'ro', mode: 0o444 });
    const { w, c } = await mount('ro', hello);
    expect(errorOf(await c.tryOpen('n', O.RDONLY | O.DIRECTORY))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('n', O.WRONLY))).toBe('EROFS');
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('n', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await bob.tryOpen('n', O.RDONLY))).toBe('ok');
  });

  it('readFrom / writeInto keep per-open offsets; O_APPEND appends', async () => {
    const { c } = await mount('note', note);
    const f = c.protid(await c.open('n', O.RDWR));
    await f.write({ data: Buffer.from('hello') });
    await f.write({ data: Buffer.from(' world') });
    const g = c.protid(await c.open('n', O.WRONLY | O.APPEND));
    await g.write({ data: Buffer.from('!') });
    const r = c.protid(await c.open('n'));
    expect(Buffer.from((await r.read({ amount: 5 })).data).toString()).toBe('hello');
    expect(Buffer.from((await r.read({ amount: 50 })).data).toString()).toBe(' world!');
    expect(errorOf(await g.attempt.read({ amount: 1 }))).toBe('EBADF');
    expect(errorOf(await r.attempt.write({ data: Buffer.from('x') }))).toBe('EBADF');
  });
});

describe('trivfs directories, reauthentication, control', () => {
  it('a directory node: empty readdir, ENOENT inside, ".." answers REAUTH to the parent', async () => {
    const { c } = await mount('emptydir', emptyDir, true);
    await c.writeFile('beside', 'next door');
    const d = c.protid(await c.open('n'));
    expect((await d.readdir({ offset: 0, max: 0 })).entries).toEqual([]);
    expect(errorOf(await d.attempt.lookup({ name: 'x', flags: 0, mode: 0 }))).toBe('ENOENT');
    expect(errorOf(await d.attempt.read({ amount: 1 }))).toBe('EISDIR');
    expect(errorOf(await d.attempt.write({ data: Buffer.from('x') }))).toBe('EISDIR');
    expect(errorOf(await d.attempt.truncate({ size: 0 }))).toBe('EISDIR');
    expect(errorOf(await d.attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EOPNOTSUPP');
    const up = await d.lookup({ name: '../beside', flags: O.RDONLY, mode: 0 });
    expect(up.retry).toBe('reauth');
    expect(up.retryName).toBe('beside');
    expect(await c.readFile('n/../beside')).toBe('next door');
  });

  it('reauthenticate works on its protids (it got an auth handle for its owner)', async () => {
    const { w, c } = await mount('note', note);
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const port = await alice.open('n', O.RDONLY);
    const again = await alice.reauth(port);
    expect((await alice.protid(again).stat()).stat.size).toBe(0);
    void c;
  });

  it('a translator may answer getroot itself (a magical retry, as a firmlink would)', async () => {
    const { c } = await mount('redirect', redirect);
    await c.writeFile('target', 'redirected');
    expect(await c.readFile('n')).toBe('redirected');
  });

  it('goaway: EBUSY while in use; FORCE or an idle one ends it; fsysopts refuse options by default', async () => {
    const { c } = await mount('bare', bare);
    const held = await c.open('n');
    const ctl = c.fsys((await c.protid(await c.open('n', O.PATH | O.NOTRANS)).getTranslatorCntl()).control);
    expect((await ctl.getOptions()).options).toEqual([]);
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--x'] }))).toBe('EINVAL');
    await ctl.setOptions({ options: [] });
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    expect(errorOf(await c.protid(held).attempt.stat())).not.toBe('ok');
  });
});
