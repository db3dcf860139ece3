// Name and path syntax of the name server: '/'-separated components, each non-empty,
// not '.' or '..', at most MAX_NAME UTF-8 bytes; a whole path at most MAX_PATH bytes.
// Checks answer an error value, never throw (bad input from a client is not a bug).

import { isWellFormed } from '../../libcap/strings.ts';
import { MAX_NAME, MAX_PATH } from '../../protocol/names.ts';

/** Why a name or path was refused. */
export type PathError = 'EINVAL' | 'ENAMETOOLONG';

const utf8 = new TextEncoder();

/**
 * Length in UTF-8 bytes, as POSIX counts NAME_MAX and PATH_MAX. The interface's string
 * bounds count UTF-16 units (the codec refuses longer strings with EINVAL); a string
 * within them can still be too long in bytes, which answers ENAMETOOLONG.
 */
export function byteLength(s: string): number {
  // ASCII is the common case: one byte per unit, no encoding needed.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length;
  return s.length;
}

/**
 * Check one component (a name to register, unregister or bind). EINVAL for '', '.',
 * '..', a name containing '/' or NUL, or one that is not well-formed UTF-16 (a lone
 * surrogate: it could never be listed); ENAMETOOLONG above MAX_NAME bytes.
 */
export function checkName(name: string): PathError | null {
  if (name === '' || name === '.' || name === '..') return 'EINVAL';
  if (name.includes('/') || name.includes('\0')) return 'EINVAL';
  if (!isWellFormed(name)) return 'EINVAL';
  if (byteLength(name) > MAX_NAME) return 'ENAMETOOLONG';
  return null;
}

/**
 * Split a query path into its components. Paths are relative to the namespace queried
 * (there is no absolute root and no '..': a view cannot be escaped), so a leading or
 * trailing '/' and 'a//b' are empty components: EINVAL. ENAMETOOLONG above MAX_PATH
 * bytes or for a component above MAX_NAME bytes.
 */
export function splitPath(path: string): string[] | PathError {
  if (!isWellFormed(path)) return 'EINVAL';
  if (byteLength(path) > MAX_PATH) return 'ENAMETOOLONG';
  const parts = path.split('/');
  let tooLong = false;
  for (const p of parts) {
    const e = checkName(p);
    if (e === 'EINVAL') return e;
    if (e === 'ENAMETOOLONG') tooLong = true;
  }
  return tooLong ? 'ENAMETOOLONG' : parts;
}
