// boot() with a server in its own isolated task (a worker thread): clients use it through
// their normal stubs and get the same answers as in-process (handles, makeauth, the
// rendezvous with its deferred answers and timers); its worker dying gives a client in a
// call EPIPE while the rest of the system keeps running; shutdown ends its worker. Real
// time: every wait is bounded.

import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { Mailbox, Notify, Sender } from '../../../protocol/notify.ts';
import { authServer } from '../../../servers/auth/index.ts';
import { notifyServer } from '../../../servers/notify/index.ts';
import { boot, type System } from '../../../servers/system/index.ts';
import { holder, shutdownReport, within } from './harness.ts';


async function bootAuth(isolate: boolean): Promise<{ k: Kernel; sys: System }> {
  const k = new Kernel();
  const sys = await within(
    boot(k, {
      auth: { server: authServer(), isolate },
      other: { server: authServer() },
      root: { program: holder, uses: { auth: 'auth' } },
      alice: { program: holder, uses: { auth: { service: 'auth', params: { uid: 1000, gid: 100 } }, other: { service: 'other', params: { uid: 7, gid: 7 } } } },
    }),
    20_000,
    'boot',
  );
  return { k, sys };
}

function authOf(k: Kernel, sys: System, path: string, name = 'auth') {
  return connect(Auth, k, sys.task(path), sys.caps(path).get(name)!);
}

/** What the clients of `auth` see: ids, makeauth both ways, a rendezvous and a timed-out half. */
async function scenario(isolate: boolean): Promise<unknown> {
  const { k, sys } = await bootAuth(isolate);
  try {
    expect(sys.worker('auth') !== null).toBe(isolate);
    const root = authOf(k, sys, 'root');
    const alice = authOf(k, sys, 'alice');
    const out: Record<string, unknown> = {};
    out.rootIds = await root.getids();
    out.aliceIds = await alice.getids();
    out.aliceToRoot = await alice.attempt.makeauth({ euids: [0], auids: [], egids: [], agids: [] });
    const made = await root.makeauth({ euids: [42], auids: [42], egids: [42], agids: [] });
    out.made = await connect(Auth, k, sys.task('root'), made.handle).getids();
    // The reauthentication rendezvous: a server half (root hands a port) meets alice's half.
    const { rendezvous } = await alice.rendezvous();
    const rv = k.grant(sys.task('alice'), rendezvous, sys.task('root'));
    const port = k.createEndpoint(sys.task('root'));
    const [user, server] = await within(
      Promise.all([alice.attempt.userAuthenticate({ rendezvous, timeout: 5000 }), root.attempt.serverAuthenticate({ rendezvous: rv, port, timeout: 5000 })]),
      10_000,
      'rendezvous',
    );
    out.user = user.ok ? 'port' : user.error;
    out.server = server;
    // A half nobody meets times out (the bucket's timers, in the worker when isolated).
    const { rendezvous: lone } = await alice.rendezvous();
    out.lone = await within(alice.attempt.userAuthenticate({ rendezvous: lone, timeout: 30 }), 10_000, 'lone half');
    Object.assign(out, await shutdownReport(sys));
    expect(sys.worker('auth')?.task.alive ?? false).toBe(false);
    return out;
  } finally {
    await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
  }
}

