// Tasks: a capability space and the threads that run in it. A task lives until it is
// deleted; deletion kills its threads, deletes its caps and tells its death watchers.

import { CSpace } from './cspace.ts';
import { KObject, Kind } from './kobject.ts';
import { CAP_FIRST_FREE } from './limits.ts';
import type { Notification } from './notification.ts';
import type { Thread } from './thread.ts';

export class Task extends KObject {
  readonly kind = Kind.Task;
  readonly cspace: CSpace;
  readonly threads = new Set<Thread>();
  alive = true;
  /**
   * Notifications signalled when the task dies, each with the OR of the badges it was
   * watched through: one entry per notification, so watching again costs no memory.
   */
  readonly deathWatchers = new Map<Notification, number>();
  /** Size at which watchTask next drops entries of destroyed notifications. */
  pruneWatchersAt = 16;

  /** Lives until it exits or is killed, whether or not caps name it. */
  override lastCapGone(): void {}

  constructor(
    id: number,
    public name: string,
    slots: number,
  ) {
    super(id);
    this.cspace = new CSpace(this, slots, CAP_FIRST_FREE);
  }
}
