// Change notification from a server's side (dir_notice_changes / file_notice_changes):
// the notify Sender caps clients registered on one node. Posting goes through the
// server's Poster (servers/notify/poster.ts): a handler only queues the event, one
// thread of the server sends it, bounded queues report what they lose to the service
// as a gap in the ticks, and a sender whose post fails is dropped (as the Hurd drops a
// watcher on a send error). A handler never blocks on a client.

import type { Poster } from '../notify/poster.ts';

/** Where every watcher set of one server posts through, and finds a dropped sender's set. */
export interface PostRoute {
  /** The server's poster (started on first use). */
  poster(): Poster;
  /** Sender slot -> the watcher set holding it. */
  readonly bySlot: Map<number, ChangeWatchers>;
}

/** The watchers of one node. */
export class ChangeWatchers {
  private readonly slots = new Set<number>();

  constructor(private readonly route: PostRoute) {}

  get size(): number {
    return this.slots.size;
  }

  /** Register a Sender cap (the slot now belongs to the server's poster). */
  add(slot: number): void {
    this.route.poster().adopt(slot);
    this.slots.add(slot);
    this.route.bySlot.set(slot, this);
  }

  /** Queue an event for every watcher; returns at once. */
  post(type: string, data: string): void {
    const p = this.route.poster();
    for (const s of this.slots) if (!p.post(s, type, data)) this.forget(s);
  }

  /** The poster dropped `slot` (its post failed): stop naming it. */
  forget(slot: number): void {
    this.slots.delete(slot);
    if (this.route.bySlot.get(slot) === this) this.route.bySlot.delete(slot);
  }

  /** Drop every watcher (the node is gone). */
  clear(): void {
    const p = this.route.poster();
    for (const s of [...this.slots]) {
      p.release(s);
      this.forget(s);
    }
  }
}
