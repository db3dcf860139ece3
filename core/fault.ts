// Faults as IPC (F1, F2): a thread whose body throws, or that yields something that is
// not a syscall, is stopped and made to call its fault endpoint. The handler's reply
// label decides: FaultReply.Resume restarts a thrown body from its entry (a generator
// that threw cannot continue) or continues one that yielded garbage; anything else stops
// it for good. With no valid handler the thread stops for good at once.

import type { CSpace } from './cspace.ts';
import type { Endpoint } from './endpoint.ts';
import { RECV_PHASE, Status } from './errors.ts';
import { callOn } from './ipc.ts';
import { PageFault } from './dataspace.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { NEVER } from './limits.ts';
import { Rights } from './rights.ts';
import { FaultKind, FaultReply, ThreadState, type Thread } from './thread.ts';

/**
 * Words of a fault message: none. The label is the fault kind and item 0 describes it;
 * the handler tells faulting threads apart by the badge of the fault endpoint cap, as in
 * seL4 (B1: a receiver learns badges, never the sender's identity).
 */
export const FAULT_WORDS = 0;

/** Rights a fault endpoint cap needs: a fault is a call (F1, R3), so Write and a reply right. */
const CALL_RIGHTS = Rights.Grant | Rights.GrantReply;

/**
 * Whether the cap named `slot` in `cs` may be a fault handler: Ok for 0 (no handler) or
 * an endpoint cap with Write and Grant or GrantReply (seL4 asks the same of a fault
 * endpoint). Otherwise RangeError (not a slot name) or InvalidCapability (empty, not an
 * endpoint, or missing a right). Checked when the handler is set and again at each fault.
 */
export function faultHandlerStatus(cs: CSpace, slot: number): number {
  if (slot === 0) return Status.Ok;
  if (!cs.inRange(slot)) return Status.RangeError;
  const cap = cs.get(slot);
  if (cap === null || cap.obj.kind !== Kind.Endpoint) return Status.InvalidCapability;
  if ((cap.rights & Rights.Write) === 0 || (cap.rights & CALL_RIGHTS) === 0) return Status.InvalidCapability;
  return Status.Ok;
}

function describe(kind: number, error: unknown): string {
  if (kind === FaultKind.UnknownSyscall) return `yielded a non-syscall value: ${typeof error}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The thread's fault endpoint if it may take the fault now (F2 otherwise), else null. */
function handlerOf(t: Thread): Endpoint | null {
  const cs = t.task.cspace;
  if (t.faultSlot === 0 || faultHandlerStatus(cs, t.faultSlot) !== Status.Ok) return null;
  const ep = cs.get(t.faultSlot)!.obj as Endpoint;
  return ep.dead ? null : ep;
}

/** Raise a fault for `t`; returns the thread to run next. */
export function raiseFault(k: Kernel, t: Thread, kind: number, error: unknown): Thread | null {
  k.nFaults++;
  // DS5: a throw out of a view's check is a page fault, delivered as one.
  if (kind === FaultKind.UserException && error instanceof PageFault) kind = FaultKind.PageFault;
  t.faultKind = kind;
  t.faultError = error;
  if (kind === FaultKind.UserException || kind === FaultKind.PageFault) {
    t.gen = null;
    t.step = null;
  }
  if (k.tracer !== null) {
    const ep = handlerOf(t);
    k.emit({
      type: 'fault',
      seq: 0,
      time: k.clock.now(),
      thread: t.id,
      task: t.task.id,
      kind,
      message: describe(kind, error),
      handler: ep === null ? -1 : ep.id,
    });
  }
  return sendFault(k, t);
}

/**
 * Send (or, after cancelBadgedSends released it, send again) the fault message of `t`
 * to its handler, looked up afresh: a handler cap revoked meanwhile stops the thread for
 * good (F2), as seL4 restarts a thread whose fault IPC was cancelled and it faults again.
 */
export function sendFault(k: Kernel, t: Thread): Thread | null {
  const ep = handlerOf(t);
  if (ep === null) {
    stopForGood(k, t);
    return null;
  }
  const u = t.utcb;
  u.items[0] = describe(t.faultKind, t.faultError);
  t.a0 = t.faultSlot;
  t.a1 = t.faultKind;
  t.a2 = FAULT_WORDS;
  t.a3 = 0;
  t.a4 = 1;
  t.sendBadge = t.task.cspace.get(t.faultSlot)!.badge;
  t.sendCanGrant = false;
  t.sendIsCall = true;
  t.inFault = true;
  t.sendTimeout = NEVER;
  t.recvTimeout = NEVER;
  return callOn(k, t, ep);
}

/** Mark a thread stopped for good (F2), without touching the caller it owed a reply. */
export function haltThread(t: Thread): void {
  t.inFault = false;
  t.state = ThreadState.Faulted;
  t.gen = null;
  t.step = null;
  t.blockedOn = null;
}

/** F2: stop a thread for good; a caller it still owed a reply is failed (Decision 4). */
export function stopForGood(k: Kernel, t: Thread): void {
  haltThread(t);
  k.abortCaller(t, Status.Aborted | RECV_PHASE);
}

/** The fault handler answered `t`: resume it (returned, status set) or stop it (null). */
export function faultReplied(k: Kernel, t: Thread): Thread | null {
  t.inFault = false;
  if (t.utcb.label !== FaultReply.Resume) {
    stopForGood(k, t);
    return null;
  }
  if (t.faultKind === FaultKind.UserException || t.faultKind === FaultKind.PageFault) {
    // Restart from the entry: the run loop calls the body again.
    t.gen = null;
    t.step = null;
    t.result = Status.Ok;
    if (k.tracer !== null) k.threadEvent(t, 'restart');
  } else {
    // The yield that faulted evaluates to an error status.
    t.result = Status.InvalidArgument;
  }
  return t;
}
