// The row registry: every bench/rows/*.ts file is a group of rows. Adding a file adds its
// rows to `npm run bench`; nothing else needs editing.
//
// To add rows (libcap, a server, fs...): create bench/rows/<group>.ts that exports
//     export const group: RowGroup = { name: 'libcap', rank: 20, rows: [...], targets: [...] };
// Each row is { name: '<group>.<what>', what, iterations, run(iterations) => ns per op }
// (see BenchRow in row.ts). run() builds its own kernel, times only the measured part,
// and throws if the measured thing did not happen as intended (check counters). Each row
// runs in its own Node process, so rows cannot share state or warm each other's JIT.
// Targets may name rows of other groups (e.g. 'baseline.await').

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow, RowGroup, Target } from './row.ts';

const ROWS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'rows');

/**
 * Every registered group, in table order (rank, then name). Throws on duplicate row names.
 * Row files are .ts in the repository and .js in the built package. A group whose file
 * needs a package that is not installed (the peers rows need birpc and comlink, which the
 * package does not depend on) is left out and named in `skipped` when one is given.
 */
export async function loadGroups(dir: string = ROWS_DIR, skipped?: string[]): Promise<RowGroup[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.[cm]?[jt]s$/.test(f) && !/\.d\.[cm]?ts$/.test(f))
    .sort();
  const groups: RowGroup[] = [];
  for (const f of files) {
    let mod: { group?: RowGroup };
    try {
      mod = (await import(pathToFileURL(join(dir, f)).href)) as { group?: RowGroup };
    } catch (e) {
      const missing = missingPackage(e);
      if (missing === null) throw e;
      skipped?.push(`${f.replace(/\.[cm]?[jt]s$/, '')} (needs ${missing}: npm install ${missing})`);
      continue;
    }
    const g = mod.group;
    if (g === undefined || !Array.isArray(g.rows)) throw new Error(`bench/rows/${f} must export \`group: RowGroup\``);
    groups.push(g);
  }
  groups.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  const seen = new Set<string>();
  for (const r of groups.flatMap((g) => g.rows)) {
    if (seen.has(r.name)) throw new Error(`benchmark row ${r.name} is registered twice`);
    seen.add(r.name);
  }
  return groups;
}

/** The package a failed import could not find, or null when it failed otherwise. */
function missingPackage(e: unknown): string | null {
  if ((e as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  const m = /Cannot find package '([^']+)'/.exec(String((e as Error).message));
  return m === null ? null : m[1]!;
}

/** Every row of every group, in table order. */
export function allRows(groups: readonly RowGroup[]): BenchRow[] {
  return groups.flatMap((g) => g.rows);
}

/** Every target of every group. */
export function allTargets(groups: readonly RowGroup[]): Target[] {
  return groups.flatMap((g) => g.targets ?? []);
}

/** Rows whose name starts with one of `prefixes` (all rows when there are none). */
export function selectRows(rows: readonly BenchRow[], prefixes: readonly string[]): BenchRow[] {
  if (prefixes.length === 0) return [...rows];
  return rows.filter((r) => prefixes.some((p) => r.name.startsWith(p)));
}
