// The live view: a local web page showing the running system (see view-server.ts).

export { startView } from './view-server.ts';
export type { View, ViewOptions, FsNode } from './view-server.ts';
export { viewState } from './model.ts';
export type { ViewState, ViewTask, ViewThread, CapEdge } from './model.ts';
export { IpcFeed, LINES_PER_FLUSH, MOVES_PER_FLUSH } from './ipc-feed.ts';
export type { FeedBatch, FeedLine } from './ipc-feed.ts';
