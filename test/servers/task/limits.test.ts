// What one client cannot do to the task server or to other clients: take every task (a
// per-client quota and a share for all non-admin clients, EAGAIN, while root keeps
// working), poison a listing with a malformed name (EINVAL at the door; composer names
// made well-formed), or make the server keep a cap that is not a notify sender (EINVAL).
// And the records' users and notes (issue 10: ps shows who a task runs for and a note), and
// list and ps answering EIO when the kernel's snapshot does not fit one item.

import { describe, expect, it } from 'vitest';
import { HostSys, MAX_SNAPSHOT_LENGTH, Rights, snapshot, type Kernel, type Task } from '../../../core/index.ts';
import { connect, type AsyncClient, type SpecsOf } from '../../../libcap/index.ts';
import { Mailbox, Notify, notifyServer, type NotifyInstance } from '../../../servers/notify/index.ts';
import { DEFAULT_TASK_QUOTA, DEFAULT_USER_TASKS, formatPs, psRows, Tasks, taskServer, type TaskInstance, type TaskServerOptions } from '../../../servers/task/index.ts';
import { kernel, startServer } from '../system/harness.ts';

interface World {
  k: Kernel;
  tasks: TaskInstance;
  notify: NotifyInstance;
  client(name: string, params?: { admin?: boolean; uid?: number; taskQuota?: number }): { task: Task; ts: AsyncClient<SpecsOf<typeof Tasks>> };
}

async function world(opts: TaskServerOptions = {}): Promise<World> {
  const k = kernel();
  const { inst: notify } = await startServer<NotifyInstance>(k, 'notify', notifyServer());
  const serverTask = k.createTask('task', { quota: 10_000, slots: 1 << 16 });
  // The task server uses the notify service, as in the default system.
  const notifyCap = notify.install!(serverTask, undefined);
  const tasks = (await taskServer(opts)({ kernel: k, task: serverTask, caps: new Map([['notify', notifyCap]]) })) as TaskInstance;
  return {
    k,
    tasks,
    notify,
    client(name, params = {}) {
      const task = k.createTask(name, { quota: 100 });
      return { task, ts: connect(Tasks, k, task, tasks.install(task, params)) };
    },
  };
}

