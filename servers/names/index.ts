// The name server's public API: the interfaces, the server factory with its host-side
// composer API (namespaces, pending names, views), the body that runs it in its own task
// with the NamesComposer it serves its composer, and the path rules.

export { Namespace, Watcher, NameEntryType, WatchEventType, MAX_NAME, MAX_PATH } from '../../protocol/names.ts';
export { namesServer, serveNames, splitNamesOptions, DEFAULT_NAMES_MAX_WAITERS, DEFAULT_MAX_WATCHERS, DEFAULT_MAX_NAMES, DEFAULT_MAX_NAMESPACES } from './names-server.ts';
export type { NamesInstance, NamesLimits, NamesOptions, NamesParams, NamesService, NamesStats, ViewData } from './names-server.ts';
export { namesBody } from './names-body.ts';
export { namesComposer } from './names-composer.ts';
export { NameSpace, MAX_ENTRIES, COMPOSER } from './namespace.ts';
export type { Binding, HostCap } from './namespace.ts';
export { checkName, splitPath, byteLength } from './path.ts';
export { capIsLive, keptCapIsLive } from './live-cap.ts';
export type { PathError } from './path.ts';
export { WATCH_QUEUE_CAPACITY } from './watch-queue.ts';
export type { WatchEvent } from './watch-queue.ts';
