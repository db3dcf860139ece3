// A namespace of the name server: names bound to caps (with the most rights a querier
// gets), to nested namespaces, or pending (bound by the parent, not attached yet). This
// object is both the server's data and the host-side handle a composer builds views with.
//
// States of a name: absent -> pending (bindPending) -> attached (attach / register) ->
// absent (unregister). A cap binding whose cap was revoked (its server ended, or the
// client identity it carried died) or whose endpoint is dead (its server's task was
// deleted) falls back to pending when next looked at, so a
// restarted server can be attached again and queries wait for it meanwhile. Every change
// advances the namespace's tick and is posted to its watchers; queries waiting on a
// pending name here are re-run.
//
// Owners. Every binding remembers who made it: the composer (host API, owner COMPOSER) or
// the client task that registered it through a view (its task id). A name whose cap died
// is *held* for its owner: it is pending, but only its owner (or the composer) may bind it
// again; anybody else's register answers EBUSY, so nobody with a writable view can take a
// dead server's name over (seed 000's "a second instance takes over"). A pending name the
// composer bound with bindPending is not held: the first registration attaches it.

import type { BucketOps } from '../../libcap/bucket-host.ts';
import { Rights, type Task } from '../../core/index.ts';
import { keptCap, releaseKept, type ErrnoName } from '../../libcap/index.ts';
import { keptCapIsLive } from './live-cap.ts';
import { checkName } from './path.ts';
import type { WatchEvent, WatchQueue } from './watch-queue.ts';

/** Most names one namespace holds (so that list always fits one reply). */
export const MAX_ENTRIES = 1024;

/** Owner of a binding made through the host API (the composer). */
export const COMPOSER = 0;

/**
 * What a name is bound to, and who bound it (`owner`: COMPOSER or a client's task id).
 * A pending name with `held` is kept for its owner's restart. Cap slots are in the name
 * server's task.
 */
export type Binding =
  | {
      readonly kind: 'cap';
      readonly slot: number;
      /** Serial number of the cap kept in `slot` (a revoked one's slot may be refilled by another). */
      readonly serial: number;
      readonly rights: number;
      readonly owner: number;
    }
  | { readonly kind: 'namespace'; readonly space: NameSpace; readonly writable: boolean; readonly rights: number; readonly owner: number }
  | { readonly kind: 'pending'; readonly owner: number; readonly held: boolean };

const PENDING: Binding = Object.freeze({ kind: 'pending', owner: COMPOSER, held: false });

/** A cap held by some task, named by the host: the composer's way to hand one over. */
export interface HostCap {
  readonly task: Task;
  readonly slot: number;
}

/** What a namespace needs from the server that holds it (stored caps live in its task). */
export interface SpaceHost {
  readonly ops: BucketOps;
  /**
   * Copy a host-named cap into the server's task; null when there is none. Only a server
   * in the composer's heap can (an isolated one throws: its composer sends caps instead).
   */
  copyIn(cap: HostCap): number | null;
  /** A namespace was destroyed: revoke its views. */
  destroyed(space: NameSpace): void;
  /** The view a cap in the server's space names, when it is one of the server's own. */
  ownView(slot: number): { readonly space: NameSpace; readonly writable: boolean } | null;
  /** A client's count of bindings changed by `delta` (never called for the composer). */
  owned?(owner: number, delta: number): void;
}

/** Re-run a waiting query after a change; it parks itself again where it still waits. */
export type SpaceWaiter = () => void;

let nextSpaceId = 1;

/**
 * One namespace: its bindings, its change tick, its watchers and the queries waiting in
 * it. Host methods answer errors as values (null on success).
 */
export class NameSpace {
  readonly id = nextSpaceId++;
  private readonly entries = new Map<string, Binding>();
  /** Changes so far; each event carries the tick it made. */
  tick = 0;
  /** @internal Watchers of this namespace. */
  readonly watchers = new Set<WatchQueue>();
  /** @internal Queries waiting on a pending name here. */
  readonly waiters = new Set<SpaceWaiter>();
  private dead = false;

  constructor(
    private readonly host: SpaceHost,
    /** A label for listings and traces (e.g. the child it was built for). */
    readonly label: string,
  ) {}

  get destroyed(): boolean {
    return this.dead;
  }

  /** Number of names bound. */
  get size(): number {
    return this.entries.size;
  }

  // ------------------------------------------------------------------ host API

