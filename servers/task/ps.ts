// A ps-style listing built from the kernel's introspection snapshot: one row per thread
// (task, thread, state, what it is blocked on), one row for a task with no threads, and
// a fixed-width text rendering. Shared by the task server and the system composer.

import type { Snapshot, TaskSnapshot } from '../../core/index.ts';

/** One line of ps. `tid` 0 marks a task with no threads. */
export interface PsRow {
  readonly pid: number;
  readonly task: string;
  readonly tid: number;
  readonly thread: string;
  readonly state: string;
  /** What the thread waits for ('endpoint 7', 'reply', 'sleep'...), '' when it does not. */
  readonly blockedOn: string;
  readonly priority: number;
}

/** Rows for the tasks of `snap` that `include` accepts (default: every task), by pid then tid. */
export function psRows(snap: Snapshot, include: (t: TaskSnapshot) => boolean = () => true): PsRow[] {
  const rows: PsRow[] = [];
  for (const t of [...snap.tasks].sort((a, b) => a.id - b.id)) {
    if (!include(t)) continue;
    if (t.threads.length === 0) {
      rows.push({ pid: t.id, task: t.name, tid: 0, thread: '-', state: t.alive ? 'no threads' : 'dead', blockedOn: '', priority: 0 });
      continue;
    }
    for (const th of t.threads) {
      rows.push({
        pid: t.id,
        task: t.name,
        tid: th.id,
        thread: th.name,
        state: th.state,
        blockedOn: th.blockedOn ?? '',
        priority: th.priority,
      });
    }
  }
  return rows;
}

/** Render rows as ps does: a header, then one fixed-width line per row. */
export function formatPs(rows: readonly PsRow[]): string[] {
  const head = ['PID', 'TASK', 'TID', 'THREAD', 'STATE', 'WAITING ON'];
  const cells = rows.map((r) => [String(r.pid), r.task, r.tid === 0 ? '-' : String(r.tid), r.thread, r.state, r.blockedOn]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((x, i) => (i === 0 || i === 2 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)];
}
