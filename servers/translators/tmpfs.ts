// The tmpfs translator: a fresh memfs volume mounted on a node, served by a fresh
// filesystem server instance running as the node's owner (its root directory belongs
// to the owner). Options: --mode=OCTAL for the root's permission bits (default 0755),
// --readonly / --writable (also through fsysopts later). Translators set on its nodes
// are found in the registry it was started from.

import { fsServer } from '../fs/fs-server.ts';
import type { TranslatorFactory } from '../fs/translator.ts';

/** tmpfs's start options. */
export interface TmpfsOptions {
  readonly mode: number;
  readonly readonly: boolean;
}

/** Parse tmpfs's arguments; undefined for an unknown or malformed one. */
export function parseTmpfsOptions(args: readonly string[]): TmpfsOptions | undefined {
  let mode = 0o755;
  let readonly = false;
  for (const a of args) {
    if (a.startsWith('--mode=')) {
      const m = a.slice('--mode='.length);
      if (!/^[0-7]{1,4}$/.test(m)) return undefined;
      mode = Number.parseInt(m, 8);
    } else if (a === '--readonly' || a === '-r') readonly = true;
    else if (a === '--writable' || a === '-w') readonly = false;
    else return undefined;
  }
  return { mode, readonly };
}

/** Start tmpfs: argv is ['tmpfs', ...options]. Bad options fail the start. */
export const tmpfs: TranslatorFactory = (env) => {
  const o = parseTmpfsOptions(env.argv.slice(1));
  if (o === undefined) throw new TypeError(`tmpfs: bad arguments ${JSON.stringify(env.argv.slice(1))}`);
  return fsServer({ name: 'tmpfs', registry: env.registry, root: { mode: o.mode }, readonly: o.readonly })(env);
};
