// How host code runs a client operation: as a new kernel thread of the client's task
// (Kernel.exec), so every RPC carries the client's own identity; a Failure escaping the
// operation becomes Node's error for the call (syscall, path, dest).

import { HostSys, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { FsError } from './fs-error.ts';
import { Failure, Session, type ClientState } from './session.ts';

/** Runs operations for one client: its kernel, task and settings. */
export class Runner {
  /** Host-side cap operations in the client's task (deleting a closed file's port). */
  readonly ops: HostSys;
  private readonly threadName: string;
  /** Operations running now, and working directory ports waiting for them to end. */
  private inflight = 0;
  private readonly retired: number[] = [];

  constructor(
    readonly kernel: Kernel,
    readonly task: Task,
    readonly state: ClientState,
  ) {
    this.ops = new HostSys(kernel, task);
    this.threadName = `${task.name}.fs`;
  }

  /**
   * Run `body` in a thread of the client's task; resolves with its answer, rejects with
   * Node's error (a Failure is named `syscall` on `path` -> `dest`).
   */
  run<T>(body: (s: Session) => SysGen<T>, syscall: string, path?: string, dest?: string): Promise<T> {
    const state = this.state;
    this.inflight++;
    return this.kernel
      .exec(
        this.task,
        function* fsCall(sys: Sys): SysGen<T> {
          try {
            return yield* body(new Session(sys, state));
          } catch (e) {
            if (e instanceof Failure) throw new FsError(e.code, syscall, path, dest);
            throw e;
          }
        },
        { name: this.threadName },
      )
      .finally(() => {
        if (--this.inflight === 0) this.releaseRetired();
      });
  }

  /** Delete a port of the client's task (a closed file). */
  release(slot: number): void {
    if (slot > 0 && slot !== this.state.root && slot !== this.state.cwd) this.ops.delete(slot);
  }

  /**
   * Delete a working directory port chdir replaced, once no operation that may have
   * started from it is still running.
   */
  retire(slot: number): void {
    this.retired.push(slot);
    if (this.inflight === 0) this.releaseRetired();
  }

  private releaseRetired(): void {
    for (const slot of this.retired.splice(0)) this.release(slot);
  }
}
