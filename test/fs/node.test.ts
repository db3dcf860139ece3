// The conformance suite against Node's own fs.promises, in a fresh temporary directory per
// case: the reference that shows the suite asserts what Node does.

import { mkdtemp, rm } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsConformance } from './conformance/suite.ts';

const asRoot = process.getuid?.() === 0;

fsConformance({
  name: 'node (reference)',
  permissions: !asRoot,
  noPermissionsReason: 'the reference runs as uid 0, for whom Linux skips permission checks',
  async create() {
    const root = await mkdtemp(join(tmpdir(), 'hurdle-fs-'));
    return {
      fs: fsp,
      nodeFs,
      root,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      umask: process.umask(),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
});
