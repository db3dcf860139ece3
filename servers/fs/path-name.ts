// Names and paths as servers check them: a lookup path split into components (empty
// components dropped, a trailing slash remembered), and the single names that dir
// operations take. NUL bytes are refused (EINVAL), components longer than NAME_MAX
// bytes of UTF-8 answer ENAMETOOLONG, as Linux.

import type { ErrnoName } from '../../libcap/index.ts';
import { NAME_MAX, PATH_MAX } from '../../protocol/fs.ts';

/** A path split for a walk. */
export interface SplitPath {
  /** Components in order, without empty ones ("a//b" is a, b). */
  readonly parts: string[];
  /** The path ended with a slash: the last component must be a directory. */
  readonly trailingSlash: boolean;
}

/** Byte length of a name in UTF-8 (what NAME_MAX counts). */
export function nameBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}

/** Split a lookup path (leading slashes are dropped, as diskfs does). */
export function splitPath(path: string): SplitPath | ErrnoName {
  if (path.includes('\0')) return 'EINVAL';
  const parts = path.split('/').filter((p) => p !== '');
  for (const p of parts) if (nameBytes(p) > NAME_MAX) return 'ENAMETOOLONG';
  return { parts, trailingSlash: parts.length > 0 && path.endsWith('/') };
}

/** Join the components left over after a walk stopped, keeping a trailing slash. */
export function joinRest(parts: readonly string[], from: number, trailingSlash: boolean): string {
  const rest = parts.slice(from).join('/');
  return trailingSlash && rest !== '' ? `${rest}/` : rest;
}

/** Where following a symlink takes a walk. */
export type SymlinkStep =
  | { readonly kind: 'magical'; readonly retryName: string }
  | { readonly kind: 'splice'; readonly parts: string[]; readonly trailing: boolean };

/**
 * Follow a symlink met during a walk. An absolute target sends the client back to its
 * own root with the rest of the path appended (FS_RETRY_MAGICAL "/..."); a relative one
 * is spliced in place of the link and the walk goes on from the link's directory.
 * `rest` are the components after the link; `trailing` whether the path ended in "/".
 */
export function followSymlink(target: string, rest: readonly string[], trailing: boolean): SymlinkStep | ErrnoName {
  if (target.startsWith('/')) {
    const tail = joinRest(rest, 0, trailing);
    let retryName: string;
    if (tail !== '') retryName = `${target.replace(/\/+$/, '')}/${tail}`;
    else retryName = trailing && !target.endsWith('/') ? `${target}/` : target;
    return retryName.length > PATH_MAX ? 'ENAMETOOLONG' : { kind: 'magical', retryName };
  }
  if (target === '') return 'ENOENT';
  const t = splitPath(target);
  if (typeof t === 'string') return t;
  return { kind: 'splice', parts: [...t.parts, ...rest], trailing: rest.length > 0 ? trailing : trailing || t.trailingSlash };
}

/**
 * Check the name a dir operation (mkdir, unlink, rename, ...) takes: one component.
 * Empty names answer ENOENT (as Linux for ""), names with "/" or NUL EINVAL.
 */
export function checkName(name: string): ErrnoName | null {
  if (name === '') return 'ENOENT';
  if (name.includes('\0') || name.includes('/')) return 'EINVAL';
  if (nameBytes(name) > NAME_MAX) return 'ENAMETOOLONG';
  return null;
}

/** True for "." and "..". */
export function isDots(name: string): boolean {
  return name === '.' || name === '..';
}
