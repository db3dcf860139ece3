// What the live view shows, as plain data built from the kernel's introspection: tasks
// and threads with their states, endpoints with their queues, notifications, the caps
// between tasks as a graph (who holds what to whom, with rights and badges), the server
// tree with each child's name space, and counters.

import { snapshot, type Kernel, type Snapshot } from '../../core/index.ts';
import type { System } from '../../servers/system/index.ts';

export interface ViewThread {
  readonly id: number;
  readonly name: string;
  readonly state: string;
  readonly blockedOn: string | null;
}

export interface ViewTask {
  readonly id: number;
  readonly name: string;
  readonly threads: readonly ViewThread[];
  readonly caps: number;
}

/** Caps held by task `from` on objects served by task `to` (grouped by kind, rights and badge). */
export interface CapEdge {
  readonly from: number;
  readonly to: number;
  readonly kind: string;
  readonly rights: string;
  readonly badges: readonly number[];
  readonly count: number;
}

export interface ViewState {
  readonly time: number;
  readonly paused: boolean;
  readonly counters: Readonly<Record<string, number>>;
  readonly tasks: readonly ViewTask[];
  readonly endpoints: Snapshot['endpoints'];
  readonly notifications: Snapshot['notifications'];
  readonly edges: readonly CapEdge[];
  /** The server tree: each child path with the names its namespace shows. */
  readonly tree: readonly { readonly path: string; readonly names: readonly string[] }[];
}

/** Most badges listed on one edge (the count says how many caps there are). */
const MAX_BADGES = 8;

/**
 * The state of `kernel` for the view. An object is attributed to the task that serves
 * it: for an endpoint, a task holding a cap with Read (a receiver); for a notification,
 * one holding Read (a waiter); for a task cap, the task itself.
 */
export function viewState(kernel: Kernel, system: System | null): ViewState {
  const snap = snapshot(kernel);
  const servedBy = new Map<number, number>();
  for (const t of snap.tasks) {
    if (!t.alive) continue;
    for (const c of t.caps) if ((c.kind === 'endpoint' || c.kind === 'notification') && c.rights.includes('R') && !servedBy.has(c.object)) servedBy.set(c.object, t.id);
  }
  for (const t of snap.tasks) servedBy.set(t.id, t.id);
  const edges = new Map<string, { from: number; to: number; kind: string; rights: string; badges: number[]; count: number }>();
  for (const t of snap.tasks) {
    if (!t.alive) continue;
    for (const c of t.caps) {
      const to = c.kind === 'task' ? taskOfObject(snap, c.object) : servedBy.get(c.object);
      if (to === undefined || to === t.id) continue;
      const key = `${t.id}>${to}|${c.kind}|${c.rights}`;
      let e = edges.get(key);
      if (e === undefined) {
        e = { from: t.id, to, kind: c.kind, rights: c.rights, badges: [], count: 0 };
        edges.set(key, e);
      }
      e.count++;
      if (c.badge !== 0 && e.badges.length < MAX_BADGES && !e.badges.includes(c.badge)) e.badges.push(c.badge);
    }
  }
  const tree: { path: string; names: string[] }[] = [];
  if (system !== null) {
    for (const path of system.paths) {
      let names: string[] = [];
      try {
        names = [...system.caps(path).keys()];
      } catch {
        names = [];
      }
      tree.push({ path, names });
    }
  }
  return {
    time: snap.time,
    paused: kernel.isPaused,
    counters: { ...snap.counters } as Record<string, number>,
    tasks: snap.tasks
      .filter((t) => t.alive)
      .map((t) => ({
        id: t.id,
        name: t.name,
        caps: t.caps.length,
        threads: t.threads.map((th) => ({ id: th.id, name: th.name, state: th.state, blockedOn: th.blockedOn })),
      })),
    endpoints: snap.endpoints,
    notifications: snap.notifications,
    edges: [...edges.values()],
    tree,
  };
}

function taskOfObject(snap: Snapshot, object: number): number | undefined {
  return snap.tasks.find((t) => t.id === object)?.id;
}
