// The convention every server follows so a system can be composed in code: a factory
// that starts the server in a task it is given, and an instance that says what clients
// get (its root object), how to give a client task its own cap, and how to stop.

import type { Kernel, Task } from '../core/index.ts';
import type { Bucket } from './bucket.ts';
import type { CapObject } from './cap-object.ts';

/** What a server is started with. */
export interface ServerEnv {
  readonly kernel: Kernel;
  /** The server's own task (it has a factory in CAP_FACTORY and a large cap space). */
  readonly task: Task;
  /** Caps to the services this server uses, by the names the system gave them (slots in `task`). */
  readonly caps: ReadonlyMap<string, number>;
  /**
   * Slot (in `task`) of the server's namespace view when a system composed it (boot()
   * puts it in CAP_NAMESPACE): the names it was given, including any not attached yet.
   */
  readonly namespace?: number;
}

/** Something a shutdown found still held. */
export interface HeldNote {
  readonly server: string;
  readonly what: string;
}

/** A running server. */
export interface ServerInstance {
  readonly name: string;
  /** The bucket serving the root object. */
  readonly bucket: Bucket;
  /** Every bucket of the server (shut down in reverse order). */
  readonly buckets: readonly Bucket[];
  /** The object a client gets when it is given this service. */
  readonly root: CapObject;
  /**
   * Give `task` its own cap to this service (its own client identity), in a free slot
   * unless one is named. `params` are per-client settings from the system description
   * (for auth: the ids of the handle). Default: the root object.
   */
  install?(task: Task, params: unknown, slot?: number): number;
  /** Stop serving in order (inhibit, drain, end); return what was still held. */
  shutdown?(force: boolean): Promise<HeldNote[]>;
}

/**
 * Where the body of a server lives, for a composer that starts it in a task of its own
 * (an isolated task: boot's `isolate` option). The export is a thread body that follows
 * the composer protocol (servers/system/startup.ts); `options` (JSON) reach it in its
 * environment.
 */
export interface ServerBody {
  readonly module: string | URL;
  readonly export: string;
  readonly options?: unknown;
  /**
   * A registry of translator factories (servers/fs's TranslatorRegistry) for the body's
   * translators: a composer that knows it serves the body a launcher (its exec server),
   * which runs them in tasks of their own on the composer's side. Never crosses to the body.
   */
  readonly translators?: unknown;
  /**
   * The body reads the kernel's introspection snapshot (the task server's list and ps):
   * the composer grants it a host cap with Read (core/host-info.ts), its slot in the
   * environment's `host`.
   */
  readonly host?: boolean;
}

/**
 * Starts a server in the task it is given. `body`, when set, is the same server as a body
 * module (it can run isolated); `inProcessOnly` says why a server cannot (shown by tools).
 */
export type ServerFactory = ((env: ServerEnv) => ServerInstance | Promise<ServerInstance>) & {
  readonly body?: ServerBody;
  readonly inProcessOnly?: string;
};

/** Give `task` a cap to the instance's service, honouring a custom install. */
export function installService(inst: ServerInstance, task: Task, params: unknown, slot?: number): number {
  if (inst.install !== undefined) return inst.install(task, params, slot);
  return inst.bucket.install(inst.root, task, slot === undefined ? {} : { slot });
}

/** Default orderly stop of an instance's buckets: inhibit, drain, end; report what was held. */
export function shutdownBuckets(inst: ServerInstance, force: boolean): Promise<HeldNote[]> {
  return shutdownNamed(inst.name, inst.buckets, force);
}

/** Orderly stop of `buckets` (reverse order) of the server `name`: inhibit, drain, end; what was held. */
export async function shutdownNamed(name: string, buckets: readonly Bucket[], force: boolean): Promise<HeldNote[]> {
  const notes: HeldNote[] = [];
  for (const b of [...buckets].reverse()) {
    if (b.ended) continue;
    const stats = b.stats();
    if (stats.outstanding > 0) notes.push({ server: name, what: `${b.name}: ${stats.outstanding} capabilities held by ${stats.clients} clients` });
    const inh = await b.inhibit();
    if (inh !== null) notes.push({ server: name, what: `${b.name}: inhibit answered ${inh}` });
    const res = await b.end(true);
    if (res !== null && !force) notes.push({ server: name, what: `${b.name}: end answered ${res}` });
  }
  return notes;
}

/** The JSON-cloneable fields (numbers, strings, booleans, null) of an options object: what a server body's options keep. */
export function jsonOnly(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}
