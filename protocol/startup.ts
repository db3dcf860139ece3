// The composer protocol of a server that runs as a body (in an isolated task): the Hurd's
// fsys_startup, adapted. The child calls its bootstrap endpoint once to learn its
// environment, starts its buckets, and sends the composer a cap to a control object of
// this interface (its readiness). The composer then asks it, through that cap, for a cap
// per client (install) and, at the end, to stop (shutdown). See servers/system/startup.ts.

import { defineInterface, t } from '../libcap/index.ts';
import type { Ids } from './auth.ts';
import { MAX_NAME, MAX_PATH, NameEntryType } from './names.ts';

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
    composer: {
      op: 3,
      reply: { cap: t.cap() },
      errors: ['EOPNOTSUPP'],
      doc: 'A cap to the composer interface of the service, for its composer only (the name server answers a NamesComposer cap). EOPNOTSUPP: the service has none.',
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

/** Most names one namespace lists through the NamesComposer (a namespace holds at most 1024). */
export const NAMES_LIST_MAX = 4096;

/**
 * What boot does to namespaces, as a protocol: the name server in an isolated task serves
 * it to its composer (Startup.composer), in place of the host-side NamesInstance and
 * NameSpace objects boot uses when the name server shares its heap. A namespace is named
 * by the number create answered. ENOENT: no live namespace of that number.
 */
export const NamesComposer = defineInterface(
  'names.composer',
  {
    create: {
      op: 1,
      args: { label: t.string(MAX_PATH) },
      reply: { space: t.u32 },
      errors: ['EAGAIN'],
      doc: 'A new, empty namespace labelled `label` (the child path it is for); answers its number. EAGAIN: as many namespaces are alive as the server allows (default 65536, the root included).',
    },
    bindPending: {
      op: 2,
      args: { space: t.u32, name: t.string(MAX_NAME) },
      errors: ['ENOENT', 'EINVAL', 'ENAMETOOLONG', 'EEXIST', 'ENOSPC'],
      doc: 'Bind `name` pending in the namespace: its queries answer EAGAIN or wait until it is attached. EINVAL / ENAMETOOLONG: a bad name; EEXIST: bound already; ENOSPC: the namespace is full.',
    },
    attach: {
      op: 3,
      args: { space: t.u32, name: t.string(MAX_NAME), cap: t.cap(), rights: t.u32 },
      reply: { error: t.string(16) },
      errors: ['ENOENT', 'EINVAL'],
      doc: 'Attach `cap` (queries get at most `rights`) to the pending `name`. Answers what NameSpace.attach answers: "" when attached, else ENOENT (the name is not bound), EEXIST (attached already) or EBADF (no cap). EINVAL: rights outside Rights.All.',
    },
    lookup: {
      op: 4,
      args: { space: t.u32, name: t.string(MAX_NAME) },
      reply: { kind: t.string(16) },
      errors: ['ENOENT', 'EINVAL', 'ENAMETOOLONG'],
      doc: 'Look `name` up, as the server does before a query: a name whose cap died goes pending. Answers its kind (cap, namespace, pending), "" when it is not bound.',
    },
    installView: {
      op: 5,
      args: { space: t.u32, task: t.cap(), register: t.bool },
      reply: { view: t.cap() },
      errors: ['ENOENT', 'EBADF', 'EAGAIN', 'EMFILE', 'ENOMEM'],
      doc: 'A cap to the view of the namespace (registering when `register`) for the client task named by `task` (a task cap with Read: its own client identity, as an in-process installView); the composer places it in the task. EBADF: not a live task.',
    },
    list: {
      op: 6,
      args: { space: t.u32 },
      reply: { entries: t.array(NameEntryType, NAMES_LIST_MAX) },
      errors: ['ENOENT'],
      doc: 'Every name of the namespace and what it is bound to, sorted by name.',
    },
  },
  { doc: 'How boot builds and inspects namespaces in a name server that runs in its own task.' },
);
