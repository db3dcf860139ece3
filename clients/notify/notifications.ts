// The client side of the notification service as rxjs Observables, for host code:
// `notifications()` is a feed: one mailbox, registered on first use (a subscription to
// `events$`, or reading `senders`) and kept until `close()`, so the sender caps handed out
// stay valid while the feed lives; subscribers share it, and while nobody is subscribed
// events wait in the mailbox (bounded: the gap shows). `withGaps()` turns lost events into
// data, and `trackState()` keeps a view of server state correct across gaps.

import {
  concatMap,
  defer,
  from,
  map,
  Observable,
  of,
  share,
  takeLast,
  type ObservableInput,
  type OperatorFunction,
} from 'rxjs';
import { HostSys, type Kernel, type Task } from '../../core/index.ts';
import { connect, RpcError, type AsyncClient, type RpcResult, type SpecsOf } from '../../libcap/index.ts';
import { Mailbox, Notify, type NotifyEvent } from '../../protocol/notify.ts';

export interface NotificationsOptions<S extends string> {
  /** Events the mailbox holds before the oldest are dropped (charged to the caller's quota). */
  readonly capacity: number;
  /** A sender cap is made for each source: hand it to the server you allow to notify you. */
  readonly sources: readonly S[];
  /** Events fetched per poll when several are queued (default 64). */
  readonly batch?: number;
}

/** Sender caps by source: slots in the subscribing task, to hand to servers. */
export type Senders<S extends string> = { readonly [K in S]: number };

/** The mailbox's counters, as Mailbox.stats answers them. */
export interface MailboxStats {
  readonly capacity: number;
  readonly queued: number;
  readonly posted: number;
  readonly dropped: number;
}

export interface Notifications<S extends string> {
  /**
   * Every event of the feed's mailbox, the sync event (tick 0) first. Shared: the first
   * subscriber registers the mailbox if nothing did yet, later ones join; when the last
   * one unsubscribes the pending wait is cancelled and the mailbox keeps what comes next
   * for the next subscriber (if `senders` was never read, nothing can have been handed
   * out, and the registration is freed instead). Errors with an RpcError (EDQUOT...).
   */
  readonly events$: Observable<NotifyEvent>;
  /**
   * The sender caps of the feed's mailbox, registering it if nothing did yet (no
   * subscriber needed). They stay valid until close(). Rejects when registering failed.
   */
  readonly senders: Promise<Senders<S>>;
  /** The mailbox's counters; null while no mailbox is registered. */
  stats(): Promise<MailboxStats | null>;
  /** Withdraw the sender of `source` from every server it was handed to. */
  revoke(source: S): Promise<void>;
  /**
   * End the feed: subscribers complete, the wait is cancelled and every cap deleted, so
   * the service frees the mailbox and revokes its senders. A later use registers anew.
   */
  close(): Promise<void>;
}

/** One registration: the mailbox, its senders, and the slots to delete at the end. */
interface Registration<S extends string> {
  readonly box: AsyncClient<SpecsOf<typeof Mailbox>>;
  readonly senders: Senders<S>;
  readonly slots: number[];
}

function fail(r: RpcResult<unknown> & { ok: false }, method: string): RpcError {
  return new RpcError(r.error, method, r.message === method ? '' : r.message);
}

/**
 * Notifications from the service whose root cap `notifyCap` is (a slot of `task`):
 *
 *     const feed = notifications(kernel, task, notifyCap, { capacity: 64, sources: ['fs'] });
 *     const { fs } = await feed.senders;          // hand `fs` to the filesystem
 *     feed.events$.pipe(withGaps()).subscribe((e) => ...);
 *     await feed.close();                          // when done: frees the mailbox
 */