describe('boot with an isolated server', () => {
  it('serves clients through their normal stubs with the same answers as in-process', async () => {
    const inProcess = await scenario(false);
    const isolated = await scenario(true);
    expect(isolated).toEqual(inProcess);
    expect(inProcess).toMatchObject({
      rootIds: { euids: [0] },
      aliceIds: { euids: [1000], egids: [100] },
      aliceToRoot: { ok: false, error: 'EPERM' },
      made: { euids: [42], auids: [42] },
      user: 'port',
      server: { ok: true, value: { euids: [1000] } },
      lone: { ok: false, error: 'ETIMEDOUT' },
      errors: [],
      tasks: [],
      clean: true,
    });
  }, 60_000);

  it('its worker dying gives a caller EPIPE, the rest keep running, and shutdown still works', async () => {
    const { k, sys } = await bootAuth(true);
    const alice = authOf(k, sys, 'alice');
    expect((await alice.getids()).euids).toEqual([1000]);
    const { rendezvous } = await alice.rendezvous();
    const waiting = alice.attempt.userAuthenticate({ rendezvous, timeout: 0 }); // a deferred answer, in flight
    const w = sys.worker('auth')!;
    await new Promise((r) => setTimeout(r, 50));
    await w.worker.terminate();
    const why = await within(w.done, 10_000, 'worker end');
    expect(why.reason).not.toBe('returned');
    expect(await within(waiting, 10_000, 'in-flight call')).toMatchObject({ ok: false, error: 'EPIPE' });
    expect(w.task.alive).toBe(false);
    const again = await within(alice.attempt.getids(), 10_000, 'call after death');
    expect(again.ok).toBe(false);
    // The in-process auth server of the same system keeps answering.
    expect((await authOf(k, sys, 'alice', 'other').getids()).euids).toEqual([7]);
    const report = await within(sys.shutdown(), 20_000, 'shutdown');
    expect(report.errors).toEqual([]);
    expect(report.tasks).toEqual([]);
    expect(report.held).toEqual([{ server: 'auth', what: 'its task had died before shutdown' }]);
  }, 60_000);

  it('restarts an isolated server after its worker died: a new worker, and its clients get caps again', async () => {
    const { k, sys } = await bootAuth(true);
    const first = sys.worker('auth')!;
    await first.worker.terminate();
    await within(first.done, 10_000, 'worker end');
    await within(sys.restart('auth'), 20_000, 'restart');
    const second = sys.worker('auth')!;
    expect(second).not.toBe(first);
    expect(second.task.alive).toBe(true);
    // alice's cap died with the old server; restart attached a cap to the new one before resolving.
    expect(sys.caps('alice').has('auth')).toBe(true);
    expect((await within(authOf(k, sys, 'alice').getids(), 10_000, 'getids')).euids).toEqual([1000]);
    const report = await within(sys.shutdown(), 20_000, 'shutdown');
    expect(report.errors).toEqual([]);
    expect(report.tasks).toEqual([]);
    expect(second.task.alive).toBe(false);
  }, 60_000);

  it('an isolated notify service: per-client quota from install params, deferred next, the same events', async () => {
    const run = async (isolate: boolean): Promise<unknown> => {
      const k = new Kernel();
      const sys = await within(
        boot(k, {
          notify: { server: notifyServer(), isolate },
          small: { program: holder, uses: { notify: { service: 'notify', params: { quota: 4 } } } },
          big: { program: holder, uses: { notify: 'notify' } },
        }),
        20_000,
        'boot',
      );
      try {
        expect(sys.worker('notify') !== null).toBe(isolate);
        const small = connect(Notify, k, sys.task('small'), sys.caps('small').get('notify')!);
        const big = connect(Notify, k, sys.task('big'), sys.caps('big').get('notify')!);
        const out: Record<string, unknown> = {};
        out.overQuota = await small.attempt.subscribe({ capacity: 5 });
        const { mailbox } = await small.subscribe({ capacity: 4 });
        const box = connect(Mailbox, k, sys.task('small'), mailbox);
        out.sync = (await box.next({ timeout: 1000 })).event;
        const waiting = box.next({ timeout: 5000 }); // deferred until big posts
        const { sender } = await box.allow({ source: 'big' });
        const s2 = k.grant(sys.task('small'), sender, sys.task('big'));
        await connect(Sender, k, sys.task('big'), s2).post({ type: 'hello', data: 'from big' });
        out.event = (await within(waiting, 10_000, 'next')).event;
        out.bigOk = (await big.attempt.subscribe({ capacity: 100 })).ok;
        out.timeout = await within(box.attempt.next({ timeout: 30 }), 10_000, 'next timeout');
        const report = await within(sys.shutdown(), 20_000, 'shutdown');
        out.clean = report.clean;
        out.held = report.held;
        return out;
      } finally {
        await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
      }
    };
    const inProcess = await run(false);
    expect(await run(true)).toEqual(inProcess);
    expect(inProcess).toMatchObject({
      overQuota: { ok: false, error: 'EDQUOT' },
      sync: { tick: 0, type: 'sync' },
      event: { type: 'hello', source: 'big', data: 'from big' },
      bigOk: true,
      timeout: { ok: false, error: 'ETIMEDOUT' },
      clean: true,
    });
  }, 60_000);

  it('a body that dies before it is ready fails the boot with its reason, and nothing is left running', async () => {
    const k = new Kernel();
    const module = new URL('./fixtures/bodies.ts', import.meta.url);
    await expect(
      within(boot(k, { bad: { server: authServer(), isolate: { module, export: 'brokenBody', options: { x: 1 } } } }), 20_000, 'boot'),
    ).rejects.toThrow(/bad: its worker ended before it was ready \(threw: no use for options \{"x":1\}\)/);
    expect([...k.tasks.values()].filter((t) => t.alive).map((t) => t.name)).toEqual([]);
  }, 30_000);

  it('refuses isolate: true for a server without a body module, and an isolated names that serves no NamesComposer', async () => {
    const bare = Object.assign((() => {
      throw new Error('not started');
    }) as never, {});
    await expect(boot(new Kernel(), { x: { server: bare, isolate: true } })).rejects.toThrow(/isolate: true needs a server with a body module/);
    const k = new Kernel();
    await expect(within(boot(k, { names: { server: authServer(), isolate: true } }), 20_000, 'boot')).rejects.toThrow(/names: composer: EOPNOTSUPP/);
    expect([...k.tasks.values()].filter((t) => t.alive).map((t) => t.name)).toEqual([]);
  });
});
