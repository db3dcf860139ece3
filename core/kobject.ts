// The base of every kernel object: a kind, a global id, a cap count, and the factory
// charged for it. Kinds are small integers so the fast path compares numbers.

import type { Cap } from './cspace.ts';

/** Object kinds. */
export const Kind = {
  Endpoint: 1,
  Notification: 2,
  Reply: 3,
  Task: 4,
  Thread: 5,
  Factory: 6,
  Dataspace: 7,
  /** The kernel's host object: a cap with Read reads the introspection snapshot (host-info.ts). */
  Host: 8,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];

export const KIND_NAMES: Record<KindCode, string> = {
  1: 'endpoint',
  2: 'notification',
  3: 'reply',
  4: 'task',
  5: 'thread',
  6: 'factory',
  7: 'dataspace',
  8: 'host',
};

/** Anything a factory charged, so the object can refund it when destroyed (L1). */
export interface QuotaAccount {
  refund(units: number): void;
}

/**
 * A kernel object. Subclasses override `onCapAdded` / `onCapRemoved` to keep derived
 * state (readers of an endpoint, badge counts) and `destroy` for what happens when the
 * last cap goes.
 */
export abstract class KObject {
  abstract readonly kind: KindCode;
  /** Number of caps naming this object, in every cap space. */
  capCount = 0;
  /** The factory charged for this object, refunded when it is destroyed. */
  account: QuotaAccount | null = null;
  destroyed = false;
  /** Set by the kernel: removes the object from its table when destroyed. */
  onGone: ((o: KObject) => void) | null = null;

  constructor(readonly id: number) {}

  /** Called after a cap to this object is stored in a cap space. */
  onCapAdded(_cap: Cap): void {}
  /** Called after a cap to this object left its cap space (deleted or revoked). */
  onCapRemoved(_cap: Cap): void {}
  /** Called after every descendant of `cap` was deleted by a revoke (dataspaces unmap derived mappings). */
  onRevoke(_cap: Cap): void {}
  /** Called after a cap to this object moved to another slot or cap space (move, a granted cap in a message). */
  onCapMoved(_cap: Cap): void {}
  /** Called once when the last cap is gone; subclasses release waiters. */
  protected onDestroy(): void {}

  /** Called when the last cap is gone. Most kinds die then; threads and tasks do not. */
  lastCapGone(): void {
    this.destroy();
  }

  /** Bookkeeping shared by every kind; subclasses extend through onDestroy. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.onDestroy();
    const account = this.account;
    this.account = null;
    if (account !== null) account.refund(1);
    const gone = this.onGone;
    this.onGone = null;
    if (gone !== null) gone(this);
  }
}
