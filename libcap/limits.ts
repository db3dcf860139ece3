// Per-client resource limits: what a server may hold on behalf of one client (its Client
// record in one bucket), each with a default, the errno a client gets on reaching it,
// and how a bucket or a class sets its own. Not the counters (those are on Client).

import type { ErrnoName } from './errno.ts';

/**
 * The kinds a server holds for a client. The library charges `caps`, `rpcs` and
 * `deferred` itself; servers charge the others (and kinds of their own, given a limit
 * in BucketOptions.limits or ClassSpec.limits) with ctx.charge / client.charge.
 */
export const DEFAULT_LIMITS = {
  /** Capabilities (object handles) given to the client: EMFILE. */
  caps: 4096,
  /** RPCs accepted and not yet answered (queued, parked, running, deferred): EAGAIN. */
  rpcs: 256,
  /** Deferred RPCs (a handler answered later; a saved reply cap each): EAGAIN. */
  deferred: 128,
  /** Caps the server keeps on the client's behalf (ctx.keep): EMFILE. */
  kept: 256,
  /** Change watchers (notice requests) the client registered: EAGAIN. */
  watchers: 64,
  /** Waiters (blocking takes/waits) the client left with the server: EAGAIN. */
  waiters: 64,
  /** Bytes of data the server stores for the client: EDQUOT. */
  bytes: 64 * 1024 * 1024,
  /** Sessions (calls through shared memory, session.ts) open at once: EAGAIN. */
  sessions: 4,
} as const;

export type BuiltinLimit = keyof typeof DEFAULT_LIMITS;
/** A limit name: a built-in kind or one a server defines (with its own limit). */
export type LimitKind = BuiltinLimit | (string & {});

/** The errno each built-in kind answers; kinds a server defines answer EAGAIN. */
export const LIMIT_ERRNO = {
  caps: 'EMFILE',
  rpcs: 'EAGAIN',
  deferred: 'EAGAIN',
  kept: 'EMFILE',
  watchers: 'EAGAIN',
  waiters: 'EAGAIN',
  bytes: 'EDQUOT',
  sessions: 'EAGAIN',
} as const satisfies Record<BuiltinLimit, ErrnoName>;

/** The errnos reaching a limit can answer. */
export type LimitErrno = 'EMFILE' | 'EAGAIN' | 'EDQUOT';
/** The errno reaching limit K answers: a built-in's own, EAGAIN for a server's kind. */
export type LimitErrnoOf<K extends string> = K extends BuiltinLimit ? (typeof LIMIT_ERRNO)[K] : 'EAGAIN';

/** Limits as given in options: any subset of the built-ins, plus server-defined kinds. */
export type ClientLimits = { readonly [K in BuiltinLimit]?: number } & { readonly [kind: string]: number | undefined };

/** A resolved set of limits: every built-in present. */
export type ResolvedLimits = { readonly [K in BuiltinLimit]: number } & { readonly [kind: string]: number | undefined };

/** The bucket's limits: the defaults with `given` laid over them (checked: integers >= 0). */
export function resolveLimits(given: ClientLimits | undefined, where: string): ResolvedLimits {
  if (given !== undefined) checkLimits(given, where);
  // Built with one literal, every built-in in the same order, so that every bucket's
  // limits share one hidden class. A spread of the defaults gave the 10th and later
  // buckets of a process a new class each, and the request path's read of a limit then
  // deoptimised once per bucket and went megamorphic (libcap.rpc.null went from about
  // 115 to 145-250 ns a call).
  const g = given ?? NO_LIMITS;
  const d = DEFAULT_LIMITS;
  const out: Record<string, number> = {
    caps: g.caps ?? d.caps,
    rpcs: g.rpcs ?? d.rpcs,
    deferred: g.deferred ?? d.deferred,
    kept: g.kept ?? d.kept,
    watchers: g.watchers ?? d.watchers,
    waiters: g.waiters ?? d.waiters,
    bytes: g.bytes ?? d.bytes,
    sessions: g.sessions ?? d.sessions,
  } satisfies Record<BuiltinLimit, number>;
  // A server's own kinds go after the built-ins.
  for (const [k, v] of Object.entries(g)) if (v !== undefined && !Object.prototype.hasOwnProperty.call(d, k)) out[k] = v;
  return Object.freeze(out) as ResolvedLimits;
}

const NO_LIMITS: ClientLimits = Object.freeze({});

/** Check a (partial) set of limits: each a non-negative integer or Infinity. */
export function checkLimits(given: ClientLimits, where: string): void {
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= 0))) {
      throw new RangeError(`${where}: limit ${k} must be a non-negative integer, got ${v}`);
    }
  }
}

/** The errno reaching limit `kind` answers. */
export function limitErrno(kind: LimitKind): LimitErrno {
  return (LIMIT_ERRNO as Record<string, LimitErrno>)[kind] ?? 'EAGAIN';
}

/**
 * A server's own exhaustion or a client's limit, thrown from library calls a handler
 * makes (Bucket.allocSlot, ctx.give): the bucket answers the call with `code` (no bug
 * report) and keeps serving. Use the try* forms to get a value instead.
 */
export class ResourceError extends Error {
  constructor(
    readonly code: ErrnoName,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ResourceError';
  }
}
