// Tying a translator task to the filesystem that started it, as the Hurd's translators
// die with their parent's port (they get a no-senders or dead-name notification on it
// and exit): however the filesystem's task ends (goaway, shutdown, killed), the
// translator tasks it started end too, so nothing of them is left after a restart.
//
// How: a notification in the translator task is registered as a death watcher of the
// filesystem's task (task_watch through the filesystem's own task cap); one thread of
// the translator task waits on it and, woken by the kernel when the filesystem's task is
// deleted, deletes the translator's task. Nested filesystems (tmpfs) tether their own
// translators the same way, so a whole tree ends from its top.

import type { BucketOps } from '../../libcap/bucket-host.ts';
import { CAP_SELF, Rights, Status, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';

/**
 * Make `child` end when `parent` (whose cap operations are `parentOps`) is deleted.
 * Throws when the kernel refuses (a bug: the parent holds its own task cap).
 */
export function tether(kernel: Kernel, parentOps: BucketOps, parent: Task, child: Task): void {
  const inChild = kernel.createNotification(child);
  const inParent = kernel.grant(child, inChild, parent, { rights: Rights.Write });
  const st = parentOps.watchTask(CAP_SELF, inParent);
  parentOps.delete(inParent);
  if (st !== Status.Ok) throw new Error(`tether ${child.name} to ${parent.name}: ${st}`);
  kernel.spawn(
    child,
    function* (sys: Sys): SysGen<void> {
      const woke: number = yield sys.wait(inChild);
      if (woke !== Status.Ok) return;
      // Host code, after this thread's step: a task is not deleted from inside its own thread.
      queueMicrotask(() => {
        if (child.alive) {
          try {
            kernel.deleteTask(child);
          } catch {
            // Teardown of the translator's own objects failed halfway; the task is dead anyway.
          }
        }
      });
    },
    { name: `${child.name}.tether` },
  );
}
