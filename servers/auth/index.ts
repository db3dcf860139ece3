// The auth server's public API: its interfaces and the server (handles, makeauth, the
// reauthentication rendezvous).

export { Auth, Rendezvous, IdsType } from '../../protocol/auth.ts';
export type { Ids } from '../../protocol/auth.ts';
export { authServer, authParams, idsFor, ROOT_IDS, DEFAULT_MAX_RENDEZVOUS, serveAuth } from './auth-server.ts';
export { authBody } from './auth-body.ts';
export type { AuthInstance, AuthParams, AuthOptions, AuthService } from './auth-server.ts';
