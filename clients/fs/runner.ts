// How host code runs a client operation: as a new kernel thread of the client's task
// (Kernel.exec), so every RPC carries the client's own identity; a Failure escaping the
// operation becomes Node's error for the call (syscall, path, dest), and an operation
// whose AbortSignal fired ends with Node's AbortError.

import { HostSys, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { abortError, FsError } from './fs-error.ts';
import { forgetBuffer } from './io-buffer.ts';
import { Failure, Session, type ClientState } from './session.ts';
import { withStartError } from './start-error.ts';

/** Bookkeeping every view of one client shares (operations in flight, ports to retire). */
interface Books {
  inflight: number;
  readonly retired: number[];
}

/** Runs operations for one client: its kernel, task and settings (and, for a view, a signal). */
export class Runner {
  /** Host-side cap operations in the client's task (deleting a closed file's port). */
  readonly ops: HostSys;
  private readonly threadName: string;
  private readonly books: Books;

  constructor(
    readonly kernel: Kernel,
    readonly task: Task,
    readonly state: ClientState,
    /** Cancels every operation run through this runner (client.withSignal). */
    readonly signal?: AbortSignal,
    books?: Books,
  ) {
    this.ops = new HostSys(kernel, task);
    this.threadName = `${task.name}.fs`;
    this.books = books ?? { inflight: 0, retired: [] };
  }

  /** A runner for the same client whose operations `signal` also cancels. */
  withSignal(signal: AbortSignal): Runner {
    const s = this.signal === undefined ? signal : AbortSignal.any([this.signal, signal]);
    return new Runner(this.kernel, this.task, this.state, s, this.books);
  }

  /** The signal an operation given `own` runs under (own and the runner's). */
  signalFor(own: AbortSignal | undefined): AbortSignal | undefined {
    if (own === undefined) return this.signal;
    if (this.signal === undefined) return own;
    return AbortSignal.any([this.signal, own]);
  }

  /**
   * Run `body` in a thread of the client's task; resolves with its answer, rejects with
   * Node's error (a Failure is named `syscall` on `path` -> `dest`). With a signal (the
   * runner's or `own`), an abort cancels the RPC in flight and the operation rejects
   * with Node's AbortError (also when it was aborted before it started).
   */
  run<T>(body: (s: Session) => SysGen<T>, syscall: string, path?: string, dest?: string, own?: AbortSignal): Promise<T> {
    const state = this.state;
    const signal = this.signalFor(own);
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    this.books.inflight++;
    return this.kernel
      .exec(
        this.task,
        function* fsCall(sys: Sys): SysGen<T> {
          try {
            return yield* body(new Session(sys, state, signal));
          } catch (e) {
            if (signal?.aborted === true) throw abortError(signal);
            if (e instanceof Failure) throw new FsError(e.code, syscall, path, dest);
            throw e;
          }
        },
        { name: this.threadName },
      )
      .catch((e: unknown) => withStartError(this, e, path))
      .finally(() => {
        if (--this.books.inflight === 0) this.releaseRetired();
      });
  }

  /** Delete a port of the client's task (a closed file). */
  release(slot: number): void {
    if (slot <= 0 || slot === this.state.root || slot === this.state.cwd) return;
    forgetBuffer(this.state, this.ops, slot);
    this.ops.delete(slot);
  }

  /**
   * Delete a working directory port chdir replaced, once no operation that may have
   * started from it is still running.
   */
  retire(slot: number): void {
    this.books.retired.push(slot);
    if (this.books.inflight === 0) this.releaseRetired();
  }

  private releaseRetired(): void {
    for (const slot of this.books.retired.splice(0)) this.release(slot);
  }
}
