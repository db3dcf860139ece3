// The proc translator: the kernel's live introspection (core/introspect.ts) as a
// read-only tree on netfs, in the spirit of the Hurd's procfs. `settrans /proc proc`.
//
//   counters                  "name value" per kernel counter (fastpath, slowpath, ...)
//   uptime                    kernel time in seconds, two decimals
//   tasks/<id>/               name, threads (thread ids), caps ("slot kind object rights badge")
//   threads/<id>/             name, task, state, priority, blocked_on ("-": not blocked),
//                             deadline (ms of kernel time, "-": none)
//   endpoints/<id>/           state (idle, send, recv), queue (waiting thread ids), readers,
//                             caps, dead (0 or 1)
//   notifications/<id>/       word, pending (0 or 1), waiters (thread ids), bound ("-": none)
//
// Every file is generated from a fresh snapshot at each read (so it is live, and a read
// split over several calls may see two moments); lists hold one item a line, every file
// ends with a newline. Directories list what exists now; a file of an object that has
// gone answers ENOENT. Files are r--r--r--, directories r-xr-xr-x: opens for writing
// answer EACCES (EROFS for root). No options.

import { snapshot, type EndpointInfo, type Kernel, type NotificationInfo, type Snapshot, type TaskSnapshot, type ThreadInfo } from '../../core/index.ts';
import { netfs, type NetfsNode } from '../fs/netfs.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { liveRead } from './live-read.ts';

/** A kind of kernel object shown as a directory of numbered directories. */
interface ObjectKind<T> {
  /** The directory's name under the root. */
  readonly dir: string;
  /** The live objects of this kind in a snapshot. */
  list(snap: Snapshot): readonly T[];
  id(o: T): number;
  /** Each object's files: name and how to render it. */
  readonly files: ReadonlyMap<string, (o: T) => string>;
}

const lines = (items: readonly (string | number)[]): string => items.map((x) => `${x}\n`).join('');
const line = (x: string | number): string => `${x}\n`;
const flag = (b: boolean): string => line(b ? 1 : 0);

const TASKS: ObjectKind<TaskSnapshot> = {
  dir: 'tasks',
  list: (snap) => snap.tasks.filter((t) => t.alive),
  id: (t) => t.id,
  files: new Map<string, (t: TaskSnapshot) => string>([
    ['name', (t) => line(t.name)],
    ['threads', (t) => lines(t.threads.map((th) => th.id))],
    ['caps', (t) => lines(t.caps.map((c) => `${c.slot} ${c.kind} ${c.object} ${c.rights} ${c.badge}`))],
  ]),
};

const THREADS: ObjectKind<ThreadInfo> = {
  dir: 'threads',
  list: (snap) => snap.tasks.filter((t) => t.alive).flatMap((t) => t.threads),
  id: (th) => th.id,
  files: new Map<string, (th: ThreadInfo) => string>([
    ['name', (th) => line(th.name)],
    ['task', (th) => line(th.task)],
    ['state', (th) => line(th.state)],
    ['priority', (th) => line(th.priority)],
    ['blocked_on', (th) => line(th.blockedOn ?? '-')],
    ['deadline', (th) => line(th.deadline ?? '-')],
  ]),
};

const ENDPOINTS: ObjectKind<EndpointInfo> = {
  dir: 'endpoints',
  list: (snap) => snap.endpoints,
  id: (ep) => ep.id,
  files: new Map<string, (ep: EndpointInfo) => string>([
    ['state', (ep) => line(ep.state)],
    ['queue', (ep) => lines(ep.queue)],
    ['readers', (ep) => line(ep.readers)],
    ['caps', (ep) => line(ep.caps)],
    ['dead', (ep) => flag(ep.dead)],
  ]),
};

const NOTIFICATIONS: ObjectKind<NotificationInfo> = {
  dir: 'notifications',
  list: (snap) => snap.notifications,
  id: (n) => n.id,
  files: new Map<string, (n: NotificationInfo) => string>([
    ['word', (n) => line(n.word)],
    ['pending', (n) => flag(n.pending)],
    ['waiters', (n) => lines(n.waiters)],
    ['bound', (n) => line(n.bound ?? '-')],
  ]),
};

/** Fixed i-node numbers; an object's are computed from its kind and kernel id (stable while it lives). */
const INO = { root: 1, counters: 2, uptime: 3, kinds: 4 } as const;
const OBJECT_INO_BASE = 100;
/** Files per object directory, at most (i-node numbers are spaced by this). */
const FILES_PER_OBJECT = 16;

/** The /proc tree over `kernel` (exported for tests and for embedding it elsewhere). */
export function procTree(kernel: Kernel): { root: NetfsNode; vanished: (node: NetfsNode) => 'ENOENT' | null } {
  const gone = new WeakMap<NetfsNode, () => boolean>();
  const kinds = [TASKS, THREADS, ENDPOINTS, NOTIFICATIONS] as const;

  function file(ino: number, render: () => string | null): NetfsNode {
    const node: NetfsNode = { ino, type: 'file', content: () => render() ?? '' };
    gone.set(node, () => render() === null);
    return node;
  }

  function collection<T>(k: ObjectKind<T>, kindIndex: number): NetfsNode {
    const find = (id: number): T | undefined => k.list(snapshot(kernel)).find((o) => k.id(o) === id);
    const inoOf = (id: number, fileIndex: number): number => OBJECT_INO_BASE + (id * kinds.length + kindIndex) * FILES_PER_OBJECT + fileIndex;
    const names = [...k.files.keys()];
    const objectDir = (id: number): NetfsNode => ({
      ino: inoOf(id, 0),
      type: 'dir',
      list: () => names,
      lookup(name) {
        const render = k.files.get(name);
        if (render === undefined) return undefined;
        return file(inoOf(id, names.indexOf(name) + 1), () => {
          const o = find(id);
          return o === undefined ? null : render(o);
        });
      },
    });
    return {
      ino: INO.kinds + kindIndex,
      type: 'dir',
      list: () => k.list(snapshot(kernel)).map((o) => String(k.id(o))),
      lookup(name) {
        if (!/^[1-9][0-9]{0,8}$/.test(name)) return undefined;
        const id = Number(name);
        return find(id) === undefined ? undefined : objectDir(id);
      },
    };
  }

  const top = new Map<string, NetfsNode>([
    ['counters', file(INO.counters, () => lines(Object.entries(kernel.counters).map(([n, v]) => `${n} ${v}`)))],
    ['uptime', file(INO.uptime, () => line((kernel.clock.now() / 1000).toFixed(2)))],
    ['tasks', collection(TASKS, 0)],
    ['threads', collection(THREADS, 1)],
    ['endpoints', collection(ENDPOINTS, 2)],
    ['notifications', collection(NOTIFICATIONS, 3)],
  ]);
  const root: NetfsNode = { ino: INO.root, type: 'dir', list: () => [...top.keys()], lookup: (name) => top.get(name) };
  return { root, vanished: (node) => (gone.get(node)?.() === true ? 'ENOENT' : null) };
}

/** Start proc: argv is ['proc']; any argument fails the start. */
export const proc: TranslatorFactory = (env) => {
  if (env.argv.length > 1) throw new TypeError(`proc: takes no arguments, got ${JSON.stringify(env.argv.slice(1))}`);
  const { root, vanished } = procTree(env.kernel);
  return netfs(env, { name: 'proc', root, handlers: { read: liveRead(vanished) } });
};