describe('task server: quotas', () => {
  it('bounds the live tasks one client creates (EAGAIN); others and root keep working; a kill gives one back', async () => {
    const w = await world({ taskQuota: 3 });
    const a = w.client('a');
    const b = w.client('b');
    const root = w.client('root', { admin: true });
    const made: number[] = [];
    for (let i = 0; i < 3; i++) made.push((await a.ts.create({ name: `a${i}`, slots: 0 })).pid);
    expect(await a.ts.attempt.create({ name: 'a3', slots: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect((await b.ts.attempt.create({ name: 'b0', slots: 0 })).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect((await root.ts.attempt.create({ name: `r${i}`, slots: 0 })).ok).toBe(true);
    await a.ts.kill({ pid: made[0]! });
    expect((await a.ts.attempt.create({ name: 'a3', slots: 0 })).ok).toBe(true);
    expect(DEFAULT_TASK_QUOTA).toBe(64);
  });

  it('takes a per-client quota from the install params', async () => {
    const w = await world({ taskQuota: 3 });
    const small = w.client('small', { taskQuota: 1 });
    await small.ts.create({ name: 's0', slots: 0 });
    expect(await small.ts.attempt.create({ name: 's1', slots: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
  });

  it('bounds what all non-admin clients hold together (EAGAIN), so many clients cannot starve root', async () => {
    const w = await world({ taskQuota: 10, userTasks: 4 });
    const clients = ['a', 'b', 'c'].map((n) => w.client(n));
    for (const c of clients.slice(0, 2)) for (let i = 0; i < 2; i++) await c.ts.create({ name: `t${i}`, slots: 0 });
    expect(await clients[2]!.ts.attempt.create({ name: 'late', slots: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    const root = w.client('root', { admin: true });
    expect((await root.ts.attempt.create({ name: 'root-task', slots: 0 })).ok).toBe(true);
    // Root's tasks do not count against the users' share.
    expect(await clients[2]!.ts.attempt.create({ name: 'late', slots: 0 })).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(DEFAULT_USER_TASKS).toBe(1024);
  });
});

describe('task server: strings', () => {
  it('refuses a task name or note with a lone surrogate (EINVAL); a composer\'s odd name never poisons list or ps', async () => {
    const w = await world();
    const a = w.client('a');
    expect(await a.ts.attempt.create({ name: 'bad\ud800', slots: 0 })).toMatchObject({ ok: false, error: 'EINVAL' });
    const { pid } = await a.ts.create({ name: 'good', slots: 0 });
    expect(await a.ts.attempt.note({ pid, note: 'x\udfff' })).toMatchObject({ ok: false, error: 'EINVAL' });
    const odd = w.k.createTask('odd\ud800name');
    w.tasks.adopt(odd);
    const root = w.client('root', { admin: true });
    const listed = (await root.ts.list()).tasks.map((t) => t.name);
    expect(listed).toContain('odd\ufffdname');
    expect(listed).toContain('good');
    expect((await root.ts.ps()).threads.some((r) => r.task === 'odd\ufffdname')).toBe(true);
  });
});

describe('task server: users and notes', () => {
  it('records the creator\'s uid and a note its creator (or an admin) sets; list, ps and formatPs show them', async () => {
    const w = await world();
    const user = w.client('user', { uid: 1000 });
    const other = w.client('other', { uid: 1001 });
    const root = w.client('root', { admin: true });
    const { pid } = await user.ts.create({ name: 'fs:hello', slots: 0 });
    await user.ts.note({ pid, note: 'attached at /hello' });
    expect(await other.ts.attempt.note({ pid, note: 'mine now' })).toMatchObject({ ok: false, error: 'EPERM' });
    expect(await user.ts.attempt.note({ pid: 99_999, note: '' })).toMatchObject({ ok: false, error: 'ESRCH' });
    const row = (await root.ts.list()).tasks.find((t) => t.pid === pid)!;
    expect(row).toMatchObject({ name: 'fs:hello', uid: 1000, note: 'attached at /hello', owner: user.task.id });
    const rootMade = await root.ts.create({ name: 'by-root', slots: 0 });
    await root.ts.note({ pid, note: 'set by root' });
    expect((await root.ts.ps()).threads.find((r) => r.pid === rootMade.pid)).toMatchObject({ uid: 0, note: '' });
    expect(w.tasks.about(pid)).toEqual({ uid: 1000, note: 'set by root' });
    expect(w.tasks.setNote(pid, 'host')).toBe(true);
    const rows = psRows(snapshot(w.k), (t) => t.id === pid, (p) => w.tasks.about(p));
    expect(rows).toEqual([expect.objectContaining({ pid, uid: 1000, note: 'host' })]);
    const text = formatPs(rows, { user: true, userName: (u) => (u === 1000 ? 'user' : String(u)) });
    expect(text[0]).toMatch(/^PID\s+USER\s+TASK\s+TID\s+THREAD\s+STATE\s+WAITING ON\s+NOTE$/);
    expect(text[1]).toMatch(new RegExp(`^\\s*${pid}\\s+user\\s+fs:hello\\s+-\\s+-\\s+no threads\\s+host$`));
  });
});

describe('task server: the caps it keeps', () => {
  it('keeps only senders of the system\'s notify service (EINVAL for any other cap)', async () => {
    const w = await world();
    const a = w.client('a');
    const { pid } = await a.ts.create({ name: 'watched', slots: 0 });
    // Not a notify cap: a task cap the client holds.
    const taskCap = (await a.ts.create({ name: 'x', slots: 0 })).task;
    expect(await a.ts.attempt.subscribe({ pid, sender: taskCap })).toMatchObject({ ok: false, error: 'EINVAL' });
    const n = connect(Notify, w.k, a.task, w.notify.install!(a.task, undefined));
    const { mailbox } = await n.subscribe({ capacity: 4 });
    const { sender } = await connect(Mailbox, w.k, a.task, mailbox).allow({ source: 'task' });
    const sub = await a.ts.subscribe({ pid, sender });
    expect(w.tasks.subscriptions()).toBe(1);
    // The kept sender is charged to the client in libcap's accounting, and given back.
    const client = w.tasks.bucket.clientFor(a.task);
    expect(client.used('kept')).toBe(1);
    await a.ts.unsubscribe({ id: sub.id });
    expect(client.used('kept')).toBe(0);
  });

  it('bounds the sender caps it keeps for everyone together (EAGAIN)', async () => {
    const w = await world({ maxSenders: 1 });
    const a = w.client('a');
    const n = connect(Notify, w.k, a.task, w.notify.install!(a.task, undefined));
    const box = connect(Mailbox, w.k, a.task, (await n.subscribe({ capacity: 4 })).mailbox);
    const one = (await box.allow({ source: 'one' })).sender;
    const two = (await box.allow({ source: 'two' })).sender;
    await a.ts.subscribe({ pid: 0, sender: one });
    expect(await a.ts.attempt.subscribe({ pid: 0, sender: two })).toMatchObject({ ok: false, error: 'EAGAIN' });
  });
});

describe('task server: the kernel snapshot it reads', () => {
  it('answers list and ps EIO when the kernel\'s tasks and threads are longer than one item (caps do not count); both work again once they fit', async () => {
    const w = await world();
    const a = w.client('a');
    expect((await a.ts.list()).tasks.map((t) => t.name)).toEqual(['a']);
    // The caps a task holds do not count (the server reads tasks and threads only)...
    const many = w.k.createTask('many', { slots: 1 << 16 });
    const ep = w.k.createEndpoint(many);
    const hs = new HostSys(w.k, many);
    for (let i = 0; i < 20_000; i++) hs.mint(ep, hs.allocSlot(), Rights.All, i + 1);
    expect(JSON.stringify(snapshot(w.k)).length).toBeGreaterThan(MAX_SNAPSHOT_LENGTH);
    expect((await a.ts.list()).tasks.map((t) => t.name)).toEqual(['a']);
    // ...but a task name only the composer can give (clients' names are cut at 256 units) does.
    const big = w.k.createTask('b'.repeat(MAX_SNAPSHOT_LENGTH));
    expect(await a.ts.attempt.list()).toMatchObject({ ok: false, error: 'EIO' });
    expect(await a.ts.attempt.ps()).toMatchObject({ ok: false, error: 'EIO' });
    w.k.deleteTask(big);
    expect((await a.ts.list()).tasks.map((t) => t.name)).toEqual(['a']);
    expect((await a.ts.ps()).threads.map((t) => t.task)).toEqual(['a']);
  });
});
