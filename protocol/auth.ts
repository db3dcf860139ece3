// The auth server's interfaces, as the Hurd's auth.defs: handles with four id vectors,
// makeauth, and the reauthentication rendezvous (user side and server side).

import { defineInterface, t, type Infer } from '../libcap/index.ts';

const ids = t.array(t.u32, 256);

/** The four id vectors of an auth handle. */
export const IdsType = t.record({ euids: ids, auids: ids, egids: ids, agids: ids });
export type Ids = Infer<typeof IdsType>;

export const Auth = defineInterface(
  'auth',
  {
    getids: { op: 1, reply: { euids: ids, auids: ids, egids: ids, agids: ids }, doc: 'The handle\'s effective and available uids and gids.' },
    makeauth: {
      op: 2,
      args: { other1: t.optional(t.cap()), other2: t.optional(t.cap()), euids: ids, auids: ids, egids: ids, agids: ids },
      reply: { handle: t.cap() },
      errors: ['EPERM'],
      doc: 'A new handle with the requested ids: allowed when the union of this handle and the others holds uid 0 or every requested id.',
    },
    rendezvous: {
      op: 3,
      reply: { rendezvous: t.cap() },
      errors: ['EAGAIN'],
      doc: 'A fresh rendezvous cap for one reauthentication. EAGAIN when the client already holds the most rendezvous allowed (default 64).',
    },
    userAuthenticate: {
      op: 4,
      args: { rendezvous: t.cap(), timeout: t.u32 },
      reply: { port: t.cap('grant') },
      errors: ['ECONNABORTED', 'ETIMEDOUT'],
      doc: 'User half of the rendezvous: waits for the server half on the same rendezvous cap; answers the new port. timeout in ms, 0 = no limit. A half whose caller gave up is never matched: the other half keeps waiting.',
    },
    serverAuthenticate: {
      op: 5,
      args: { rendezvous: t.cap(), port: t.cap(), timeout: t.u32 },
      reply: { euids: ids, auids: ids, egids: ids, agids: ids },
      errors: ['ECONNABORTED', 'ETIMEDOUT'],
      doc: 'Server half: hands `port` to the user and learns the user\'s ids. timeout in ms, 0 = no limit.',
    },
  },
  { doc: 'Authentication: who a client is, learnt only from the auth server (Hurd auth).' },
);

/** Rendezvous caps name objects of this (method-less) interface. */
export const Rendezvous = defineInterface('auth.rendezvous', {});
