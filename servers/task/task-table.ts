// The task server's table of the tasks it holds caps to: created through it (owned by
// the creating client's task) or adopted by the composer. Each record keeps a task cap
// with every right in the server's space; the kernel signals one notification when any
// of them dies, and reap() collects the dead (deleting their caps).

import type { BucketOps } from '../../libcap/bucket-host.ts';
import { CAP_SELF, Rights, Status, type Kernel, type Task } from '../../core/index.ts';

/** A task the server holds a cap to. */
export interface TaskRecord {
  readonly pid: number;
  readonly name: string;
  /** Task cap (all rights) in the server's space. */
  readonly slot: number;
  /** Pid of the task that created it through the server (0: none, or the host). */
  readonly owner: number;
  /** Adopted from the composer rather than created through the server. */
  readonly adopted: boolean;
  /** The user the task runs for: its creator's uid (install params), 0 for the composer's. */
  readonly uid: number;
  /** Free text its creator set (Tasks.note), e.g. where a translator is attached. */
  note: string;
}

/** The records, by pid. */
export class TaskTable {
  private readonly records = new Map<number, TaskRecord>();
  /** Live tasks created through the server, by creator pid. */
  private readonly created = new Map<number, number>();

  constructor(
    private readonly ops: BucketOps,
    /** Notification cap (Write) the kernel signals when a watched task dies. */
    private readonly deathCap: number,
  ) {}

  /** Take over a task cap the server holds in `slot` and watch the task's death. */
  add(slot: number, owner: number, adopted = false, uid = 0, note = ''): TaskRecord | null {
    const info = this.ops.taskInfo(slot);
    if (!info.ok) return null;
    const rec: TaskRecord = { pid: info.value.id, name: info.value.name, slot, owner, adopted, uid, note };
    this.records.set(rec.pid, rec);
    if (!adopted) this.created.set(owner, (this.created.get(owner) ?? 0) + 1);
    if (this.ops.watchTask(slot, this.deathCap) !== Status.Ok) throw new Error(`task server: cannot watch task ${rec.pid}`);
    return rec;
  }

  /** Host side: adopt a task (the composer's, not created through the server). */
  adopt(kernel: Kernel, task: Task, serverTask: Task, owner = 0, uid = 0, note = ''): TaskRecord | null {
    const known = this.records.get(task.id);
    if (known !== undefined) return known;
    if (!task.alive) return null;
    const slot = kernel.grant(task, CAP_SELF, serverTask, { rights: Rights.All });
    return this.add(slot, owner, true, uid, note);
  }

  /** Live tasks `owner` (a pid) created through the server. */
  createdBy(owner: number): number {
    return this.created.get(owner) ?? 0;
  }

  /** Live tasks created through the server by anyone. */
  get createdTotal(): number {
    let n = 0;
    for (const c of this.created.values()) n += c;
    return n;
  }

  get(pid: number): TaskRecord | undefined {
    return this.records.get(pid);
  }

  values(): TaskRecord[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  /** Remove and return the records whose task is dead; their caps are deleted. */
  reap(): TaskRecord[] {
    const dead: TaskRecord[] = [];
    for (const rec of this.records.values()) {
      const info = this.ops.taskInfo(rec.slot);
      if (info.ok && info.value.alive) continue;
      dead.push(rec);
    }
    for (const rec of dead) {
      this.records.delete(rec.pid);
      this.ops.delete(rec.slot);
      if (!rec.adopted) this.uncount(rec.owner);
    }
    return dead;
  }

  /** Forget every record (shutdown), deleting the caps. */
  clear(): void {
    for (const rec of this.records.values()) this.ops.delete(rec.slot);
    this.records.clear();
    this.created.clear();
  }

  private uncount(owner: number): void {
    const n = (this.created.get(owner) ?? 1) - 1;
    if (n > 0) this.created.set(owner, n);
    else this.created.delete(owner);
  }
}
