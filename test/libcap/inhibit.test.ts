// Inhibition at bucket, class, object and client levels (inhibit.ts and Bucket): inhibit
// cancels the other RPCs in flight at the level and waits for them to drain; new RPCs
// are parked while the receive path keeps working; resume lets them proceed; the end
// answers them ECANCELED; concurrent inhibitors are serialised (libhurd-cap-server's
// choice, not libports' EBUSY); a cancelled inhibitor gets EINTR and the level serves
// again; a parked RPC whose cap was revoked meanwhile answers EBADF when it wakes.

import { describe, expect, it } from 'vitest';
import { Bucket, connect, defineClass, defineInterface, t, type Rpc, type ErrnoName } from '../../libcap/index.ts';
import { drainingLevels, pausedLevels } from '../../libcap/inhibit.ts';
import { advance, Ctl, CtlLog, ctlClass, mustCreate, ops, settle, track, world } from './harness.ts';

type Level = 'bucket' | 'class' | 'object' | 'client';
const LEVELS: Level[] = ['bucket', 'class', 'object', 'client'];

const Admin = defineInterface('admin', {
  inhibit: { op: 1, reply: { state: t.string() } },
});

/**
 * Client A calls object objA (class ctl) "inside" the level under test; "outside" is a
 * call the level does not cover: another class (class level), another object (object
 * level), another client (client level); everything is inside the bucket level.
 */
function levels(level: Level, opts: { maxWorkers?: number } = {}) {
  const w = world({ maxWorkers: opts.maxWorkers ?? 4 });
  const a = w.client('A');
  const b = w.client('B');
  const objA2 = mustCreate(w.bucket, w.cls);
  const slotA2 = w.bucket.install(objA2, a.task);
  objA2.unref();
  const otherLog = new CtlLog();
  const other = ctlClass(otherLog, () => w.bucket);
  const otherObj = mustCreate(w.bucket, other);
  const otherSlot = w.bucket.install(otherObj, a.task);
  otherObj.unref();
  const clientA = w.bucket.clientFor(a.task);
  const inside = connect(Ctl, w.k, a.task, a.slot);
  const outside: typeof inside | null =
    level === 'bucket'
      ? null
      : level === 'class'
        ? connect(Ctl, w.k, a.task, otherSlot)
        : level === 'object'
          ? connect(Ctl, w.k, a.task, slotA2)
          : connect(Ctl, w.k, b.task, b.slot);
  const inhibit = (self: Rpc | null = null): Promise<ErrnoName | null> => {
    switch (level) {
      case 'bucket':
        return w.bucket.inhibit(self);
      case 'class':
        return w.bucket.inhibitClass(w.cls, self);
      case 'object':
        return w.bucket.inhibitObject(a.obj, self);
      case 'client':
        return w.bucket.inhibitClient(clientA, self);
    }
  };
  const resume = (): boolean => {
    switch (level) {
      case 'bucket':
        return w.bucket.resume();
      case 'class':
        return w.bucket.resumeClass(w.cls);
      case 'object':
        return w.bucket.resumeObject(a.obj);
      case 'client':
        return w.bucket.resumeClient(clientA);
    }
  };
  const state = (): string => {
    switch (level) {
      case 'bucket':
        return w.bucket.inh.stateName;
      case 'class':
        return w.cls.inh.stateName;
      case 'object':
        return a.obj.inh.stateName;
      case 'client':
        return clientA.inh.stateName;
    }
  };
  // An admin object held by client A whose one method inhibits the level from a handler.
  const adminCls = defineClass({
    name: 'admin',
    interface: Admin,
    init: () => null,
    handlers: {
      inhibit: (ctx) => inhibit(ctx as unknown as Rpc).then((e) => (e === null ? { state: state() } : ctx.fail(e as 'EINTR'))),
    },
  });
  const adminObj = mustCreate(w.bucket, adminCls);
  const admin = connect(Admin, w.k, a.task, w.bucket.install(adminObj, a.task));
  adminObj.unref();
  return { w, a, b, clientA, inside, outside, inhibit, resume, state, admin, otherLog };
}

