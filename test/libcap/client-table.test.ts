// Clients and capability entries: the same object given twice to one client is the
// same handle (badge), the server knows the client by the badge alone, client death
// cancels the client's RPCs and releases every entry, and one RPC per client thread.

import { describe, expect, it } from 'vitest';
import { CAP_SELF, HostSys, Rights, Status, ThreadKilledError, type Sys, type SysGen } from '../../core/index.ts';
import { slotsHoldingCopyOf } from '../world-helpers.ts';
import { connect, defineClass, defineInterface, ERRNO, t } from '../../libcap/index.ts';
import { advance, capCount, Ctl, header, mustCreate, ops, rawCall, settle, track, world, type RawAnswer } from './harness.ts';

const Share = defineInterface('share', { get: { op: 1, args: { which: t.u32 }, reply: { c: t.cap() } } });

function sharing() {
  const w = world();
  const objs = [mustCreate(w.bucket, w.cls), mustCreate(w.bucket, w.cls)];
  const cls = defineClass({
    name: 'share',
    interface: Share,
    init: () => null,
    handlers: { get: (ctx, { which }) => ({ c: ctx.give(objs[which]!) }) },
  });
  const hub = mustCreate(w.bucket, cls);
  return { w, objs, hub };
}

describe('clients: handles', () => {
  it('the same object given twice to one client yields the same badge; other objects and clients differ', async () => {
    const { w, objs, hub } = sharing();
    const t1 = w.k.createTask('t1');
    const t2 = w.k.createTask('t2');
    const h1 = connect(Share, w.k, t1, w.bucket.install(hub, t1));
    const h2 = connect(Share, w.k, t2, w.bucket.install(hub, t2));
    const a = (await h1.get({ which: 0 })).c;
    const b = (await h1.get({ which: 0 })).c;
    const other = (await h1.get({ which: 1 })).c;
    const fromT2 = (await h2.get({ which: 0 })).c;
    const o1 = ops(w.k, t1);
    expect(a).not.toBe(b); // two copies in two slots...
    expect(o1.identify(a)!.badge).toBe(o1.identify(b)!.badge); // ...naming one handle
    expect(o1.identify(other)!.badge).not.toBe(o1.identify(a)!.badge);
    expect(ops(w.k, t2).identify(fromT2)!.badge).not.toBe(o1.identify(a)!.badge);
    // One entry per (client, object): the hub and two objects for t1, hub and one for t2.
    expect(w.bucket.stats().outstanding).toBe(5);
    expect(objs[0]!.entries.size).toBe(2);
    // Dropping one copy keeps the handle; dropping both releases it.
    o1.delete(a);
    await settle(w.k);
    expect(objs[0]!.entries.size).toBe(2);
    o1.delete(b);
    await settle(w.k);
    expect(objs[0]!.entries.size).toBe(1);
    // install() follows the same rule.
    const i1 = w.bucket.install(objs[1]!, t1);
    expect(o1.identify(i1)!.badge).toBe(o1.identify(other)!.badge);
  });

  it('a bucket tells apart more than 4,096 clients (the badge holds 14 bits of client id)', async () => {
    const { w, hub } = sharing();
    const n = 5000;
    const badges = new Set<number>();
    let last: { task: ReturnType<typeof w.k.createTask>; slot: number } | null = null;
    for (let i = 0; i < n; i++) {
      const task = w.k.createTask(`c${i}`);
      const slot = w.bucket.install(hub, task);
      badges.add(ops(w.k, task).identify(slot)!.badge);
      last = { task, slot };
    }
    expect(badges.size).toBe(n);
    expect(w.bucket.stats().clients).toBe(n);
    // The newest client is served as itself.
    const got = await connect(Share, w.k, last!.task, last!.slot).get({ which: 1 });
    expect(ops(w.k, last!.task).identify(got.c)).not.toBeNull();
  });

  it('the server identifies the caller by the badge, whatever the message says', async () => {
    const w = world();
    const a = w.client('a');
    const b = w.client('b');
    const who = async (task: typeof a.task, slot: number, key: number): Promise<RawAnswer> =>
      w.k.exec(task, function* (sys: Sys): SysGen<RawAnswer> {
        return yield* rawCall(sys, slot, { label: Ctl.methods.who.op, words: header(key, 1) });
      });
    const ra = await who(a.task, a.slot, 1);
    const rb = await who(b.task, b.slot, 1);
    const ca = w.bucket.clientFor(a.task);
    const cb = w.bucket.clientFor(b.task);
    expect(ra.words).toEqual([ca.id, a.task.id, 1]);
    expect(rb.words).toEqual([cb.id, b.task.id, 1]);
    expect(ca.id).not.toBe(cb.id);
    // b forging a's thread id as its cancel key is still b.
    const forged = await who(b.task, b.slot, ra.words[0]!);
    expect(forged.words).toEqual(rb.words);
    expect(w.bucket.clientFor(a.task)).toBe(ca);
  });
});

