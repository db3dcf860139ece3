// Path resolution for translators that name other files (filter, firmlink). The Hurd
// starts a translator with its parent's root and working directory (INIT_PORT_CRDIR,
// INIT_PORT_CWDIR); TranslatorEnv carries neither, so the resolver learns them from the
// first fsys.getroot: its dotdot (an unauthenticated port on the directory holding the
// node) is reauthenticated with the translator's own auth handle and becomes the working
// directory; walking ".." from there until it stops moving gives the root (through the
// REAUTH retries of any filesystem boundary on the way up). Not a path parser: lookups
// are the fs client's retry loop (clients/fs/resolve.ts), run as the translator.

import { HostSys, Status, ThreadKilledError, type SysGen } from '../../core/index.ts';
import type { ErrnoName } from '../../libcap/index.ts';
import { O, Protid } from '../../protocol/fs.ts';
import type { TranslatorEnv } from '../fs/translator.ts';
import { Failure, lookupAt, reauthenticate, Session, type ClientState } from '../../clients/fs/index.ts';

/** ".." steps the walk to the root takes before giving up (ELOOP). */
const MAX_DEPTH = 256;
/** Bound of every call the resolver makes, ms of kernel time (below the parent's translator timeout). */
export const RESOLVER_TIMEOUT = 4000;

/** What a resolver body may use: a session as the translator's owner. */
export type ResolverBody<T> = (s: Session) => SysGen<T>;

/**
 * The working directory and root of a translator, learnt from getroot's dotdot (see the
 * module comment), and a way to run lookups and calls from there as the translator's
 * owner. Ports it holds are deleted by close().
 */
export class PathResolver {
  private readonly ops: HostSys;
  private learning: Promise<ClientState | ErrnoName> | null = null;
  private held: number[] = [];
  private closed = false;

  constructor(
    private readonly env: TranslatorEnv,
    private readonly timeout = RESOLVER_TIMEOUT,
  ) {
    this.ops = new HostSys(env.kernel, env.task);
  }

  /**
   * Learn from a getroot's dotdot (a slot of the translator's task; copied, the caller
   * keeps it). Only the first one is used: every later one names the same directory.
   */
  learn(dotdot: number | undefined): void {
    if (this.learning !== null || dotdot === undefined || this.closed) return;
    const copy = this.ops.allocSlot();
    if (copy === 0 || this.ops.copy(dotdot, copy) !== Status.Ok) {
      if (copy !== 0) this.ops.delete(copy);
      return;
    }
    this.learning = this.discover(copy).then((st) => {
      // A failed discovery is forgotten: the next getroot tries again.
      if (typeof st === 'string') this.learning = null;
      return st;
    });
  }

  /**
   * Run `body` in a thread of the translator's task with a session rooted at the learnt
   * root and working directory; a Failure it throws answers its errno. EIO before any
   * getroot came, or when the translator is ending.
   */
  async run<T>(body: ResolverBody<T>): Promise<T | ErrnoName> {
    if (this.learning === null || this.closed) return 'EIO';
    const st = await this.learning;
    if (typeof st === 'string') return st;
    return this.exec((s) => body(s), st);
  }

  /** Delete the ports it holds (the translator is going away). */
  close(): void {
    this.closed = true;
    for (const s of this.held) this.ops.delete(s);
    this.held = [];
  }

  /** Reauthenticate the dotdot copy (consumed), then walk ".." to the top. */
  private async discover(dotdot: number): Promise<ClientState | ErrnoName> {
    const authSlot = this.env.caps.get('auth') ?? 0;
    const base: ClientState = {
      root: 0,
      cwd: 0,
      cwdPath: '/',
      auth: authSlot === 0 ? null : authSlot,
      timeout: this.timeout,
      maxRetries: 40,
      umask: 0o022,
    };
    const found = await this.exec(function* (s): SysGen<{ cwd: number; root: number }> {
      // Without an auth handle the port stays unauthenticated: lookups as nobody.
      const cwd = base.auth === null ? dotdot : yield* reauthenticate(s, dotdot);
      let cur = cwd;
      try {
        let id = yield* s.call(cur, Protid.methods.identity, {});
        for (let i = 0; i < MAX_DEPTH; i++) {
          const up = yield* lookupAt(s, cur, '..', O.PATH | O.DIRECTORY, 0);
          const upId = yield* s.call(up, Protid.methods.identity, {});
          if (upId.dev === id.dev && upId.ino === id.ino) {
            s.drop(up);
            return { cwd, root: cur };
          }
          if (cur !== cwd) s.drop(cur);
          cur = up;
          id = upId;
        }
      } catch (e) {
        if (cur !== cwd) s.drop(cur);
        s.drop(cwd);
        throw e;
      }
      if (cur !== cwd) s.drop(cur);
      s.drop(cwd);
      throw new Failure('ELOOP', 'no root above the node');
    }, base);
    if (typeof found === 'string') return found;
    if (this.closed) {
      this.ops.delete(found.cwd);
      if (found.root !== found.cwd) this.ops.delete(found.root);
      return 'EIO';
    }
    this.held.push(found.cwd);
    if (found.root !== found.cwd) this.held.push(found.root);
    return { ...base, root: found.root, cwd: found.cwd };
  }

  /** Run a body as one thread of the translator's task; Failures and a killed thread answer errnos. */
  private async exec<T>(body: ResolverBody<T>, state: ClientState): Promise<T | ErrnoName> {
    try {
      return await this.env.kernel.exec(
        this.env.task,
        function* resolve(sys): SysGen<T | ErrnoName> {
          try {
            return yield* body(new Session(sys, state));
          } catch (e) {
            if (e instanceof Failure) return e.code;
            throw e;
          }
        },
        { name: `${this.env.task.name}.resolve` },
      );
    } catch (e) {
      // The task died under the thread (goaway): the caller answers EIO. Anything else is a bug.
      if (e instanceof ThreadKilledError) return 'EIO';
      throw e;
    }
  }
}
