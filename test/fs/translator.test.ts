// The conformance suite against the fs client through a translator: a tmpfs mounted
// (passive, with settrans) on /work, owned by the user, inside the filesystem server.
// Every path of a case crosses the mount point (lookup at the fs server, a retry to the
// tmpfs root, the rest there); ".." out of /work goes back through a reauthentication.

import { describe, expect, it } from 'vitest';
import { createNodeFs, settrans, showtrans } from '../../clients/fs/index.ts';
import { fsConformance } from './conformance/suite.ts';
import { TRANSLATOR_DEVIATIONS } from './client-deviations.ts';
import { capCount, serverWorld, USER } from './server-world.ts';

const UMASK = 0o022;

/** The fs server with a tmpfs on /work, and the user's client. */
async function mounted() {
  const w = serverWorld();
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/work', 0o755);
  await admin.fs.chown('/work', USER.uid, USER.gid);
  const user = w.client('user', USER, { umask: UMASK });
  await settrans(user.fs, '/work', ['tmpfs']);
  return { w, admin, user };
}

describe('the translator set-up', () => {
  it('/work is a tmpfs: another device, and files made there are not in the fs server\'s volume', async () => {
    const { w, user } = await mounted();
    expect(await showtrans(user.fs, '/work')).toEqual(['tmpfs']);
    await user.fs.writeFile('/work/f', 'in tmpfs');
    expect((await user.fs.stat('/work')).dev).not.toBe((await user.fs.stat('/')).dev);
    expect((await user.fs.stat('/work/f')).dev).toBe((await user.fs.stat('/work')).dev);
    expect(w.fs.volume.readdirSync('/work')).toEqual([]);
    expect(await user.fs.readFile('/work/f', 'utf8')).toBe('in tmpfs');
  });

  it('a rename out of the mount answers EXDEV', async () => {
    const { admin, user } = await mounted();
    await admin.fs.mkdir('/outside', 0o777);
    await user.fs.writeFile('/work/f', 'x');
    await expect(user.fs.rename('/work/f', '/outside/f')).rejects.toMatchObject({ code: 'EXDEV', syscall: 'rename' });
  });
});

fsConformance({
  name: 'fs client through a tmpfs translator',
  permissions: true,
  deviations: TRANSLATOR_DEVIATIONS,
  async create() {
    const { user } = await mounted();
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
