// The composer's translator launcher on its own (servers/system/launcher.ts): what an
// isolated filesystem's start requests get. A started translator answers through the
// control cap and its task ends by the task cap; a translator that is not registered,
// throws or never starts is an answer saying so (no caps, no task left); a malformed
// request is EINVAL; past its bound of live translators the launcher answers EAGAIN,
// and a slot frees when one ends. Virtual time: the start timeout is moved by the test.

import { describe, expect, it } from 'vitest';
import { HostSys, type Task } from '../../../core/index.ts';
import { connect, hostInvoke } from '../../../libcap/index.ts';
import { ROOT_IDS } from '../../../servers/auth/index.ts';
import { Fsys } from '../../../protocol/fs.ts';
import { Launcher } from '../../../protocol/startup.ts';
import { TranslatorRegistry, type TranslatorInstance } from '../../../servers/fs/index.ts';
import { TranslatorLauncher } from '../../../servers/system/launcher.ts';
import { hello } from '../../../servers/translators/index.ts';
import { advance, kernel, settle } from './harness.ts';

const registry = new TranslatorRegistry([
  ['hello', hello],
  [
    'broken',
    () => {
      throw new Error('bad arguments');
    },
  ],
  ['stuck', () => new Promise<TranslatorInstance>(() => {})],
]);

function setup(max?: number) {
  const k = kernel();
  const composer = k.createTask('boot', { slots: 4096 });
  const server = k.createTask('fs', { quota: 1000, slots: 4096 });
  const launcher = new TranslatorLauncher(k, composer, max);
  const slot = launcher.give(server, registry);
  const api = connect(Launcher, k, server, slot);
  const alive = (): string[] => [...k.tasks.values()].filter((t: Task) => t.alive && t.name.startsWith('fs:')).map((t) => t.name);
  const startSpec = (spec: string, timeout = 1000) => api.attempt.start({ spec, quota: 1000, slots: 1024, timeout });
  const start = (argv: string[], name = `fs:${argv[0]} /x`, timeout = 1000) => startSpec(JSON.stringify({ argv, name, ids: ROOT_IDS }), timeout);
  return { k, server, launcher, start, startSpec, alive };
}

describe('the translator launcher', () => {
  it('starts a registered translator: its control cap answers, its task cap ends it', async () => {
    const { k, server, start, alive } = setup();
    const r = await start(['hello', '--contents=hi\n'], 'fs:hello /greet');
    expect(r.ok && r.value.failed).toBe('');
    const { control, task } = r.ok ? r.value : { control: undefined, task: undefined };
    expect(alive()).toEqual(['fs:hello /greet']);
    const opts = await hostInvoke(k, server, control!, Fsys.methods.getOptions, {}, { timeout: 1000 });
    expect(opts).toMatchObject({ ok: true, value: { options: ['--contents=hi\n'] } });
    const hs = new HostSys(k, server);
    expect(hs.killTask(task!)).toBe(0);
    await settle(k);
    expect(alive()).toEqual([]);
  });

  it('answers a translator that does not start with why, and leaves no task', async () => {
    const { k, start, alive } = setup();
    expect(await start(['nosuch'])).toMatchObject({ ok: true, value: { failed: 'ENOENT', message: expect.stringContaining('translator "nosuch" not found (registered: broken, hello, stuck)') } });
    expect(await start(['broken'])).toMatchObject({ ok: true, value: { failed: 'EIO', message: 'bad arguments' } });
    const stuck = start(['stuck'], 'fs:stuck /x', 500);
    await settle(k);
    expect(alive()).toEqual(['fs:stuck /x']);
    await advance(k, 500);
    expect(await stuck).toMatchObject({ ok: true, value: { failed: 'ETIMEDOUT', message: 'stuck: did not start within 500 ms' } });
    expect(alive()).toEqual([]);
  });

  it('refuses a malformed request (EINVAL) and starts past its bound only when one has ended (EAGAIN)', async () => {
    const { k, server, start, startSpec, alive } = setup(1);
    const malformed = ['', '{}', JSON.stringify({ argv: [], name: 'x', ids: ROOT_IDS }), JSON.stringify({ argv: ['hello'], name: 'x', ids: { euids: [-1] } })];
    for (const spec of malformed) expect(await startSpec(spec)).toMatchObject({ ok: false, error: 'EINVAL' });
    const first = await start(['hello']);
    expect(first.ok && first.value.failed).toBe('');
    expect(await start(['hello'])).toMatchObject({ ok: false, error: 'EAGAIN' });
    expect(alive()).toEqual(['fs:hello /x']);
    expect(new HostSys(k, server).killTask(first.ok ? first.value.task! : 0)).toBe(0);
    await settle(k);
    const again = await start(['hello']);
    expect(again.ok && again.value.failed).toBe('');
  });
});
