// The task server: create (the caller populates the task with its own factory), kill,
// list and ps (scoped: admin or own tasks), death subscriptions posted through the
// notify service, and clean-up: a bucket forgets a client killed through the task
// server; subscriptions go with their holder or their mailbox; shutdown kills the tasks
// it created. Every declared error is produced here.

import { describe, expect, it } from 'vitest';
import { CAP_FACTORY, CAP_FIRST_FREE, CAP_SELF, HostSys, Rights, Status, type Kernel, type Sys, type SysGen, type Task } from '../../../core/index.ts';
import { connect, type AsyncClient, type SpecsOf } from '../../../libcap/index.ts';
import { Mailbox, Notify, notifyServer, type NotifyInstance } from '../../../servers/notify/index.ts';
import { namesServer, Namespace, type NamesInstance } from '../../../servers/names/index.ts';
import { Tasks, taskServer, type TaskInstance } from '../../../servers/task/index.ts';
import { kernel, settle, startServer, track } from '../system/harness.ts';
import { advance, slotsHoldingCopyOf } from '../../world-helpers.ts';

interface World {
  k: Kernel;
  tasks: TaskInstance;
  serverTask: Task;
  /** A client task (with a factory of its own) and its task-server client. */
  client(name: string, admin?: boolean): { task: Task; ts: AsyncClient<SpecsOf<typeof Tasks>> };
}

async function world(opts: { quota?: number; maxSubscriptions?: number } = {}): Promise<World> {
  const k = kernel();
  const serverTask = k.createTask('task', { quota: opts.quota ?? 10_000, slots: 1 << 16 });
  const tasks = (await taskServer(opts.maxSubscriptions === undefined ? {} : { maxSubscriptions: opts.maxSubscriptions })({ kernel: k, task: serverTask, caps: new Map() })) as TaskInstance;
  return {
    k,
    tasks,
    serverTask,
    client(name, admin = false) {
      const task = k.createTask(name, { quota: 100 });
      return { task, ts: connect(Tasks, k, task, tasks.install(task, { admin })) };
    },
  };
}

/** Where the parent installs an endpoint in the child (its first free slot). */
const CHILD_EP = CAP_FIRST_FREE;

/** A body that waits forever on the endpoint its parent installed (so ps shows what it waits on). */
function* waitOnEndpoint(sys: Sys): SysGen<void> {
  yield sys.recv(CHILD_EP);
}

/** A notify mailbox for `task` and a sender cap (labelled 'task') to hand to the task server. */
async function mailboxFor(k: Kernel, notify: NotifyInstance, task: Task) {
  const n = connect(Notify, k, task, notify.install!(task, undefined));
  const { mailbox } = await n.subscribe({ capacity: 16 });
  const mb = connect(Mailbox, k, task, mailbox);
  expect((await mb.next({ timeout: 0 })).event.type).toBe('sync');
  const { sender } = await mb.allow({ source: 'task' });
  return { mb, mailbox, sender };
}

