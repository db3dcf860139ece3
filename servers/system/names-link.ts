// What boot uses to reach the name server, in two implementations: in-process, the
// NamesInstance and NameSpace objects of this heap, called synchronously (virtual-time
// systems keep their exact order: nothing here awaits); isolated, RPCs on the name
// server's NamesComposer cap (protocol/startup.ts), each bounded. Namespaces are named by
// the child path they were made for.

import { HostSys, type Kernel, type Task } from '../../core/index.ts';
import type { IsolatedTask } from '../../core/isolate/index.ts';
import { connect } from '../../libcap/index.ts';
import { NamesComposer } from '../../protocol/startup.ts';
import type { NamesInstance } from '../names/names-server.ts';
import type { HostCap, NameSpace } from '../names/namespace.ts';
import { installFor, type IsolatedInstance } from './isolated-server.ts';

/** How long one request to an isolated name server may take (ms). */
export const DEFAULT_NAMES_CALL_MS = 10_000;

/** A value now (in-process) or later (isolated). */
export type Maybe<T> = T | Promise<T>;

/**
 * Run `steps` in order: synchronously while each answers at once (in-process), then,
 * from the first that answers a promise, each after the one before has settled.
 */
export function inOrder(steps: readonly (() => Maybe<void>)[]): Promise<void> | undefined {
  for (let i = 0; i < steps.length; i++) {
    const r = steps[i]!();
    if (r instanceof Promise) return r.then(() => inOrder(steps.slice(i + 1)));
  }
  return undefined;
}

/** One name of a namespace and what it is bound to. */
export interface NameEntry {
  readonly name: string;
  readonly kind: 'cap' | 'namespace' | 'pending';
}

/** The name server as boot sees it. Each method on an unknown path throws. */
export interface NamesLink {
  /** The name server's task. */
  readonly task: Task;
  /** What shutdown stops, and what a child using `names` is installed from. */
  readonly instance: NamesInstance | IsolatedInstance;
  /** Its worker when it runs isolated, else null. */
  readonly worker: IsolatedTask | null;
  /** The in-process instance; throws when the name server runs isolated. */
  names(): NamesInstance;
  /** The namespace object of child `path`; throws when the name server runs isolated. */
  space(path: string): NameSpace;
  /** Create the namespace of child `path`, with `pending` bound pending. */
  create(path: string, pending: readonly string[]): Maybe<void>;
  /** Give `task` its own cap to the view of `path`'s namespace, in `slot`. */
  installView(path: string, task: Task, register: boolean, slot: number): Maybe<void>;
  /** Attach `cap` to the pending `name`; answers NameSpace.attach's errno, or null. */
  attach(path: string, name: string, cap: HostCap, rights: number): Maybe<string | null>;
  /** Look `name` up, so that a name whose cap died goes pending. */
  drop(path: string, name: string): Maybe<void>;
  /** Every name of `path`'s namespace, sorted. */
  list(path: string): Maybe<NameEntry[]>;
}

/** The name server in this heap: its objects, called directly. */
export function inProcessNames(inst: NamesInstance, task: Task): NamesLink {
  const spaces = new Map<string, NameSpace>();
  const space = (path: string): NameSpace => {
    const s = spaces.get(path);
    if (s === undefined) throw new Error(`names: no namespace for ${path}`);
    return s;
  };
  return {
    task,
    instance: inst,
    worker: null,
    names: () => inst,
    space,
    create(path, pending) {
      const s = inst.createNamespace(path);
      for (const name of pending) s.bindPending(name);
      spaces.set(path, s);
    },
    installView(path, t, register, slot) {
      inst.installView(space(path), t, { register, slot });
    },
    attach: (path, name, cap, rights) => space(path).attach(name, cap, rights),
    drop(path, name) {
      space(path).lookup(name);
    },
    list: (path) => space(path).list(),
  };
}

/**
 * The name server in its own task: `cap` (a slot of `composer`, owned by the link from
 * here) is its NamesComposer. A request that fails or takes longer than `callMs` rejects.
 */
export function isolatedNames(kernel: Kernel, composer: Task, inst: IsolatedInstance, cap: number, callMs = DEFAULT_NAMES_CALL_MS): NamesLink {
  const hs = new HostSys(kernel, composer);
  const nc = connect(NamesComposer, kernel, composer, cap);
  const opts = { timeout: callMs };
  const ids = new Map<string, number>();
  const id = (path: string): number => {
    const n = ids.get(path);
    if (n === undefined) throw new Error(`names: no namespace for ${path}`);
    return n;
  };
  const inHeap = (what: string): never => {
    throw new Error(`names runs isolated: ${what} live in its worker (use listNames)`);
  };
  return {
    task: inst.isolated.task,
    instance: inst,
    worker: inst.isolated,
    names: () => inHeap('its instance and namespaces'),
    space: () => inHeap('namespace objects'),
    async create(path, pending) {
      const { space } = await nc.create({ label: path }, opts);
      ids.set(path, space);
      for (const name of pending) await nc.bindPending({ space, name }, opts);
    },
    async installView(path, t, register, slot) {
      const space = id(path);
      await installFor(kernel, composer, t, slot, async (task) => (await nc.installView({ space, task, register }, opts)).view);
    },
    async attach(path, name, c, rights) {
      const space = id(path);
      // As NameSpace.attach's copy: no cap there is EBADF.
      if (!c.task.alive || c.task.cspace.get(c.slot) === null) return 'EBADF';
      const mine = kernel.grant(c.task, c.slot, composer);
      try {
        const { error } = await nc.attach({ space, name, cap: mine, rights }, opts);
        return error === '' ? null : error;
      } finally {
        hs.delete(mine);
      }
    },
    async drop(path, name) {
      await nc.lookup({ space: id(path), name }, opts);
    },
    async list(path) {
      return (await nc.list({ space: id(path) }, opts)).entries;
    },
  };
}
