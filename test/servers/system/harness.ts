// Shared helpers for the name, system and task server tests: a kernel on virtual time,
// starting one server in its own task, settling the kernel and host promise chains,
// moving virtual time, reading cap spaces, and (for systems on real time, with workers)
// a bounded wait and a program body that only holds caps. Nothing here is a test.

import { HostSys, Kernel, VirtualClock, type Sys, type SysGen, type Task } from '../../../core/index.ts';
import type { ServerFactory, ServerInstance } from '../../../libcap/server.ts';
export { settle, advance, track, capCount } from '../../world-helpers.ts';
export type { Tracked } from '../../world-helpers.ts';

/** A kernel on virtual time that moves only when a test moves it. */
export function kernel(): Kernel {
  return new Kernel({ clock: new VirtualClock(false) });
}

/** Start a server from its factory in a fresh task with a factory and a large cap space. */
export async function startServer<I extends ServerInstance>(
  k: Kernel,
  name: string,
  factory: ServerFactory,
  caps: ReadonlyMap<string, number> = new Map(),
): Promise<{ task: Task; inst: I }> {
  const task = k.createTask(name, { quota: 10_000, slots: 1 << 16 });
  const inst = (await factory({ kernel: k, task, caps })) as I;
  return { task, inst };
}

/** Host-side cap operations in a task (identify a slot, delete a copy). */
export function ops(k: Kernel, task: Task): HostSys {
  return new HostSys(k, task);
}

/** A bounded wait (real time): rejects after `ms`, naming `what`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
}

/** A program body for a task that only holds caps (its clients run on the host). */
export function* holder(_sys: Sys): SysGen<void> {}
