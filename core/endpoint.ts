// Endpoints (E1): a rendezvous with one queue, holding blocked senders or blocked
// receivers, never both. Also the derived state Decision 10 needs (caps with Read left)
// and the queue of badges whose caps all went (no-senders notifications).

import type { Cap } from './cspace.ts';
import { KObject, Kind } from './kobject.ts';
import { Rights } from './rights.ts';
import { ThreadQueue } from './thread-queue.ts';

/** What the queue holds. */
export const EpState = { Idle: 0, Send: 1, Recv: 2 } as const;

/**
 * A thread serving the endpoint directly (core/isolate/direct.ts): told when a sender
 * queues in the kernel and when a cap to the endpoint leaves its slot (deleted, revoked,
 * moved, granted away in a message).
 */
export interface EndpointDirect {
  senderBlocked(): void;
  capRemoved(cap: Cap): void;
}

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
  /** Set while an isolated thread serves this endpoint directly (core/isolate/direct.ts). */
  direct: EndpointDirect | null = null;

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
    if (this.direct !== null) this.direct.capRemoved(cap);
    if ((cap.rights & Rights.Read) !== 0 && --this.readers === 0 && !this.dead) {
      this.dead = true;
      this.host.endpointDied(this);
    }
  }

  /** A moved cap no longer names the slot a direct-call link was made for: the link goes. */
  override onCapMoved(cap: Cap): void {
    if (this.direct !== null) this.direct.capRemoved(cap);
  }

  protected override onDestroy(): void {
    // D1: the last cap is gone; whoever is still queued is released.
    if (!this.dead) {
      this.dead = true;
      this.host.endpointDied(this);
    }
  }
}
