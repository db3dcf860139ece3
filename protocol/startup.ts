// The composer protocol of a server that runs as a body (in an isolated task): the Hurd's
// fsys_startup, adapted. The child calls its bootstrap endpoint once to learn its
// environment, starts its buckets, and sends the composer a cap to a control object of
// this interface (its readiness). The composer then asks it, through that cap, for a cap
// per client (install) and, at the end, to stop (shutdown). See servers/system/startup.ts.

import { defineInterface, t } from '../libcap/index.ts';

/** Most bytes of a client's params (JSON) in an install request. */
export const STARTUP_PARAMS_MAX = 4096;

export const Startup = defineInterface(
  'startup',
  {
    install: {
      op: 1,
      args: { task: t.cap(), params: t.string(STARTUP_PARAMS_MAX) },
      reply: { cap: t.cap() },
      errors: ['EBADF', 'EAGAIN', 'EINVAL', 'EMFILE', 'ENOMEM'],
      doc: 'A cap to the service for the client task named by `task` (a task cap), with the same per-client identity as an in-process install; `params` are its per-client settings as JSON ("" for none). EBADF: not a live task.',
    },
    shutdown: {
      op: 2,
      args: { force: t.bool },
      reply: { held: t.array(t.string(1024), 256) },
      doc: 'Inhibit and end every bucket of the service; answers what was still held (one line each).',
    },
  },
  { doc: 'How a composer (boot) starts, uses and stops a server that runs as a body in its own task.' },
);
