// The filesystem's control port (fsys): getroot for a user the caller vouches for, with
// the open checks and the ".." it leads to; the --readonly / --writable options (EROFS
// everywhere while read-only, EBUSY switching while files are open for writing); goaway
// (EBUSY while in use, unless forced).

import { describe, expect, it } from 'vitest';
import { O, FSYS_GOAWAY } from '../../../protocol/fs.ts';
import { idsFor } from '../../../servers/auth/auth-server.ts';
import { HostSys } from '../../../core/index.ts';
import { slotsHoldingCopyOf } from '../../world-helpers.ts';
import { errorOf, fsWorld } from './harness.ts';

async function withControl(opts = {}) {
  const w = await fsWorld(opts);
  const c = w.client('admin');
  const ctl = c.fsys(w.fs.installControl(c.task));
  return { w, c, ctl };
}

describe('fsys.getroot', () => {
  it('opens the root for the ids given, with the flags given', async () => {
    const { c, ctl } = await withControl({ root: { mode: 0o750 } });
    const r = await ctl.getroot({ ids: idsFor(1000, 0), flags: O.RDONLY });
    expect(r.retry).toBe('normal');
    expect(r.retryName).toBe('');
    expect(errorOf(await c.protid(r.root).attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EACCES');
    expect(errorOf(await ctl.attempt.getroot({ ids: idsFor(1000, 0), flags: O.WRONLY }))).toBe('EISDIR');
    expect(errorOf(await ctl.attempt.getroot({ ids: idsFor(2000, 2000), flags: O.RDONLY }))).toBe('EACCES');
    expect(errorOf(await ctl.attempt.getroot({ ids: idsFor(0, 0), flags: O.ACCMODE }))).toBe('EINVAL');
  });

  it('".." at the root it opened answers REAUTH with the dotdot port given', async () => {
    const { w, c, ctl } = await withControl();
    const parent = w.fs.install(c.task, { uid: 0, gid: 0 });
    const r = await ctl.getroot({ dotdot: parent, ids: idsFor(0, 0), flags: O.RDONLY });
    await c.protid(r.root).mkdir({ name: 'sub', mode: 0o755 });
    const sub = await c.open('sub', O.RDONLY, 0, r.root);
    const up = await c.protid(sub).lookup({ name: '../../x/y', flags: O.RDONLY, mode: 0 });
    expect(up.retry).toBe('reauth');
    expect(up.retryName).toBe('x/y');
    expect(up.port).toBeGreaterThan(0);
  });

  it('a ".." its giver revoked answers EIO, even when another client\'s cap refills the slot it was kept in; that cap is never handed out or deleted', async () => {
    const { w, c, ctl } = await withControl();
    // ".." on a parent filesystem (another server: a port of this one would come back unwrapped).
    const above = await fsWorld({}, { k: w.k });
    const parent = above.fs.install(c.task, { uid: 0, gid: 0 });
    const r = await ctl.getroot({ dotdot: parent, ids: idsFor(0, 0), flags: O.RDONLY });
    const cOps = new HostSys(w.k, c.task);
    const up = await c.protid(r.root).lookup({ name: '../x', flags: O.RDONLY, mode: 0 });
    expect(up.retry).toBe('reauth');
    expect(cOps.identify(up.port!)?.object).toBe(cOps.identify(parent)?.object);
    c.drop(up.port!);
    const bob = w.client('bob', { uid: 1000, gid: 100 });
    const [kept, ...more] = slotsHoldingCopyOf(c.task, parent, w.fsTask);
    expect(kept).toBeDefined();
    expect(more).toEqual([]);
    // The giver takes its ".." back: the server's copy goes, and its slot is free.
    cOps.revoke(parent);
    const fsOps = new HostSys(w.k, w.fsTask);
    expect(fsOps.identify(kept!)).toBeNull();
    // Another client's port refills the very slot the server kept.
    w.k.grant(bob.task, bob.rootSlot, w.fsTask, { slot: kept! });
    const bobs = fsOps.identify(kept!)!;
    // ".." is gone (as a ".." whose slot emptied): never a copy of bob's port.
    expect(errorOf(await c.protid(r.root).attempt.lookup({ name: '../x', flags: O.RDONLY, mode: 0 }))).toBe('EIO');
    // The root's last user goes: bob's cap stays where it is.
    c.drop(r.root);
    await w.settle();
    expect(fsOps.identify(kept!)?.serial).toBe(bobs.serial);
  });
});

describe('options', () => {
  it('getOptions says --writable or --readonly; unknown options are EINVAL and change nothing', async () => {
    const { ctl } = await withControl();
    expect((await ctl.getOptions()).options).toEqual(['--writable']);
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--readonly', '--bogus'] }))).toBe('EINVAL');
    expect((await ctl.getOptions()).options).toEqual(['--writable']);
    await ctl.setOptions({ options: ['--readonly'] });
    expect((await ctl.getOptions()).options).toEqual(['--readonly']);
  });

  it('read-only: every change answers EROFS; reading still works', async () => {
    const { c, ctl } = await withControl();
    await c.writeFile('f', 'data');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    await ctl.setOptions({ options: ['-r'] });
    const ro = c.protid(await c.open('f', O.RDONLY));
    expect(await c.readFile('f')).toBe('data');
    expect(errorOf(await c.root.attempt.lookup({ name: 'f', flags: O.WRONLY, mode: 0 }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.lookup({ name: 'new', flags: O.WRONLY | O.CREAT, mode: 0o644 }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.mkdir({ name: 'm', mode: 0o755 }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.rmdir({ name: 'd' }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.unlink({ name: 'f' }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.symlink({ name: 's', target: 'f' }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.rename({ oldName: 'f', newDir: c.rootSlot, newName: 'g', excl: false }))).toBe('EROFS');
    expect(errorOf(await c.root.attempt.link({ file: await c.open('f'), name: 'g', excl: true }))).toBe('EROFS');
    expect(errorOf(await ro.attempt.chmod({ mode: 0o600 }))).toBe('EROFS');
    expect(errorOf(await ro.attempt.chown({ uid: 1, gid: 1 }))).toBe('EROFS');
    expect(errorOf(await ro.attempt.utimes({ atimeMs: 1, mtimeMs: 1 }))).toBe('EROFS');
    expect(errorOf(await c.protid(await c.open('f', O.PATH | O.NOTRANS)).attempt.setTranslator({ passive: ['x'], flags: 0 }))).toBe('EROFS');
    await ctl.setOptions({ options: ['--writable'] });
    await c.root.mkdir({ name: 'm', mode: 0o755 });
  });

  it('switching to read-only while a file is open for writing: EBUSY (and write/truncate EROFS once read-only)', async () => {
    const { w, c, ctl } = await withControl();
    await c.writeFile('f', 'data');
    const wr = await c.open('f', O.WRONLY);
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--readonly'] }))).toBe('EBUSY');
    c.drop(wr);
    await w.settle();
    await ctl.setOptions({ options: ['--readonly'] });
    expect((await ctl.getOptions()).options).toEqual(['--readonly']);
  });

  it('syncfs answers at once', async () => {
    const { ctl } = await withControl();
    await ctl.syncfs();
  });
});

describe('fsys.goaway', () => {
  it('EBUSY while clients hold protids; with FORCE it ends, and calls fail instead of hanging', async () => {
    const { w, c, ctl } = await withControl();
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(w.fs.bucket.ended).toBe(true);
    const r = await c.root.attempt.stat();
    expect(r.ok).toBe(false);
  });

  it('with no protid held it goes without FORCE', async () => {
    const w = await fsWorld();
    const admin = w.k.createTask('admin');
    const { makeClient } = await import('./harness.ts');
    const c = makeClient(w.k, admin, idsFor(0, 0), 0, 0);
    const ctl = c.fsys(w.fs.installControl(admin));
    await ctl.goaway({ flags: 0 });
    await w.settle();
    expect(w.fs.bucket.ended).toBe(true);
  });

  it('the instance\'s shutdown asks its translators to go away first, then ends', async () => {
    const { defaultRegistry } = await import('../../../servers/translators/index.ts');
    const w = await fsWorld({ registry: defaultRegistry() });
    const c = w.client('root');
    await c.writeFile('h', '');
    await c.protid(await c.open('h', O.PATH | O.NOTRANS)).setTranslator({ passive: ['hello'], flags: 0 });
    await c.readFile('h');
    const task = [...w.k.tasks.values()].find((t) => t.name === 'fs:hello /h')!;
    const notes = await w.fs.shutdown(true);
    await w.settle();
    expect(task.alive).toBe(false);
    expect(w.fs.bucket.ended).toBe(true);
    expect(notes.some((n) => n.what.includes('capabilities held'))).toBe(true);
  });
});
