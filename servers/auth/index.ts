// The auth server's public API: its interfaces and the server (handles, makeauth, the
// reauthentication rendezvous).

export { Auth, Rendezvous, IdsType } from './auth-interface.ts';
export type { Ids } from './auth-interface.ts';
export { authServer, idsFor, ROOT_IDS, DEFAULT_MAX_RENDEZVOUS } from './auth-server.ts';
export type { AuthInstance, AuthParams, AuthOptions } from './auth-server.ts';
