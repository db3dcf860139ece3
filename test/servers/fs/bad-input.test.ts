// Bad input is never a bug: paths with NUL bytes, empty and huge components, escapes past
// the root, wrong flags, offsets and sizes out of range, foreign caps, and raw messages
// that bypass the client codec (unknown opcodes, missing items, oversized strings) all
// get a clear error; the server keeps serving, reports no bug, and the volume is intact.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEVER, Status, type Sys, type SysGen } from '../../../core/index.ts';
import { ERRNO, HEADER_WORDS } from '../../../libcap/index.ts';
import { NAME_MAX, O, PATH_MAX, Protid } from '../../../protocol/fs.ts';
import { collectBugs, errorOf, fsWorld, type Client, type FsWorld } from './harness.ts';

let bugs: ReturnType<typeof collectBugs>;
beforeEach(() => {
  bugs = collectBugs();
});
afterEach(() => {
  bugs.restore();
  expect(bugs.list).toEqual([]);
});

async function populated(): Promise<{ w: FsWorld; c: Client; snapshot: () => unknown }> {
  const w = await fsWorld();
  const c = w.client('alice');
  await c.root.mkdir({ name: 'd', mode: 0o755 });
  await c.writeFile('d/f', 'keep me');
  await c.root.symlink({ name: 'l', target: 'd/f' });
  return { w, c, snapshot: () => w.fs.volume.toJSON() };
}

/** A raw call from a thread of `c`'s task: label, words after the header, string items. */
async function raw(w: FsWorld, c: Client, label: number, words: number[], items: (string | Uint8Array)[] = []): Promise<{ status: number; label: number }> {
  return w.k.exec(c.task, function* (sys: Sys): SysGen<{ status: number; label: number }> {
    const u = sys.utcb;
    const all = [sys.threadId, 7, ...words];
    all.forEach((x, i) => (u.mr[i] = x));
    items.forEach((it, i) => (u.items[i] = it));
    u.grantMask = 0;
    const st: number = yield sys.call(c.rootSlot, label, all.length, 0, items.length, NEVER, NEVER);
    return { status: st, label: u.label };
  });
}

