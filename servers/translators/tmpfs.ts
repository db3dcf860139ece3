// The tmpfs translator: a fresh memfs volume mounted on a node, served by a fresh
// filesystem server instance running as the node's owner (its root directory belongs
// to the owner). Options: --mode=OCTAL for the root's permission bits (default 0755),
// --size=BYTES[k|m|g] for its volume quota (default 64 MiB, as Linux tmpfs's size=),
// --readonly / --writable (also through fsysopts later). Translators set on its nodes
// are found in the registry it was started from.

import { DEFAULT_MAX_FILE_SIZE, fsServer } from '../fs/fs-server.ts';
import type { TranslatorFactory } from '../fs/translator.ts';

/** tmpfs's start options. */
export interface TmpfsOptions {
  readonly mode: number;
  readonly readonly: boolean;
  /** Volume quota in bytes. */
  readonly size: number;
}

/** Default volume quota of a tmpfs: 64 MiB. */
export const TMPFS_DEFAULT_SIZE = 64 * 1024 * 1024;

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A size such as 4096, 512k, 64M or 1g in bytes; undefined when malformed or unsafe. */
export function parseSize(text: string): number | undefined {
  const m = /^([0-9]{1,15})([kKmMgG]?)$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parse tmpfs's arguments; undefined for an unknown or malformed one. */
export function parseTmpfsOptions(args: readonly string[]): TmpfsOptions | undefined {
  let mode = 0o755;
  let readonly = false;
  let size = TMPFS_DEFAULT_SIZE;
  for (const a of args) {
    if (a.startsWith('--mode=')) {
      const m = a.slice('--mode='.length);
      if (!/^[0-7]{1,4}$/.test(m)) return undefined;
      mode = Number.parseInt(m, 8);
    } else if (a.startsWith('--size=')) {
      const n = parseSize(a.slice('--size='.length));
      if (n === undefined) return undefined;
      size = n;
    } else if (a === '--readonly' || a === '-r') readonly = true;
    else if (a === '--writable' || a === '-w') readonly = false;
    else return undefined;
  }
  return { mode, readonly, size };
}

/** Start tmpfs: argv is ['tmpfs', ...options]. Bad options fail the start. */
export const tmpfs: TranslatorFactory = (env) => {
  const o = parseTmpfsOptions(env.argv.slice(1));
  if (o === undefined) throw new TypeError(`tmpfs: bad arguments ${JSON.stringify(env.argv.slice(1))}`);
  return fsServer({
    name: 'tmpfs',
    registry: env.registry,
    root: { mode: o.mode },
    readonly: o.readonly,
    quota: o.size,
    maxFileSize: Math.min(o.size, DEFAULT_MAX_FILE_SIZE),
  })(env);
};
