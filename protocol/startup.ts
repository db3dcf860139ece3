// The composer protocol of a server that runs as a body (in an isolated task): the Hurd's
// fsys_startup, adapted. The child calls its bootstrap endpoint once to learn its
// environment, starts its buckets, and sends the composer a cap to a control object of
// this interface (its readiness). The composer then asks it, through that cap, for a cap
// per client (install) and, at the end, to stop (shutdown). See servers/system/startup.ts.

import { defineInterface, t } from '../libcap/index.ts';
import type { Ids } from './auth.ts';

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

/** Most bytes of a launch request's JSON part (the translator's command line, task name and ids). */
export const LAUNCH_SPEC_MAX = 8192;

/** Most bytes of the words a launch failure answers with. */
export const LAUNCH_MESSAGE_MAX = 2048;

/** The JSON part of a launch request (one string item: the message has room for few). */
export interface LaunchSpec {
  /** The command line: the translator's name in the launcher's registry, then its arguments. */
  readonly argv: readonly string[];
  /** The new task's name. */
  readonly name: string;
  /** The identity it runs as (the node's owner). */
  readonly ids: Ids;
}

/**
 * How a server in an isolated task starts translators, as the Hurd's filesystems do
 * through the exec server: it cannot create a task or run a translator factory (a
 * function of the composer's heap) from its worker, so the composer serves it a launcher.
 */
export const Launcher = defineInterface(
  'launcher',
  {
    start: {
      op: 1,
      args: {
        spec: t.string(LAUNCH_SPEC_MAX),
        quota: t.u32,
        slots: t.u32,
        timeout: t.u32,
        realnode: t.optional(t.cap()),
        auth: t.optional(t.cap()),
        notify: t.optional(t.cap()),
      },
      reply: { control: t.optional(t.cap('grant')), task: t.optional(t.cap('grant')), failed: t.string(16), message: t.string(LAUNCH_MESSAGE_MAX) },
      errors: ['EINVAL', 'ENOMEM', 'EAGAIN'],
      doc:
        'Start the translator `spec.argv` (spec is a LaunchSpec as JSON; argv[0] names it in the launcher\'s registry) in a new task named `spec.name`, running as `spec.ids`, with a factory of `quota` objects and `slots` cap slots, tethered to the caller\'s task (it ends when the caller\'s task does), handed `realnode` (the node it sits on), `auth` (its auth handle) and `notify`. Answers its fsys control cap and a cap to its task (Read and Write: the caller ends it with killTask), `failed` empty. Bounded by `timeout` ms. A translator that does not start is an answer too (errors carry no words, and the user is owed the translator\'s): no caps, `failed` ENOENT (no such translator), EIO (it failed) or ETIMEDOUT (not started in time), and `message` saying why. EINVAL: a malformed spec; ENOMEM: no task could be created; EAGAIN: the caller has as many translators alive as its launcher allows (boot: 1024).',
    },
  },
  { doc: 'Translator launcher a composer serves to a server in an isolated task (its exec server).' },
);