describe('paths and names', () => {
  it('NUL bytes: EINVAL in lookups, names and symlink targets', async () => {
    const { c, snapshot } = await populated();
    const before = snapshot();
    expect(errorOf(await c.root.attempt.lookup({ name: 'd/\0f', flags: 0, mode: 0 }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.mkdir({ name: 'a\0b', mode: 0o755 }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.unlink({ name: 'l\0' }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.symlink({ name: 's', target: 'x\0y' }))).toBe('EINVAL');
    expect(snapshot()).toEqual(before);
  });

  it('empty components are skipped; an empty name is ENOENT for single-name calls', async () => {
    const { c } = await populated();
    expect(await c.readFile('//d///f')).toBe('keep me');
    expect(errorOf(await c.root.attempt.unlink({ name: '' }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.rmdir({ name: '' }))).toBe('ENOENT');
  });

  it('a component of NAME_MAX bytes is fine; longer is ENAMETOOLONG; a longer path than PATH_MAX is refused before the handler', async () => {
    const { c } = await populated();
    expect(errorOf(await c.root.attempt.lookup({ name: 'x'.repeat(NAME_MAX), flags: 0, mode: 0 }))).toBe('ENOENT');
    expect(errorOf(await c.root.attempt.lookup({ name: `d/${'x'.repeat(NAME_MAX + 1)}`, flags: 0, mode: 0 }))).toBe('ENAMETOOLONG');
    expect(errorOf(await c.root.attempt.lookup({ name: 'x/'.repeat(PATH_MAX), flags: 0, mode: 0 }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'l', newDir: c.rootSlot, newName: 'é'.repeat(200), excl: false }))).toBe('ENAMETOOLONG');
  });

  it('".." past the root of the server stays at the root, however many', async () => {
    const { c } = await populated();
    expect(await c.readFile(`${'../'.repeat(100)}d/f`)).toBe('keep me');
    expect(await c.readFile('d/../../../d/./f')).toBe('keep me');
  });
});

describe('flags, offsets and sizes', () => {
  it('wrong open flags, offsets and sizes: EINVAL, nothing changed', async () => {
    const { c, snapshot } = await populated();
    const before = snapshot();
    expect(errorOf(await c.root.attempt.lookup({ name: 'd/f', flags: O.ACCMODE | O.TRUNC, mode: 0 }))).toBe('EINVAL');
    const f = c.protid(await c.open('d/f', O.RDWR));
    expect(errorOf(await f.attempt.read({ amount: 4, offset: Number.NaN }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x'), offset: -5 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.write({ data: Buffer.from('x'), offset: Number.POSITIVE_INFINITY }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.seek({ offset: 2 ** 60, whence: 'set' }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.truncate({ size: -1 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.truncate({ size: 0.5 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.chown({ uid: -7, gid: 0 }))).toBe('EINVAL');
    expect(snapshot()).toEqual(before);
  });

  it('reads past the end are empty, at any offset', async () => {
    const { c } = await populated();
    const f = c.protid(await c.open('d/f'));
    expect((await f.read({ amount: 1 << 20, offset: 2 ** 52 })).data.length).toBe(0);
    await f.seek({ offset: 1000, whence: 'set' });
    expect((await f.read({ amount: 10 })).data.length).toBe(0);
  });

  it('a truncate through a read-only open is EINVAL (as ftruncate); through a directory EISDIR', async () => {
    const { c } = await populated();
    expect(errorOf(await c.protid(await c.open('d/f')).attempt.truncate({ size: 0 }))).toBe('EINVAL');
    expect(errorOf(await c.root.attempt.truncate({ size: 0 }))).toBe('EISDIR');
    expect(await c.readFile('d/f')).toBe('keep me');
  });

  it('a passive setting with a NUL byte or too long: EINVAL', async () => {
    const { c } = await populated();
    const n = c.protid(await c.open('d/f', O.PATH | O.NOTRANS));
    expect(errorOf(await n.attempt.setTranslator({ passive: ['he\0llo'], flags: 0 }))).toBe('EINVAL');
    expect(errorOf(await n.attempt.setTranslator({ passive: Array.from({ length: 64 }, () => 'x'.repeat(100)), flags: 0 }))).toBe('EINVAL');
  });
});

describe('raw messages', () => {
  it('an unknown opcode: ENOSYS; missing or wrong items: EINVAL; the server keeps serving', async () => {
    const { w, c, snapshot } = await populated();
    const before = snapshot();
    const lookup = Protid.methods.lookup.op;
    expect(await raw(w, c, 1999, [])).toEqual({ status: Status.Ok, label: ERRNO.ENOSYS });
    // lookup without its name item.
    expect(await raw(w, c, lookup, [0, 0])).toEqual({ status: Status.Ok, label: ERRNO.EINVAL });
    // lookup with bytes where a string goes.
    expect(await raw(w, c, lookup, [0, 0], [new Uint8Array([1, 2])])).toEqual({ status: Status.Ok, label: ERRNO.EINVAL });
    // A message shorter than the header.
    const short = await w.k.exec(c.task, function* (sys: Sys): SysGen<number> {
      yield sys.call(c.rootSlot, lookup, 1, 0, 0, NEVER, NEVER);
      return sys.utcb.label;
    });
    expect(short).toBe(ERRNO.EINVAL);
    expect(HEADER_WORDS).toBe(2);
    expect(await c.readFile('d/f')).toBe('keep me');
    expect(snapshot()).toEqual(before);
  });

  it('a cap argument that is not a protid of this server: EXDEV (rename, link)', async () => {
    const { w, c } = await populated();
    const notif = w.k.createNotification(c.task);
    expect(errorOf(await c.root.attempt.rename({ oldName: 'l', newDir: notif, newName: 'x', excl: false }))).toBe('EXDEV');
    expect(errorOf(await c.root.attempt.link({ file: c.authSlot, name: 'x', excl: false }))).toBe('EXDEV');
  });
});
