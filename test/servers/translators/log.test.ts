// The log translator: writes appended to the file underneath whatever the offset, each
// line stamped with the kernel time (virtual here), lines continued across writes;
// reads and stat follow the file; O_TRUNC and truncate refused (EPERM); --no-stamp
// through fsysopts; bad arguments and nodes it cannot append to fail the start.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { parseLogArgs, stampLines } from '../../../servers/translators/index.ts';
import { errorOf } from '../fs/harness.ts';
import { controlOf, mountOn, text, translatorTasks, translatorWorld } from './mount.ts';

describe('log', () => {
  it('appends stamped lines to the file underneath, whatever the offset asked for', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'app.log', ['log'], { text: 'old line\n' });
    const a = c.protid(await c.open('app.log', O.WRONLY | O.APPEND));
    await w.advance(1500);
    await a.write({ data: Buffer.from('started\nlistening') });
    await w.advance(250);
    await a.write({ data: Buffer.from(' on port 80\n'), offset: 0 });
    const want = 'old line\n[1.500] started\n[1.500] listening on port 80\n';
    expect(w.fs.volume.readFileSync('/app.log', 'utf8')).toBe(want);
    expect(await c.readFile('app.log')).toBe(want);
    const r = c.protid(await c.open('app.log'));
    expect((await r.stat()).stat.size).toBe(want.length);
    expect(text((await r.read({ amount: 8, offset: 9 })).data)).toBe('[1.500] ');
  });

  it('the log only grows: O_TRUNC and truncate answer EPERM; reading opens cannot write (EBADF)', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'app.log', ['log'], { text: 'kept\n' });
    expect(errorOf(await c.tryOpen('app.log', O.WRONLY | O.TRUNC))).toBe('EPERM');
    const f = c.protid(await c.open('app.log', O.RDWR));
    expect(errorOf(await f.attempt.truncate({ size: 0 }))).toBe('EPERM');
    expect(errorOf(await c.protid(await c.open('app.log')).attempt.write({ data: Buffer.from('x') }))).toBe('EBADF');
    expect(w.fs.volume.readFileSync('/app.log', 'utf8')).toBe('kept\n');
  });

  it('--no-stamp through fsysopts; bad options EINVAL', async () => {
    const w = await translatorWorld();
    const c = w.client('root');
    await mountOn(c, 'app.log', ['log']);
    const ctl = await controlOf(c, 'app.log');
    expect((await ctl.getOptions()).options).toEqual(['--stamp']);
    await ctl.setOptions({ options: ['--no-stamp'] });
    await c.protid(await c.open('app.log', O.WRONLY)).write({ data: Buffer.from('plain\n') });
    expect(w.fs.volume.readFileSync('/app.log', 'utf8')).toBe('plain\n');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--loud'] }))).toBe('EINVAL');
  });

  it('stampLines: a stamp at each line start, none inside a continued line', () => {
    const s = (t: string, at: boolean): string => Buffer.from(stampLines(Buffer.from(t), 2000, at).out).toString();
    expect(s('a\nb\n', true)).toBe('[2.000] a\n[2.000] b\n');
    expect(s('rest\nnext', false)).toBe('rest\n[2.000] next');
    expect(stampLines(Buffer.from('x'), 0, true).endsLine).toBe(false);
  });

  it('bad arguments, a directory, or a file its owner cannot write: the start fails (EIO)', async () => {
    expect(parseLogArgs(['--no-stamp'])).toEqual({ stamp: false });
    expect(parseLogArgs(['x'])).toMatch(/^bad argument "x"/);
    const w = await translatorWorld();
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await mountOn(alice, 'bad.log', ['log', '--verbose']);
    await mountOn(alice, 'dir.log', ['log'], { dir: true });
    await mountOn(alice, 'ro.log', ['log'], { mode: 0o444 });
    for (const p of ['bad.log', 'dir.log', 'ro.log']) expect(errorOf(await alice.tryOpen(p))).toBe('EIO');
    expect(translatorTasks(w)).toHaveLength(0);
  });
});
