// The layout is the architecture: each layer imports only the layers below it. The kernel
// (core) is the floor; libmem builds on it, libcap on both (its sessions are libmem
// channels); the protocol layer (interfaces, as
// the Hurd's hurd/*.defs) builds on libcap; clients and servers both depend on the
// protocol and never clients on servers. This test reads every import of every source file
// and fails on one that crosses a layer upwards.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What each layer (a top-level folder) may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  libmem: ['core'],
  libcap: ['core', 'libmem'],
  protocol: ['core', 'libcap'],
  clients: ['core', 'libcap', 'libmem', 'protocol'],
  servers: ['core', 'libcap', 'libmem', 'protocol', 'clients'],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.m?ts$/.test(name)) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** [file, layer it imports] for every relative import of a file under `layer`. */
function importsOf(layer: string): [string, string][] {
  const found: [string, string][] = [];
  for (const file of sources(join(ROOT, layer))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const target = relative(ROOT, resolve(dirname(file), spec));
      found.push([relative(ROOT, file), target.split('/')[0]!]);
    }
  }
  return found;
}

describe('layers', () => {
  for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
    it(`${layer} imports only ${allowed.length === 0 ? 'itself' : allowed.join(', ')}`, () => {
      const found = importsOf(layer);
      expect(found.length).toBeGreaterThan(0);
      const upward = found.filter(([, to]) => to !== layer && !allowed.includes(to)).map(([f, to]) => `${f} -> ${to}`);
      expect(upward).toEqual([]);
    });
  }

  it('every interface lives in the protocol layer', () => {
    const declaring = (layers: string[]) =>
      layers
        .flatMap((l) => sources(join(ROOT, l)))
        .filter((f) => /\bdefineInterface\(/.test(readFileSync(f, 'utf8')))
        .map((f) => relative(ROOT, f));
    expect(declaring(['servers', 'clients'])).toEqual([]);
    expect(declaring(['protocol']).sort()).toEqual(['auth', 'fs', 'names', 'notify', 'startup', 'task'].map((n) => `protocol/${n}.ts`));
  });

  it('the package exports the layers the folders show', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const entry of ['./core', './libcap', './protocol', './clients/fs', './clients/notify', './servers/fs', './servers/system']) {
      expect(Object.keys(pkg.exports)).toContain(entry);
    }
  });
});
