// Name spaces as in L4Re (and seed 001's hierarchical naming): a namespace maps names
// to caps (with the most rights a querier may get) or to nested namespaces; the parent
// builds each child's view, so a child sees only the names it was given.

import { defineInterface, t } from '../libcap/index.ts';

/** Longest component and path accepted. */
export const MAX_NAME = 255;
export const MAX_PATH = 1024;

export const NameEntryType = t.record({
  name: t.string(MAX_NAME),
  kind: t.enum('cap', 'namespace', 'pending'),
});

export const WatchEventType = t.record({
  tick: t.u32,
  kind: t.enum('sync', 'registered', 'removed', 'attached'),
  name: t.string(MAX_PATH),
});

export const Namespace = defineInterface(
  'ns',
  {
    query: {
      op: 1,
      args: { path: t.string(MAX_PATH), wait: t.u32 },
      reply: { cap: t.cap('grant') },
      errors: ['ENOENT', 'EAGAIN', 'ETIMEDOUT', 'ENOTDIR', 'ENAMETOOLONG'],
      doc: 'Resolve a /-separated path through nested namespaces. A name bound but not attached yet answers EAGAIN, or, with wait > 0 (ms), waits for it; EAGAIN too when the client already has the most calls waiting (default 64). EINVAL for a path that is not well-formed UTF-16.',
    },
    register: {
      op: 2,
      args: { name: t.string(MAX_NAME), cap: t.cap(), rights: t.u32 },
      errors: ['EEXIST', 'EPERM', 'ENAMETOOLONG', 'EBUSY', 'EDQUOT'],
      doc: 'Bind `name` to `cap`; queries get at most `rights`. Needs a namespace cap that may register. Attaches a pending name; EBUSY when the name is held for the restart of the server that bound it (its cap died: only its owner task or the composer may bind it again); EDQUOT when the client task already has the most names bound (default 256, across namespaces).',
    },
    unregister: {
      op: 3,
      args: { name: t.string(MAX_NAME) },
      errors: ['ENOENT', 'EPERM'],
      doc: 'Remove a name this client registered (EPERM for a read-only view or a name somebody else bound).',
    },
    list: { op: 4, reply: { entries: t.array(NameEntryType, 4096) } },
    watch: {
      op: 5,
      reply: { watcher: t.cap() },
      errors: ['EAGAIN'],
      doc: 'A watcher reporting each registration and removal in this namespace (first a sync event). EAGAIN when the client already holds the most watchers allowed (default 64).',
    },
  },
  { doc: 'Hierarchical name spaces: register, query (with try-again and wait), unregister, watch.' },
);

export const Watcher = defineInterface('ns.watcher', {
  next: {
    op: 1,
    args: { timeout: t.u32 },
    reply: { event: WatchEventType },
    errors: ['ETIMEDOUT', 'EAGAIN'],
    doc: 'The next event, waiting for one (timeout in ms, 0 = no limit). EAGAIN when the client already has the most calls waiting (default 64). A call whose caller gave up is never served: the event stays queued.',
  },
});
