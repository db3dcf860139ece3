// Inhibition state shared by every level (bucket, class, object, client), as
// libhurd-cap-server: GREEN serving, YELLOW draining, RED inhibited, BLACK ended.
//
// inhibit(): wait until the level serves (concurrent inhibitors are serialised, as
// libhurd-cap-server does; libports answered EBUSY instead), set it draining, cancel
// every other RPC in flight at the level, and wait until they have left: the last one to
// leave flips the state to inhibited. If the inhibitor is cancelled while it waits, the
// level goes back to serving and the inhibitor gets EINTR. resume() sets serving again
// and lets parked RPCs proceed. end() is final: parked RPCs get ECANCELED.
//
// Levels that serve count nothing per RPC: the inhibitor counts the RPCs it waits for
// when the drain begins, and finishing RPCs report to their levels only while some
// level drains (drainingLevels), so the common RPC path pays one load for inhibition.

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

/**
 * How many levels are draining now, in every bucket of the process. Levels keep no
 * count of the RPCs running at them while they serve (that would be four counters to
 * move on every RPC): an inhibitor counts the RPCs it must wait for when it starts
 * draining, and while any level drains, every finishing RPC tells its levels (leave).
 */
export const drainingLevels = { count: 0 };

/**
 * How many levels are draining or inhibited now, in every bucket of the process. While
 * none is, an RPC's client, object and class levels all serve, and a worker starting
 * it checks only its bucket's own level (the one level that may also have ended).
 */
export const pausedLevels = { count: 0 };

export class Inhibitable {
  state: InhibitStateCode = InhibitState.Serving;
  /**
   * While draining: the RPCs running at this level when the drain began, other than the
   * inhibitor's own, that have not left yet. The last one to leave flips the level to
   * inhibited. (No RPC starts at a level that is not serving: they are parked.)
   */
  inflight = 0;
  /** The inhibitor's own RPC while it runs at this level: not waited for. */
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

  /** Change state, keeping drainingLevels true. */
  private setState(s: InhibitStateCode): void {
    const was = this.state;
    if (was === InhibitState.Draining) drainingLevels.count--;
    if (s === InhibitState.Draining) drainingLevels.count++;
    if (was === InhibitState.Draining || was === InhibitState.Inhibited) pausedLevels.count--;
    if (s === InhibitState.Draining || s === InhibitState.Inhibited) pausedLevels.count++;
    this.state = s;
  }

  /**
   * An RPC running at this level finished (called only while some level drains). The
   * last one the drain waits for flips the level to inhibited; the inhibitor's own RPC
   * leaving is not waited for.
   */
  leave(who: Cancellable): void {
    if (this.state !== InhibitState.Draining) return;
    if (who === this.exemptRpc) {
      this.exemptRpc = null;
      return;
    }
    if (--this.inflight <= 0 && this.drained !== null) {
      const d = this.drained;
      this.drained = null;
      this.setState(InhibitState.Inhibited);
      d();
    }
  }

  /**
   * Inhibit this level. `countOthers` counts the RPCs running here other than the
   * inhibitor's, `cancelOthers` cancels them; `selfHere` says whether the inhibitor's
   * own RPC runs at this level. Resolves to null when inhibited, or EINTR / ECANCELED.
   */
  async inhibit(
    countOthers: () => number,
    cancelOthers: () => void,
    self: Cancellable | null,
    selfHere: boolean,
  ): Promise<ErrnoName | null> {
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
    const others = countOthers();
    this.exemptRpc = selfHere ? self : null;
    if (others > 0) {
      this.inflight = others;
      this.setState(InhibitState.Draining);
      cancelOthers();
    }
    if ((this.state as InhibitStateCode) === InhibitState.Ended) return 'ECANCELED';
    // (A cancel hook may have answered and finished every one of them already.)
    if ((this.state as InhibitStateCode) === InhibitState.Draining && this.inflight > 0) {
      const ok = await new Promise<boolean>((resolve) => {
        this.drained = () => resolve(true);
        self?.onCancel(() => resolve(false));
      });
      if ((this.state as InhibitStateCode) === InhibitState.Ended) return 'ECANCELED';
      if (!ok || self?.cancelled === true) {
        // The inhibitor was cancelled while draining: back to serving.
        this.drained = null;
        if ((this.state as InhibitStateCode) !== InhibitState.Ended) this.setState(InhibitState.Serving);
        this.inflight = 0;
        this.exemptRpc = null;
        this.wakeNext();
        return 'EINTR';
      }
    } else this.setState(InhibitState.Inhibited);
    return null;
  }

  /** Serve again; returns false when the level was not inhibited. */
  resume(): boolean {
    if (this.state !== InhibitState.Inhibited) return false;
    this.setState(InhibitState.Serving);
    this.exemptRpc = null;
    this.wakeNext();
    return true;
  }

  /** End for good; waiting inhibitors are released (they see ECANCELED). */
  end(): void {
    this.setState(InhibitState.Ended);
    const d = this.drained;
    this.drained = null;
    if (d !== null) d();
    for (const w of this.queue.splice(0)) w.wake();
  }

  private wakeNext(): void {
    for (let w = this.queue.shift(); w !== undefined; w = this.queue.shift()) if (w.wake()) return;
  }
}
