// Glob libraries that take Node's fs, given the node:fs-shaped object over the client
// with no adapter: fast-glob, glob (path-scurry) and tinyglobby (fdir) walk the same tree
// made on the fs server and on the host's disk, and find the same names.

import { mkdtemp, rm } from 'node:fs/promises';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fg from 'fast-glob';
import { glob } from 'glob';
import { glob as tinyglob } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFs, type FsClient, type NodeFs } from '../../../clients/fs/index.ts';
import { serverWorld } from '../../fs/server-world.ts';

/** The tree both sides get: files, nested directories, dotfiles, a symlink. */
const FILES = ['a.txt', 'b.js', 'src/x.ts', 'src/y.ts', 'src/deep/z.ts', 'src/deep/er/w.md', '.hidden', 'docs/.dot/n.md', 'docs/r.md'];

async function build(fs: { mkdir: FsClient['mkdir']; writeFile: FsClient['writeFile']; symlink: FsClient['symlink'] }, root: string): Promise<void> {
  for (const f of FILES) {
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '';
    if (dir !== '') await fs.mkdir(`${root}/${dir}`, { recursive: true });
    await fs.writeFile(`${root}/${f}`, f);
  }
  await fs.symlink('src/deep', `${root}/link`);
}

const PATTERNS = ['**/*', '**/*.ts', 'src/**', '*.{txt,js}', '**/.*', 'link/**'];

describe('glob libraries over the node:fs-shaped client', () => {
  let host = '';
  let fs!: NodeFs;
  beforeAll(async () => {
    host = await mkdtemp(join(tmpdir(), 'hurdle-glob-'));
    await build(nodeFs.promises as never, host);
    const w = serverWorld();
    const user = w.client('user', { uid: 0, gid: 0 });
    await user.fs.mkdir('/t');
    await build(user.fs, '/t');
    fs = createNodeFs(user.fs);
  });
  afterAll(() => rm(host, { recursive: true, force: true }));

  const sorted = (xs: string[]): string[] => [...xs].sort();

  for (const pattern of PATTERNS) {
    it(`fast-glob ${pattern}`, async () => {
      const want = await fg(pattern, { cwd: host, dot: true, followSymbolicLinks: true });
      const got = await fg(pattern, { cwd: '/t', dot: true, followSymbolicLinks: true, fs: fs as never });
      expect(want.length).toBeGreaterThan(0);
      expect(sorted(got)).toEqual(sorted(want));
    });

    it(`glob ${pattern}`, async () => {
      const want = await glob(pattern, { cwd: host, dot: true, follow: true });
      const got = await glob(pattern, { cwd: '/t', dot: true, follow: true, fs: fs as never });
      expect(want.length).toBeGreaterThan(0);
      expect(sorted(got)).toEqual(sorted(want));
    });

    it(`tinyglobby ${pattern}`, async () => {
      const want = await tinyglob(pattern, { cwd: host, dot: true, followSymbolicLinks: true });
      const got = await tinyglob(pattern, { cwd: '/t', dot: true, followSymbolicLinks: true, fs: fs as never });
      expect(want.length).toBeGreaterThan(0);
      expect(sorted(got)).toEqual(sorted(want));
    });
  }

  it('withFileTypes results of glob are the client\'s own', async () => {
    const got = await glob('src/*', { cwd: '/t', withFileTypes: true, fs: fs as never });
    expect(got.map((p) => `${p.name}:${p.isDirectory()}`).sort()).toEqual(['deep:true', 'x.ts:false', 'y.ts:false']);
  });
});
