// A ps-style listing built from the kernel's introspection snapshot: one row per thread
// (task, thread, state, what it is blocked on, the user it runs for and its note), one row
// for a task with no threads, and a fixed-width text rendering. Shared by the task server
// and the system composer. Names are made well-formed (a lone surrogate shows as U+FFFD),
// so one odd task name can never make a listing unencodable.

import type { Snapshot, TaskSnapshot } from '../../core/index.ts';
import { toWellFormed } from '../../libcap/strings.ts';

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
  /** The user the task runs for (0 unless the task server knows better). */
  readonly uid: number;
  /** The task's note (e.g. where a translator is attached), '' when none. */
  readonly note: string;
}

/** What the task server knows about a task beyond the kernel's snapshot. */
export interface TaskAbout {
  readonly uid: number;
  readonly note: string;
}

/**
 * Rows for the tasks of `snap` that `include` accepts (default: every task), by pid then
 * tid; `about` adds each task's uid and note (TaskInstance.about; default uid 0, no note).
 */
export function psRows(
  snap: Snapshot,
  include: (t: TaskSnapshot) => boolean = () => true,
  about: (pid: number) => TaskAbout | undefined = () => undefined,
): PsRow[] {
  const rows: PsRow[] = [];
  for (const t of [...snap.tasks].sort((a, b) => a.id - b.id)) {
    if (!include(t)) continue;
    const a = about(t.id);
    const uid = a?.uid ?? 0;
    const note = toWellFormed(a?.note ?? '');
    const task = toWellFormed(t.name);
    if (t.threads.length === 0) {
      rows.push({ pid: t.id, task, tid: 0, thread: '-', state: t.alive ? 'no threads' : 'dead', blockedOn: '', priority: 0, uid, note });
      continue;
    }
    for (const th of t.threads) {
      rows.push({
        pid: t.id,
        task,
        tid: th.id,
        thread: toWellFormed(th.name),
        state: th.state,
        blockedOn: th.blockedOn ?? '',
        priority: th.priority,
        uid,
        note,
      });
    }
  }
  return rows;
}

/** Options of formatPs. */
export interface FormatPsOptions {
  /** Add a USER column after PID and a NOTE column at the end (default false). */
  readonly user?: boolean;
  /** How a uid shows in USER (default: the number; e.g. 0 -> 'root'). */
  readonly userName?: (uid: number) => string;
}

/** Render rows as ps does: a header, then one fixed-width line per row. */
export function formatPs(rows: readonly PsRow[], opts: FormatPsOptions = {}): string[] {
  const user = opts.user === true;
  const name = opts.userName ?? String;
  const head = user ? ['PID', 'USER', 'TASK', 'TID', 'THREAD', 'STATE', 'WAITING ON', 'NOTE'] : ['PID', 'TASK', 'TID', 'THREAD', 'STATE', 'WAITING ON'];
  const right = user ? [0, 3] : [0, 2];
  const cells = rows.map((r) => {
    const base = [String(r.pid), r.task, r.tid === 0 ? '-' : String(r.tid), r.thread, r.state, r.blockedOn];
    return user ? [base[0]!, name(r.uid), ...base.slice(1), r.note] : base;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((x, i) => (right.includes(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)];
}
