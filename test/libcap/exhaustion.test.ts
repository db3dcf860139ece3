// A server's own exhaustion: one client fills the server's cap space; the request that
// finds no slot answers ENOMEM (in a handler, in a worker saving a reply cap, in the
// manager queueing a request), no server thread faults, and every other client is
// still served. Also the bucket's client-id space: past it, EAGAIN.

import { describe, expect, it } from 'vitest';
import { taskSnapshot, type Task } from '../../core/index.ts';
import { after, connect, type RpcResult } from '../../libcap/index.ts';
import { MAX_CLIENTS } from '../../libcap/client-table.ts';
import { advance, collectBugs, Ctl, settle, track, world } from './harness.ts';

function noFaults(task: Task): boolean {
  return taskSnapshot(task).threads.every((th) => th.fault === 0 && !th.state.startsWith('faulted'));
}

async function fill(c: { attempt: { open(): Promise<RpcResult<unknown>> } }): Promise<number> {
  let opened = 0;
  for (;;) {
    const r = await c.attempt.open();
    if (!r.ok) {
      expect(r.error).toBe('ENOMEM');
      return opened;
    }
    opened++;
    if (opened > 10_000) throw new Error('test bug: the cap space never filled');
  }
}

describe("a server's own exhaustion", () => {
  it('one client fills the cap space: its open answers ENOMEM, the server keeps serving everyone', async () => {
    const w = world({ slots: 256, limits: { caps: Number.POSITIVE_INFINITY } });
    const a = w.client();
    const b = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const cb = connect(Ctl, w.k, b.task, b.slot);
    const opened = await fill(ca);
    expect(opened).toBeGreaterThan(100);
    expect(await cb.attempt.open()).toMatchObject({ ok: false, error: 'ENOMEM' });
    expect(await cb.attempt.add({ by: 2 })).toEqual({ ok: true, value: { value: 2 } });
    expect(await ca.attempt.get()).toEqual({ ok: true, value: { value: 0 } });
    expect(noFaults(w.srv)).toBe(true);
  });

  it('with the space full, requests that must wait (deferred, generator, queued for the manager) answer ENOMEM', async () => {
    const w = world({ slots: 256, maxWorkers: 1, limits: { caps: Number.POSITIVE_INFINITY } });
    const a = w.client();
    const b = w.client();
    const ca = connect(Ctl, w.k, a.task, a.slot);
    const cb = connect(Ctl, w.k, b.task, b.slot);
    await fill(ca);
    // A deferred handler and a generator handler need a saved reply cap: none can be had.
    expect(await cb.attempt.hold({ id: 1 })).toMatchObject({ ok: false, error: 'ENOMEM' });
    expect(w.log.held.get(1)!.done).toBe(true);
    expect(w.log.release(1)).toBe(false);
    expect(await cb.attempt.block({ ms: 5 })).toMatchObject({ ok: false, error: 'ENOMEM' });
    // Served synchronously, the rest goes on.
    expect(await cb.attempt.get()).toEqual({ ok: true, value: { value: 0 } });
    expect(noFaults(w.srv)).toBe(true);
    // Free some room: a generator handler runs (and keeps the only worker busy), and a
    // second request then reaches the manager, which needs a slot to queue it.
    const subs = w.bucket.clientFor(a.task);
    const drop = [...subs.entries].filter((e) => e !== undefined).slice(-1);
    for (const e of drop) w.bucket.revoke(subs, e!.object);
    await settle(w.k);
    const busy = track(ca.attempt.block({ ms: 50 }));
    await settle(w.k);
    const queued = await cb.attempt.get();
    expect(queued).toMatchObject({ ok: false, error: 'ENOMEM' });
    await advance(w.k, 50);
    expect(busy.done).toBe(true);
    expect(await cb.attempt.get()).toEqual({ ok: true, value: { value: 0 } });
    expect(noFaults(w.srv)).toBe(true);
  });

  it('past the last client id a new client gets EAGAIN (a ResourceError from clientFor)', () => {
    const w = world();
    expect(MAX_CLIENTS).toBe(16_383);
    let err: unknown = null;
    try {
      for (let i = 0; i <= MAX_CLIENTS; i++) w.bucket.anonymousClient();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'ResourceError', code: 'EAGAIN' });
  });
});

describe('timers', () => {
  it('a timer callback that throws is reported as a server bug; the timer thread keeps running the others', async () => {
    const bugs = collectBugs();
    try {
      const w = world();
      const fired: number[] = [];
      after(w.bucket, 5, () => {
        throw new Error('timer bug');
      });
      after(w.bucket, 5, () => fired.push(5));
      after(w.bucket, 10, () => fired.push(10));
      await advance(w.k, 5);
      await advance(w.k, 5);
      expect(fired).toEqual([5, 10]);
      expect(bugs.list).toEqual(['srv.timers: Error: timer bug']);
      expect(noFaults(w.srv)).toBe(true);
    } finally {
      bugs.restore();
    }
  });
});
