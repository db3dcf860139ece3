// The auth server's public API: its interfaces and the server (handles, makeauth, the
// reauthentication rendezvous).

export { Auth, Rendezvous, IdsType } from '../../protocol/auth.ts';
export type { Ids } from '../../protocol/auth.ts';
export { authServer, idsFor, ROOT_IDS, DEFAULT_MAX_RENDEZVOUS } from './auth-server.ts';
export type { AuthInstance, AuthParams, AuthOptions } from './auth-server.ts';
