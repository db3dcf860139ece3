// The auth server's public API: its interfaces and the server (handles, makeauth, the
// reauthentication rendezvous).

export { Auth, Rendezvous, IdsType } from './auth-interface.ts';
export type { Ids } from './auth-interface.ts';
export { authServer, idsFor, ROOT_IDS } from './auth-server.ts';
export type { AuthInstance, AuthParams } from './auth-server.ts';
