// Not an example: the entry check the examples share. True when the module at `url` is
// the program node (or tsx) was started with, also through a symlink or a path with
// spaces, where comparing `file://${process.argv[1]}` with import.meta.url fails.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Whether `url` (a module's import.meta.url) is the script this process was started with. */
export function isMain(url: string): boolean {
  const started = process.argv[1];
  if (started === undefined) return false;
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(started) === real(fileURLToPath(url));
}