  /**
   * Bind `name` to a copy of `cap` (the caller keeps its own); queries get at most
   * `rights`. A pending name is attached. Errors: EINVAL / ENAMETOOLONG (name), EBADF
   * (no cap there), EEXIST (bound to something else), ENOSPC (namespace full).
   */
  register(name: string, cap: HostCap, rights: number = Rights.All): ErrnoName | null {
    const bad = this.canBind(name, true, COMPOSER);
    if (bad !== null) return bad;
    return this.bindCopy(name, cap, rights);
  }

  /**
   * Attach a cap to a name bound pending (seed 001: the parent binds the name before the
   * server exists and attaches it when the server is up). Errors: ENOENT (not bound),
   * EEXIST (already attached), EBADF (no cap there).
   */
  attach(name: string, cap: HostCap, rights: number = Rights.All): ErrnoName | null {
    const b = this.lookup(name);
    if (b === undefined) return 'ENOENT';
    if (b.kind !== 'pending') return 'EEXIST';
    return this.bindCopy(name, cap, rights);
  }

  /**
   * attach() for a cap the server already holds in `slot` (one its composer sent it, the
   * names composer protocol): the same errors; the slot is the namespace's in every case
   * (bound, or deleted when the attach fails).
   */
  attachSlot(name: string, slot: number, rights: number = Rights.All): ErrnoName | null {
    const b = this.lookup(name);
    const e = b === undefined ? 'ENOENT' : b.kind !== 'pending' ? 'EEXIST' : this.host.ops.identify(slot) === null ? 'EBADF' : null;
    if (e === null) return this.bindSlot(name, slot, rights);
    this.host.ops.delete(slot);
    return e;
  }

  /** Bind `name` pending: queries answer EAGAIN (or wait) until it is attached. */
  bindPending(name: string): ErrnoName | null {
    const bad = this.canBind(name, false);
    if (bad !== null) return bad;
    this.put(name, PENDING);
    this.emit('registered', name);
    return null;
  }

  /**
   * Bind `name` to a nested namespace; `register` says whether views reached through it
   * may register (only if the view they came through may too).
   */
  bindNamespace(name: string, space: NameSpace, opts: { register?: boolean; rights?: number } = {}): ErrnoName | null {
    const bad = this.canBind(name, true, COMPOSER);
    if (bad !== null) return bad;
    if (space.destroyed) return 'ENOENT';
    this.setNamespace(name, space, opts.register === true, opts.rights ?? Rights.All, COMPOSER);
    return null;
  }

  /**
   * Remove a name (deleting the cap the server kept). Errors: EINVAL, ENOENT; with `by`
   * (a client's task id, for the unregister RPC) EPERM unless that client registered it.
   */
  unregister(name: string, by: number = COMPOSER): ErrnoName | null {
    const bad = checkName(name);
    if (bad !== null) return bad;
    const b = by === COMPOSER ? this.entries.get(name) : this.lookup(name);
    if (b === undefined) return 'ENOENT';
    if (by !== COMPOSER && b.owner !== by) return 'EPERM';
    this.take(name);
    if (b.kind === 'cap') this.release(b);
    this.emit('removed', name);
    this.changed();
    return null;
  }

  /** Every name and what it is bound to, sorted by name. */
  list(): { name: string; kind: Binding['kind'] }[] {
    const out: { name: string; kind: Binding['kind'] }[] = [];
    for (const name of [...this.entries.keys()].sort()) {
      const b = this.lookup(name);
      if (b !== undefined) out.push({ name, kind: b.kind });
    }
    return out;
  }

