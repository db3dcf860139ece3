// statfs over the servers: the figures follow the volume's quota and usage (bytes
// written take blocks, files take i-nodes), a tmpfs reports the size it was given, and a
// translator that keeps no figures answers EOPNOTSUPP, named as Node names statfs errors.

import { describe, expect, it } from 'vitest';
import { settrans } from '../../../clients/fs/index.ts';
import { serverWorld, USER } from '../../fs/server-world.ts';

async function world() {
  const w = serverWorld();
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/w', 0o777);
  await admin.fs.chmod('/w', 0o777);
  return { w, admin, user: w.client('user', USER) };
}

describe('statfs', () => {
  it('bytes written take blocks and files take i-nodes; removing gives them back', async () => {
    const { user } = await world();
    const before = await user.fs.statfs('/w');
    expect(before.bsize).toBe(4096);
    await user.fs.writeFile('/w/big', Buffer.alloc(1 << 20, 1));
    const after = await user.fs.statfs('/w/big');
    // At least the bytes written (the volume may count room a file grew into as used).
    expect(before.bfree - after.bfree).toBeGreaterThanOrEqual((1 << 20) / 4096);
    expect(before.ffree - after.ffree).toBe(1);
    await user.fs.unlink('/w/big');
    const again = await user.fs.statfs('/');
    expect(again.bfree).toBe(before.bfree);
    expect(again.ffree).toBe(before.ffree);
  });

  it('a tmpfs reports its --size; the fs server its own volume', async () => {
    const { user } = await world();
    await user.fs.mkdir('/w/t');
    await settrans(user.fs, '/w/t', ['tmpfs', '--size=1m']);
    const t = await user.fs.statfs('/w/t');
    expect(t.blocks).toBe(256);
    expect(t.blocks).not.toBe((await user.fs.statfs('/w')).blocks);
    const big = await user.fs.statfs('/w/t', { bigint: true });
    expect(big.blocks).toBe(256n);
  });

  it('a translator with no figures: EOPNOTSUPP (statfs, path)', async () => {
    const { user } = await world();
    await user.fs.writeFile('/w/h', '');
    await settrans(user.fs, '/w/h', ['hello']);
    await expect(user.fs.statfs('/w/h')).rejects.toMatchObject({
      code: 'EOPNOTSUPP',
      syscall: 'statfs',
      path: '/w/h',
      message: "EOPNOTSUPP: operation not supported on socket, statfs '/w/h'",
    });
  });
});
