// The active translator of a node, once attached: detaching it from the node, releasing
// what the server holds of it (its control cap; the task, when the server started it),
// and asking it to go away (fsys.goaway, bounded by the translator timeout). Whether a
// call's error means the translator is gone is decided here too.

import type { Task } from '../../core/index.ts';
import { invokeFromHost, keptCap, releaseKept, type ErrnoName, type RpcResult } from '../../libcap/index.ts';
import type { Filesystem } from './filesystem.ts';
import { Fsys, FSYS_GOAWAY } from '../../protocol/fs.ts';
import { dropKeptRoots, withoutKeptRoots } from './root-cache.ts';
import type { ActiveTranslator, TransBox } from './trans-box.ts';

/** Call errors meaning the translator is gone (its endpoint dead, its bucket ended). */
const GONE: ReadonlySet<ErrnoName> = new Set<ErrnoName>(['EPIPE', 'EBADF', 'ECONNABORTED', 'ECANCELED']);

/** True when a call's error means the translator is gone. */
export function isGone(error: ErrnoName): boolean {
  return GONE.has(error);
}

/**
 * True when the translator can no longer be reached as attached: the task the parent
 * started it in died, or its control cap is no longer the one kept (revoked by the client
 * that attached it; the slot may hold another cap by now).
 */
export function isDead(fs: Filesystem, act: ActiveTranslator): boolean {
  return (act.task !== null && !act.task.alive) || !controlKept(fs, act);
}

/**
 * Whether the control slot still holds the very cap kept (KeptCap's test, through the
 * bucket's host: in-process a read of the server's own cap space, as this runs on every
 * crossing and identify() allocates; a syscall in an isolated task).
 */
function controlKept(fs: Filesystem, act: ActiveTranslator): boolean {
  return fs.bucket.host.capSerial(act.control) === act.serial;
}

/** The serial of the control cap now in `slot` (what ActiveTranslator.serial keeps). */
export function controlSerial(fs: Filesystem, slot: number): number {
  return keptCap(fs.ops, slot)?.serial ?? 0;
}

/** Detach the active translator from its node; the caller now owns it (release it). */
export function detachActive(fs: Filesystem, box: TransBox): ActiveTranslator | null {
  const act = box.active;
  if (act === null) return null;
  box.active = null;
  fs.children.delete(act);
  return act;
}

/** Release a detached translator: drop its control cap, end the task we started it in. */
export function releaseActive(fs: Filesystem, act: ActiveTranslator): void {
  dropKeptRoots(fs, act);
  releaseKept(fs.ops, { slot: act.control, serial: act.serial });
  if (act.task !== null) destroyTask(fs, act.task);
  if (act.launched !== undefined) {
    fs.ops.killTask(act.launched.taskCap);
    fs.ops.delete(act.launched.taskCap);
  }
}

/** Detach and release the active translator of a node. */
export function clearActive(fs: Filesystem, box: TransBox): void {
  const act = detachActive(fs, box);
  if (act !== null) releaseActive(fs, act);
}

/** Tell a detached translator to go away (bounded by the timeout), then release it. */
export async function dismissActive(fs: Filesystem, act: ActiveTranslator, flags: number): Promise<void> {
  await goaway(fs, act, flags);
  releaseActive(fs, act);
}

/**
 * Call fsys.goaway on a translator (bounded by the timeout). The roots the parent keeps
 * of it are dropped first, and none are kept until it answered: they are not users.
 */
function goaway(fs: Filesystem, act: ActiveTranslator, flags: number): Promise<RpcResult<unknown>> {
  // A control cap revoked from under the parent: the translator is gone as far as it can tell.
  if (!controlKept(fs, act)) return Promise.resolve({ ok: false, error: 'EPIPE', message: 'fsys.goaway: control cap revoked' });
  return withoutKeptRoots(fs, act, () =>
    invokeFromHost(fs.bucket.host, act.control, Fsys.methods.goaway, { flags }, { timeout: fs.settings.translatorTimeout }),
  );
}

/** Delete a translator's task (idempotent). */
export function destroyTask(fs: Filesystem, task: Task): void {
  if (!task.alive || fs.kernel === null) return;
  try {
    fs.kernel.deleteTask(task);
  } catch {
    // Teardown of a translator's own objects failed halfway; the task is dead anyway.
  }
}

/**
 * Ask the active translator of `box` to go away (fsys.goaway with `flags`). Gone, dead
 * or unresponsive-but-forced: detached (null). Refused (busy, or not answering without
 * FORCE): EBUSY, and it stays attached.
 */
export async function goawayActive(fs: Filesystem, box: TransBox, flags: number): Promise<ErrnoName | null> {
  const act = box.active;
  if (act === null) return null;
  const r = await goaway(fs, act, flags);
  const forced = (flags & FSYS_GOAWAY.FORCE) !== 0;
  if (r.ok || GONE.has(r.error) || forced) {
    if (box.active === act) clearActive(fs, box);
    return null;
  }
  return 'EBUSY';
}
