// The stock translators and the registry a filesystem server starts them from, with the
// helpers they are built on (path resolution from a translator, a getroot hook, reads of
// nodes that can vanish).

import { TranslatorRegistry } from '../fs/translator.ts';
import { filter } from './filter.ts';
import { firmlink } from './firmlink.ts';
import { hello } from './hello.ts';
import { json } from './json.ts';
import { log } from './log.ts';
import { proc } from './proc.ts';
import { tmpfs } from './tmpfs.ts';

// The translators
export { hello, HELLO_TEXT, parseHelloOptions } from './hello.ts';
export { tmpfs, parseTmpfsOptions } from './tmpfs.ts';
export type { TmpfsOptions } from './tmpfs.ts';
export { filter } from './filter.ts';
export { parseFilterArgs, FILTER_USAGE } from './filter-args.ts';
export type { FilterOptions } from './filter-args.ts';
export { transformBytes, untransformBytes, invertible, FILTER_MODES } from './filter-modes.ts';
export type { FilterMode } from './filter-modes.ts';
export { firmlink, parseFirmlinkArgs, splitTarget, FIRMLINK_USAGE, MAX_NESTING } from './firmlink.ts';
export { proc, procTree } from './proc.ts';
export { json, parseJsonArgs, JSON_USAGE } from './json.ts';
export type { JsonOptions } from './json.ts';
export { log, parseLogArgs, stampLines, LOG_USAGE } from './log.ts';
export { nameOfKey, keyOfName, leafText, leafValue, layoutOf, serialize, parseJson } from './json-tree.ts';
export type { JsonValue, JsonKind, LeafKind, JsonLayout } from './json-tree.ts';

// Helpers for writing translators
export { PathResolver, RESOLVER_TIMEOUT } from './path-resolver.ts';
export type { ResolverBody } from './path-resolver.ts';
export { withGetrootHook } from './getroot-hook.ts';
export type { GetrootArgs, GetrootHook } from './getroot-hook.ts';
export { liveRead } from './live-read.ts';

/** A new registry holding the stock translators (hello, tmpfs, filter, firmlink, proc, json, log); extend it with register(). */
export function defaultRegistry(): TranslatorRegistry {
  return new TranslatorRegistry([
    ['hello', hello],
    ['tmpfs', tmpfs],
    ['filter', filter],
    ['firmlink', firmlink],
    ['proc', proc],
    ['json', json],
    ['log', log],
  ]);
}
