// Shared helpers for the name, system and task server tests: a kernel on virtual time,
// starting one server in its own task, settling the kernel and host promise chains,
// moving virtual time, reading cap spaces, and (for systems on real time, with workers)
// a bounded wait and a program body that only holds caps. Nothing here is a test.

import { HostSys, Kernel, VirtualClock, type Sys, type SysGen, type Task } from '../../../core/index.ts';
import type { System } from '../../../servers/system/index.ts';
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

/** A program that only holds caps (its code runs on the host). */
export function* holder(_sys: Sys): SysGen<void> {}

/** A bounded wait on real time (isolated tasks): rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
}

/** Shut `sys` down (bounded) and answer what its report says: errors, tasks left, held, clean. */
export async function shutdownReport(sys: System): Promise<{ errors: unknown; tasks: unknown; held: unknown; clean: boolean }> {
  const report = await within(sys.shutdown(), 20_000, 'shutdown');
  return { errors: report.errors, tasks: report.tasks, held: report.held, clean: report.clean };
}
