// The name server's public API: the interfaces, the server factory with its host-side
// composer API (namespaces, pending names, views), and the path rules.

export { Namespace, Watcher, NameEntryType, WatchEventType, MAX_NAME, MAX_PATH } from '../../protocol/names.ts';
export { namesServer, DEFAULT_NAMES_MAX_WAITERS, DEFAULT_MAX_WATCHERS, DEFAULT_MAX_NAMES } from './names-server.ts';
export type { NamesInstance, NamesOptions, NamesParams, NamesStats, ViewData } from './names-server.ts';
export { NameSpace, MAX_ENTRIES, COMPOSER } from './namespace.ts';
export type { Binding, HostCap } from './namespace.ts';
export { checkName, splitPath, byteLength } from './path.ts';
export { capIsLive } from './live-cap.ts';
export type { PathError } from './path.ts';
export { WATCH_QUEUE_CAPACITY } from './watch-queue.ts';
export type { WatchEvent } from './watch-queue.ts';
