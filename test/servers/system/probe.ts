// A probe server and program helpers for the system tests: the probe records the env it
// was started with and the order of shutdowns, and answers `who` with the calling
// client's task id (its identity at the server). Nothing here is a test.

import type { Sys, SysGen } from '../../../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, stub, t } from '../../../libcap/index.ts';
import { Namespace } from '../../../servers/names/index.ts';
import { CAP_NAMESPACE, shutdownBuckets, type ServerEnv, type ServerFactory, type ServerInstance } from '../../../servers/system/index.ts';

export const Probe = defineInterface('probe', {
  who: { op: 1, reply: { task: t.i32, param: t.string(64) } },
});

/** What probes saw, shared by every probe of one test. */
export class ProbeLog {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  readonly envs = new Map<string, ServerEnv>();
}

/**
 * A probe server named `name`. install() keeps the client's params (a string) so `who`
 * answers them back: per-client settings reach the server.
 */
export function probeServer(name: string, log: ProbeLog, opts: { failStart?: boolean } = {}): ServerFactory {
  return (env) => {
    if (opts.failStart === true) throw new Error(`${name}: refusing to start`);
    log.started.push(name);
    log.envs.set(name, env);
    const bucket = Bucket.start(env.kernel, env.task, { name });
    const cls = defineClass({
      name: 'probe',
      interface: Probe,
      init: () => ({ param: '' }),
      alloc: (d, param: string) => {
        d.param = param;
      },
      handlers: { who: (ctx) => ({ task: ctx.client.taskId, param: ctx.data.param }) },
    });
    const root = bucket.create(cls, '');
    if (root instanceof RpcFailure) throw new Error('probe: root');
    const inst: ServerInstance = {
      name,
      bucket,
      buckets: [bucket],
      root,
      install(task, params, slot) {
        const o = bucket.create(cls, typeof params === 'string' ? params : '');
        if (o instanceof RpcFailure) throw new Error('probe: object');
        const s = bucket.install(o, task, slot === undefined ? {} : { slot });
        o.unref();
        return s;
      },
      async shutdown(force) {
        log.stopped.push(name);
        return shutdownBuckets(inst, force);
      },
    };
    return inst;
  };
}

/** What a program found, by the order it asked. */
export type Finding = { path: string; ok: true; task: number; param: string } | { path: string; ok: false; error: string };

/**
 * A program that queries each path (waiting `wait` ms) and calls `who` on what it got;
 * `done` is called with the findings when it is finished.
 */
export function asker(paths: readonly string[], wait: number, done: (f: Finding[]) => void) {
  return function* body(sys: Sys): SysGen<void> {
    const ns = stub(Namespace, sys, CAP_NAMESPACE);
    const out: Finding[] = [];
    for (const path of paths) {
      const r = yield* ns.query({ path, wait });
      if (!r.ok) {
        out.push({ path, ok: false, error: r.error });
        continue;
      }
      const who = yield* stub(Probe, sys, r.value.cap).who();
      out.push(who.ok ? { path, ok: true, task: who.value.task, param: who.value.param } : { path, ok: false, error: who.error });
      sys.delete(r.value.cap);
    }
    done(out);
  };
}

/** A promise and the function that resolves it, for programs to report through. */
export function signal<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
