// The notification service as a body: the same service (serveNotify) started by a thread
// of its own task, in-process or in an isolated task (boot's `isolate` option loads this
// module in a worker). It follows the composer protocol (servers/system/startup.ts): it
// learns its bounds from the composer, starts its bucket with Bucket.inTask, and answers
// install with the root object for the client, its per-client quota set from the params.

import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket, type BucketOptions } from '../../libcap/index.ts';
import { serveStartup, startupEnv, STARTUP_SLOT } from '../system/startup.ts';
import { quotaParam, serveNotify, type NotifyLimits } from './notify-server.ts';

/** The body: run as the first thread of the notify server's task, STARTUP_SLOT holding the bootstrap endpoint. */
export function* notifyBody(sys: Sys): SysGen<void> {
  const env = yield* startupEnv(sys, STARTUP_SLOT);
  const { bucket: bucketOpts, ...limits } = env.options as NotifyLimits & { bucket: BucketOptions };
  const bucket = Bucket.inTask(sys, { name: 'notify', ...bucketOpts });
  const svc = serveNotify(bucket, limits);
  yield* serveStartup(sys, STARTUP_SLOT, {
    name: 'notify',
    buckets: [bucket],
    install(client, params) {
      const q = quotaParam(params);
      if (q !== undefined) svc.setQuota(client, q);
      return bucket.give(client, svc.root);
    },
  });
}