describe('Tasks.create', () => {
  it('gives the caller a task cap with Read and Write; the caller populates it with its own factory', async () => {
    const w = await world();
    const c = w.client('parent');
    const { task: slot, pid } = await c.ts.create({ name: 'child', slots: 0 });
    expect(c.task.cspace.get(slot)?.rights).toBe(Rights.Read | Rights.Write);
    const child = w.k.tasks.get(pid)!;
    expect(child.name).toBe('child');
    // The parent populates the child: an endpoint made with its own factory, then a thread.
    const st = await w.k.exec(c.task, function* (sys: Sys): SysGen<number[]> {
      const ep = sys.allocSlot();
      const th = sys.allocSlot();
      return [
        sys.createEndpoint(CAP_FACTORY, ep),
        sys.installCap(slot, ep, CHILD_EP, Rights.All),
        sys.createThread(CAP_FACTORY, slot, th, waitOnEndpoint, { name: 'child.main' }),
      ];
    });
    expect(st).toEqual([Status.Ok, Status.Ok, Status.Ok]);
    await settle(w.k);
    const rows = (await c.ts.ps()).threads.filter((r) => r.pid === pid);
    // uid and note (issue 10): the creator is a non-admin client installed without a uid: nobody.
    expect(rows).toEqual([{ pid, task: 'child', tid: rows[0]!.tid, thread: 'child.main', state: 'blocked-recv', blockedOn: expect.stringMatching(/^endpoint \d+$/), priority: 100, uid: 65534, note: '' }]);
    const listed = (await c.ts.list()).tasks;
    expect(listed.map((t) => [t.pid, t.name, t.owner])).toEqual([
      [c.task.id, 'parent', 0],
      [pid, 'child', c.task.id],
    ]);
    expect(listed[1]!.threads).toBe(1);
  });

  it('answers EINVAL for an empty name or a bad size, EAGAIN when its quota is spent', async () => {
    const w = await world({ quota: 12 });
    const c = w.client('parent');
    expect(await c.ts.attempt.create({ name: '', slots: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    expect(await c.ts.attempt.create({ name: 'x', slots: 4 })).toMatchObject({ ok: false, error: 'EINVAL' });
    let made = 0;
    let last = await c.ts.attempt.create({ name: 'x', slots: 0 });
    while (last.ok && made < 50) {
      made++;
      last = await c.ts.attempt.create({ name: `x${made}`, slots: 0 });
    }
    expect(last).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(made).toBeGreaterThan(0);
  });
});

describe('Tasks.kill, list and ps', () => {
  it('kills a task the caller created; ESRCH for an unknown pid, EPERM for someone else\'s', async () => {
    const w = await world();
    const a = w.client('a');
    const b = w.client('b');
    const { pid } = await a.ts.create({ name: 'a-child', slots: 0 });
    expect(await b.ts.attempt.kill({ pid })).toMatchObject({ ok: false, error: 'EPERM' });
    expect(await a.ts.attempt.kill({ pid: 99_999 })).toMatchObject({ ok: false, error: 'ESRCH' });
    expect(await b.ts.attempt.kill({ pid: a.task.id })).toMatchObject({ ok: false, error: 'ESRCH' });
    await a.ts.kill({ pid });
    expect(w.k.tasks.has(pid)).toBe(false);
    expect(await a.ts.attempt.kill({ pid })).toMatchObject({ ok: false, error: 'ESRCH' });
    expect(w.tasks.known()).toEqual([]);
  });

  it('scopes list and ps: a client sees itself and its children, an admin every task', async () => {
    const w = await world();
    const a = w.client('a');
    const b = w.client('b');
    const admin = w.client('admin', true);
    const { pid } = await a.ts.create({ name: 'a-child', slots: 0 });
    expect((await a.ts.list()).tasks.map((t) => t.pid)).toEqual([a.task.id, pid]);
    expect((await b.ts.list()).tasks.map((t) => t.pid)).toEqual([b.task.id]);
    expect((await admin.ts.list()).tasks.map((t) => t.name)).toEqual(['task', 'a', 'b', 'admin', 'a-child']);
    const ps = (await admin.ts.ps()).threads;
    expect(ps.find((r) => r.thread === 'task.reaper')).toMatchObject({ state: 'blocked-notification' });
    expect(ps.find((r) => r.task === 'a-child')).toMatchObject({ tid: 0, state: 'no threads' });
    // An admin may kill what someone else created, and tasks the composer adopted.
    await admin.ts.kill({ pid });
    const adopted = w.k.createTask('adopted');
    w.tasks.adopt(adopted);
    await admin.ts.kill({ pid: adopted.id });
    expect(adopted.alive).toBe(false);
  });

  it('a bucket forgets a client killed through the task server (its caps and its RPC in flight)', async () => {
    const w = await world();
    const { inst: names } = await startServer<NamesInstance>(w.k, 'names', namesServer());
    const parent = w.client('parent');
    const { pid } = await parent.ts.create({ name: 'victim', slots: 0 });
    const victim = w.k.tasks.get(pid)!;
    const space = names.createNamespace('victim');
    space.bindPending('never');
    const view = names.installView(space, victim);
    // A thread of the victim waits in a query the name server defers.
    const q = track(connect(Namespace, w.k, victim, view).attempt.query({ path: 'never', wait: 60_000 }));
    await settle(w.k);
    expect(names.bucket.stats()).toMatchObject({ clients: 1, outstanding: 1, inflight: 1 });
    await parent.ts.kill({ pid });
    await settle(w.k);
    expect(names.bucket.stats()).toMatchObject({ clients: 0, outstanding: 0, inflight: 0 });
    expect(space.waiters.size).toBe(0);
    expect(q.done).toBe(true);
  });
});

describe('Tasks.adopt', () => {
  /** A task made elsewhere (as a filesystem makes a translator's) and a cap to it in `holder`'s space. */
  function elsewhere(w: World, holder: Task, rights = Rights.Read | Rights.Write): { task: Task; cap: number } {
    const task = w.k.createTask('fs:hello /home/user/x');
    return { task, cap: w.k.grant(task, CAP_SELF, holder, { rights }) };
  }

  it('an admin has the server know a task made elsewhere, running for the uid it names: list and ps show it; kill and death as for any task', async () => {
    const w = await world();
    const admin = w.client('admin', true);
    const a = elsewhere(w, admin.task);
    const { pid } = await admin.ts.adopt({ task: a.cap, uid: 1000 });
    expect(pid).toBe(a.task.id);
    expect((await admin.ts.list()).tasks.find((t) => t.pid === pid)).toEqual({ pid, name: 'fs:hello /home/user/x', threads: 0, owner: admin.task.id, uid: 1000, note: '' });
    expect((await admin.ts.ps()).threads.find((r) => r.pid === pid)).toMatchObject({ uid: 1000, state: 'no threads' });
    expect(w.tasks.about(pid)).toEqual({ uid: 1000, note: '' });
    // The caller keeps its copy.
    expect(admin.task.cspace.get(a.cap)).not.toBeNull();
    await admin.ts.kill({ pid });
    expect(a.task.alive).toBe(false);
    // Its death is seen as any task's: the record goes.
    const b = elsewhere(w, admin.task);
    await admin.ts.adopt({ task: b.cap, uid: 7 });
    w.k.deleteTask(b.task);
    await settle(w.k);
    expect(w.tasks.known()).not.toContain(b.task.id);
    expect(w.tasks.known()).not.toContain(pid);
  });

  it('answers EPERM to a non-admin, EINVAL for a cap that is not a task cap with Read and Write, ESRCH for a dead task, EEXIST for a task it knows', async () => {
    const w = await world();
    const admin = w.client('admin', true);
    const user = w.client('user');
    const mine = elsewhere(w, user.task);
    expect(await user.ts.attempt.adopt({ task: mine.cap, uid: 0 })).toMatchObject({ ok: false, error: 'EPERM' });
    const readOnly = elsewhere(w, admin.task, Rights.Read);
    expect(await admin.ts.attempt.adopt({ task: readOnly.cap, uid: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const ep = admin.task.cspace.allocSlot();
    expect(new HostSys(w.k, admin.task).createEndpoint(CAP_FACTORY, ep)).toBe(Status.Ok);
    expect(await admin.ts.attempt.adopt({ task: ep, uid: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const dead = elsewhere(w, admin.task);
    w.k.deleteTask(dead.task);
    expect(await admin.ts.attempt.adopt({ task: dead.cap, uid: 0 })).toMatchObject({ ok: false, error: 'ESRCH' });
    const { pid } = await user.ts.create({ name: 'created', slots: 0 });
    const created = elsewhere(w, admin.task);
    const again = w.k.grant(w.k.tasks.get(pid)!, CAP_SELF, admin.task, { rights: Rights.Read | Rights.Write });
    expect(await admin.ts.attempt.adopt({ task: again, uid: 0 })).toMatchObject({ ok: false, error: 'EEXIST' });
    await admin.ts.adopt({ task: created.cap, uid: 5 });
    expect(await admin.ts.attempt.adopt({ task: created.cap, uid: 6 })).toMatchObject({ ok: false, error: 'EEXIST' });
    // Nothing refused left a record or a cap behind; the created task keeps its creator's uid.
    expect(w.tasks.known().sort((x, y) => x - y)).toEqual([pid, created.task.id]);
    for (const [holder, cap] of [[user.task, mine.cap], [admin.task, readOnly.cap], [admin.task, ep], [admin.task, dead.cap], [admin.task, again]] as const) {
      expect(slotsHoldingCopyOf(holder, cap, w.serverTask)).toEqual([]);
    }
    expect(slotsHoldingCopyOf(admin.task, created.cap, w.serverTask)).toHaveLength(1);
    expect(w.tasks.about(pid)?.uid).toBe(65534);
    expect(w.tasks.about(created.task.id)?.uid).toBe(5);
  });
});

describe('Tasks.subscribe', () => {
  it('posts an exit event through the notify service when the task dies', async () => {
    const w = await world();
    const { inst: notify } = await startServer<NotifyInstance>(w.k, 'notify', notifyServer());
    const c = w.client('parent');
    const { pid } = await c.ts.create({ name: 'short-lived', slots: 0 });
    const { mb, sender } = await mailboxFor(w.k, notify, c.task);
    const { id } = await c.ts.subscribe({ pid, sender });
    expect(id).toBeGreaterThan(0);
    await c.ts.kill({ pid });
    const e = (await mb.next({ timeout: 0 })).event;
    expect(e).toMatchObject({ type: 'exit', source: 'task', data: `${pid} short-lived` });
    await settle(w.k);
    expect(w.tasks.subscriptions()).toBe(0); // one-shot: done once posted
  });

  it('pid 0 reports every visible task, including ones created later; unsubscribe stops it', async () => {
    const w = await world();
    const { inst: notify } = await startServer<NotifyInstance>(w.k, 'notify', notifyServer());
    const c = w.client('parent');
    const { mb, sender } = await mailboxFor(w.k, notify, c.task);
    const { id } = await c.ts.subscribe({ pid: 0, sender });
    const one = await c.ts.create({ name: 'one', slots: 0 });
    const two = await c.ts.create({ name: 'two', slots: 0 });
    await c.ts.kill({ pid: one.pid });
    // Death from outside the server (the kernel deleting the task) is seen too.
    w.k.deleteTask(w.k.tasks.get(two.pid)!);
    expect((await mb.next({ timeout: 0 })).event.data).toBe(`${one.pid} one`);
    expect((await mb.next({ timeout: 0 })).event.data).toBe(`${two.pid} two`);
    await c.ts.unsubscribe({ id });
    expect(await c.ts.attempt.unsubscribe({ id })).toMatchObject({ ok: false, error: 'ENOENT' });
    const three = await c.ts.create({ name: 'three', slots: 0 });
    await c.ts.kill({ pid: three.pid });
    await settle(w.k);
    expect((await mb.take({ max: 10 })).events).toEqual([]);
  });

  it('answers ESRCH, EPERM and EDQUOT', async () => {
    const w = await world({ maxSubscriptions: 1 });
    const { inst: notify } = await startServer<NotifyInstance>(w.k, 'notify', notifyServer());
    const a = w.client('a');
    const b = w.client('b');
    const { pid } = await a.ts.create({ name: 'a-child', slots: 0 });
    const bm = await mailboxFor(w.k, notify, b.task);
    expect(await b.ts.attempt.subscribe({ pid: 99_999, sender: bm.sender })).toMatchObject({ ok: false, error: 'ESRCH' });
    expect(await b.ts.attempt.subscribe({ pid, sender: bm.sender })).toMatchObject({ ok: false, error: 'EPERM' });
    const am = await mailboxFor(w.k, notify, a.task);
    await a.ts.subscribe({ pid, sender: am.sender });
    expect(await a.ts.attempt.subscribe({ pid: 0, sender: am.sender })).toMatchObject({ ok: false, error: 'EDQUOT' });
  });

  it('drops a subscription whose mailbox is gone, and those of a client that died', async () => {
    const w = await world();
    const { inst: notify } = await startServer<NotifyInstance>(w.k, 'notify', notifyServer());
    const c = w.client('parent');
    const m = await mailboxFor(w.k, notify, c.task);
    await c.ts.subscribe({ pid: 0, sender: m.sender });
    expect(w.tasks.subscriptions()).toBe(1);
    // The client deletes its mailbox: the service revokes its senders; the next post fails.
    await w.k.exec(c.task, function* (sys: Sys): SysGen<void> {
      sys.delete(m.mailbox);
    });
    const { pid } = await c.ts.create({ name: 'x', slots: 0 });
    await c.ts.kill({ pid });
    await settle(w.k);
    expect(w.tasks.subscriptions()).toBe(0);

    const d = w.client('doomed');
    const dm = await mailboxFor(w.k, notify, d.task);
    await d.ts.subscribe({ pid: 0, sender: dm.sender });
    expect(w.tasks.subscriptions()).toBe(1);
    w.k.deleteTask(d.task);
    await settle(w.k);
    expect(w.tasks.subscriptions()).toBe(0);
    expect(w.tasks.bucket.stats()).toMatchObject({ inflight: 0 });
  });
});

describe('Tasks.subscribe: kept senders', () => {
  it("a one-shot sender revoked while its exit event waits: another client's sender that refills the slot keeps its subscription", async () => {
    const w = await world();
    const a = w.client('a');
    const b = w.client('b', true);
    /** An endpoint of `task` nobody receives on (a post to it stalls). */
    const endpoint = (task: Task): Promise<number> =>
      w.k.exec(task, function* (sys: Sys): SysGen<number> {
        const slot = sys.allocSlot();
        expect(sys.createEndpoint(CAP_FACTORY, slot)).toBe(Status.Ok);
        return slot;
      });
    const { pid } = await a.ts.create({ name: 'watched', slots: 0 });
    const mine = await endpoint(a.task);
    await a.ts.subscribe({ pid, sender: mine });
    const [kept] = slotsHoldingCopyOf(a.task, mine, w.serverTask);
    expect(kept).toBeDefined();
    // The death is posted; nobody receives, so the event waits in the server's poster.
    await a.ts.kill({ pid });
    await settle(w.k);
    // The client takes its sender back, and b's senders come in until one lands in that slot.
    new HostSys(w.k, a.task).revoke(mine);
    const server = new HostSys(w.k, w.serverTask);
    expect(server.identify(kept!)).toBeNull();
    let landed = 0;
    for (let i = 0; i < 8 && landed === 0; i++) {
      const theirs = await endpoint(b.task);
      await b.ts.subscribe({ pid: 0, sender: theirs });
      if (slotsHoldingCopyOf(b.task, theirs, w.serverTask).includes(kept!)) landed = theirs;
    }
    expect(landed).not.toBe(0);
    const bs = server.identify(kept!)!;
    // The poster gives up on a's sender and the one-shot subscription ends: b's sender stays.
    await advance(w.k, 60_000);
    expect(server.identify(kept!)?.serial).toBe(bs.serial);
  });
});

describe('task server shutdown', () => {
  it('ends the tasks a client created when the client dies; kills the rest at shutdown (reported), leaves adopted ones alone', async () => {
    const w = await world();
    const c = w.client('parent');
    const { pid } = await c.ts.create({ name: 'orphan', slots: 0 });
    const c2 = w.client('parent2');
    const { pid: kept } = await c2.ts.create({ name: 'kept', slots: 0 });
    const adopted = w.k.createTask('adopted');
    w.tasks.adopt(adopted);
    // Its creator gone, an orphan would hold the users' shared task budget for good.
    w.k.deleteTask(c.task);
    await settle(w.k);
    expect(w.k.tasks.has(pid)).toBe(false);
    const notes = await w.tasks.shutdown!(false);
    expect(notes).toContainEqual({ server: 'task', what: `task ${kept} (kept) created through the server was still alive: killed` });
    expect(w.k.tasks.has(kept)).toBe(false);
    expect(adopted.alive).toBe(true);
    await settle(w.k);
    const left = [...w.serverTask.threads].filter((t) => t.alive).map((t) => t.name);
    expect(left).toEqual([]);
  });
});
