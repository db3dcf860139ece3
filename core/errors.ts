// Kernel status codes: the small fixed vocabulary every syscall answers with.
// Errors are values (a number), never exceptions; a thrown exception is a kernel bug.

/**
 * Status of a syscall. `Ok` and `Notification` are successes; everything from
 * `InvalidArgument` up is an error. An error of a receive phase carries `RECV_PHASE`
 * (Decisions 7 and T1), so `status & CODE_MASK` is the code and
 * `(status & RECV_PHASE) !== 0` says which phase failed.
 */
export const Status = {
  /** A message (or reply) was received, or the operation succeeded. */
  Ok: 0,
  /** recv returned a pending bound notification instead of a message (N5); word in utcb.badge. */
  Notification: 1,
  /** A word is not a uint32, a length or timeout is malformed, an argument has the wrong type. */
  InvalidArgument: 2,
  /** The invoked cap is empty, of the wrong type, or lacks the needed rights (E4, E5, R3). */
  InvalidCapability: 3,
  /** The operation is not allowed on this object (copying a reply cap, binding a bound thread, ...). */
  IllegalOperation: 4,
  /** A cap name is outside the cap space, or a number is outside its range. */
  RangeError: 5,
  /** A cap named as a source (cap ops, cap transfer) is empty. */
  FailedLookup: 6,
  /** The destination slot is occupied. */
  DeleteFirst: 7,
  /** The object still has dependants where the operation needs none. */
  RevokeFirst: 8,
  /** A factory's quota is spent (L1). */
  NotEnoughMemory: 9,
  /** The partner was not ready within the timeout (T1); nbrecv on an empty endpoint (E3). */
  Timeout: 10,
  /** The thread was suspended or killed mid-IPC, or its sleep was cancelled (T2, Decision 5). */
  Cancelled: 11,
  /** The server received again without replying, or dropped the reply cap (Decision 4). */
  Aborted: 12,
  /** No cap with Read to the endpoint remains, or the partner died (Decision 10, D1, D2). */
  DeadPartner: 13,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Flag or-ed into an error status when the receive phase failed. */
export const RECV_PHASE = 0x40;
/** Mask extracting the code from a status. */
export const CODE_MASK = 0x3f;

const NAMES: readonly string[] = Object.keys(Status);

/** The code of a status, without the phase flag. */
export function statusCode(status: number): StatusCode {
  return (status & CODE_MASK) as StatusCode;
}

/** True for every error status (not Ok, not Notification). */
export function isError(status: number): boolean {
  return (status & CODE_MASK) > Status.Notification;
}

/** True when an error status belongs to the receive phase. */
export function isRecvPhase(status: number): boolean {
  return (status & RECV_PHASE) !== 0;
}

/** A readable name: "Ok", "Timeout (receive phase)", ... */
export function statusName(status: number): string {
  const name = NAMES[status & CODE_MASK] ?? `Unknown(${status & CODE_MASK})`;
  return (status & RECV_PHASE) !== 0 ? `${name} (receive phase)` : name;
}

/**
 * Structured detail of the last error a thread got, as seL4 puts it in the IPC buffer:
 * which argument (0-based position in the syscall), which slot, or which item.
 */
export interface ErrorDetail {
  readonly status: number;
  readonly argument?: string;
  readonly slot?: number;
  readonly item?: number;
  readonly message: string;
}
