// `npm start` as a user meets it: the default system booted and populated, the shell on
// it (in-process on virtual time), and the real command with -c, piped stdin, and a
// pseudo-terminal (interactive prompt, completion).

import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/index.ts';
import { Shell } from '../../tools/shell/index.ts';
import { bootHurdle, shellFs } from '../../tools/start/system.ts';

async function session(opts: { uid?: number; gid?: number } = {}) {
  const h = await bootHurdle({ clock: new VirtualClock(), ...opts });
  const out: string[] = [];
  const err: string[] = [];
  const shell = new Shell({ fs: shellFs(h.fs), system: h.shellSystem, out: (t) => out.push(t), err: (t) => err.push(t) });
  const run = async (line: string): Promise<{ out: string; err: string; status: number }> => {
    out.length = 0;
    err.length = 0;
    const status = await shell.run(line);
    return { out: out.join(''), err: err.join(''), status };
  };
  return { h, shell, run };
}

describe('npm start: the default system and its shell', () => {
  it('mounts the stock translators at their places and serves them', async () => {
    const { h, run } = await session();
    expect((await run('ls /')).out).toBe('README\ndev\netc\nhello\nhome\nhurd\nproc\nservers\nshout\ntmp\nusr\nvar\n');
    expect((await run('cat /hello')).out).toBe('Hello, world!\n');
    expect((await run('showtrans /hello /tmp /shout')).out).toBe('hello\ntmpfs\nfilter --upper /etc/motd\n');
    expect((await run('cat /shout')).out).toBe('WELCOME TO HURDLE, A HURD-STYLE MULTISERVER OS IN TYPESCRIPT.\n');
    expect((await run('ls /proc')).out).toContain('tasks\n');
    expect((await run('ls /etc/system.json')).out).toBe('kernel\nname\nservers\ntranslators\n');
    expect((await run('cat /home/user/docs/translators.txt')).out).toMatch(/cross between a symlink and a mount point/);
    await h.shutdown();
  });

  it('echo with redirection into the tmpfs, fsysopts on hello, settrans on a new node', async () => {
    const { h, run } = await session();
    await run('echo kept in tmpfs > /tmp/note; echo more >> /tmp/note');
    expect((await run('cat /tmp/note')).out).toBe('kept in tmpfs\nmore\n');
    expect((await run('fsysopts /hello')).out).toBe('hello --contents=Hello, world!\n\n'); // its name first, as the Hurd's; the contents end in a newline
    expect((await run('fsysopts /')).out).toBe('fs --writable\n');
    expect((await run('fsysopts /hello --contents=Changed; cat /hello')).out).toBe('Changed');
    expect((await run('settrans -c /greeting hello --contents=Hi; cat /greeting; showtrans /greeting')).out).toBe('Hihello --contents=Hi\n');
    // Without a translator, settrans clears the passive setting; the active one runs on until -g.
    expect(await run('settrans /greeting; showtrans /greeting; cat /greeting')).toEqual({ out: 'Hi', err: '', status: 0 });
    expect(await run('settrans -g /greeting; cat /greeting')).toEqual({ out: '', err: '', status: 0 });
    // A passive translator that cannot start: the user reads its own words, not a bare EIO.
    expect((await run('settrans -c /bad hello --bogus; cat /bad')).err).toBe('cat: /bad: Input/output error (hello: bad arguments ["--bogus"])\n');
    await h.shutdown();
  });

  it('ps lists every task, translators included; trace on/off prints decoded RPCs', async () => {
    const { h, run } = await session();
    await run('cat /hello');
    const ps = (await run('ps')).out;
    expect(ps).toMatch(/^PID +(USER +)?TASK/); // USER when the task server records owners
    expect(ps).toMatch(/ fs +\d+ +fs\.worker +blocked-recv/);
    expect(ps).toContain('fs:hello');
    expect((await run('trace on')).out).toBe('trace: on\n');
    const traced = (await run('cat /hello')).out;
    expect(traced).toMatch(/shell->dir\.lookup\(name="hello"/);
    expect(traced).toMatch(/->io\.read\(amount=/);
    expect((await run('trace off')).out).toMatch(/^trace: off; \d+ messages\n$/);
    await h.shutdown();
  });

  it('errors print like a Unix shell and never end the session; a user cannot touch root\'s files', async () => {
    const { h, run, shell } = await session({ uid: 1000, gid: 100 });
    expect((await run('cat /nope')).err).toBe('cat: /nope: No such file or directory\n');
    expect((await run('echo x > /etc/motd')).err).toBe('sh: /etc/motd: Permission denied\n');
    expect((await run('rm /README')).err).toBe("rm: cannot remove '/README': Permission denied\n");
    expect((await run('echo mine > /home/user/f; cat /home/user/f')).out).toBe('mine\n');
    expect((await run('cat /README | head -n 1')).out).toBe('hurdle: a Hurd-style multiserver system in TypeScript.\n');
    expect(shell.exited).toBeNull();
    await h.shutdown();
  });
});

const root = new URL('../..', import.meta.url).pathname;
const start = ['--import', 'tsx', 'examples/start.ts'];

describe('npm start as a process', () => {
  it('runs -c commands and exits with the last status', () => {
    const r = spawnSync(process.execPath, [...start, '-c', 'cat /hello; cat /nope'], { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toBe('Hello, world!\n');
    expect(r.stderr).toContain('cat: /nope: No such file or directory');
    expect(r.status).toBe(1);
  });

  it('--help names the command as npm ran it (npm start --), and as hurdle otherwise', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, npm_lifecycle_event: 'start' };
    const viaNpm = spawnSync(process.execPath, [...start, '--help'], { cwd: root, encoding: 'utf8', env });
    expect(viaNpm.stdout).toMatch(/^usage: npm start -- \[-c "commands"\] /);
    expect(viaNpm.status).toBe(0);
    delete env.npm_lifecycle_event;
    const direct = spawnSync(process.execPath, [...start, '--help'], { cwd: root, encoding: 'utf8', env });
    expect(direct.stdout).toMatch(/^usage: hurdle \[-c "commands"\] /);
  });

  it('runs commands from piped stdin', () => {
    const out = execFileSync(process.execPath, start, { cwd: root, input: 'mkdir /tmp/d\nls /tmp\nexit 0\n', encoding: 'utf8' });
    expect(out).toBe('d\n');
  });
});
