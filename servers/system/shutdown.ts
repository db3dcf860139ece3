// Orderly shutdown of a composed system and its report. Programs go first (they are
// leaves), then servers in reverse start order, each one inhibited, drained and ended
// (its instance's shutdown, or shutdownBuckets) before its task is deleted, so the
// servers it used see their client die and release its caps; the name server goes
// last. Every step runs even if an earlier one failed; failures are reported together.

import { ThreadState, threadInfo, type Kernel, type Task } from '../../core/index.ts';
import { shutdownBuckets, type HeldNote, type ServerInstance } from '../../libcap/server.ts';
import { isIsolatedInstance, type IsolatedInstance } from './isolated-server.ts';

/** A thread that was still alive when its task was about to be deleted. */
export interface LeftThread {
  readonly task: string;
  readonly thread: string;
  readonly state: string;
  readonly blockedOn: string | null;
}

/** What a shutdown found. `clean` when nothing was held, left running or alive. */
export interface ShutdownReport {
  /** Caps still held when a server stopped (per server and bucket), and its other notes. */
  readonly held: readonly HeldNote[];
  /** Threads still alive in a task after its server ended (programs: still running); idle host-call proxies are not counted. */
  readonly threads: readonly LeftThread[];
  /** Tasks of the system still alive at the end (paths). */
  readonly tasks: readonly string[];
  /** Steps that failed (every step still ran). */
  readonly errors: readonly string[];
  readonly clean: boolean;
}

/** One member of the system as shutdown sees it. */
export interface StopTarget {
  readonly path: string;
  readonly task: Task;
  /** The running server (in-process or isolated), or null for a program (or a server never started). */
  readonly instance: ServerInstance | IsolatedInstance | null;
}

/** Let the kernel run (managers process deaths, workers exit) until it is idle. */
export async function settleKernel(kernel: Kernel): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    await kernel.settle();
    for (let j = 0; j < 10; j++) await Promise.resolve();
    if (kernel.idle) return;
  }
}

/**
 * Stop `others` (programs, unstarted servers: their tasks are deleted), then `servers`
 * in the order given (callers pass reverse start order, the name server last).
 */
export async function stopSystem(
  kernel: Kernel,
  others: readonly StopTarget[],
  servers: readonly StopTarget[],
  force: boolean,
): Promise<ShutdownReport> {
  const held: HeldNote[] = [];
  const threads: LeftThread[] = [];
  const errors: string[] = [];

  const removeTask = async (t: StopTarget): Promise<void> => {
    for (const th of t.task.threads) {
      // Parked threads are idle proxies of host calls (libcap's host caller), not work.
      if (!th.alive || th.state === ThreadState.Parked) continue;
      const info = threadInfo(th);
      threads.push({ task: t.path, thread: info.name, state: info.state, blockedOn: info.blockedOn });
    }
    try {
      kernel.deleteTask(t.task);
    } catch (e) {
      errors.push(`${t.path}: deleting the task: ${describe(e)}`);
    }
    await settleKernel(kernel);
  };

  await settleKernel(kernel);
  for (const t of others) if (t.task.alive) await removeTask(t);
  for (const t of servers) {
    if (t.instance !== null && !t.task.alive) {
      // Its threads are gone: there is nothing to drain (and libcap's Bucket.end would
      // wait for a manager that no longer exists).
      held.push({ server: t.path, what: 'its task had died before shutdown' });
    } else if (t.instance !== null) {
      try {
        const inst = t.instance;
        const notes = isIsolatedInstance(inst)
          ? await inst.shutdown(force)
          : inst.shutdown !== undefined
            ? await inst.shutdown(force)
            : await shutdownBuckets(inst, force);
        held.push(...notes);
      } catch (e) {
        errors.push(`${t.path}: shutdown: ${describe(e)}`);
      }
      await settleKernel(kernel);
    }
    if (t.task.alive) await removeTask(t);
  }
  const tasks = [...others, ...servers].filter((t) => t.task.alive).map((t) => t.path);
  return { held, threads, tasks, errors, clean: held.length === 0 && threads.length === 0 && tasks.length === 0 && errors.length === 0 };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The report as text lines, for examples and logs. */
export function formatReport(r: ShutdownReport): string[] {
  if (r.clean) return ['shutdown: clean (nothing held, no thread left, no task alive)'];
  const out: string[] = [];
  for (const h of r.held) out.push(`held: ${h.server}: ${h.what}`);
  for (const t of r.threads) out.push(`thread left: ${t.task}: ${t.thread} ${t.state}${t.blockedOn === null ? '' : ` on ${t.blockedOn}`}`);
  for (const t of r.tasks) out.push(`task alive: ${t}`);
  for (const e of r.errors) out.push(`error: ${e}`);
  return out;
}
