// Permission checks with the ids a protid carries (learnt from auth at install or
// reauthentication): owner, group and other bits, root's bypass, search permission on
// every directory of a walk, ownership for chmod / chown / utimes / translators, the
// sticky bit, set-group-id directories, checkAccess and restrictAuth.

import { describe, expect, it } from 'vitest';
import { ACCESS, O, S } from '../../../protocol/fs.ts';
import { errorOf, fsWorld } from './harness.ts';

async function setup() {
  const w = await fsWorld({ root: { mode: 0o755 } });
  const root = w.client('root');
  await root.root.mkdir({ name: 'home', mode: 0o755 });
  await root.root.mkdir({ name: 'pub', mode: 0o777 });
  const home = await root.open('home');
  await root.protid(home).mkdir({ name: 'alice', mode: 0o700 });
  await root.protid(await root.open('home/alice')).chown({ uid: 1000, gid: 100 });
  const alice = w.client('alice', { uid: 1000, gid: 100 });
  const bob = w.client('bob', { uid: 1001, gid: 100 });
  const eve = w.client('eve', { uid: 1002, gid: 200 });
  await alice.writeFile('home/alice/secret', 'alice only', 0o600);
  return { w, root, alice, bob, eve };
}

describe('permission bits', () => {
  it('search permission on every directory of the walk (EACCES), read and write per open mode', async () => {
    const { alice, bob } = await setup();
    expect(await alice.readFile('home/alice/secret')).toBe('alice only');
    expect(errorOf(await bob.tryOpen('home/alice/secret'))).toBe('EACCES');
    expect(errorOf(await bob.tryOpen('home/alice'))).toBe('EACCES');
    // O_PATH needs no read permission, only search on the way.
    expect(errorOf(await alice.tryOpen('home/alice/secret', O.PATH))).toBe('ok');
  });

  it('group and other bits apply in order (owner first, even when it grants less)', async () => {
    const { alice, bob, eve } = await setup();
    await alice.protid(await alice.open('home/alice', O.PATH)).chmod({ mode: 0o755 });
    const f = await alice.open('home/alice/secret', O.PATH);
    await alice.protid(f).chmod({ mode: 0o046 });
    expect(errorOf(await alice.tryOpen('home/alice/secret', O.RDONLY))).toBe('EACCES');
    expect(errorOf(await bob.tryOpen('home/alice/secret', O.RDONLY))).toBe('ok');
    expect(errorOf(await bob.tryOpen('home/alice/secret', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await eve.tryOpen('home/alice/secret', O.RDWR))).toBe('ok');
  });

  it('root bypasses the bits (reads a 000 file, searches a 000 directory)', async () => {
    const { root, alice } = await setup();
    await alice.protid(await alice.open('home/alice/secret', O.PATH)).chmod({ mode: 0 });
    await alice.protid(await alice.open('home/alice', O.PATH)).chmod({ mode: 0 });
    expect(await root.readFile('home/alice/secret')).toBe('alice only');
    const { allowed } = await root.protid(await root.open('home/alice/secret', O.PATH)).checkAccess();
    // Execute only when some execute bit is set, even for root.
    expect(allowed).toBe(ACCESS.R_OK | ACCESS.W_OK);
  });

  it('creating needs write and search on the directory; the new node is the creator\'s', async () => {
    const { root, bob } = await setup();
    expect(errorOf(await bob.tryOpen('home/new', O.WRONLY | O.CREAT, 0o644))).toBe('EACCES');
    expect(errorOf(await bob.root.attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EACCES');
    expect(errorOf(await bob.root.attempt.symlink({ name: 'x', target: 'y' }))).toBe('EACCES');
    const pub = await bob.open('pub');
    await bob.protid(pub).mkdir({ name: 'b', mode: 0o750 });
    const { stat } = await root.protid(await root.open('pub/b')).stat();
    expect([stat.uid, stat.gid, stat.mode]).toEqual([1001, 100, 0o040750]);
  });

  it('removing and renaming need write on the directory', async () => {
    const { root, bob } = await setup();
    await root.writeFile('home/file', 'x');
    expect(errorOf(await bob.protid(await bob.open('home')).attempt.unlink({ name: 'file' }))).toBe('EACCES');
    const pub = await bob.open('pub');
    const home = await bob.open('home');
    expect(errorOf(await bob.protid(home).attempt.rename({ oldName: 'file', newDir: pub, newName: 'f', excl: false }))).toBe('EACCES');
    expect(errorOf(await bob.protid(home).attempt.rmdir({ name: 'alice' }))).toBe('EACCES');
  });
});

describe('ownership', () => {
  it('chmod and utimes: owner or root (EPERM)', async () => {
    const { root, alice, bob } = await setup();
    await alice.protid(await alice.open('home/alice', O.PATH)).chmod({ mode: 0o755 });
    const asBob = bob.protid(await bob.open('home/alice/secret', O.PATH));
    expect(errorOf(await asBob.attempt.chmod({ mode: 0o777 }))).toBe('EPERM');
    expect(errorOf(await asBob.attempt.utimes({ atimeMs: 0, mtimeMs: 0 }))).toBe('EPERM');
    const asAlice = alice.protid(await alice.open('home/alice/secret', O.PATH));
    await asAlice.utimes({ atimeMs: 1000, mtimeMs: 2000 });
    const { stat } = await asAlice.stat();
    expect([stat.atimeMs, stat.mtimeMs]).toEqual([1000, 2000]);
    await root.protid(await root.open('home/alice/secret', O.PATH)).chmod({ mode: 0o644 });
    expect(errorOf(await asAlice.attempt.utimes({ atimeMs: Number.NaN, mtimeMs: 0 }))).toBe('EINVAL');
  });

  it('chown: only root gives a file away; the owner may pick one of its groups', async () => {
    const { w, alice } = await setup();
    const multi = w.client('alice2', { uid: 1000, gid: 100, groups: [300] });
    const f = alice.protid(await alice.open('home/alice/secret', O.PATH));
    expect(errorOf(await f.attempt.chown({ uid: 1001, gid: -1 }))).toBe('EPERM');
    expect(errorOf(await f.attempt.chown({ uid: -1, gid: 300 }))).toBe('EPERM');
    await multi.protid(await multi.open('home/alice/secret', O.PATH)).chown({ uid: -1, gid: 300 });
    expect((await f.stat()).stat.gid).toBe(300);
    await f.chown({ uid: -1, gid: -1 });
    expect(errorOf(await f.attempt.chown({ uid: -2, gid: 0 }))).toBe('EINVAL');
  });

  it('the sticky bit: only the owner of the entry or of the directory (or root) removes it', async () => {
    const { root, alice, bob } = await setup();
    await root.protid(await root.open('pub')).chmod({ mode: 0o777 | S.ISVTX });
    await alice.writeFile('pub/a', 'a');
    const pubBob = bob.protid(await bob.open('pub'));
    expect(errorOf(await pubBob.attempt.unlink({ name: 'a' }))).toBe('EPERM');
    expect(errorOf(await pubBob.attempt.rename({ oldName: 'a', newDir: await bob.open('pub'), newName: 'b', excl: false }))).toBe('EPERM');
    await alice.protid(await alice.open('pub')).unlink({ name: 'a' });
  });

  it('a set-group-id directory gives new nodes its group (and new directories the bit)', async () => {
    const { root, bob } = await setup();
    const pub = root.protid(await root.open('pub'));
    await pub.chown({ uid: 0, gid: 500 });
    await pub.chmod({ mode: 0o777 | S.ISGID });
    await bob.writeFile('pub/f', 'x');
    await bob.protid(await bob.open('pub')).mkdir({ name: 'sub', mode: 0o755 });
    const f = (await bob.protid(await bob.open('pub/f', O.PATH)).stat()).stat;
    const sub = (await bob.protid(await bob.open('pub/sub', O.PATH)).stat()).stat;
    expect(f.gid).toBe(500);
    expect(sub.gid).toBe(500);
    expect(sub.mode & S.ISGID).toBe(S.ISGID);
  });
});

describe('checkAccess and restrictAuth', () => {
  it('checkAccess answers what the ids allow', async () => {
    const { alice, bob } = await setup();
    await alice.protid(await alice.open('home/alice', O.PATH)).chmod({ mode: 0o755 });
    await alice.protid(await alice.open('home/alice/secret', O.PATH)).chmod({ mode: 0o640 });
    expect((await alice.protid(await alice.open('home/alice/secret', O.PATH)).checkAccess()).allowed).toBe(ACCESS.R_OK | ACCESS.W_OK);
    expect((await bob.protid(await bob.open('home/alice/secret', O.PATH)).checkAccess()).allowed).toBe(ACCESS.R_OK);
  });

  it('restrictAuth keeps only ids the protid holds (root may name any); the open is shared', async () => {
    const { root, alice } = await setup();
    const dir = alice.protid(await alice.open('home/alice'));
    const { port } = await dir.restrictAuth({ uids: [0, 1000], gids: [] });
    const r = alice.protid(port);
    expect(errorOf(await r.attempt.lookup({ name: 'secret', flags: O.RDONLY, mode: 0 }))).toBe('ok');
    const { port: none } = await dir.restrictAuth({ uids: [], gids: [] });
    expect(errorOf(await alice.protid(none).attempt.lookup({ name: 'secret', flags: O.RDONLY, mode: 0 }))).toBe('EACCES');
    const { port: asAlice } = await root.root.restrictAuth({ uids: [1000], gids: [100] });
    expect(errorOf(await root.protid(asAlice).attempt.mkdir({ name: 'nope', mode: 0o755 }))).toBe('EACCES');
  });
});
