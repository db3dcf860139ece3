// Faults as IPC (F1, F2): a thread whose body throws, or that yields something that is
// not a syscall, is stopped and made to call its fault endpoint. The handler's reply
// label decides: FaultReply.Resume restarts a thrown body from its entry (a generator
// that threw cannot continue) or continues one that yielded garbage; anything else stops
// it for good. With no valid handler the thread stops for good at once.

import type { Endpoint } from './endpoint.ts';
import { RECV_PHASE, Status } from './errors.ts';
import { callOn } from './ipc.ts';
import { PageFault } from './dataspace.ts';
import type { Kernel } from './kernel.ts';
import { Kind } from './kobject.ts';
import { NEVER } from './limits.ts';
import { Rights } from './rights.ts';
import { FaultKind, FaultReply, ThreadState, type Thread } from './thread.ts';

/** Words of a fault message: MR0 = thread id, MR1 = task id; item 0 = description. */
export const FAULT_WORDS = 2;

function describe(kind: number, error: unknown): string {
  if (kind === FaultKind.UnknownSyscall) return `yielded a non-syscall value: ${typeof error}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
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
  const cap = t.faultSlot !== 0 ? t.task.cspace.get(t.faultSlot) : null;
  const ep = cap === null ? null : (cap.obj as Endpoint);
  const usable =
    cap !== null && ep !== null && ep.kind === Kind.Endpoint && (cap.rights & Rights.Write) !== 0 && !ep.dead;
  const message = describe(kind, error);
  if (k.tracer !== null) {
    k.emit({
      type: 'fault',
      seq: 0,
      time: k.clock.now(),
      thread: t.id,
      task: t.task.id,
      kind,
      message,
      handler: usable ? ep.id : -1,
    });
  }
  if (!usable) {
    stopForGood(k, t);
    return null;
  }
  const u = t.utcb;
  u.mr[0] = t.id;
  u.mr[1] = t.task.id;
  u.items[0] = message;
  t.a0 = t.faultSlot;
  t.a1 = kind;
  t.a2 = FAULT_WORDS;
  t.a3 = 0;
  t.a4 = 1;
  t.sendBadge = cap.badge;
  t.sendCanGrant = false;
  t.sendIsCall = true;
  t.inFault = true;
  t.sendTimeout = NEVER;
  t.recvTimeout = NEVER;
  return callOn(k, t, ep);
}

/** F2: stop a thread for good; a caller it still owed a reply is failed (Decision 4). */
export function stopForGood(k: Kernel, t: Thread): void {
  t.inFault = false;
  t.state = ThreadState.Faulted;
  t.gen = null;
  t.step = null;
  t.blockedOn = null;
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
