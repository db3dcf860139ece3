// Endpoints (E1): a rendezvous with one queue, holding blocked senders or blocked
// receivers, never both. Also the derived state Decision 10 needs (caps with Read left)
// and the queue of badges whose caps all went (no-senders notifications).

import type { Cap } from './cspace.ts';
import { KObject, Kind } from './kobject.ts';
import { Rights } from './rights.ts';
import { ThreadQueue } from './thread-queue.ts';

/** What the queue holds. */
export const EpState = { Idle: 0, Send: 1, Recv: 2 } as const;

/** What an endpoint needs from the kernel when its caps change. */
export interface EndpointHost {
  endpointDied(ep: Endpoint): void;
}

export class Endpoint extends KObject {
  readonly kind = Kind.Endpoint;
  state: number = EpState.Idle;
  readonly queue = new ThreadQueue();
  /** Caps with Read anywhere; when it reaches 0 the endpoint is dead (Decision 10). */
  readers = 0;
  dead = false;
  /** Badges of watched caps whose last derived cap went, not yet collected by the server. */
  readonly noSendersQueue: number[] = [];

  constructor(
    id: number,
    private readonly host: EndpointHost,
  ) {
    super(id);
  }

  override onCapAdded(cap: Cap): void {
    if ((cap.rights & Rights.Read) !== 0) this.readers++;
  }

  override onCapRemoved(cap: Cap): void {
    if ((cap.rights & Rights.Read) !== 0 && --this.readers === 0 && !this.dead) {
      this.dead = true;
      this.host.endpointDied(this);
    }
  }

  protected override onDestroy(): void {
    // D1: the last cap is gone; whoever is still queued is released.
    if (!this.dead) {
      this.dead = true;
      this.host.endpointDied(this);
    }
  }
}
