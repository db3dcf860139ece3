// Telling the system's task server whom a translator task runs for, as the Hurd's
// fshelp_start_translator tells proc with proc_child and proc_setowner: without it the
// task server knows nothing of the task and ps shows it as root. Not the start itself
// (translator-start.ts).

import { CAP_SELF, Rights, Status, type Task } from '../../core/index.ts';
import { invokeFromHost } from '../../libcap/index.ts';
import { Tasks } from '../../protocol/task.ts';
import type { Filesystem } from './filesystem.ts';

/**
 * Have the task server adopt a translator task as running for `uid` (the node owner's),
 * bounded by the translator timeout. `task` is the Task object (in-process) or a task
 * cap with Read and Write in the server's space (from the launcher); either way a copy
 * made now goes with the call and is deleted after it, so the caller's cap is untouched.
 * A filesystem given no task server (standalone, or itself a translator) does nothing.
 * Best effort: a refusal or a silent task server leaves ps without the owner, never the
 * translator unstarted, so nothing is answered.
 */
export async function recordOwner(fs: Filesystem, task: Task | number, uid: number): Promise<void> {
  if (fs.taskSlot === 0) return;
  const copy = copyOf(fs, task);
  if (copy === 0) return;
  try {
    await invokeFromHost(fs.bucket.host, fs.taskSlot, Tasks.methods.adopt, { task: copy, uid }, { timeout: fs.settings.translatorTimeout });
  } finally {
    fs.ops.delete(copy);
  }
}

/** A task cap (Read, Write) to `task` in a fresh slot of the server's space, or 0. */
function copyOf(fs: Filesystem, task: Task | number): number {
  if (typeof task !== 'number') {
    if (fs.kernel === null || fs.task === null || !task.alive) return 0;
    try {
      return fs.kernel.grant(task, CAP_SELF, fs.task, { rights: Rights.Read | Rights.Write });
    } catch {
      return 0; // the server's cap space is full
    }
  }
  const slot = fs.ops.allocSlot();
  if (slot === 0) return 0;
  if (fs.ops.copy(task, slot) === Status.Ok) return slot;
  fs.ops.delete(slot);
  return 0;
}
