// The notification service's public API: its interfaces, the service, the poster servers
// use to post without blocking, and the rxjs client.

// Interfaces
export { Notify, Mailbox, Sender, EventType } from '../../protocol/notify.ts';
export type { NotifyEvent } from '../../protocol/notify.ts';

// The service
export { notifyServer, serveNotify, quotaParam, DEFAULT_QUOTA, DEFAULT_MAX_SOURCES, DEFAULT_MAX_WAITERS, TAKE_MAX } from './notify-server.ts';
export { notifyBody } from './notify-body.ts';
export type { NotifyOptions, NotifyParams, NotifyInstance, NotifyStats, MailboxInfo, NotifyLimits, NotifyService } from './notify-server.ts';
export { EventQueue } from './event-queue.ts';

// Server side: posting without blocking
export { Poster, DEFAULT_GIVE_UP, DEFAULT_POST_TIMEOUT, DEFAULT_MAX_SENDERS, RETRY_MS } from './poster.ts';
export type { PosterOptions, PosterStats } from './poster.ts';

// Client side: rxjs
// The rxjs client lives in clients/notify (`hurdle/clients/notify`); re-exported here so
// code written against this address still imports.
export * from '../../clients/notify/index.ts';
