// Helpers every test world shares: settling the kernel and the host promise chains,
// moving virtual time, watching a promise without awaiting it, and reading or changing
// a task's cap space from host code. Nothing here is a test.

import { HostSys, type Kernel, type Task } from '../core/index.ts';

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

/** A promise watched without being awaited. */
export interface Tracked<T> {
  readonly done: boolean;
  readonly value: T | undefined;
  readonly promise: Promise<T>;
}

/** Track whether a promise settled, without awaiting it. */
export function track<T>(p: Promise<T>): Tracked<T> {
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

/** Delete a cap of `task` from host code. */
export function deleteCap(k: Kernel, task: Task, slot: number): void {
  new HostSys(k, task).delete(slot);
}

/**
 * The slots of `task` holding a copy of the cap in `slot` of `holder` (a cap derived from
 * it, at any depth): where a server keeps a cap a client sent it, to force that very slot
 * to be refilled in tests of kept caps.
 */
export function slotsHoldingCopyOf(holder: Task, slot: number, task: Task): number[] {
  const cap = holder.cspace.get(slot);
  if (cap === null) return [];
  const copies = new Set(cap.descendants());
  const out: number[] = [];
  for (const [s, c] of task.cspace.entries()) if (copies.has(c)) out.push(s);
  return out;
}
