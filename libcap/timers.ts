// Timers on the kernel's clock for server code: `after(bucket, ms, fn)` runs fn once
// the kernel time has moved ms forward (virtual time in tests, real time otherwise).
// One timer thread per bucket waits on a notification with a timeout until the next
// deadline; adding an earlier timer signals it to look again.

import { NEVER, Rights, Status, type Sys, type SysGen } from '../core/index.ts';
import { bugReports, type Bucket } from './bucket.ts';
import { ResourceError } from './limits.ts';

interface Timer {
  deadline: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

class BucketTimers {
  private readonly timers: Timer[] = [];
  private seq = 0;
  private readonly notif: number;
  private readonly poke: number;
  private stopped = false;

  constructor(private readonly bucket: Bucket) {
    // Two free slots or none taken: a full cap space throws a ResourceError (ENOMEM for
    // the handler that asked for a timer) before anything is created.
    const first = bucket.allocSlot();
    if (bucket.ops.allocSlot(first + 1) === 0) throw new ResourceError('ENOMEM', `bucket ${bucket.name}: no room for its timers`);
    // Through the bucket's host, so a bucket in an isolated task has timers too.
    this.notif = bucket.host.createNotification();
    this.poke = bucket.allocSlot();
    bucket.ops.mint(this.notif, this.poke, Rights.Write, 1);
    bucket.host.spawn((sys) => this.run(sys), `${bucket.name}.timers`, bucket.priority);
    bucket.onEnd(() => {
      this.stopped = true;
      bucket.ops.signal(this.poke);
    });
  }

  add(ms: number, fn: () => void): () => void {
    const t: Timer = { deadline: this.bucket.host.now() + Math.max(0, ms), seq: this.seq++, fn, live: true };
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]!.deadline > t.deadline)) i--;
    this.timers.splice(i, 0, t);
    if (i === 0) this.bucket.ops.signal(this.poke);
    return () => {
      t.live = false;
    };
  }

  private *run(sys: Sys): SysGen<void> {
    for (;;) {
      if (this.stopped) break;
      const now = sys.now();
      while (this.timers.length > 0 && (this.timers[0]!.deadline <= now || !this.timers[0]!.live)) {
        const t = this.timers.shift()!;
        if (t.live) {
          t.live = false;
          // A callback that throws is a server bug: report it, keep the other timers.
          try {
            t.fn();
          } catch (e) {
            bugReports.sink(`${this.bucket.name}.timers`, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
          }
        }
      }
      const next = this.timers.length === 0 ? NEVER : this.timers[0]!.deadline - now;
      const st: number = yield sys.wait(this.notif, next);
      if ((st & 0x3f) === Status.DeadPartner) break;
    }
    sys.delete(this.poke);
    sys.delete(this.notif);
  }
}

const perBucket = new WeakMap<Bucket, BucketTimers>();

/**
 * Run `fn` after `ms` of kernel time, from the bucket's timer thread. Returns a cancel
 * function. Typical use: a deadline on a deferred reply.
 */
export function after(bucket: Bucket, ms: number, fn: () => void): () => void {
  let t = perBucket.get(bucket);
  if (t === undefined) perBucket.set(bucket, (t = new BucketTimers(bucket)));
  return t.add(ms, fn);
}

/**
 * Resolve with `p`'s value, or with `onTimeout` after `ms` of kernel time (the bucket's
 * timer thread: virtual time in tests). The caller cleans up after a late `p` itself.
 */
export function withTimeout<T, U>(bucket: Bucket, p: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    let done = false;
    const cancel = after(bucket, ms, () => {
      if (done) return;
      done = true;
      resolve(onTimeout);
    });
    p.then(
      (v) => {
        if (done) return;
        done = true;
        cancel();
        resolve(v);
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        cancel();
        reject(e);
      },
    );
  });
}
