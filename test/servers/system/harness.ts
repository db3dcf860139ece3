// Shared helpers for the name, system and task server tests: a kernel on virtual time,
// starting one server in its own task, settling the kernel and host promise chains,
// moving virtual time, and reading cap spaces. Nothing here is a test.

import { HostSys, Kernel, VirtualClock, type Task } from '../../../core/index.ts';
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
