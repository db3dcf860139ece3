// Splitting a path into its directory and last name, for the calls that act on a name
// in a directory (mkdir, rmdir, unlink, rename, symlink, link): the servers take one
// component there, so the client finds the directory and keeps track of a trailing
// slash, whose meaning (must be a directory) it has to apply itself.

import type { SysGen } from '../../core/index.ts';
import { NAME_MAX, O } from '../../protocol/fs.ts';
import { lookupPath, utf8Length } from './resolve.ts';
import { fail, type Session } from './session.ts';

/** A path as directory + last name. */
export interface SplitPath {
  /** The directory part ('' = the working directory; '/' = the root). */
  readonly parent: string;
  /** The last component (may be '.' or '..'). */
  readonly name: string;
  /** The path ended in one or more slashes. */
  readonly trailing: boolean;
}

/** Split `path`; null when it names the root itself ('/', '//'). An empty path fails with ENOENT. */
export function splitPath(path: string): SplitPath | null {
  if (path === '') fail('ENOENT');
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  if (end === 0) return null;
  const i = path.lastIndexOf('/', end - 1);
  // The directory part without the slash before the name ('/a/b' -> '/a'; '/b' -> '/').
  const parent = i < 0 ? '' : i === 0 ? '/' : path.slice(0, i);
  return { parent, name: path.slice(i + 1, end), trailing: end < path.length };
}

/** True for a name over NAME_MAX bytes. */
export function nameTooLong(name: string): boolean {
  return name.length > NAME_MAX || utf8Length(name) > NAME_MAX;
}

/** True when the directory part is just slashes (the root). */
function isRootPart(parent: string): boolean {
  for (let i = 0; i < parent.length; i++) if (parent.charCodeAt(i) !== 0x2f) return false;
  return parent.length > 0;
}

/**
 * A port on the directory of `sp`, opened for no access (O.PATH) and required to be a
 * directory. The client's own root or cwd port when the directory is one of them (not
 * to be deleted: Session.drop skips them). Fails with ENAMETOOLONG for a last name
 * longer than NAME_MAX bytes (after the directory was found, as Linux walks).
 */
export function* openParent(s: Session, sp: SplitPath): SysGen<number> {
  let dir: number;
  if (sp.parent === '') dir = s.cwd;
  else if (isRootPart(sp.parent)) dir = s.root;
  else dir = yield* lookupPath(s, sp.parent, O.PATH | O.DIRECTORY, 0);
  if (nameTooLong(sp.name)) {
    s.drop(dir);
    fail('ENAMETOOLONG');
  }
  return dir;
}
