// The conformance suite against the fs client over the filesystem server: the user (uid
// 1000) works in /work, a directory the administrator made for it. After every case the
// client task must hold exactly the caps it started with (no port leaked).

import { expect } from 'vitest';
import { createNodeFs } from '../../clients/fs/index.ts';
import { fsConformance } from './conformance/suite.ts';
import { CLIENT_DEVIATIONS } from './client-deviations.ts';
import { capCount, serverWorld, USER } from './server-world.ts';

export const UMASK = 0o022;

fsConformance({
  name: 'fs client over the fs server',
  permissions: true,
  deviations: CLIENT_DEVIATIONS,
  async create() {
    const w = serverWorld();
    const admin = w.client('admin', { uid: 0, gid: 0 });
    await admin.fs.mkdir('/work', 0o755);
    await admin.fs.chown('/work', USER.uid, USER.gid);
    const user = w.client('user', USER, { umask: UMASK });
    const baseline = capCount(user.task);
    return {
      fs: user.fs,
      nodeFs: createNodeFs(user.fs) as never,
      root: '/work',
      uid: USER.uid,
      gid: USER.gid,
      umask: UMASK,
      async cleanup() {
        expect(capCount(user.task), 'caps held by the client task after the case').toBe(baseline);
      },
    };
  },
});
