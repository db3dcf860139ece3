// Inhibition state shared by every level (bucket, class, object, client), as
// libhurd-cap-server: GREEN serving, YELLOW draining, RED inhibited, BLACK ended.
//
// inhibit(): wait until the level serves (concurrent inhibitors are serialised, as
// libhurd-cap-server does; libports answered EBUSY instead), set it draining, cancel
// every other RPC in flight at the level, and wait until they have left: the last one to
// leave flips the state to inhibited. If the inhibitor is cancelled while it waits, the
// level goes back to serving and the inhibitor gets EINTR. resume() sets serving again
// and lets parked RPCs proceed. end() is final: parked RPCs get ECANCELED.

import type { ErrnoName } from './errno.ts';

export const InhibitState = {
  Serving: 0,
  Draining: 1,
  Inhibited: 2,
  Ended: 3,
} as const;
export type InhibitStateCode = (typeof InhibitState)[keyof typeof InhibitState];
export const INHIBIT_STATE_NAMES = ['serving', 'draining', 'inhibited', 'ended'] as const;

/** Something that can be cancelled while it waits (the inhibitor's own RPC). */
export interface Cancellable {
  readonly cancelled: boolean;
  onCancel(fn: () => void): void;
}

export class Inhibitable {
  state: InhibitStateCode = InhibitState.Serving;
  /** RPCs running at this level (parked ones are not counted). */
  inflight = 0;
  /** In-flight RPCs that belong to the inhibitor itself and do not block the drain. */
  private exempt = 0;
  /** The inhibitor's own RPC while it is exempt: when it leaves, it stops being exempt. */
  private exemptRpc: Cancellable | null = null;
  private drained: (() => void) | null = null;
  /** Serialised inhibitors waiting for the level to serve; wake() says if it still waited. */
  private readonly queue: { wake(): boolean }[] = [];

  get stateName(): string {
    return INHIBIT_STATE_NAMES[this.state];
  }

  get serving(): boolean {
    return this.state === InhibitState.Serving;
  }

  enter(): void {
    this.inflight++;
  }

  /**
   * An RPC left the level; the last one to leave a draining level flips it to inhibited.
   * `who` is the RPC, so that an inhibitor's own RPC leaving first does not count twice.
   */
  leave(who?: Cancellable): void {
    this.inflight--;
    if (who !== undefined && who === this.exemptRpc) {
      this.exemptRpc = null;
      this.exempt = 0;
    }
    if (this.state === InhibitState.Draining && this.inflight <= this.exempt && this.drained !== null) {
      const d = this.drained;
      this.drained = null;
      this.state = InhibitState.Inhibited;
      d();
    }
  }

  /**
   * Inhibit this level. `cancelOthers` cancels every RPC in flight here except the
   * inhibitor's; `selfHere` says whether the inhibitor's own RPC counts at this level.
   * Resolves to null when inhibited, or EINTR / ECANCELED.
   */
  async inhibit(cancelOthers: () => void, self: Cancellable | null, selfHere: boolean): Promise<ErrnoName | null> {
    while (this.state !== InhibitState.Serving) {
      if (this.state === InhibitState.Ended) return 'ECANCELED';
      const woke = await new Promise<boolean>((resolve) => {
        let waiting = true;
        this.queue.push({
          wake: () => {
            if (!waiting) return false;
            waiting = false;
            resolve(true);
            return true;
          },
        });
        self?.onCancel(() => {
          waiting = false;
          resolve(false);
        });
      });
      if (!woke || self?.cancelled === true) return 'EINTR';
    }
    this.state = InhibitState.Draining;
    this.exempt = selfHere ? 1 : 0;
    this.exemptRpc = selfHere ? self : null;
    cancelOthers();
    if (this.inflight > this.exempt) {
      const ok = await new Promise<boolean>((resolve) => {
        this.drained = () => resolve(true);
        self?.onCancel(() => resolve(false));
      });
      if ((this.state as InhibitStateCode) === InhibitState.Ended) return 'ECANCELED';
      if (!ok || self?.cancelled === true) {
        // The inhibitor was cancelled while draining: back to serving.
        this.drained = null;
        if ((this.state as InhibitStateCode) !== InhibitState.Ended) this.state = InhibitState.Serving;
        this.exempt = 0;
        this.exemptRpc = null;
        this.wakeNext();
        return 'EINTR';
      }
    } else this.state = InhibitState.Inhibited;
    return null;
  }

  /** Serve again; returns false when the level was not inhibited. */
  resume(): boolean {
    if (this.state !== InhibitState.Inhibited) return false;
    this.state = InhibitState.Serving;
    this.exempt = 0;
    this.exemptRpc = null;
    this.wakeNext();
    return true;
  }

  /** End for good; waiting inhibitors are released (they see ECANCELED). */
  end(): void {
    this.state = InhibitState.Ended;
    const d = this.drained;
    this.drained = null;
    if (d !== null) d();
    for (const w of this.queue.splice(0)) w.wake();
  }

  private wakeNext(): void {
    for (let w = this.queue.shift(); w !== undefined; w = this.queue.shift()) if (w.wake()) return;
  }
}
