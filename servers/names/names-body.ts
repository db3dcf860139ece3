// The name server as a body: the same service (serveNames) started by a thread of its own
// task, in-process or in an isolated task (boot's `isolate` option loads this module in a
// worker). It follows the composer protocol (servers/system/startup.ts): it learns its
// options from the composer, starts its bucket with Bucket.inTask, answers install with a
// view of the root namespace, and serves its composer the NamesComposer (names-composer.ts)
// through which boot builds every child's namespace.

import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket } from '../../libcap/index.ts';
import { shutdownNamed } from '../../libcap/server.ts';
import { serveStartup, startupEnv, STARTUP_SLOT } from '../system/startup.ts';
import { namesComposer } from './names-composer.ts';
import { serveNames, splitNamesOptions, type NamesOptions } from './names-server.ts';

/** The body: run as the first thread of the name server's task, STARTUP_SLOT holding the bootstrap endpoint. */
export function* namesBody(sys: Sys): SysGen<void> {
  const env = yield* startupEnv(sys, STARTUP_SLOT);
  const { limits, bucket: bucketOpts } = splitNamesOptions((env.options ?? {}) as NamesOptions);
  const bucket = Bucket.inTask(sys, { name: 'names', ...bucketOpts });
  const svc = serveNames(bucket, limits);
  yield* serveStartup(sys, STARTUP_SLOT, {
    name: 'names',
    buckets: [bucket],
    install(client, params) {
      // A namespace object cannot cross: a client installed by params gets a view of the root.
      const register = (params as { register?: unknown } | undefined)?.register === true;
      return bucket.give(client, svc.viewOf(svc.rootSpace, register));
    },
    composer: (control) => namesComposer(svc, control),
    async shutdown(force) {
      const notes = await shutdownNamed('names', [bucket], force);
      svc.release();
      return notes.map((n) => n.what);
    },
  });
}