export function notifications<const S extends string>(
  kernel: Kernel,
  task: Task,
  notifyCap: number,
  opts: NotificationsOptions<S>,
): Notifications<S> {
  const batch = opts.batch ?? 64;
  const ops = new HostSys(kernel, task);
  let reg: Promise<Registration<S>> | null = null;
  /** The registration once it succeeded (for stats and revoke). */
  let current: Registration<S> | null = null;
  /** Whether `senders` was read: caps may be out, so the mailbox must stay. */
  let handedOut = false;
  /** Events taken from the mailbox but not emitted yet (a subscriber left mid-batch). */
  const carry: NotifyEvent[] = [];
  /** The running subscription's stop (share() keeps at most one). */
  let stopActive: ((complete: boolean) => Promise<void>) | null = null;

  async function registerNow(): Promise<Registration<S>> {
    const slots: number[] = [];
    try {
      const notify = connect(Notify, kernel, task, notifyCap);
      const sub = await notify.attempt.subscribe({ capacity: opts.capacity });
      if (!sub.ok) throw fail(sub, 'notify.subscribe');
      slots.push(sub.value.mailbox);
      const box = connect(Mailbox, kernel, task, sub.value.mailbox);
      const senders: Record<string, number> = {};
      for (const source of opts.sources) {
        const a = await box.attempt.allow({ source });
        if (!a.ok) throw fail(a, 'notify.mailbox.allow');
        slots.push(a.value.sender);
        senders[source] = a.value.sender;
      }
      const r: Registration<S> = { box, senders: senders as Senders<S>, slots };
      current = r;
      return r;
    } catch (e) {
      for (const s of slots) ops.delete(s);
      throw e;
    }
  }

  function register(): Promise<Registration<S>> {
    if (reg === null) {
      const p = registerNow();
      reg = p;
      // A failure stays visible to those who asked; a later use registers anew.
      p.catch(() => {
        if (reg === p) reg = null;
      });
    }
    return reg;
  }

  /** Delete the registration's caps: the service frees the mailbox and its senders. */
  function release(): void {
    const r = current;
    current = null;
    reg = null;
    handedOut = false;
    carry.length = 0;
    if (r !== null) for (const s of r.slots) ops.delete(s);
  }

  const source$ = new Observable<NotifyEvent>((subscriber) => {
    const ac = new AbortController();
    let stopped = false;

    const run = async (): Promise<void> => {
      const r = await register();
      while (!stopped) {
        while (carry.length > 0 && !stopped) subscriber.next(carry.shift()!);
        if (stopped) return;
        // What is queued, in one message; or wait (a deferred reply) for the next event.
        const res = await r.box.attempt.wait({ max: batch, timeout: 0 }, { signal: ac.signal });
        if (!res.ok) {
          if (stopped) return;
          throw fail(res, 'notify.mailbox.wait');
        }
        carry.push(...res.value.events);
      }
    };

    const done = run().then(undefined, (e: unknown) => {
      if (!stopped) subscriber.error(e);
    });

    const stop = (complete: boolean): Promise<void> => {
      if (stopActive === stop) stopActive = null;
      if (!stopped) {
        stopped = true;
        // The cancel of the pending wait goes through the mailbox cap: it must still be there.
        ac.abort();
        if (complete) subscriber.complete();
      }
      return done;
    };
    stopActive = stop;

    return () => {
      void stop(false).then(() => {
        // Nobody can hold a sender cap of a registration whose senders were never read.
        if (!handedOut && stopActive === null) release();
      });
    };
  });

  return {
    events$: source$.pipe(share()),
    get senders() {
      handedOut = true;
      return register().then((r) => r.senders);
    },
    async stats() {
      const r = current;
      return r === null ? null : r.box.stats();
    },
    async revoke(source: S) {
      const r = current;
      if (r === null) throw new RpcError('EBADF', 'notify.mailbox.revoke', 'not registered');
      await r.box.revoke({ source });
    },
    async close() {
      const stop = stopActive;
      if (stop !== null) await stop(true);
      const p = reg;
      if (p !== null) await p.catch(() => undefined);
      release();
    },
  };
}

/** An event with the number of events lost just before it (0 when none were). */
export type Notice = NotifyEvent & { readonly gap: number };

/**
 * Number the gaps: each event gets `gap`, how many ticks are missing before it (the sync
 * event is tick 0, so a stream that lost its start shows a gap on its first event).
 */
export function withGaps(): OperatorFunction<NotifyEvent, Notice> {
  return (source) =>
    defer(() => {
      let last = -1;
      return source.pipe(
        map((ev): Notice => {
          const expected = last < 0 ? 0 : (last + 1) >>> 0;
          last = ev.tick;
          return { ...ev, gap: (ev.tick - expected) >>> 0 };
        }),
      );
    });
}

/**
 * Keep a view of some state up to date from change events, correct across gaps: on the
 * sync event and after any gap the whole state is reloaded with `load` (its last value),
 * otherwise `apply` folds the event in. Emits the state after every step. Events queued
 * while a load runs are applied after it, so `apply` must be idempotent (an event may
 * already be in the loaded state).
 */
export function trackState<T>(load: () => ObservableInput<T>, apply: (state: T, event: NotifyEvent) => T): OperatorFunction<NotifyEvent, T> {
  return (source) =>
    defer(() => {
      let state: { value: T } | null = null;
      return source.pipe(
        withGaps(),
        concatMap((n) => {
          if (state === null || n.type === 'sync' || n.gap > 0) {
            return from(load()).pipe(
              takeLast(1),
              map((v) => (state = { value: v }).value),
            );
          }
          state.value = apply(state.value, n);
          return of(state.value);
        }),
      );
    });
}
