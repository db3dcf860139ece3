// Notifications (N1-N6): one word of pending bits, a queue of waiters, and at most one
// bound thread. Signals OR the badge in and wake the first waiter; they never block.

import type { Cap } from './cspace.ts';
import { KObject, Kind } from './kobject.ts';
import { ThreadQueue } from './thread-queue.ts';
import type { Thread } from './thread.ts';

export interface NotificationHost {
  notificationDied(n: Notification): void;
}

export class Notification extends KObject {
  readonly kind = Kind.Notification;
  /** Pending bits (N1). */
  word = 0;
  /** A signal arrived and was not consumed; distinct from word so badge 0 counts (Decision 6). */
  pending = false;
  readonly waiters = new ThreadQueue();
  boundThread: Thread | null = null;

  constructor(
    id: number,
    private readonly host: NotificationHost,
  ) {
    super(id);
  }

  /** Take the pending word, clearing it (N2). */
  consume(): number {
    const w = this.word;
    this.word = 0;
    this.pending = false;
    return w;
  }

  override onCapAdded(_cap: Cap): void {}

  protected override onDestroy(): void {
    this.host.notificationDied(this);
  }
}