describe('clients: death', () => {
  it("client death cancels its RPCs in flight and releases every entry it held", async () => {
    const w = world({ maxWorkers: 2 });
    const a = w.client('victim');
    const second = mustCreate(w.bucket, w.cls);
    const secondSlot = w.bucket.install(second, a.task);
    second.unref();
    const b = w.client('bystander');
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const c2 = connect(Ctl, w.k, a.task, secondSlot);
    const results: unknown[] = [];
    const keep = (p: Promise<unknown>) => p.catch((e: unknown) => results.push(e instanceof ThreadKilledError ? 'killed' : e));
    keep(ca.hold({ id: 1 }));
    keep(ca.block({ ms: 100 }));
    await settle(w.k);
    expect(await w.bucket.inhibitObject(second)).toBeNull();
    keep(c2.get());
    await settle(w.k);
    expect(w.bucket.stats()).toMatchObject({ inflight: 2, parked: 1, outstanding: 3, clients: 2 });
    const serverCaps = capCount(w.srv);

    w.k.deleteTask(a.task);
    await settle(w.k);
    expect(results).toEqual(['killed', 'killed', 'killed']);
    // Deferred and parked RPCs are answered at once; every entry is gone.
    expect(w.log.aborted).toEqual([1]);
    // The running one is still in flight (counted) until its handler returns.
    expect(w.bucket.stats()).toMatchObject({ parked: 0, outstanding: 1, inflight: 1 });
    expect(w.log.noSenders.sort()).toEqual([a.obj.id, second.id].sort());
    expect(a.obj.alive).toBe(true); // the running block still holds it
    // The running handler is told; when it returns, nothing is left.
    await advance(w.k, 100);
    expect(w.log.blockAborted).toEqual([100]);
    expect(a.obj.alive).toBe(false);
    expect(second.alive).toBe(false);
    expect(w.bucket.stats()).toMatchObject({ inflight: 0, outstanding: 1, clients: 1 });
    // Entry roots, the task cap and saved reply caps are gone from the server's space.
    expect(capCount(w.srv)).toBeLessThan(serverCaps);
    w.bucket.resumeObject(second);
    // The bystander is unaffected.
    expect(await connect(Ctl, w.k, b.task, b.slot).add({ by: 1 })).toEqual({ value: 1 });
  });

  it('a dead client task gets a fresh record; the old handles are not reused for it', async () => {
    const w = world();
    const a = w.client();
    const old = w.bucket.clientFor(a.task);
    w.k.deleteTask(a.task);
    await settle(w.k);
    expect(old.dead).toBe(true);
    const t2 = w.k.createTask('next');
    const c2 = w.bucket.clientFor(t2);
    expect(c2).not.toBe(old);
    expect(c2.dead).toBe(false);
    expect(w.bucket.stats().clients).toBe(1);
  });
});

