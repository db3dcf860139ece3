// The conformance suite against memfs used directly (createFsFromVolume(new Volume())
// .promises), as a program using memfs would see it, as the test process's user.

import { createFsFromVolume, Volume } from 'memfs';
import { fsConformance } from './conformance/suite.ts';
import { MEMFS_DEVIATIONS } from './memfs-deviations.ts';

const asRoot = process.getuid?.() === 0;

fsConformance({
  name: 'memfs (direct)',
  permissions: !asRoot,
  noPermissionsReason: 'runs as uid 0 (the test process), for whom Linux skips permission checks; memfs has no such bypass',
  deviations: MEMFS_DEVIATIONS,
  async create() {
    const nodeFs = createFsFromVolume(new Volume());
    const fs = nodeFs.promises;
    await fs.mkdir('/work');
    return {
      fs: fs as never,
      nodeFs: nodeFs as never,
      root: '/work',
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      // memfs applies no umask.
      umask: 0,
      cleanup: async () => {},
    };
  },
});
