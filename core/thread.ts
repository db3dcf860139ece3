// Threads (TCBs): a generator body, a UTCB, a priority and a state the kernel and
// introspection read. The kernel drives the body; a syscall is a `yield` of the token a
// `Sys` method returns, and the value the `yield` gives back is the syscall's status.
//
// States: Inactive -> Ready <-> Running -> Blocked* -> Ready ... -> Exited / Killed.
// A Running thread is never in a queue; a Ready thread is in exactly one run queue; a
// thread blocked on an endpoint or notification is in that object's queue; a thread
// blocked on a reply, sleeping, waiting on the host, suspended or faulted is in none.

import type { Cap } from './cspace.ts';
import { KObject, Kind } from './kobject.ts';
import type { Notification } from './notification.ts';
import type { Reply } from './reply.ts';
import type { Sys } from './syscalls.ts';
import type { Task } from './task.ts';
import type { ThreadQueue } from './thread-queue.ts';
import { Utcb } from './utcb.ts';

/** Thread states, readable through introspection. */
export const ThreadState = {
  Inactive: 0,
  Ready: 1,
  Running: 2,
  BlockedSend: 3,
  BlockedRecv: 4,
  BlockedReply: 5,
  BlockedNotification: 6,
  Sleeping: 7,
  HostWait: 8,
  Suspended: 9,
  Faulted: 10,
  Exited: 11,
  Killed: 12,
  /** Waiting for host code to unpark it (pooled threads that carry host calls). */
  Parked: 13,
} as const;
export type ThreadStateCode = (typeof ThreadState)[keyof typeof ThreadState];

export const THREAD_STATE_NAMES: readonly string[] = [
  'inactive',
  'ready',
  'running',
  'blocked-send',
  'blocked-recv',
  'blocked-reply',
  'blocked-notification',
  'sleeping',
  'host-wait',
  'suspended',
  'faulted',
  'exited',
  'killed',
  'parked',
];

declare const syscallBrand: unique symbol;
/** The token a `Sys` method returns; yielding it performs the syscall. */
export interface Syscall {
  readonly [syscallBrand]: true;
}
/** The one token object. Yielding anything else is an UnknownSyscall fault. */
export const SYSCALL = Object.freeze({ syscall: true }) as unknown as Syscall;

/** True for the syscall token (libraries that run nested generators check what they yield). */
export function isSyscall(value: unknown): value is Syscall {
  return value === SYSCALL;
}

/**
 * A continuation: called with the status of the thread's last syscall, it returns the
 * next syscall token, or null to end the thread. Stackless, as Mach 3.0's continuations:
 * a server loop written this way costs a plain call per message instead of a generator
 * resume.
 */
export type Continuation = (status: number) => Syscall | null;

/**
 * A thread body, given the thread's syscall interface. Either a generator function, in
 * which each `yield sys.op(...)` performs a syscall and evaluates to its status, or a
 * function returning a Continuation (its first call gets status Ok). A fault handler's
 * "resume" after a throw calls the body again (restart from the entry).
 */
export type ThreadBody<R = unknown> = (sys: Sys) => Generator<Syscall, R, number> | Continuation;

/** Pending syscall operation codes stored in a thread while it is being dispatched. */
export const Op = {
  None: 0,
  Send: 1,
  NBSend: 2,
  Call: 3,
  Recv: 4,
  NBRecv: 5,
  Reply: 6,
  ReplyRecv: 7,
  Signal: 8,
  Wait: 9,
  Poll: 10,
  Sleep: 11,
  Yield: 12,
  HostWait: 13,
  Suspend: 14,
  Park: 15,
  /** Send the recorded fault message again (after cancelBadgedSends released it). */
  Fault: 16,
} as const;

/** Fault kinds: the label of a fault message (F1). */
export const FaultKind = {
  /** The body threw. Resuming restarts the body from its entry. */
  UserException: 1,
  /** The body yielded something that is not a syscall token. Resuming continues it. */
  UnknownSyscall: 2,
  /** The body touched a view whose mapping is gone, out of range or without the right (DS5). Resuming restarts it. */
  PageFault: 3,
} as const;