describe('clients: the task cap kept of each', () => {
  it("a client that revokes the task cap the bucket keeps of it still dies as a client; another task's cap that refills the slot is left alone", async () => {
    const w = world();
    const a = w.client('a');
    const b = w.client('b');
    const ca = w.bucket.clientFor(a.task);
    const [kept] = slotsHoldingCopyOf(a.task, CAP_SELF, w.srv);
    expect(kept).toBeDefined();
    // a revokes every copy of its own task cap: the bucket's goes, and its slot is free.
    new HostSys(w.k, a.task).revoke(CAP_SELF);
    const srvOps = new HostSys(w.k, w.srv);
    expect(srvOps.identify(kept!)).toBeNull();
    // A task cap of b, alive, refills the very slot.
    w.k.grant(b.task, CAP_SELF, w.srv, { rights: Rights.Read, slot: kept! });
    const bs = srvOps.identify(kept!)!;
    // a dies: its record and entries go (b being alive says nothing of a), b's cap stays.
    w.k.deleteTask(a.task);
    await settle(w.k);
    expect(ca.dead).toBe(true);
    expect(a.obj.alive).toBe(false);
    expect(srvOps.identify(kept!)?.serial).toBe(bs.serial);
    expect(await connect(Ctl, w.k, b.task, b.slot).add({ by: 1 })).toEqual({ value: 1 });
  });
});

describe('clients: one RPC per client thread', () => {
  it('a second request with the cancel key of an RPC in flight answers EBUSY; after the answer the key is free', async () => {
    const w = world();
    const a = w.client();
    const key = 4242;
    const first = track(
      w.k.exec(a.task, function* (sys: Sys): SysGen<RawAnswer> {
        return yield* rawCall(sys, a.slot, { label: Ctl.methods.hold.op, words: [...header(key, 1), 77] });
      }),
    );
    await settle(w.k);
    const ep = w.k.createEndpoint(a.task);
    await settle(w.k);
    const before = capCount(w.srv);
    const second = await w.k.exec(a.task, function* (sys: Sys): SysGen<RawAnswer[]> {
      return [
        yield* rawCall(sys, a.slot, { label: Ctl.methods.get.op, words: header(key, 2) }),
        // A cap carried by a refused request is not kept.
        yield* rawCall(sys, a.slot, { label: Ctl.methods.get.op, words: header(key, 3), caps: [ep] }),
        yield* rawCall(sys, a.slot, { label: Ctl.methods.get.op, words: header(key + 1, 1) }),
      ];
    });
    expect(second.map((r) => r.label)).toEqual([ERRNO.EBUSY, ERRNO.EBUSY, 0]);
    await settle(w.k);
    expect(capCount(w.srv)).toBe(before);
    expect(w.log.calls).toEqual(['hold', 'get']);
    expect(first.done).toBe(false);
    w.log.release(77, 5);
    await settle(w.k);
    expect(first.value).toMatchObject({ status: Status.Ok, label: 0, words: [5] });
    const again = await w.k.exec(a.task, function* (sys: Sys): SysGen<RawAnswer> {
      return yield* rawCall(sys, a.slot, { label: Ctl.methods.get.op, words: header(key, 4) });
    });
    expect(again.label).toBe(0);
  });

  it('the rule is per client: another client may use the same key at the same time', async () => {
    const w = world();
    const a = w.client('a');
    const b = w.client('b');
    const hold = (task: typeof a.task, slot: number, id: number) =>
      track(
        w.k.exec(task, function* (sys: Sys): SysGen<RawAnswer> {
          return yield* rawCall(sys, slot, { label: Ctl.methods.hold.op, words: [...header(9, 1), id] });
        }),
      );
    const ra = hold(a.task, a.slot, 1);
    const rb = hold(b.task, b.slot, 2);
    await settle(w.k);
    expect(w.log.held.size).toBe(2);
    w.log.release(1);
    w.log.release(2);
    await settle(w.k);
    expect([ra.value?.words, rb.value?.words]).toEqual([[1], [2]]);
  });
});
