// The task server's public API: the interface, the server factory with its host-side
// API (adopt), and the ps listing built from kernel introspection.

export { Tasks, TaskRowType, ThreadRowType, MAX_ROWS, MAX_TASK_NAME, MAX_TASK_NOTE } from '../../protocol/task.ts';
export type { TaskRow, ThreadRow } from '../../protocol/task.ts';
export { taskServer, DEFAULT_TASK_QUOTA, DEFAULT_USER_TASKS, NOBODY_UID } from './task-server.ts';
export type { TaskInstance, TaskParams, TaskServerOptions } from './task-server.ts';
export { psRows, formatPs } from './ps.ts';
export type { PsRow, TaskAbout, FormatPsOptions } from './ps.ts';
