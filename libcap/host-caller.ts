// Host calls without a thread per call: each client task keeps a small pool of parked
// continuation threads; a host call queues a job and unparks an idle one (or starts one,
// up to the pool's size), which performs the RPC and resolves the job's promise. Calls
// still run as threads of the client's task, so the client keeps its own identity and
// one RPC per client thread holds (each proxy carries one call at a time).

import { Status, type Continuation, type Kernel, type Sys, type Syscall, type Task, type Thread } from '../core/index.ts';
import { invoke, type CallId, type CallOptions, type RpcResult } from './client.ts';
import type { MethodDef } from './interface.ts';

interface Job {
  cap: number;
  method: MethodDef;
  args: unknown;
  opts: CallOptions;
  onStart: ((id: CallId) => void) | undefined;
  resolve: (r: RpcResult<unknown>) => void;
  reject: (e: unknown) => void;
}

/** Proxy threads per client task at most; more concurrent calls queue. */
const MAX_PROXIES = 64;

class HostCaller {
  private readonly queue: Job[] = [];
  private readonly idle: Thread[] = [];
  private proxies = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly task: Task,
  ) {}

  call(cap: number, method: MethodDef, args: unknown, opts: CallOptions, onStart?: (id: CallId) => void): Promise<RpcResult<unknown>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ cap, method, args, opts, onStart, resolve, reject });
      this.kernel.retain();
      const t = this.idle.pop();
      if (t !== undefined) this.kernel.unpark(t);
      else if (this.proxies < MAX_PROXIES) this.spawn();
    });
  }

  private spawn(): void {
    this.proxies++;
    const carrying: { job: Job | null } = { job: null };
    const t = this.kernel.spawn(this.task, (sys: Sys): Continuation => this.proxy(sys, carrying), {
      name: `${this.task.name}.rpc`,
    });
    t.onExit = (_v, e, failed) => {
      // Killed with its task: fail the call it carried and whatever waits.
      this.proxies--;
      if (!failed) {
        // Retired (see proxy): hand queued work to another proxy.
        if (this.queue.length > 0) {
          const idle = this.idle.pop();
          if (idle !== undefined) this.kernel.unpark(idle);
          else this.spawn();
        }
        return;
      }
      const j = carrying.job;
      carrying.job = null;
      if (j !== null) this.fail(j, e);
      for (const q of this.queue.splice(0)) this.fail(q, e);
    };
  }

  private fail(j: Job, e: unknown): void {
    this.kernel.release();
    j.reject(e);
  }

  /** The proxy thread: take a job, run the call, answer it, park when there is none. */
  private proxy(sys: Sys, carrying: { job: Job | null }): Continuation {
    let gen: Generator<Syscall, RpcResult<unknown>, number> | null = null;
    const self = this.kernel.currentThread;
    const finish = (r: RpcResult<unknown>): void => {
      const j = carrying.job!;
      carrying.job = null;
      gen = null;
      this.kernel.release();
      j.resolve(r);
    };
    return (status: number): Syscall | null => {
      for (;;) {
        if (gen !== null) {
          let r: IteratorResult<Syscall, RpcResult<unknown>>;
          try {
            r = gen.next(status);
          } catch (e) {
            const j = carrying.job!;
            carrying.job = null;
            gen = null;
            this.fail(j, e);
            continue;
          }
          if (r.done !== true) return r.value;
          finish(r.value);
          // A timed-out call may still be in flight at the server, which refuses a second
          // call from this thread (one RPC per client thread) until it ends: retire the
          // thread rather than reuse its name for the next call.
          if (!r.value.ok && r.value.error === 'ETIMEDOUT') return null;
        }
        const next = this.queue.shift();
        if (next === undefined) {
          const me = self ?? this.kernel.currentThread;
          if (me !== null) this.idle.push(me);
          return sys.park();
        }
        carrying.job = next;
        gen = invoke(sys, next.cap, next.method, next.args, next.opts, next.onStart);
        status = Status.Ok;
      }
    };
  }
}

const callers = new WeakMap<Kernel, Map<Task, HostCaller>>();

/** Perform an RPC from host code as `task`, on a pooled proxy thread. */
export function callFromHost(
  kernel: Kernel,
  task: Task,
  cap: number,
  method: MethodDef,
  args: unknown,
  opts: CallOptions,
  onStart?: (id: CallId) => void,
): Promise<RpcResult<unknown>> {
  let m = callers.get(kernel);
  if (m === undefined) callers.set(kernel, (m = new Map()));
  let c = m.get(task);
  if (c === undefined || !task.alive) m.set(task, (c = new HostCaller(kernel, task)));
  return c.call(cap, method, args, opts, onStart);
}
