// Path resolution through nested namespaces, server-side: walk the components from the
// view's namespace, stop at a cap (the last component), a nested namespace, a pending
// name (the query may wait there), or a failure. Write permission only narrows on the way
// down: a read-only view yields read-only views of everything below it.

import { Rights } from '../../core/index.ts';
import type { NameSpace } from './namespace.ts';

/** Where a walk ended. */
export type Resolution =
  | { readonly kind: 'cap'; readonly slot: number; readonly rights: number }
  | { readonly kind: 'namespace'; readonly space: NameSpace; readonly writable: boolean; readonly rights: number }
  | { readonly kind: 'pending'; readonly space: NameSpace; readonly name: string }
  | { readonly kind: 'error'; readonly error: 'ENOENT' | 'ENOTDIR' };

const ENOENT: Resolution = Object.freeze({ kind: 'error', error: 'ENOENT' });
const ENOTDIR: Resolution = Object.freeze({ kind: 'error', error: 'ENOTDIR' });

/**
 * Resolve `parts` (already checked by splitPath) from `start`. `writable` is whether the
 * view queried may register. A cap bound in the middle of a path answers ENOTDIR (a
 * namespace of another server is just a cap here: query it with the rest of the path).
 */
export function resolvePath(start: NameSpace, writable: boolean, parts: readonly string[]): Resolution {
  let space = start;
  let canWrite = writable;
  for (let i = 0; i < parts.length; i++) {
    if (space.destroyed) return ENOENT;
    const name = parts[i]!;
    const b = space.lookup(name);
    if (b === undefined) return ENOENT;
    if (b.kind === 'pending') return { kind: 'pending', space, name };
    const last = i === parts.length - 1;
    if (b.kind === 'cap') return last ? { kind: 'cap', slot: b.slot, rights: b.rights } : ENOTDIR;
    // A view that cannot pass caps cannot register either.
    canWrite = canWrite && b.writable && (b.rights & Rights.Grant) !== 0;
    if (last) return { kind: 'namespace', space: b.space, writable: canWrite, rights: b.rights };
    space = b.space;
  }
  return ENOENT;
}
