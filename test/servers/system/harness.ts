// Shared helpers for the name, system and task server tests: a kernel on virtual time,
// starting one server in its own task, settling the kernel and host promise chains,
// moving virtual time, and reading cap spaces. Nothing here is a test.

import { HostSys, Kernel, VirtualClock, type Task } from '../../../core/index.ts';
import type { ServerFactory, ServerInstance } from '../../../servers/system/server.ts';

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

/** Let the kernel and host promise chains run until nothing is left to do. */
export async function settle(k: Kernel): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await k.settle();
    for (let j = 0; j < 10; j++) await Promise.resolve();
    if (k.idle) return;
  }
  throw new Error('test bug: the kernel never settled');
}

/** Move virtual time and let everything it woke run. */
export async function advance(k: Kernel, ms: number): Promise<void> {
  await settle(k);
  k.advance(ms);
  await settle(k);
}

/** Track whether a promise settled, without awaiting it. */
export function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T | undefined; readonly promise: Promise<T> } {
  const s = { done: false, value: undefined as T | undefined, promise: p };
  p.then(
    (v) => {
      s.done = true;
      s.value = v;
    },
    () => {
      s.done = true;
    },
  );
  return s;
}

/** Number of occupied slots in a task's cap space. */
export function capCount(task: Task): number {
  let n = 0;
  for (const _ of task.cspace.entries()) n++;
  return n;
}

/** Host-side cap operations in a task (identify a slot, delete a copy). */
export function ops(k: Kernel, task: Task): HostSys {
  return new HostSys(k, task);
}
