// The hello translator: one read-only file r--r--r-- holding "Hello, world!\n";
// --contents at start and through fsysopts; per-open offsets; goaway ends it (its task
// is deleted) and the next access starts it again.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { defaultRegistry, HELLO_TEXT, parseHelloOptions } from '../../../servers/translators/index.ts';
import { errorOf, fsWorld, type Client, type FsWorld } from '../fs/harness.ts';

async function withHello(argv: string[] = ['hello']): Promise<{ w: FsWorld; c: Client }> {
  const w = await fsWorld({ registry: defaultRegistry(), root: { mode: 0o777 } });
  const c = w.client('root');
  await c.writeFile('hello', '');
  await c.protid(await c.open('hello', O.PATH | O.NOTRANS)).setTranslator({ passive: argv, flags: 0 });
  return { w, c };
}

const text = (d: Uint8Array): string => Buffer.from(d).toString();

describe('hello', () => {
  it('serves "Hello, world!\\n" as a read-only regular file, r--r--r--', async () => {
    const { c } = await withHello();
    expect(await c.readFile('hello')).toBe(HELLO_TEXT);
    const { stat } = await c.protid(await c.open('hello')).stat();
    expect(stat.mode).toBe(0o100444);
    expect(stat.size).toBe(HELLO_TEXT.length);
  });

  it('statfs: EOPNOTSUPP (trivfs keeps no figures by default, as libtrivfs)', async () => {
    const { c } = await withHello();
    expect(errorOf(await c.protid(await c.open('hello')).attempt.statfs())).toBe('EOPNOTSUPP');
    // The node itself, under the translator, is on the parent's volume.
    expect((await c.protid(await c.open('hello', O.PATH | O.NOTRANS)).statfs()).stat.bsize).toBe(4096);
  });

  it('each open reads from its own offset', async () => {
    const { c } = await withHello();
    const a = c.protid(await c.open('hello'));
    const b = c.protid(await c.open('hello'));
    expect(text((await a.read({ amount: 5 })).data)).toBe('Hello');
    expect(text((await b.read({ amount: 7 })).data)).toBe('Hello, ');
    expect(text((await a.read({ amount: 100 })).data)).toBe(', world!\n');
    expect((await a.read({ amount: 100 })).data.length).toBe(0);
    expect(text((await b.read({ amount: 5, offset: 7 })).data)).toBe('world');
  });

  it('--contents sets the text at start (both spellings)', async () => {
    expect(await (await withHello(['hello', '--contents', 'one'])).c.readFile('hello')).toBe('one');
    expect(await (await withHello(['hello', '--contents=two'])).c.readFile('hello')).toBe('two');
    expect(parseHelloOptions(['--contents'])).toBe('EINVAL');
    expect(parseHelloOptions(['--nope'])).toBe('EINVAL');
  });

  it('fsysopts: get and set --contents; open readers keep their offsets', async () => {
    const { c } = await withHello();
    const reader = c.protid(await c.open('hello'));
    await reader.read({ amount: 9 });
    const ctl = c.fsys((await c.protid(await c.open('hello', O.PATH | O.NOTRANS)).getTranslatorCntl()).control);
    expect((await ctl.getOptions()).options).toEqual([`--contents=${HELLO_TEXT}`]);
    await ctl.setOptions({ options: ['--contents', 'Goodbye, cruel world!\n'] });
    expect(await c.readFile('hello')).toBe('Goodbye, cruel world!\n');
    expect(text((await reader.read({ amount: 5 })).data)).toBe('cruel');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--contents'] }))).toBe('EINVAL');
  });

  it('refuses writes: EACCES for users, EROFS for root; no write through any open', async () => {
    const { w, c } = await withHello();
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('hello', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await c.tryOpen('hello', O.RDWR))).toBe('EROFS');
    expect(errorOf(await c.protid(await c.open('hello')).attempt.write({ data: Buffer.from('x') }))).toBe('EOPNOTSUPP');
  });

  it('goaway ends it: its task is deleted; the next access starts a fresh one', async () => {
    const { w, c } = await withHello(['hello', '--contents', 'first']);
    const node = c.protid(await c.open('hello', O.PATH | O.NOTRANS));
    await c.readFile('hello');
    const task = [...w.k.tasks.values()].find((t) => t.name === 'fs:hello /hello')!;
    const ctl = c.fsys((await node.getTranslatorCntl()).control);
    await ctl.setOptions({ options: ['--contents=changed'] });
    await ctl.goaway({ flags: 0 });
    await w.settle();
    expect(task.alive).toBe(false);
    expect(errorOf(await node.attempt.getTranslatorCntl())).toBe('ENXIO');
    // A fresh start from the passive setting: the option set at run time is gone.
    expect(await c.readFile('hello')).toBe('first');
  });
});