describe.each(LEVELS)('inhibition at the %s level', (level) => {
  it('inhibit cancels the RPCs in flight at the level (EINTR), waits until the last leaves, and leaves others alone', async () => {
    const { w, inside, outside, inhibit, state, otherLog } = levels(level);
    const held = track(inside.attempt.hold({ id: 1 }));
    const running = track(inside.attempt.block({ ms: 30 }));
    const otherHeld = outside === null ? null : track(outside.attempt.hold({ id: 2 }));
    await settle(w.k);
    const inh = track(inhibit());
    await settle(w.k);
    // The deferred call answers EINTR at once; the running one has been told.
    expect(held.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.log.aborted).toEqual([1]);
    expect(state()).toBe('draining');
    expect(inh.done).toBe(false);
    await advance(w.k, 29);
    expect(inh.done).toBe(false);
    await advance(w.k, 1);
    // The last RPC to leave flipped the level to inhibited.
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(inh.value).toBeNull();
    expect(state()).toBe('inhibited');
    if (otherHeld !== null) {
      expect(otherHeld.done).toBe(false);
      const log = level === 'class' ? otherLog : w.log;
      expect(log.aborted).not.toContain(2);
      log.release(2, 7);
      await settle(w.k);
      expect(otherHeld.value).toEqual({ ok: true, value: { value: 7 } });
    }
  });

  it('new RPCs are parked, the receive path keeps working (cancels get through), resume lets them proceed', async () => {
    const { w, inside, outside, inhibit, resume, state } = levels(level);
    expect(await inhibit()).toBeNull();
    expect(state()).toBe('inhibited');
    const p1 = track(inside.attempt.add({ by: 1 }));
    const ac = new AbortController();
    const p2 = track(inside.attempt.get(undefined, { signal: ac.signal }));
    await settle(w.k);
    expect(w.bucket.stats().parked).toBe(2);
    expect(w.log.calls).toEqual([]);
    // Calls outside the level are served meanwhile.
    if (outside !== null) expect(await outside.add({ by: 10 })).toEqual({ value: 10 });
    // A cancel reaches a parked call.
    ac.abort();
    await settle(w.k);
    expect(p2.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(w.bucket.stats().parked).toBe(1);
    expect(p1.done).toBe(false);
    expect(resume()).toBe(true);
    expect(resume()).toBe(false);
    await settle(w.k);
    expect(p1.value).toEqual({ ok: true, value: { value: 1 } });
    expect(state()).toBe('serving');
    expect(w.bucket.stats()).toMatchObject({ parked: 0, inflight: 0 });
  });

  it('parked RPCs answer ECANCELED when the bucket ends', async () => {
    const { w, inside, inhibit } = levels(level);
    expect(await inhibit()).toBeNull();
    const p = track(inside.attempt.get());
    await settle(w.k);
    expect(w.bucket.stats().parked).toBe(1);
    expect(await w.bucket.end(true)).toBeNull();
    await settle(w.k);
    expect(p.value).toMatchObject({ ok: false, error: 'ECANCELED' });
  });

  it('concurrent inhibitors are serialised: the second proceeds only after the first resumes', async () => {
    const { w, inside, inhibit, resume, state } = levels(level);
    const i1 = track(inhibit());
    const i2 = track(inhibit());
    const i3 = track(inhibit());
    await settle(w.k);
    expect(i1.value).toBeNull();
    expect([i2.done, i3.done]).toEqual([false, false]);
    const parked = track(inside.attempt.add({ by: 2 }));
    await settle(w.k);
    expect(resume()).toBe(true);
    await settle(w.k);
    // Parked RPCs were released by the resume, then the next inhibitor took the level.
    expect(i2.value).toBeNull();
    expect(i3.done).toBe(false);
    expect(state()).toBe('inhibited');
    expect(resume()).toBe(true);
    await settle(w.k);
    expect(i3.value).toBeNull();
    expect(resume()).toBe(true);
    await settle(w.k);
    expect(state()).toBe('serving');
    expect(parked.value).toEqual({ ok: true, value: { value: 2 } });
  });

  it('an inhibitor RPC does not wait for itself; one cancelled while draining gets EINTR and the level serves again', async () => {
    const { w, inside, admin, state } = levels(level);
    const running = track(inside.attempt.block({ ms: 50 }));
    await settle(w.k);
    const ac = new AbortController();
    const inh = track(admin.attempt.inhibit(undefined, { signal: ac.signal }));
    await settle(w.k);
    expect(state()).toBe('draining');
    const parked = track(inside.attempt.add({ by: 3 }));
    await settle(w.k);
    expect(w.bucket.stats().parked).toBe(1);
    ac.abort();
    await settle(w.k);
    expect(inh.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(state()).toBe('serving');
    expect(parked.value).toEqual({ ok: true, value: { value: 3 } });
    await advance(w.k, 50);
    // The RPC the inhibitor had cancelled still answers EINTR.
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    // With nothing else in flight, an inhibitor RPC inside the level completes at once.
    expect(await admin.inhibit()).toEqual({ state: 'inhibited' });
  });

  it('an inhibitor RPC cancelled while queued behind another inhibitor gets EINTR; the queue moves on', async () => {
    const { w, inside, admin, inhibit, resume, state } = levels(level);
    expect(await inhibit()).toBeNull();
    const ac = new AbortController();
    const queued = track(admin.attempt.inhibit(undefined, { signal: ac.signal }));
    const next = track(inhibit());
    await settle(w.k);
    expect(queued.done).toBe(false);
    ac.abort();
    await settle(w.k);
    expect(queued.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(state()).toBe('inhibited');
    expect(resume()).toBe(true);
    await settle(w.k);
    expect(next.value).toBeNull();
    expect(resume()).toBe(true);
    expect(await inside.get()).toEqual({ value: 0 });
  });

  it('a parked RPC whose capability was revoked meanwhile answers EBADF when it wakes', async () => {
    const { w, a, clientA, inside, inhibit, resume } = levels(level);
    expect(await inhibit()).toBeNull();
    const p = track(inside.attempt.get());
    await settle(w.k);
    w.bucket.revoke(clientA, a.obj);
    expect(ops(w.k, a.task).identify(a.slot)).toBeNull();
    resume();
    await settle(w.k);
    expect(p.value).toMatchObject({ ok: false, error: 'EBADF' });
    expect(w.log.calls).toEqual([]);
    expect(w.bucket.stats()).toMatchObject({ parked: 0, inflight: 0 });
  });

  it('RPCs queued for a worker when inhibition starts do not run while the level is inhibited', async () => {
    const { w, inside, inhibit, resume } = levels(level, { maxWorkers: 1 });
    const running = track(inside.attempt.block({ ms: 10 }));
    await settle(w.k);
    const queued = track(inside.attempt.add({ by: 4 }));
    await settle(w.k);
    expect(w.bucket.stats().pending).toBe(1);
    const inh = track(inhibit());
    await advance(w.k, 10);
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(inh.value).toBeNull();
    await settle(w.k);
    expect(w.log.calls).toEqual(['block']);
    expect(queued.done).toBe(false);
    expect(w.bucket.stats()).toMatchObject({ pending: 0, parked: 1 });
    resume();
    await settle(w.k);
    expect(queued.value).toEqual({ ok: true, value: { value: 4 } });
  });

});

describe('inhibition: an inhibitor RPC that answers before the drain ends', () => {
  it.each(LEVELS)('%s level: the level flips only when the other RPCs have left, not when the inhibitor leaves', async (level) => {
    const { w, a, clientA, inside, state } = levels(level);
    const Start = defineInterface('start', { start: { op: 1 } });
    let got: ErrnoName | null | undefined;
    const cls = defineClass({
      name: 'start',
      interface: Start,
      init: () => null,
      handlers: {
        start(ctx) {
          // Start inhibiting on behalf of this RPC, and answer at once.
          const self = ctx as unknown as Rpc;
          const p =
            level === 'bucket'
              ? w.bucket.inhibit(self)
              : level === 'class'
                ? w.bucket.inhibitClass(w.cls, self)
                : level === 'object'
                  ? w.bucket.inhibitObject(a.obj, self)
                  : w.bucket.inhibitClient(clientA, self);
          void p.then((r) => (got = r));
        },
      },
    });
    const running = track(inside.attempt.block({ ms: 50 }));
    await settle(w.k);
    const o = mustCreate(w.bucket, cls);
    // The starter calls as client A (inside the client level too).
    const st = connect(Start, w.k, a.task, w.bucket.install(o, a.task));
    await st.start();
    await settle(w.k);
    expect(state()).toBe('draining');
    expect(got).toBeUndefined();
    await advance(w.k, 50);
    expect(running.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(got).toBeNull();
    expect(state()).toBe('inhibited');
  });
});

describe('inhibition: a drain counts the RPCs running when it begins', () => {
  it.each(LEVELS)('%s level: two running RPCs, the level flips when the second leaves; nothing stays draining', async (level) => {
    const { w, inside, inhibit, resume, state } = levels(level);
    const before = drainingLevels.count;
    const first = track(inside.attempt.block({ ms: 10 }));
    const second = track(inside.attempt.block({ ms: 20 }));
    await settle(w.k);
    const inh = track(inhibit());
    await settle(w.k);
    expect(state()).toBe('draining');
    expect(drainingLevels.count).toBe(before + 1);
    await advance(w.k, 10);
    expect(first.done).toBe(true);
    expect(state()).toBe('draining');
    expect(inh.done).toBe(false);
    await advance(w.k, 10);
    expect(second.done).toBe(true);
    expect(inh.value).toBeNull();
    expect(state()).toBe('inhibited');
    expect(drainingLevels.count).toBe(before);
    // With nothing running, the next inhibit does not drain at all.
    expect(resume()).toBe(true);
    expect(await inhibit()).toBeNull();
    expect(state()).toBe('inhibited');
    expect(drainingLevels.count).toBe(before);
    expect(resume()).toBe(true);
    expect(await inside.attempt.add({ by: 1 })).toMatchObject({ ok: true });
  });

  it.each(LEVELS)('%s level: counted as paused while draining or inhibited (workers check levels only then), not after resume', async (level) => {
    const { w, inside, inhibit, resume, state } = levels(level);
    const before = pausedLevels.count;
    const running = track(inside.attempt.block({ ms: 10 }));
    await settle(w.k);
    const inh = track(inhibit());
    await settle(w.k);
    expect(state()).toBe('draining');
    expect(pausedLevels.count).toBe(before + 1);
    await advance(w.k, 10);
    expect(running.done).toBe(true);
    expect(inh.value).toBeNull();
    expect(state()).toBe('inhibited');
    expect(pausedLevels.count).toBe(before + 1);
    // Parked while paused, served once the level resumes.
    const parked = track(inside.attempt.add({ by: 2 }));
    await settle(w.k);
    expect(parked.done).toBe(false);
    expect(resume()).toBe(true);
    expect(pausedLevels.count).toBe(before);
    await settle(w.k);
    expect(parked.value).toMatchObject({ ok: true, value: { value: 2 } });
  });
});

describe('queued RPCs re-check their capability', () => {
  it('a queued RPC whose capability was revoked before a worker took it answers EBADF', async () => {
    const { w, a, clientA, inside } = levels('bucket', { maxWorkers: 1 });
    const running = track(inside.attempt.block({ ms: 10 }));
    await settle(w.k);
    const queued = track(inside.attempt.add({ by: 4 }));
    await settle(w.k);
    expect(w.bucket.stats().pending).toBe(1);
    w.bucket.revoke(clientA, a.obj);
    await advance(w.k, 10);
    expect(running.value).toEqual({ ok: true, value: { value: 10 } });
    expect(queued.value).toMatchObject({ ok: false, error: 'EBADF' });
    expect(w.log.calls).toEqual(['block']);
    expect(a.obj.alive).toBe(false);
    expect(w.bucket.stats()).toMatchObject({ pending: 0, inflight: 0, workers: 1 });
  });

});

describe('inhibition across buckets', () => {
  it('an object served by two buckets: inhibitObject drains and parks its RPCs in both; resume releases both', async () => {
    const w = world();
    const srv2 = w.k.createTask('srv2', { quota: 100, slots: 4096 });
    const b2 = Bucket.start(w.k, srv2, {});
    const a = w.client();
    const via2 = connect(Ctl, w.k, a.task, b2.install(a.obj, a.task));
    const held = track(via2.attempt.hold({ id: 5 }));
    await settle(w.k);
    const inh = track(w.bucket.inhibitObject(a.obj));
    await settle(w.k);
    expect(held.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect(inh.value).toBeNull();
    const parked = track(via2.attempt.add({ by: 1 }));
    await settle(w.k);
    expect(b2.stats().parked).toBe(1);
    expect(w.bucket.resumeObject(a.obj)).toBe(true);
    await settle(w.k);
    expect(parked.value).toEqual({ ok: true, value: { value: 1 } });
  });

  it('a class served by two buckets: inhibitClass drains and parks in both', async () => {
    const w = world();
    const srv2 = w.k.createTask('srv2', { quota: 100, slots: 4096 });
    const b2 = Bucket.start(w.k, srv2, {});
    const t2 = w.k.createTask('t2');
    const o2 = mustCreate(b2, w.cls);
    const c2 = connect(Ctl, w.k, t2, b2.install(o2, t2));
    const held = track(c2.attempt.hold({ id: 6 }));
    await settle(w.k);
    expect(await w.bucket.inhibitClass(w.cls)).toBeNull();
    expect(held.value).toMatchObject({ ok: false, error: 'EINTR' });
    const parked = track(c2.attempt.get());
    await settle(w.k);
    expect(b2.stats().parked).toBe(1);
    expect(w.bucket.resumeClass(w.cls)).toBe(true);
    await settle(w.k);
    expect(parked.value).toEqual({ ok: true, value: { value: 0 } });
  });
});

describe('inhibition at the "all" level (Bucket.inhibitAll, libports ports_inhibit_all_rpcs)', () => {
  function two() {
    const w = world();
    const srv2 = w.k.createTask('srv2', { quota: 100, slots: 4096 });
    const b2 = Bucket.start(w.k, srv2, {});
    const a = w.client();
    const o2 = mustCreate(b2, w.cls);
    const c1 = connect(Ctl, w.k, a.task, a.slot);
    const c2 = connect(Ctl, w.k, a.task, b2.install(o2, a.task));
    o2.unref();
    return { w, b2, a, c1, c2, all: [w.bucket, b2] };
  }

  it('cancels and drains every bucket, parks new RPCs in all of them, and resumeAll releases them', async () => {
    const { w, b2, c1, c2, all } = two();
    const h1 = track(c1.attempt.hold({ id: 1 }));
    const h2 = track(c2.attempt.block({ ms: 20 }));
    await settle(w.k);
    const inh = track(Bucket.inhibitAll(all));
    await settle(w.k);
    expect(h1.value).toMatchObject({ error: 'EINTR' });
    expect(inh.done).toBe(false);
    await advance(w.k, 20);
    expect(h2.value).toMatchObject({ error: 'EINTR' });
    expect(inh.value).toBeNull();
    expect([w.bucket.stats().state, b2.stats().state]).toEqual(['inhibited', 'inhibited']);
    const p1 = track(c1.attempt.add({ by: 1 }));
    const p2 = track(c2.attempt.add({ by: 2 }));
    await settle(w.k);
    expect([w.bucket.stats().parked, b2.stats().parked]).toEqual([1, 1]);
    expect(Bucket.resumeAll(all)).toBe(true);
    expect(Bucket.resumeAll(all)).toBe(false);
    await settle(w.k);
    expect([p1.value, p2.value]).toEqual([
      { ok: true, value: { value: 1 } },
      { ok: true, value: { value: 2 } },
    ]);
  });

  it('concurrent inhibitAll callers (buckets listed in either order) are serialised, never deadlocked', async () => {
    const { w, b2, all } = two();
    const first = track(Bucket.inhibitAll(all));
    const second = track(Bucket.inhibitAll([b2, w.bucket]));
    await settle(w.k);
    expect(first.value).toBeNull();
    expect(second.done).toBe(false);
    Bucket.resumeAll(all);
    await settle(w.k);
    expect(second.value).toBeNull();
    Bucket.resumeAll(all);
    expect([w.bucket.stats().state, b2.stats().state]).toEqual(['serving', 'serving']);
  });

  it('an inhibitor cancelled while a later bucket drains gets EINTR and every bucket serves again', async () => {
    const { w, b2, a, c2, all } = two();
    const Admin2 = defineInterface('admin2', { all: { op: 1 } });
    const cls = defineClass({
      name: 'admin2',
      interface: Admin2,
      init: () => null,
      handlers: {
        all: (ctx) => Bucket.inhibitAll(all, ctx as unknown as Rpc).then((e) => (e === null ? undefined : ctx.fail(e as 'EINTR'))),
      },
    });
    const admin = mustCreate(w.bucket, cls);
    const ad = connect(Admin2, w.k, a.task, w.bucket.install(admin, a.task));
    const busy = track(c2.attempt.block({ ms: 30 }));
    await settle(w.k);
    const ac = new AbortController();
    const inh = track(ad.attempt.all(undefined, { signal: ac.signal }));
    await settle(w.k);
    // The admin RPC runs in the first bucket: it did not wait for itself there.
    expect(w.bucket.stats().state).toBe('inhibited');
    expect(b2.stats().state).toBe('draining');
    ac.abort();
    await settle(w.k);
    expect(inh.value).toMatchObject({ ok: false, error: 'EINTR' });
    expect([w.bucket.stats().state, b2.stats().state]).toEqual(['serving', 'serving']);
    await advance(w.k, 30);
    expect(busy.value).toMatchObject({ error: 'EINTR' });
  });
});

describe('inhibition from a handler of another bucket', () => {
  it("an RPC of bucket A inhibiting bucket B waits for B's RPCs (it is not exempt there)", async () => {
    const w = world();
    const srv2 = w.k.createTask('srv2', { quota: 100, slots: 4096 });
    const b2 = Bucket.start(w.k, srv2, {});
    const a = w.client();
    const o2 = mustCreate(b2, w.cls);
    const c2 = connect(Ctl, w.k, a.task, b2.install(o2, a.task));
    const Other = defineInterface('other', { stop: { op: 1 } });
    const cls = defineClass({
      name: 'other',
      interface: Other,
      init: () => null,
      handlers: { stop: (ctx) => b2.inhibit(ctx as unknown as Rpc).then(() => undefined) },
    });
    const adm = mustCreate(w.bucket, cls);
    const stop = connect(Other, w.k, a.task, w.bucket.install(adm, a.task));
    const busy = track(c2.attempt.block({ ms: 40 }));
    await settle(w.k);
    const st = track(stop.attempt.stop());
    await settle(w.k);
    expect(b2.stats().state).toBe('draining');
    expect(st.done).toBe(false);
    await advance(w.k, 40);
    expect(busy.value).toMatchObject({ error: 'EINTR' });
    expect(st.value).toEqual({ ok: true, value: {} });
    expect(b2.stats().state).toBe('inhibited');
  });
});