  /**
   * Destroy the namespace: every stored cap is deleted, its views are revoked, waiting
   * queries answer ENOENT. Names bound to it elsewhere disappear when next looked at.
   */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    for (const [name, b] of [...this.entries]) {
      if (b.kind === 'cap') this.release(b);
      this.take(name);
    }
    this.changed();
    this.host.destroyed(this);
  }

  // ------------------------------------------------------------------ server side

  /**
   * The binding of `name`, checked for liveness: a cap binding whose cap is gone falls
   * back to pending, a nested namespace that was destroyed disappears.
   */
  lookup(name: string): Binding | undefined {
    const b = this.entries.get(name);
    if (b === undefined) return undefined;
    if (b.kind === 'cap' && !keptCapIsLive(this.host.ops, b.slot, b.serial)) {
      this.release(b);
      // Held for its owner's restart: only the owner or the composer may bind it again.
      const held: Binding = { kind: 'pending', owner: b.owner, held: true };
      this.put(name, held);
      this.emit('removed', name);
      return held;
    }
    if (b.kind === 'namespace' && b.space.destroyed) {
      this.take(name);
      this.emit('removed', name);
      return undefined;
    }
    return b;
  }

  /**
   * Whether `by` (COMPOSER, or a client's task id) may bind `name` now: EINVAL /
   * ENAMETOOLONG, EEXIST when bound to more than a pending placeholder (when
   * `attachPending`, a pending name may be attached), EBUSY when the name is held for
   * another owner's restart, ENOSPC when full, ENOENT when destroyed.
   */
  canBind(name: string, attachPending: boolean, by: number = COMPOSER): ErrnoName | null {
    const bad = checkName(name);
    if (bad !== null) return bad;
    if (this.dead) return 'ENOENT';
    const b = this.lookup(name);
    if (b !== undefined) {
      if (!attachPending || b.kind !== 'pending') return 'EEXIST';
      return b.held && by !== COMPOSER && by !== b.owner ? 'EBUSY' : null;
    }
    if (this.entries.size >= MAX_ENTRIES) return 'ENOSPC';
    return null;
  }

  /** Who bound `name` (COMPOSER or a client's task id), if it is bound. */
  ownerOf(name: string): number | undefined {
    return this.entries.get(name)?.owner;
  }

  /** @internal Bind a cap the server already holds in `slot` (ownership passes here). */
  setCap(name: string, slot: number, rights: number, owner: number = COMPOSER): void {
    const kept = keptCap(this.host.ops, slot);
    if (kept === null) throw new Error(`names: setCap on empty slot ${slot}`);
    const was = this.entries.get(name);
    this.put(name, { kind: 'cap', slot, serial: kept.serial, rights: rights & Rights.All, owner });
    this.emit(was?.kind === 'pending' ? 'attached' : 'registered', name);
    this.changed();
  }

  /** @internal Bind a nested namespace. */
  setNamespace(name: string, space: NameSpace, writable: boolean, rights: number, owner: number = COMPOSER): void {
    const was = this.entries.get(name);
    this.put(name, { kind: 'namespace', space, writable, rights: rights & Rights.All, owner });
    this.emit(was?.kind === 'pending' ? 'attached' : 'registered', name);
    this.changed();
  }

  /** Delete the cap a binding kept, unless it is gone and its slot holds another now. */
  private release(b: Extract<Binding, { kind: 'cap' }>): void {
    releaseKept(this.host.ops, b);
  }

  /** Bind `name`, keeping the owners' counts (SpaceHost.owned). */
  private put(name: string, b: Binding): void {
    const was = this.entries.get(name);
    this.entries.set(name, b);
    if (was?.owner === b.owner) return;
    if (was !== undefined && was.owner !== COMPOSER) this.host.owned?.(was.owner, -1);
    if (b.owner !== COMPOSER) this.host.owned?.(b.owner, 1);
  }

  /** Unbind `name`, keeping the owners' counts. */
  private take(name: string): void {
    const was = this.entries.get(name);
    if (was === undefined) return;
    this.entries.delete(name);
    if (was.owner !== COMPOSER) this.host.owned?.(was.owner, -1);
  }

  /** Advance the tick and tell every watcher. */
  private emit(kind: WatchEvent['kind'], name: string): void {
    const e: WatchEvent = { tick: ++this.tick, kind, name };
    for (const w of this.watchers) w.post(e);
  }

  /** Re-run the queries waiting here (each parks again where it still waits). */
  private changed(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  /** Bind a copy of a host-named cap. */
  private bindCopy(name: string, cap: HostCap, rights: number): ErrnoName | null {
    const slot = this.host.copyIn(cap);
    return slot === null ? 'EBADF' : this.bindSlot(name, slot, rights);
  }

  /** Bind the cap the server holds in `slot` (it passes here); a view of this server binds its namespace instead (nesting). */
  private bindSlot(name: string, slot: number, rights: number): ErrnoName | null {
    const own = this.host.ownView(slot);
    if (own === null) {
      this.setCap(name, slot, rights);
      return null;
    }
    this.host.ops.delete(slot);
    if (own.space.destroyed) return 'ENOENT';
    this.setNamespace(name, own.space, own.writable, rights);
    return null;
  }
}
