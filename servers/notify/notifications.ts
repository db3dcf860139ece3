// The client side of the notification service as rxjs Observables, for host code:
// `notifications()` registers a mailbox when its stream is first subscribed, emits every
// event, and frees everything when the last subscriber leaves. `withGaps()` turns lost
// events into data, and `trackState()` keeps a view of server state correct across gaps.

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
import { Mailbox, Notify, type NotifyEvent } from './notify-interface.ts';

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
   * Every event of the mailbox, the sync event (tick 0) first. Shared: the first
   * subscriber registers (subscribe, then allow for each source), later ones join, and
   * when the last one unsubscribes the pending wait is cancelled and every cap deleted,
   * so the service frees the mailbox and its senders. Errors with an RpcError (EDQUOT...).
   */
  readonly events$: Observable<NotifyEvent>;
  /**
   * The sender caps of the current registration: resolves once a subscription has
   * registered (subscribe to events$ first). Rejects when registering failed.
   */
  readonly senders: Promise<Senders<S>>;
  /** The mailbox's counters; null while nobody is subscribed. */
  stats(): Promise<MailboxStats | null>;
  /** Withdraw the sender of `source` from every server it was handed to. */
  revoke(source: S): Promise<void>;
}

interface Pending<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
  settled: boolean;
}

function pending<T>(): Pending<T> {
  let res!: (v: T) => void;
  let rej!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    res = a;
    rej = b;
  });
  // Nobody may be awaiting the senders: a failed registration must not be "unhandled".
  promise.catch(() => {});
  const p: Pending<T> = {
    promise,
    settled: false,
    resolve(v) {
      p.settled = true;
      res(v);
    },
    reject(e) {
      p.settled = true;
      rej(e);
    },
  };
  return p;
}

function fail(r: RpcResult<unknown> & { ok: false }, method: string): RpcError {
  return new RpcError(r.error, method, r.message === method ? '' : r.message);
}

/**
 * Notifications from the service whose root cap `notifyCap` is (a slot of `task`):
 *
 *     const feed = notifications(kernel, task, notifyCap, { capacity: 64, sources: ['fs'] });
 *     feed.events$.pipe(withGaps()).subscribe((e) => ...);
 *     const { fs } = await feed.senders;          // hand `fs` to the filesystem
 */
export function notifications<const S extends string>(
  kernel: Kernel,
  task: Task,
  notifyCap: number,
  opts: NotificationsOptions<S>,
): Notifications<S> {
  const batch = opts.batch ?? 64;
  const ops = new HostSys(kernel, task);
  let ready = pending<Senders<S>>();
  let current: AsyncClient<SpecsOf<typeof Mailbox>> | null = null;

  const registration$ = new Observable<NotifyEvent>((subscriber) => {
    if (ready.settled) ready = pending();
    const mine = ready;
    const ac = new AbortController();
    const slots: number[] = [];
    let closed = false;
    let registered = false;

    const run = async (): Promise<void> => {
      const notify = connect(Notify, kernel, task, notifyCap);
      const sub = await notify.attempt.subscribe({ capacity: opts.capacity });
      if (!sub.ok) throw fail(sub, 'notify.subscribe');
      slots.push(sub.value.mailbox);
      const box = connect(Mailbox, kernel, task, sub.value.mailbox);
      const senders: Record<string, number> = {};
      for (const source of opts.sources) {
        if (closed) return;
        const a = await box.attempt.allow({ source });
        if (!a.ok) throw fail(a, 'notify.mailbox.allow');
        slots.push(a.value.sender);
        senders[source] = a.value.sender;
      }
      if (closed) return;
      current = box;
      registered = true;
      mine.resolve(senders as Senders<S>);
      while (!closed) {
        // What is queued, in one message; or wait (a deferred reply) for the next event.
        const r = await box.attempt.wait({ max: batch, timeout: 0 }, { signal: ac.signal });
        if (closed) return;
        if (!r.ok) throw fail(r, 'notify.mailbox.wait');
        for (const ev of r.value.events) {
          if (closed) return;
          subscriber.next(ev);
        }
      }
    };

    const done = run().then(undefined, (e: unknown) => {
      if (closed) return;
      mine.reject(e);
      subscriber.error(e);
    });

    return () => {
      closed = true;
      ac.abort();
      if (registered) {
        current = null;
        // A later subscription registers anew (a failure stays visible until then).
        if (ready === mine) ready = pending();
      }
      // Delete the caps once the loop has stopped: the cancel of the pending wait is sent
      // through the mailbox cap, so it must still be there.
      void done.finally(() => {
        for (const s of slots) ops.delete(s);
      });
    };
  });

  return {
    events$: registration$.pipe(share()),
    get senders() {
      return ready.promise;
    },
    async stats() {
      const box = current;
      return box === null ? null : box.stats();
    },
    async revoke(source: S) {
      const box = current;
      if (box === null) throw new RpcError('EBADF', 'notify.mailbox.revoke', 'not subscribed');
      await box.revoke({ source });
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