/** Label of the fault handler's reply: Resume restarts/continues, anything else stops. */
export const FaultReply = { Resume: 0, Stop: 1 } as const;

export class Thread extends KObject {
  readonly kind = Kind.Thread;
  state: number = ThreadState.Inactive;
  readonly utcb = new Utcb();
  gen: Generator<unknown, unknown, number> | null = null;
  /** Set instead of gen for a continuation thread. */
  step: Continuation | null = null;
  /** The task's cap slots (same array for the task's life): one load on the fast path. */
  readonly cslots: (Cap | null)[];
  /** The syscall interface handed to the body; set by the kernel. */
  sys!: Sys;
  /**
   * @internal Set while the thread (an isolated one) serves an endpoint directly
   * (core/isolate/direct.ts): binding a notification to it or suspending it ends that.
   */
  directEnd: (() => void) | null = null;

  // --- pending syscall (set by Sys, read by the kernel's dispatch)
  op: number = Op.None;
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  a4 = 0;
  sendTimeout = 0;
  recvTimeout = 0;
  /** The status the next resume of the body evaluates to. */
  result = 0;
  /** Re-issue the stored syscall instead of resuming the body (cancelBadgedSends, B4). */
  restartSyscall = false;

  // --- queue links (ThreadQueue)
  qNext: Thread | null = null;
  qPrev: Thread | null = null;
  queue: ThreadQueue | null = null;
  /** Endpoint or notification this thread is blocked on. */
  blockedOn: KObject | null = null;

  // --- sending side while blocked in a send queue
  sendBadge = 0;
  sendCanGrant = false;
  sendCanGrantReply = false;
  sendIsCall = false;
  /** The fault message this thread sends is a kernel-made call (F1). */
  inFault = false;

  // --- call / reply
  /** Incremented at each call and whenever a pending reply must die (Decision 3). */
  callSeq = 0;
  /** A saved reply object naming this caller, if the server saved it (saveCaller). */
  savedReply: Reply | null = null;
  /** The caller this thread (as a server) must answer, with the call it answers. */
  replyTo: Thread | null = null;
  replySeq = 0;
  /** R5: the reply may carry caps when the receive cap had Grant. */
  replyCanGrant = false;
  /** Grant right of the cap the thread is receiving on, stored at block time. */
  recvCanGrant = false;

  // --- notifications
  bound: Notification | null = null;

  // --- faults
  /** Cap name, in this thread's task, of the fault endpoint (0: none). */
  faultSlot = 0;
  faultKind = 0;
  faultError: unknown = null;

  // --- timers
  timerGen = 0;
  deadline = Number.POSITIVE_INFINITY;

  // --- host interplay
  hostGen = 0;
  hostPromise: PromiseLike<unknown> | null = null;
  hostValue: unknown = undefined;
  hostError: unknown = undefined;
  hostFailed = false;
  /** Set for threads started by Kernel.exec: a throw rejects the promise, no fault IPC. */
  onExit: ((value: unknown, error: unknown, failed: boolean) => void) | null = null;
  exitValue: unknown = undefined;
  /** State to go back to when a suspended thread resumes (Ready or a blocked state). */
  suspendedResult = 0;

  /** Lives until it exits or is killed, whether or not caps name it. */
  override lastCapGone(): void {}

  constructor(
    id: number,
    readonly task: Task,
    public name: string,
    public prio: number,
    readonly body: ThreadBody,
  ) {
    super(id);
    this.cslots = task.cspace.slots;
  }

  get stateName(): string {
    return THREAD_STATE_NAMES[this.state] ?? 'unknown';
  }

  /** True while the thread can still run (not exited, killed or stopped for good). */
  get alive(): boolean {
    return this.state !== ThreadState.Exited && this.state !== ThreadState.Killed;
  }
}
