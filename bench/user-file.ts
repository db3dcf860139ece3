// Loading a user's rows file (`hurdle-bench --file FILE`, runBench): a module whose default
// export is defineBench(rows) (or a `rows` export of rows). Every way it can be wrong is
// a BenchFileError with one line saying what, for the CLI to print without a stack trace.

import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchFile } from './define.ts';
import type { BenchRow } from './row.ts';

/** A rows file that cannot be used: the message is one line. */
export class BenchFileError extends Error {}

/** The rows of the file at `path` (relative to the working directory). */
export async function loadBenchFile(path: string): Promise<BenchRow[]> {
  const full = resolve(path);
  if (!existsSync(full)) throw new BenchFileError(`no file ${path}`);
  let mod: { default?: unknown; rows?: unknown };
  try {
    mod = (await import(pathToFileURL(full).href)) as typeof mod;
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(full)) {
      // Only the compiled harness gets here (tsx loads TypeScript): name its run.js as found from here.
      const harness = relative(process.cwd(), fileURLToPath(new URL('./run.js', import.meta.url)));
      throw new BenchFileError(`${path} is TypeScript: run hurdle-bench through tsx (npx tsx ${harness} --file ${path}) or compile it`);
    }
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new BenchFileError(`cannot load ${path}: ${first}`);
  }
  const exported = mod.default ?? (mod.rows === undefined ? undefined : { kind: 'hurdle-bench', rows: mod.rows });
  const file = exported as Partial<BenchFile> | undefined;
  if (file?.kind !== 'hurdle-bench' || !Array.isArray(file.rows)) {
    throw new BenchFileError(`${path} must \`export default defineBench([...])\` (from 'hurdle/bench')`);
  }
  if (file.rows.length === 0) throw new BenchFileError(`${path} defines no rows`);
  return [...file.rows];
}
