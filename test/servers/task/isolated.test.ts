// The task server in its own isolated task (boot's `isolate`, servers/task/task-body.ts):
// the same client program gets the same answers from it as from the in-process server:
// create (and EAGAIN past the per-client quota), list and ps scoped to the client's own
// tasks (an admin sees every task), kill (own task yes, another's EPERM, unknown ESRCH),
// exit events to a subscriber for a kill and for a death from outside, and the tasks a
// client created ending with it at shutdown, an admin's killed by the server's shutdown. Its worker dying: its clients' calls fail with
// EPIPE, a bystander keeps answering, the tasks it created stay. Real time: every wait is bounded.

import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { Auth } from '../../../protocol/auth.ts';
import { Mailbox, Notify } from '../../../protocol/notify.ts';
import { authServer } from '../../../servers/auth/index.ts';
import { notifyServer } from '../../../servers/notify/index.ts';
import { boot, type System } from '../../../servers/system/index.ts';
import { Tasks, taskServer } from '../../../servers/task/index.ts';
import { holder, within } from '../system/harness.ts';


async function bootTasks(isolate: boolean): Promise<{ k: Kernel; sys: System }> {
  const k = new Kernel();
  const sys = await within(
    boot(k, {
      notify: { server: notifyServer() },
      task: { server: taskServer({ taskQuota: 2 }), isolate, uses: { notify: 'notify' } },
      other: { server: authServer() },
      alice: { program: holder, uses: { task: 'task', notify: 'notify', other: 'other' } },
      bob: { program: holder, uses: { task: 'task' } },
      root: { program: holder, uses: { task: { service: 'task', params: { admin: true } } } },
    }),
    20_000,
    'boot',
  );
  return { k, sys };
}

function tasksOf(k: Kernel, sys: System, path: string) {
  return connect(Tasks, k, sys.task(path), sys.caps(path).get('task')!);
}

/** What the clients of `task` see, pids replaced by task names (they differ between the two systems). */
async function scenario(isolate: boolean): Promise<unknown> {
  const { k, sys } = await bootTasks(isolate);
  try {
    expect(sys.worker('task') !== null).toBe(isolate);
    const alice = tasksOf(k, sys, 'alice');
    const bob = tasksOf(k, sys, 'bob');
    const root = tasksOf(k, sys, 'root');
    const name = (pid: number): string => (pid === 0 ? '-' : (k.tasks.get(pid)?.name ?? `dead ${pid}`));
    const out: Record<string, unknown> = {};
    // A mailbox of alice's, and a subscription to the deaths of every task she may see.
    const n = connect(Notify, k, sys.task('alice'), sys.caps('alice').get('notify')!);
    const mb = connect(Mailbox, k, sys.task('alice'), (await n.subscribe({ capacity: 16 })).mailbox);
    out.sync = (await mb.next({ timeout: 1000 })).event.type;
    const { sender } = await mb.allow({ source: 'task' });
    out.subscribed = (await alice.attempt.subscribe({ pid: 0, sender })).ok;
    const a1 = await alice.create({ name: 'a1', slots: 0 });
    const a2 = await alice.create({ name: 'a2', slots: 0 });
    out.overQuota = await alice.attempt.create({ name: 'a3', slots: 0 });
    out.badName = (await alice.attempt.create({ name: '', slots: 0 })).ok;
    const b1 = await bob.create({ name: 'b1', slots: 0 });
    // An admin's task does not end with its creator: the server's shutdown kills it.
    const r1 = await root.create({ name: 'r1', slots: 0 });
    out.aliceList = (await alice.list()).tasks.map((t) => [t.name, name(t.owner), t.threads, t.uid, t.note]);
    out.bobList = (await bob.list()).tasks.map((t) => [t.name, name(t.owner)]);
    out.alicePs = (await alice.ps()).threads.map((r) => [r.task, r.thread, r.state, r.uid]);
    const all = (await root.list()).tasks.map((t) => t.name);
    out.rootSees = ['alice', 'bob', 'a1', 'a2', 'b1', 'r1', 'task'].every((x) => all.includes(x));
    out.rootPs = (await root.ps()).threads.some((r) => r.task === 'b1');
    out.noteByBob = await bob.attempt.note({ pid: a1.pid, note: 'mine' });
    await alice.note({ pid: a1.pid, note: 'first' });
    out.noted = (await alice.list()).tasks.find((t) => t.pid === a1.pid)?.note;
    // kill: another's task EPERM, an unknown pid ESRCH, her own yes.
    out.bobKills = await bob.attempt.kill({ pid: a1.pid });
    out.unknown = await alice.attempt.kill({ pid: 99_999 });
    out.kill = (await alice.attempt.kill({ pid: a1.pid })).ok;
    out.a1Alive = k.tasks.get(a1.pid)?.alive ?? false;
    out.again = await alice.attempt.kill({ pid: a1.pid });
    // A death from outside the server (the kernel deleting the task) is reaped and posted too.
    k.deleteTask(k.tasks.get(a2.pid)!);
    const events: string[] = [];
    for (let i = 0; i < 2; i++) {
      const e = (await within(mb.next({ timeout: 5000 }), 10_000, 'exit event')).event;
      const [pid, tname] = e.data.split(' ');
      events.push(`${e.type} ${e.source} ${Number(pid) === (i === 0 ? a1.pid : a2.pid) ? 'pid' : pid} ${tname}`);
    }
    out.events = events;
    out.afterDeaths = (await alice.list()).tasks.map((t) => t.name);
    // Her quota is free again.
    out.createAgain = (await alice.attempt.create({ name: 'a4', slots: 0 })).ok;
    const report = await within(sys.shutdown(), 20_000, 'shutdown');
    out.held = report.held.map((h) => ({ server: h.server, what: h.what.replace(/task \d+ /, 'task N ') }));
    out.errors = report.errors;
    out.b1Alive = k.tasks.get(b1.pid)?.alive ?? false;
    out.r1Alive = k.tasks.get(r1.pid)?.alive ?? false;
    expect(sys.worker('task')?.task.alive ?? false).toBe(false);
    return out;
  } finally {
    await within(sys.shutdown({ force: true }), 20_000, 'shutdown');
  }
}

