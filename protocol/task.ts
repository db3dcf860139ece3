// The task server's interface (the Hurd's proc server, reduced): create and kill tasks,
// know tasks created elsewhere (a filesystem's translators), list them, a ps listing of
// threads and what they wait for, and task-death subscriptions delivered as "exit" events
// through a notify sender cap.

import { defineInterface, t, type Infer } from '../libcap/index.ts';

/** Longest task name accepted by create and reported by list/ps. */
export const MAX_TASK_NAME = 256;
/** Most rows one list or ps reply carries (the rest is cut). */
export const MAX_ROWS = 4096;
/** Longest note a task's creator may set (Tasks.note). */
export const MAX_TASK_NOTE = 256;

/** One task as list answers it. */
export const TaskRowType = t.record({
  pid: t.u32,
  name: t.string(MAX_TASK_NAME),
  threads: t.u32,
  /** Pid of the task that created it through this server; 0 when it did not. */
  owner: t.u32,
  /** The user it runs for: its creator's uid (0 for tasks the system composed). */
  uid: t.u32,
  /** Free text its creator set (Tasks.note), e.g. where a translator is attached; '' when none. */
  note: t.string(MAX_TASK_NOTE),
});
/** A row of Tasks.list. */
export type TaskRow = Infer<typeof TaskRowType>;

/** One thread as ps answers it. */
export const ThreadRowType = t.record({
  pid: t.u32,
  task: t.string(MAX_TASK_NAME),
  /** 0 for a task with no threads. */
  tid: t.u32,
  thread: t.string(MAX_TASK_NAME),
  state: t.string(64),
  /** 'endpoint 7', 'notification 3', 'reply', 'sleep', or '' when not waiting. */
  blockedOn: t.string(64),
  priority: t.u32,
  /** The user the task runs for (as in list). */
  uid: t.u32,
  /** The task's note (as in list). */
  note: t.string(MAX_TASK_NOTE),
});
/** A row of Tasks.ps. */
export type ThreadRow = Infer<typeof ThreadRowType>;

/** The task server's interface; opcodes are appended, never renumbered. */
export const Tasks = defineInterface(
  'task',
  {
    create: {
      op: 1,
      args: { name: t.string(MAX_TASK_NAME), slots: t.u32 },
      reply: { task: t.cap('grant'), pid: t.u32 },
      errors: ['EAGAIN'],
      doc: 'A new empty task (cap space of `slots`, 0 = 4096), running for the caller\'s uid. The caller gets a task cap with Read and Write: it installs caps and starts threads with its own factory. EAGAIN when the caller already has its quota of live tasks (default 64 for a non-admin client), when non-admin clients together hold their share (default 1024), or when the server\'s own quota is spent; EINVAL for an empty name, one that is not well-formed UTF-16, or a bad size.',
    },
    kill: {
      op: 2,
      args: { pid: t.u32 },
      errors: ['ESRCH', 'EPERM'],
      doc: 'Delete a task: its threads die, its caps go, servers see their client die. A client may kill the tasks it created; an admin cap any task the server knows.',
    },
    list: {
      op: 3,
      reply: { tasks: t.array(TaskRowType, MAX_ROWS) },
      doc: 'Live tasks this cap may see: an admin cap every task, others their own task and the tasks they created.',
    },
    ps: {
      op: 4,
      reply: { threads: t.array(ThreadRowType, MAX_ROWS) },
      doc: 'One row per thread of the tasks list shows: its state and what it is blocked on (kernel introspection).',
    },
    subscribe: {
      op: 5,
      args: { pid: t.u32, sender: t.cap() },
      reply: { id: t.u32 },
      errors: ['ESRCH', 'EPERM', 'EDQUOT', 'EAGAIN'],
      doc: 'Post an "exit" event (data: "<pid> <name>") through the notify `sender` cap when task `pid` dies; pid 0: every task this cap may see, now and later. The server never blocks on the sender (posts time out) and drops a subscription whose sender fails. EINVAL when `sender` is not an endpoint cap that can call (of the system\'s notify service, when the server was given one); EAGAIN when the server already holds the most senders (4096).',
    },
    unsubscribe: {
      op: 6,
      args: { id: t.u32 },
      errors: ['ENOENT'],
      doc: 'Withdraw a subscription made through this cap.',
    },
    note: {
      op: 7,
      args: { pid: t.u32, note: t.string(MAX_TASK_NOTE) },
      errors: ['ESRCH', 'EPERM'],
      doc: 'Set the free-text note list and ps show for task `pid` (e.g. where a translator is attached). Its creator may set it, an admin any task\'s; EINVAL for a note that is not well-formed UTF-16.',
    },
    adopt: {
      op: 8,
      args: { task: t.cap(), uid: t.u32 },
      reply: { pid: t.u32 },
      errors: ['EPERM', 'ESRCH', 'EEXIST'],
      doc: 'Know a task created elsewhere, running for `uid`, as the Hurd\'s fshelp_start_translator tells proc with proc_child and proc_setowner (a filesystem says so of each translator it starts as its node\'s owner): list and ps show it with that uid, an admin may kill it, its death is posted. The server keeps a copy of `task`. Admin caps only (EPERM); EINVAL when `task` is not a task cap with Read and Write, ESRCH when the task is dead, EEXIST when the server knows it already.',
    },
  },
  { doc: 'Task lifecycle: create, kill, adopt, list, ps, death subscriptions.' },
);
