// The translator tools over the fs client on the default system: fsysopts on the root
// filesystem (file.getControl) and on a translator, settrans with a start that fails
// reports ENOENT or EIO with the translator's own words, and leaves no passive setting.

import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../core/index.ts';
import { fsysopts, settrans, showtrans } from '../../../clients/fs/index.ts';
import { bootHurdle } from '../../../tools/start/system.ts';

describe('translator tools', () => {
  it('fsysopts / answers the root filesystem\'s options (not ENXIO); a translator still answers its own', async () => {
    const h = await bootHurdle({ clock: new VirtualClock() });
    expect(await fsysopts(h.fs, '/')).toEqual(['--writable']);
    expect(await fsysopts(h.fs, '/hello')).toEqual(['--contents=Hello, world!\n']);
  });

  it('settrans with start: an unknown translator is ENOENT naming it; a failing start gives its own text', async () => {
    const h = await bootHurdle({ clock: new VirtualClock() });
    await expect(settrans(h.fs, '/m', ['nosuch'], { create: true, start: true })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('translator "nosuch" not found'),
    });
    expect(await showtrans(h.fs, '/m')).toEqual([]);
    await expect(settrans(h.fs, '/m', ['hello', '--bogus'], { start: true })).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/hello: .*--bogus/),
    });
    await settrans(h.fs, '/m', ['hello', '--contents=ok'], { start: true, passive: true });
    expect(await h.fs.readFile('/m', 'utf8')).toBe('ok');
  });
});