describe('the task server isolated', () => {
  it('gives the same answers as in-process: create, quota, list/ps scoping, kill, exit events, shutdown', async () => {
    const inProcess = await scenario(false);
    const isolated = await scenario(true);
    expect(isolated).toEqual(inProcess);
    expect(inProcess).toMatchObject({
      sync: 'sync',
      subscribed: true,
      overQuota: { ok: false, error: 'EAGAIN' },
      badName: false,
      aliceList: [
        ['alice', '-', 1, 0, ''], // its thread: the stub's, waiting for this very answer
        ['a1', 'alice', 0, 65534, ''],
        ['a2', 'alice', 0, 65534, ''],
      ],
      bobList: [
        ['bob', '-'],
        ['b1', 'bob'],
      ],
      alicePs: [
        ['alice', 'alice.rpc', 'blocked-reply', 0],
        ['a1', '-', 'no threads', 65534],
        ['a2', '-', 'no threads', 65534],
      ],
      rootSees: true,
      rootPs: true,
      noteByBob: { ok: false, error: 'EPERM' },
      noted: 'first',
      bobKills: { ok: false, error: 'EPERM' },
      unknown: { ok: false, error: 'ESRCH' },
      kill: true,
      a1Alive: false,
      again: { ok: false, error: 'ESRCH' },
      events: ['exit task pid a1', 'exit task pid a2'],
      afterDeaths: ['alice'],
      createAgain: true,
      // The clients' tasks go first; the tasks they created go with them (no-senders);
      // an admin's are left for the server's own shutdown to kill.
      held: [{ server: 'task', what: 'task N (r1) created through the server was still alive: killed' }],
      errors: [],
      b1Alive: false,
      r1Alive: false,
    });
  }, 90_000);

  it('its worker dying: its clients get EPIPE, a bystander keeps answering, shutdown still completes', async () => {
    const { k, sys } = await bootTasks(true);
    const alice = tasksOf(k, sys, 'alice');
    const a1 = await alice.create({ name: 'a1', slots: 0 });
    const w = sys.worker('task')!;
    await w.worker.terminate();
    const why = await within(w.done, 10_000, 'worker end');
    expect(why.reason).not.toBe('returned');
    expect(w.task.alive).toBe(false);
    // What it created outlives it (in-process its shutdown would have killed it): alice still holds a cap to it.
    expect(k.tasks.get(a1.pid)?.alive).toBe(true);
    expect(await within(alice.attempt.list(), 10_000, 'list after death')).toMatchObject({ ok: false, error: 'EPIPE' });
    expect(await within(tasksOf(k, sys, 'bob').attempt.create({ name: 'b', slots: 0 }), 10_000, 'create after death')).toMatchObject({ ok: false, error: 'EPIPE' });
    // The in-process auth server of the same system keeps answering alice.
    const other = connect(Auth, k, sys.task('alice'), sys.caps('alice').get('other')!);
    expect((await within(other.getids(), 10_000, 'bystander')).euids).toEqual([0]);
    const report = await within(sys.shutdown(), 20_000, 'shutdown');
    expect(report.errors).toEqual([]);
    expect(report.held).toEqual([{ server: 'task', what: 'its task had died before shutdown' }]);
  }, 60_000);
});
