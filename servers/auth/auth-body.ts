// The auth server as a body: the same service (serveAuth) started by a thread of its own
// task, in-process or in an isolated task (boot's `isolate` option loads this module in a
// worker). It follows the composer protocol (servers/system/startup.ts): it learns its
// options from the composer, starts its bucket with Bucket.inTask, and answers install
// with a handle for the client's ids, minted for that client's identity.

import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket, type BucketOptions } from '../../libcap/index.ts';
import { serveStartup, startupEnv, STARTUP_SLOT } from '../system/startup.ts';
import { authParams, DEFAULT_MAX_RENDEZVOUS, serveAuth } from './auth-server.ts';

/** The body: run as the first thread of the auth server's task, STARTUP_SLOT holding the bootstrap endpoint. */
export function* authBody(sys: Sys): SysGen<void> {
  const env = yield* startupEnv(sys, STARTUP_SLOT);
  const { maxRendezvous = DEFAULT_MAX_RENDEZVOUS, ...bucketOpts } = (env.options ?? {}) as BucketOptions & { maxRendezvous?: number };
  const bucket = Bucket.inTask(sys, { name: 'auth', ...bucketOpts });
  const auth = serveAuth(bucket, maxRendezvous);
  yield* serveStartup(sys, STARTUP_SLOT, {
    name: 'auth',
    buckets: [bucket],
    install(client, params) {
      const h = auth.makeHandle(authParams(params));
      const slot = bucket.give(client, h);
      h.unref();
      return slot;
    },
  });
}
