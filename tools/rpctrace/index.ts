// rpctrace's public API: the tracer, rendering helpers and the Perfetto export.

export { Rpctrace } from './rpctrace.ts';
export type { RpcRecord, RpctraceOptions } from './rpctrace.ts';
export { toChromeTrace } from './perfetto.ts';
export type { ChromeEvent, ChromeTrace, ExportOptions } from './perfetto.ts';
export { escapeString, renderFields, renderValue } from './render.ts';
