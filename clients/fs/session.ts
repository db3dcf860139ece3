// The context every client operation runs in: one kernel thread of the client's task
// (its own identity), the client's settings (root, cwd, auth, timeout, retry bound,
// umask), and typed RPCs that fail by throwing a Failure the operation turns into a
// Node-shaped error at its edge. Ports an operation obtains are its to delete.

import type { Sys, SysGen } from '../../core/index.ts';
import { invoke, isErrnoName, type ArgsOf, type ErrnoName, type MethodDef, type MethodSpec, type ReplyOf, type RpcResult } from '../../libcap/index.ts';
import { FsError } from './fs-error.ts';
import { forgetBuffer } from './io-buffer.ts';

/** The client's settings, shared by every operation (chdir replaces `cwd`). */
export interface ClientState {
  /** Slot (in the client's task) of the root directory's protid. */
  root: number;
  /** Slot of the working directory's protid (the root when none was given). */
  cwd: number;
  /** The working directory's name (for realpath of relative paths). */
  cwdPath: string;
  /** Slot of the client's auth handle, for REAUTH retries; null: REAUTH fails with EACCES. */
  auth: number | null;
  /** Bound of every RPC, in ms (send and receive phases each); Infinity = none. */
  timeout: number;
  /** Retries (translator hops, reauthentications, absolute symlinks) before ELOOP. */
  maxRetries: number;
  /** Permission bits cleared from the mode of files and directories created. */
  umask: number;
}

/** An operation's failure inside a thread: an error name and what the server said. */
export class Failure {
  constructor(
    readonly code: ErrnoName,
    readonly detail = '',
  ) {}
}

/** Fail the current operation with `code`. */
export function fail(code: string, detail = ''): never {
  throw new Failure(isErrnoName(code) ? code : 'EIO', detail);
}

/**
 * One operation's thread: typed RPCs bounded by the client's timeout, and port hygiene.
 * The root and working directory are taken when the session starts: a chdir meanwhile
 * does not move an operation half way.
 */
export class Session {
  readonly root: number;
  readonly cwd: number;
  readonly cwdPath: string;
  private readonly opts: { timeout: number; signal?: AbortSignal };

  /**
   * `signal` cancels the operation in flight: the RPC blocked now is cancelled (the
   * server is told, the call answers EINTR) and every later one fails at once.
   */
  constructor(
    readonly sys: Sys,
    readonly state: ClientState,
    readonly signal?: AbortSignal,
  ) {
    this.root = state.root;
    this.cwd = state.cwd;
    this.cwdPath = state.cwdPath;
    this.opts = signal === undefined ? { timeout: state.timeout } : { timeout: state.timeout, signal };
  }

  /** Call `m` on `cap`; the reply, or a Failure thrown with the error answered. */
  *call<S extends MethodSpec>(cap: number, m: MethodDef<S>, args: ArgsOf<S>): SysGen<ReplyOf<S>> {
    const r = (yield* invoke(this.sys, cap, m as MethodDef, args, this.opts)) as RpcResult<ReplyOf<S>>;
    if (!r.ok) throw new Failure(r.error, r.message);
    return r.value;
  }

  /** Call `m` on `cap` and answer the result value (no throw). */
  *attempt<S extends MethodSpec>(cap: number, m: MethodDef<S>, args: ArgsOf<S>): SysGen<RpcResult<ReplyOf<S>>> {
    return (yield* invoke(this.sys, cap, m as MethodDef, args, this.opts)) as RpcResult<ReplyOf<S>>;
  }

  /** Delete a port this operation obtained (never the client's root or cwd). */
  drop(slot: number | undefined): void {
    if (slot === undefined || slot <= 0 || slot === this.root || slot === this.cwd) return;
    forgetBuffer(this.state, this.sys, slot);
    this.sys.delete(slot);
  }
}

/**
 * Run `g`, turning a Failure into Node's error for `syscall` on `path` (and `dest`): for
 * operations whose phases Node names differently (readFile: open, then read).
 */
export function* section<T>(g: SysGen<T>, syscall: string, path?: string, dest?: string): SysGen<T> {
  try {
    return yield* g;
  } catch (e) {
    if (e instanceof Failure) throw new FsError(e.code, syscall, path, dest);
    throw e;
  }
}
