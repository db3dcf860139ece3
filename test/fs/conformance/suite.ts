// The filesystem conformance suite, written once against Node's fs.promises semantics
// and run against every implementation (memfs directly, the fs client over the
// filesystem server, the fs client through a translator, and Node itself as the
// reference). Each case gets a fresh instance; an implementation may skip a case (with
// a reason) or declare a known deviation (run, expected to fail, with what differs).

import { describe, it } from 'vitest';
import { appendFileCases, copyFileCases, readFileCases, truncateCases, writeFileCases } from './cases-data.ts';
import { mkdirCases, readdirCases, renameCases, rmCases, rmdirCases, unlinkCases } from './cases-dirs.ts';
import { fileHandleCases, openCases } from './cases-handle.ts';
import { accessCases, chmodCases, chownCases, permissionCases, statCases, utimesCases } from './cases-meta.ts';
import { argumentCases, linkCases, mkdtempCases, pathCases, readlinkCases, realpathCases, symlinkCases } from './cases-names.ts';
import { cpCases } from './cases-cp.ts';
import { abortCases, handleExtraCases, instanceofCases, nodeFsCases, statfsCases } from './cases-node-fs.ts';
import { opendirCases } from './cases-opendir.ts';
import { caseId, registerCase, type Cases, type FsImplementation } from './harness.ts';

export type { FsImplementation, FsInstance } from './harness.ts';

/** Every group of cases, in the order they are reported. */
export const GROUPS: readonly (readonly [string, (t: Cases) => void])[] = [
  ['readFile', readFileCases],
  ['writeFile', writeFileCases],
  ['appendFile', appendFileCases],
  ['open', openCases],
  ['FileHandle', fileHandleCases],
  ['stat', statCases],
  ['access', accessCases],
  ['chmod', chmodCases],
  ['chown', chownCases],
  ['utimes', utimesCases],
  ['permissions', permissionCases],
  ['mkdir', mkdirCases],
  ['rmdir', rmdirCases],
  ['readdir', readdirCases],
  ['unlink', unlinkCases],
  ['rename', renameCases],
  ['rm', rmCases],
  ['truncate', truncateCases],
  ['copyFile', copyFileCases],
  ['symlink', symlinkCases],
  ['readlink', readlinkCases],
  ['link', linkCases],
  ['realpath', realpathCases],
  ['mkdtemp', mkdtempCases],
  ['paths', pathCases],
  ['arguments', argumentCases],
  ['cp', cpCases],
  ['opendir', opendirCases],
  ['FileHandle streams', handleExtraCases],
  ['node:fs', nodeFsCases],
  ['instanceof', instanceofCases],
  ['AbortSignal', abortCases],
  ['statfs', statfsCases],
];

/** Every case id, for tables and for checking skip lists. */
export function allCaseIds(): string[] {
  const ids: string[] = [];
  for (const [group, register] of GROUPS) register((name) => ids.push(caseId(group, name)));
  return ids;
}

/** Register the whole suite for `impl`. */
export function fsConformance(impl: FsImplementation): void {
  describe(`fs conformance: ${impl.name}`, () => {
    const used = new Set<string>();
    for (const [group, register] of GROUPS) {
      describe(group, () => {
        register((name, fn, opts = {}) => registerCase(impl, caseId(group, name), name, fn, opts, used));
      });
    }
    it('every skip and deviation names an existing case', () => {
      const stale = [...Object.keys(impl.skips ?? {}), ...Object.keys(impl.deviations ?? {})].filter((id) => !used.has(id));
      if (stale.length > 0) throw new Error(`unknown case ids in ${impl.name}'s skips or deviations: ${stale.join('; ')}`);
    });
  });
}
