// Introspection: plain-data snapshots of tasks, threads, cap spaces, endpoint queues,
// notifications and counters, for tools (ps, the proc translator) and tests.

import type { Dataspace } from './dataspace.ts';
import { mappingsOf } from './dataspace-ops.ts';
import type { Endpoint } from './endpoint.ts';
import { EpState } from './endpoint.ts';
import type { Factory } from './factory.ts';
import type { Counters, Kernel } from './kernel.ts';
import { Kind, KIND_NAMES, type KindCode } from './kobject.ts';
import type { Notification } from './notification.ts';
import { rightsString } from './rights.ts';
import type { Task } from './task.ts';
import { ThreadState, type Thread } from './thread.ts';

export interface ThreadInfo {
  readonly id: number;
  readonly name: string;
  readonly task: number;
  readonly taskName: string;
  readonly state: string;
  readonly priority: number;
  /** What it is blocked on: "endpoint 7", "notification 3", "reply from 12", or null. */
  readonly blockedOn: string | null;
  readonly blockedOnId: number;
  /** Absolute deadline of its timeout in ms, or null. */
  readonly deadline: number | null;
  /** Fault kind while it is faulted or waiting for its handler, else 0. */
  readonly fault: number;
  readonly bound: number | null;
}

export interface CapInfo {
  readonly slot: number;
  readonly kind: string;
  readonly object: number;
  readonly rights: string;
  readonly badge: number;
}

export interface TaskSnapshot {
  readonly id: number;
  readonly name: string;
  readonly alive: boolean;
  readonly threads: ThreadInfo[];
  readonly caps: CapInfo[];
  readonly mappings: MappingSnapshot[];
}

export interface EndpointInfo {
  readonly id: number;
  readonly state: 'idle' | 'send' | 'recv';
  readonly queue: number[];
  readonly readers: number;
  readonly dead: boolean;
  readonly caps: number;
}

export interface NotificationInfo {
  readonly id: number;
  readonly word: number;
  readonly pending: boolean;
  readonly waiters: number[];
  readonly bound: number | null;
}

export interface FactoryInfo {
  readonly id: number;
  readonly limit: number;
  readonly used: number;
}

/** A factory's memory quota in bytes (DS1): what it may hand out and what is in use. */
export interface MemoryQuotaInfo {
  readonly factory: number;
  readonly limit: number;
  readonly used: number;
}

/** A dataspace: its size, caps, live mappings and migrations (DS1-DS6). */
export interface DataspaceInfo {
  readonly id: number;
  readonly size: number;
  readonly caps: number;
  readonly mappings: number;
  readonly migrations: number;
}

/** One mapping of a task (address, range of which dataspace, rights "RWG-"). */
export interface MappingSnapshot {
  readonly vaddr: number;
  readonly length: number;
  readonly dataspace: number;
  readonly offset: number;
  readonly rights: string;
  /** Made from a cap (true) or received by IPC (false). */
  readonly root: boolean;
  readonly children: number;
}

export interface Snapshot {
  readonly time: number;
  readonly counters: Counters;
  readonly tasks: TaskSnapshot[];
  readonly endpoints: EndpointInfo[];
  readonly notifications: NotificationInfo[];
  readonly factories: FactoryInfo[];
  readonly dataspaces: DataspaceInfo[];
  /** Factories with a memory quota. */
  readonly memory: MemoryQuotaInfo[];
}

const EP_STATES = ['idle', 'send', 'recv'] as const;

/** Describe one thread. */
export function threadInfo(t: Thread): ThreadInfo {
  let blockedOn: string | null = null;
  let blockedOnId = -1;
  const on = t.blockedOn;
  if (on !== null) {
    blockedOn = `${KIND_NAMES[on.kind as KindCode]} ${on.id}`;
    blockedOnId = on.id;
  } else if (t.state === ThreadState.BlockedReply) blockedOn = 'reply';
  else if (t.state === ThreadState.Sleeping) blockedOn = 'sleep';
  else if (t.state === ThreadState.HostWait) blockedOn = 'host';
  const faulted = t.inFault || t.state === ThreadState.Faulted;
  return {
    id: t.id,
    name: t.name,
    task: t.task.id,
    taskName: t.task.name,
    state: t.inFault ? `faulted (${t.stateName})` : t.stateName,
    priority: t.prio,
    blockedOn,
    blockedOnId,
    deadline: t.deadline === Number.POSITIVE_INFINITY ? null : t.deadline,
    fault: faulted ? t.faultKind : 0,
    bound: t.bound === null ? null : t.bound.id,
  };
}

/** Describe a task with its threads and its caps. */
export function taskSnapshot(task: Task): TaskSnapshot {
  const caps: CapInfo[] = [];
  for (const [slot, c] of task.cspace.entries()) {
    caps.push({ slot, kind: KIND_NAMES[c.obj.kind], object: c.obj.id, rights: rightsString(c.rights), badge: c.badge });
  }
  return {
    id: task.id,
    name: task.name,
    alive: task.alive,
    threads: [...task.threads].sort((a, b) => a.id - b.id).map(threadInfo),
    caps,
    mappings: mappingsOf(task).map((m) => ({ ...m, rights: rightsString(m.rights) })),
  };
}

export function endpointInfo(ep: Endpoint): EndpointInfo {
  return {
    id: ep.id,
    state: EP_STATES[ep.state as 0 | 1 | 2] ?? 'idle',
    queue: ep.queue.toArray().map((t) => t.id),
    readers: ep.readers,
    dead: ep.dead,
    caps: ep.capCount,
  };
}

/** A snapshot of the whole kernel. */
export function snapshot(k: Kernel): Snapshot {
  const endpoints: EndpointInfo[] = [];
  const notifications: NotificationInfo[] = [];
  const factories: FactoryInfo[] = [];
  const dataspaces: DataspaceInfo[] = [];
  const memory: MemoryQuotaInfo[] = [];
  for (const o of k.allObjects()) {
    if (o.kind === Kind.Endpoint) endpoints.push(endpointInfo(o as Endpoint));
    else if (o.kind === Kind.Notification) {
      const n = o as Notification;
      notifications.push({
        id: n.id,
        word: n.word,
        pending: n.pending,
        waiters: n.waiters.toArray().map((t) => t.id),
        bound: n.boundThread === null ? null : n.boundThread.id,
      });
    } else if (o.kind === Kind.Factory) {
      const f = o as Factory;
      factories.push({ id: f.id, limit: f.limit, used: f.used });
      if (f.memLimit > 0) memory.push({ factory: f.id, limit: f.memLimit, used: f.memUsed });
    } else if (o.kind === Kind.Dataspace) {
      const d = o as Dataspace;
      dataspaces.push({ id: d.id, size: d.size, caps: d.capCount, mappings: d.mappings, migrations: d.migrations });
    }
  }
  return {
    time: k.clock.now(),
    counters: { ...k.counters },
    tasks: [...k.tasks.values()].map(taskSnapshot),
    endpoints,
    notifications,
    factories,
    dataspaces,
    memory,
  };
}
