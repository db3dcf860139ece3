// Change notification from a server's side (dir_notice_changes / file_notice_changes):
// the notify Sender caps clients registered on one node. Posting goes through the
// server's Poster (servers/notify/poster.ts): a handler only queues the event, one
// thread of the server sends it, bounded queues report what they lose to the service
// as a gap in the ticks, and a sender whose post fails is dropped (as the Hurd drops a
// watcher on a send error). A handler never blocks on a client.

import type { Client } from '../../libcap/index.ts';
import type { Poster } from '../notify/poster.ts';

/** Where every watcher set of one server posts through, and finds a dropped sender's set. */
export interface PostRoute {
  /** The server's poster (started on first use). */
  poster(): Poster;
  /** Sender slot -> the watcher set holding it. */
  readonly bySlot: Map<number, ChangeWatchers>;
  /** Sender slot -> the client that registered it (charged for it). */
  readonly owners: Map<number, Client>;
  /** Watchers each client has registered. */
  readonly perClient: Map<Client, number>;
}

/** The watchers of one node. */
export class ChangeWatchers {
  private readonly slots = new Set<number>();

  constructor(private readonly route: PostRoute) {}

  get size(): number {
    return this.slots.size;
  }

  /**
   * Register a Sender cap for `owner`, who is charged for it: the slot now belongs to the
   * server's poster. When the poster refuses it (its own kind check, or it holds the most
   * senders it takes) the slot stays the caller's and the poster's errno is answered.
   */
  add(slot: number, owner: Client): 'EINVAL' | 'EAGAIN' | null {
    const r = this.route;
    const p = r.poster();
    // A poster that checks what it adopts answers false (and says why through check()).
    const adopted: unknown = p.adopt(slot);
    if (adopted === false) return (p as { check?: (s: number) => 'EINVAL' | 'EAGAIN' | null }).check?.(slot) ?? 'EAGAIN';
    this.slots.add(slot);
    r.bySlot.set(slot, this);
    r.owners.set(slot, owner);
    r.perClient.set(owner, (r.perClient.get(owner) ?? 0) + 1);
    return null;
  }

  /** Queue an event for every watcher; returns at once. */
  post(type: string, data: string): void {
    const p = this.route.poster();
    for (const s of this.slots) if (!p.post(s, type, data)) this.forget(s);
  }

  /** The poster dropped `slot` (its post failed): stop naming it. */
  forget(slot: number): void {
    if (!this.slots.delete(slot)) return;
    const r = this.route;
    if (r.bySlot.get(slot) === this) r.bySlot.delete(slot);
    const owner = r.owners.get(slot);
    r.owners.delete(slot);
    if (owner !== undefined) {
      const n = (r.perClient.get(owner) ?? 1) - 1;
      if (n > 0) r.perClient.set(owner, n);
      else r.perClient.delete(owner);
    }
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
