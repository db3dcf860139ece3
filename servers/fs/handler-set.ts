// Typing the handler tables of the filesystem servers: a handler for every method of an
// interface (what each *-rpcs file provides), and the table of a class serving Protid,
// whose parts are checked against their own interfaces.

import type { Handler, Handlers, MethodSpecs, SpecsOf } from '../../libcap/index.ts';
import type { Dir, File, Io, Protid } from '../../protocol/fs.ts';

/** A handler for every method of `M`. */
export type HandlerSet<M extends MethodSpecs, D> = { readonly [K in keyof M]-?: Handler<M[K], D> };

/** Every method of a protid (io, file and dir), each with its own exact spec. */
export type ProtidHandlerSet<D> = HandlerSet<SpecsOf<typeof Io>, D> & HandlerSet<SpecsOf<typeof File>, D> & HandlerSet<SpecsOf<typeof Dir>, D>;

/**
 * The handlers of a class serving Protid. A combined interface's method map carries an
 * index signature (libcap's MethodsOf adds `& MethodSpecs`), under which handlers typed
 * with their exact specs do not check; each part is checked against its own interface
 * here instead, and the result handed to defineClass.
 */
export function protidHandlers<D>(h: ProtidHandlerSet<D>): Handlers<SpecsOf<typeof Protid>, D> {
  return h as unknown as Handlers<SpecsOf<typeof Protid>, D>;
}
