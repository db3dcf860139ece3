// io.reauthenticate: the server meets auth on the client's rendezvous cap and makes a
// new protid on the same open carrying the ids auth reports (never ids the client
// names); a request on the new port never runs before those ids are known; a
// rendezvous the user never completes ends with the new port revoked.

import { describe, expect, it } from 'vitest';
import { HostSys, type Sys, type SysGen } from '../../../core/index.ts';
import { stub } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { O, Protid } from '../../../protocol/fs.ts';
import { slotsHoldingCopyOf } from '../../world-helpers.ts';
import { errorOf, fsWorld, makeClient } from './harness.ts';

describe('io.reauthenticate', () => {
  it('the new port carries the ids auth reports and shares the open (offset)', async () => {
    const w = await fsWorld();
    const root = w.client('root');
    await root.writeFile('f', '0123456789');
    await root.root.mkdir({ name: 'private', mode: 0o700 });
    // Alice's task holds a protid made for root (handed over), and her own auth handle.
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const rootsPort = w.fs.install(alice.task, { uid: 0, gid: 0 });
    expect(errorOf(await alice.protid(rootsPort).attempt.lookup({ name: 'private', flags: O.RDONLY, mode: 0 }))).toBe('ok');
    const mine = await alice.reauth(rootsPort);
    expect(errorOf(await alice.protid(mine).attempt.lookup({ name: 'private', flags: O.RDONLY, mode: 0 }))).toBe('EACCES');
    // Same open: the offset moves for both.
    const f = await alice.open('f', O.RDONLY, 0, rootsPort);
    await alice.protid(f).read({ amount: 4 });
    const f2 = await alice.reauth(f);
    expect(Buffer.from((await alice.protid(f2).read({ amount: 2 })).data).toString()).toBe('45');
  });

  it('a request sent on the new port at once (same thread, no host turn) runs with the new ids', async () => {
    const w = await fsWorld();
    const root = w.client('root');
    await root.root.mkdir({ name: 'home', mode: 0o700 });
    await root.protid(await root.open('home', O.PATH)).chown({ uid: 1000, gid: 100 });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const rootsPort = w.fs.install(alice.task, { uid: 0, gid: 0 });
    const result = await w.k.exec(alice.task, function* (sys: Sys): SysGen<string> {
      const home = yield* stub(Protid, sys, rootsPort).lookup({ name: 'home', flags: O.RDONLY, mode: 0 });
      if (!home.ok || home.value.port === undefined) return 'no home';
      const auth = stub(Auth, sys, alice.authSlot);
      const r = yield* auth.rendezvous();
      if (!r.ok) return r.error;
      const rv = r.value.rendezvous;
      yield* stub(Protid, sys, home.value.port).reauthenticate({ rendezvous: rv });
      const u = yield* auth.userAuthenticate({ rendezvous: rv, timeout: 1000 });
      if (!u.ok) return u.error;
      // Had this run before the server learnt alice's ids, it would have run as nobody: EACCES.
      const m = yield* stub(Protid, sys, u.value.port).mkdir({ name: 'mine', mode: 0o755 });
      return m.ok ? 'ok' : m.error;
    });
    expect(result).toBe('ok');
    const { stat } = await root.protid(await root.open('home/mine', O.PATH)).stat();
    expect(stat.uid).toBe(1000);
  });

  it('a rendezvous the user never completes: the new port is revoked, nothing stays', async () => {
    const w = await fsWorld({ reauthTimeout: 500 });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const before = w.fs.fs.protidClass.objects.size;
    const { rendezvous } = await alice.auth.rendezvous();
    await alice.root.reauthenticate({ rendezvous });
    await w.settle();
    expect(w.fs.fs.protidClass.objects.size).toBe(before + 1);
    await w.advance(600);
    expect(w.fs.fs.protidClass.objects.size).toBe(before);
    // The user half now waits alone, and times out.
    const late = await alice.auth.attempt.userAuthenticate({ rendezvous, timeout: 100 });
    expect(errorOf(late)).toBe('ETIMEDOUT');
  });

  it("a rendezvous its client revoked while auth waits: another client's cap that refills the slot is left alone", async () => {
    const w = await fsWorld({ reauthTimeout: 500 });
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const bob = w.client('bob', { uid: 2000, gid: 200 });
    const before = w.fs.fs.protidClass.objects.size;
    const { rendezvous } = await alice.auth.rendezvous();
    await alice.root.reauthenticate({ rendezvous });
    await w.settle();
    const [kept, ...more] = slotsHoldingCopyOf(alice.task, rendezvous, w.fsTask);
    expect(kept).toBeDefined();
    expect(more).toEqual([]);
    // Alice takes the rendezvous back while the server half waits at auth; bob's auth
    // handle refills the very slot the server kept it in.
    const fsOps = new HostSys(w.k, w.fsTask);
    new HostSys(w.k, alice.task).revoke(rendezvous);
    expect(fsOps.identify(kept!)).toBeNull();
    w.k.grant(bob.task, bob.authSlot, w.fsTask, { slot: kept! });
    const bobs = fsOps.identify(kept!)!;
    // Auth's wait ends: the new port is revoked, and bob's cap stays where it is.
    await w.advance(600);
    expect(w.fs.fs.protidClass.objects.size).toBe(before);
    expect(fsOps.identify(kept!)?.serial).toBe(bobs.serial);
  });

  it('a server without an auth cap ignores the request (the user half times out)', async () => {
    const w = await fsWorld();
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    const { fsServer } = await import('../../../servers/fs/fs-server.ts');
    const task = w.k.createTask('noauth', { quota: 10_000, slots: 1 << 12 });
    const fs2 = fsServer()({ kernel: w.k, task, caps: new Map() });
    const slot = fs2.install(alice.task, { uid: 1000, gid: 100 });
    const c2 = makeClient(w.k, alice.task, alice.ids, slot, alice.authSlot);
    const { rendezvous } = await c2.auth.rendezvous();
    await c2.root.reauthenticate({ rendezvous });
    expect(errorOf(await c2.auth.attempt.userAuthenticate({ rendezvous, timeout: 100 }))).toBe('ETIMEDOUT');
  });
});
