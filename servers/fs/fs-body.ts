// The filesystem server as a body: the same service (serveFs) started by a thread of its
// own task, in-process or in an isolated task (boot's `isolate` option loads this module
// in a worker). It follows the composer protocol (servers/system/startup.ts): it learns
// its options (FsBodyOptions, JSON: a volume can be seeded with `files`) from the
// composer, starts its bucket with Bucket.inTask, and answers install with a protid on
// the root directory for the client's ids. Its shutdown first asks its translators to go
// away and stops its poster, as the in-process instance's does.
//
// Passive translators: its worker holds no Kernel object and cannot run a translator
// factory of the main heap, so it starts them through the `launcher` cap its composer
// serves it (servers/system/launcher.ts; translator-start.ts's launch). Without one, a
// lookup that would start one answers EOPNOTSUPP with the node's startError saying why.

import type { Sys, SysGen } from '../../core/index.ts';
import { Bucket } from '../../libcap/index.ts';
import { serveStartup, startupEnv, STARTUP_SLOT } from '../system/startup.ts';
import { serveFs, type FsBodyOptions } from './fs-server.ts';

/** Cap-space size assumed when the composer does not say (boot's default for a server task). */
const DEFAULT_SLOTS = 1 << 16;

/** The body: run as the first thread of the fs server's task, STARTUP_SLOT holding the bootstrap endpoint. */
export function* fsBody(sys: Sys): SysGen<void> {
  const env = yield* startupEnv(sys, STARTUP_SLOT);
  const opts = (env.options ?? {}) as FsBodyOptions;
  const name = opts.name ?? 'fs';
  const bucket = Bucket.inTask(sys, { name, ...opts.bucket });
  const svc = serveFs(bucket, opts, { caps: new Map(Object.entries(env.caps)), capSpaceSize: env.slots ?? DEFAULT_SLOTS });
  yield* serveStartup(sys, STARTUP_SLOT, {
    name,
    buckets: [bucket],
    install(client, params) {
      const obj = svc.rootProtid(params);
      const slot = bucket.give(client, obj);
      obj.unref();
      return slot;
    },
    stop: async (force) => (await svc.stop(force)).map((n) => n.what),
  });
}
