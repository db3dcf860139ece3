// The task server as a body: the same service (serveTasks) started by a thread of its own
// task, in-process or in an isolated task (boot's `isolate` option loads this module in a
// worker). It follows the composer protocol (servers/system/startup.ts): it learns its
// bounds, the notify service's slot and its host cap from the composer, starts its bucket
// with Bucket.inTask, and answers install with the client's own object, made for the
// client's task and its install params. Its shutdown kills the tasks created through it,
// as the in-process server's does.

import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket, type BucketOptions } from '../../libcap/index.ts';
import { serveStartup, startupEnv, STARTUP_SLOT } from '../system/startup.ts';
import { serveTasks, type TaskServerOptions } from './task-server.ts';

/** The body: run as the first thread of the task server's task, STARTUP_SLOT holding the bootstrap endpoint. */
export function* taskBody(sys: Sys): SysGen<void> {
  const env = yield* startupEnv(sys, STARTUP_SLOT);
  if (env.host === undefined) throw new Error('task: the composer gave no host cap (the descriptor asks for one)');
  const { bucket: bucketOpts, ...limits } = env.options as TaskServerOptions & { bucket: BucketOptions };
  const bucket = Bucket.inTask(sys, { name: 'task', ...bucketOpts });
  const svc = serveTasks(bucket, { host: env.host, notify: env.caps['notify'] }, limits);
  yield* serveStartup(sys, STARTUP_SLOT, {
    name: 'task',
    buckets: [bucket],
    install(client, params) {
      const o = svc.viewFor(params, client.taskId);
      const slot = bucket.give(client, o);
      o.unref(); // the client's entry holds it
      return slot;
    },
    shutdown: async (force) => (await svc.shutdown(force)).map((n) => n.what),
  });
}
