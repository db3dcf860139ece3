// The proc translator: the kernel's live introspection as a read-only tree. The layout,
// counters and uptime on virtual time, a task created after mounting appearing and a
// deleted one vanishing (ENOENT from a file still open), a thread blocked on an
// endpoint seen from both sides, the read-only errors, goaway and bad arguments.

import { describe, expect, it } from 'vitest';
import type { Sys } from '../../../core/index.ts';
import { FSYS_GOAWAY, O } from '../../../protocol/fs.ts';
import { errorOf } from '../fs/harness.ts';
import { controlOf, mountOn, namesIn, text, translatorTasks, translatorWorld } from './mount.ts';

async function mounted() {
  const w = await translatorWorld();
  const c = w.client('root');
  await mountOn(c, 'proc', ['proc'], { dir: true });
  return { w, c };
}

describe('proc', () => {
  it('the top directory, counters and uptime (kernel time, virtual here)', async () => {
    const { w, c } = await mounted();
    expect(await namesIn(c, 'proc')).toEqual(['counters', 'uptime', 'tasks', 'threads', 'endpoints', 'notifications']);
    const counters = await c.readFile('proc/counters');
    expect(counters.split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0])).toEqual(Object.keys(w.k.counters));
    expect(counters).toMatch(/^fastpath \d+\nslowpath \d+\nmessages \d+\n/);
    const before = Number(await c.readFile('proc/uptime'));
    await w.advance(2500);
    expect(Number(await c.readFile('proc/uptime'))).toBeCloseTo(before + 2.5, 2);
    expect(await c.readFile('proc/uptime')).toMatch(/^\d+\.\d\d\n$/);
  });

  it('counters are live: more messages after more IPC', async () => {
    const { c } = await mounted();
    const first = Number(/messages (\d+)/.exec(await c.readFile('proc/counters'))![1]);
    await c.root.stat();
    await c.root.stat();
    const then = Number(/messages (\d+)/.exec(await c.readFile('proc/counters'))![1]);
    expect(then).toBeGreaterThan(first);
  });

  it('tasks: one directory per live task; a task made later appears, a deleted one vanishes', async () => {
    const { w, c } = await mounted();
    const ids = (await namesIn(c, 'proc/tasks')).map(Number);
    expect(ids).toEqual([...w.k.tasks.values()].filter((t) => t.alive).map((t) => t.id));
    expect(await c.readFile(`proc/tasks/${w.fsTask.id}/name`)).toBe('fs\n');
    const late = w.k.createTask('latecomer');
    expect(await namesIn(c, 'proc/tasks')).toContain(String(late.id));
    expect(await namesIn(c, `proc/tasks/${late.id}`)).toEqual(['name', 'threads', 'caps']);
    expect(await c.readFile(`proc/tasks/${late.id}/name`)).toBe('latecomer\n');
    expect(await c.readFile(`proc/tasks/${late.id}/threads`)).toBe('');
    const ep = w.k.createEndpoint(late);
    expect(await c.readFile(`proc/tasks/${late.id}/caps`)).toContain(`${ep} endpoint `);
    const open = c.protid(await c.open(`proc/tasks/${late.id}/name`));
    w.k.deleteTask(late);
    expect(await namesIn(c, 'proc/tasks')).not.toContain(String(late.id));
    expect(errorOf(await c.tryOpen(`proc/tasks/${late.id}/name`))).toBe('ENOENT');
    expect(errorOf(await open.attempt.read({ amount: 100 }))).toBe('ENOENT');
  });

  it('a thread blocked receiving on an endpoint: its state and what it waits on, and the endpoint\'s queue', async () => {
    const { w, c } = await mounted();
    const task = w.k.createTask('waiter');
    const ep = w.k.createEndpoint(task);
    const thread = w.k.spawn(task, function* (sys: Sys) {
      yield sys.recv(ep);
    }, { name: 'listener', priority: 7 });
    await w.settle();
    const epId = task.cspace.get(ep)!.obj.id;
    const t = `proc/threads/${thread.id}`;
    expect(await namesIn(c, t)).toEqual(['name', 'task', 'state', 'priority', 'blocked_on', 'deadline']);
    expect(await c.readFile(`${t}/name`)).toBe('listener\n');
    expect(await c.readFile(`${t}/task`)).toBe(`${task.id}\n`);
    expect(await c.readFile(`${t}/state`)).toBe('blocked-recv\n');
    expect(await c.readFile(`${t}/priority`)).toBe('7\n');
    expect(await c.readFile(`${t}/blocked_on`)).toBe(`endpoint ${epId}\n`);
    expect(await c.readFile(`${t}/deadline`)).toBe('-\n');
    expect(await c.readFile(`proc/tasks/${task.id}/threads`)).toBe(`${thread.id}\n`);
    expect(await c.readFile(`proc/endpoints/${epId}/state`)).toBe('recv\n');
    expect(await c.readFile(`proc/endpoints/${epId}/queue`)).toBe(`${thread.id}\n`);
    expect(await c.readFile(`proc/endpoints/${epId}/dead`)).toBe('0\n');
    expect(await namesIn(c, 'proc/threads')).toContain(String(thread.id));
    w.k.deleteTask(task);
    expect(await namesIn(c, 'proc/threads')).not.toContain(String(thread.id));
  });

  it('notifications: word, pending, waiters, bound', async () => {
    const { w, c } = await mounted();
    const task = w.k.createTask('notified');
    const n = w.k.createNotification(task);
    const id = task.cspace.get(n)!.obj.id;
    expect(await namesIn(c, `proc/notifications/${id}`)).toEqual(['word', 'pending', 'waiters', 'bound']);
    expect(await c.readFile(`proc/notifications/${id}/pending`)).toBe('0\n');
    expect(await c.readFile(`proc/notifications/${id}/bound`)).toBe('-\n');
  });

  it('stat: sizes are the generated text\'s; files r--r--r--, directories r-xr-xr-x', async () => {
    const { c } = await mounted();
    const f = c.protid(await c.open('proc/counters'));
    expect((await f.stat()).stat.size).toBe(Buffer.byteLength(await c.readFile('proc/counters')));
    expect((await f.stat()).stat.mode).toBe(0o100444);
    expect((await c.protid(await c.open('proc/tasks')).stat()).stat.mode).toBe(0o040555);
    expect(text((await f.read({ amount: 9 })).data)).toBe('fastpath ');
  });

  it('read-only: EROFS (root) or EACCES (others) for writing, EISDIR, ENOTDIR, ENOENT, EOPNOTSUPP', async () => {
    const { w, c } = await mounted();
    expect(errorOf(await c.tryOpen('proc/uptime', O.WRONLY))).toBe('EROFS');
    expect(errorOf(await w.client('bob', { uid: 1001, gid: 100 }).tryOpen('proc/uptime', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await c.tryOpen('proc/new', O.WRONLY | O.CREAT))).toBe('EROFS');
    expect(errorOf(await c.protid(await c.open('proc/tasks')).attempt.read({ amount: 1 }))).toBe('EISDIR');
    expect(errorOf(await c.tryOpen('proc/uptime/x'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('proc/tasks/999999'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen('proc/tasks/banana'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen(`proc/tasks/${w.fsTask.id}/nope`))).toBe('ENOENT');
    expect(errorOf(await c.protid(await c.open('proc')).attempt.mkdir({ name: 'x', mode: 0o755 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await c.protid(await c.open('proc')).attempt.unlink({ name: 'uptime' }))).toBe('EOPNOTSUPP');
  });

  it('goaway: EBUSY while a file is open, FORCE ends it; bad arguments fail the start (EIO)', async () => {
    const { w, c } = await mounted();
    const held = await c.open('proc/uptime');
    const ctl = await controlOf(c, 'proc');
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(translatorTasks(w, 'proc')).toHaveLength(0);
    expect(errorOf(await c.protid(held).attempt.read({ amount: 1 }))).not.toBe('ok');
    await mountOn(c, 'bad', ['proc', '--verbose'], { dir: true });
    expect(errorOf(await c.tryOpen('bad'))).toBe('EIO');
    expect(translatorTasks(w)).toHaveLength(0);
  });
});
