// Clocks: the kernel reads time only through one of these, so tests run on virtual time
// and never sleep. Times are milliseconds as floating point numbers.

/** A source of time for the kernel. */
export interface Clock {
  /** Current time in ms. */
  now(): number;
  /** True when time only moves when the kernel (or a test) moves it. */
  readonly virtual: boolean;
}

/** Wall-clock time from performance.now(). */
export class RealClock implements Clock {
  readonly virtual = false;
  now(): number {
    return performance.now();
  }
}

/**
 * Virtual time: starts at 0 and moves only through `Kernel.advance` (or, with
 * `autoAdvance`, when the kernel is idle and only timers are pending).
 */
export class VirtualClock implements Clock {
  readonly virtual = true;
  private t = 0;
  constructor(
    /** Jump to the next timer when the kernel has nothing else to do. */
    readonly autoAdvance = true,
  ) {}
  now(): number {
    return this.t;
  }
  /** Move time forward; the kernel calls this, tests call Kernel.advance. */
  set(t: number): void {
    if (t > this.t) this.t = t;
  }
}
