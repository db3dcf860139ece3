// `npm start -- --isolate`: the default system with every server in its own worker (names,
// auth, notify, task and fs), named on one line;
// the shell's commands answer as they do in-process, ps and kill (through the task server) included.
// Real time: the waits are bounded.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Shell } from '../../tools/shell/index.ts';
import { isolationLine } from '../../tools/start/main.ts';
import { bootHurdle, shellFs } from '../../tools/start/system.ts';

const COMMANDS = [
  'cat /hello',
  'cat /shout',
  'echo mine > /home/user/f',
  'cat /home/user/f',
  'echo x > /etc/motd',
  'ls /tmp',
  'mkdir /tmp/d',
  'ls /tmp',
  'cat /nope',
  'kill 99999',
  'kill abc',
];

/** Run the commands one by one in a shell on a booted system (real time); what each answered. */
async function answers(isolate: boolean): Promise<{ out: string; err: string; status: number }[]> {
  const h = await bootHurdle({ uid: 1000, gid: 100, isolate });
  try {
    expect(h.system.worker('names') !== null).toBe(isolate);
    expect(h.system.worker('auth') !== null).toBe(isolate);
    expect(h.system.worker('notify') !== null).toBe(isolate);
    expect(h.system.worker('fs') !== null).toBe(isolate);
    expect(h.system.worker('task') !== null).toBe(isolate);
    const out: string[] = [];
    const err: string[] = [];
    const shell = new Shell({ fs: shellFs(h.fs), system: h.shellSystem, cwd: '/home/user', out: (t) => out.push(t), err: (t) => err.push(t) });
    const res: { out: string; err: string; status: number }[] = [];
    for (const c of COMMANDS) {
      out.length = 0;
      err.length = 0;
      const status = await shell.run(c);
      res.push({ out: out.join(''), err: err.join(''), status });
    }
    return res;
  } finally {
    expect(await h.shutdown()).toEqual([]);
  }
}

describe('npm start --isolate', () => {
  it('isolates names, auth, notify, task and fs, says so on one line, and the shell answers as in-process', async () => {
    const h = await bootHurdle({ isolate: true });
    const line = isolationLine(h.isolation);
    await h.shutdown();
    expect(h.isolation.isolated).toEqual(['names', 'auth', 'notify', 'task', 'fs']);
    expect(h.isolation.inProcess).toEqual([]);
    expect(line).toBe('isolated, each in its own worker: names, auth, notify, task, fs');
    const isolated = await answers(true);
    expect(isolated).toEqual(await answers(false));
    expect(isolated[0]!.out).toBe('Hello, world!\n');
    expect(isolated[3]!.out).toBe('mine\n');
    expect(isolated[4]!.err).toBe('sh: /etc/motd: Permission denied\n');
    expect(isolated[9]!.err).toBe('kill: (99999) - No such process\n');
  }, 60_000);

  it('ps with the task server isolated: every task, a USER column from its records (a translator\'s is its node owner\'s); kill of another\'s task is refused', async () => {
    const h = await bootHurdle({ uid: 1000, gid: 100, isolate: true });
    try {
      const out: string[] = [];
      const err: string[] = [];
      const shell = new Shell({ fs: shellFs(h.fs), system: h.shellSystem, cwd: '/home/user', out: (t) => out.push(t), err: (t) => err.push(t) });
      expect(await shell.run('cat /hello')).toBe(0); // starts the hello translator
      // The user's own translator, started by the isolated fs through boot's launcher.
      expect(await shell.run('settrans -c /home/user/greet /hurd/hello; cat /home/user/greet')).toBe(0);
      out.length = 0;
      expect(await shell.run('ps')).toBe(0);
      const ps = out.join('').split('\n');
      expect(ps[0]).toMatch(/^PID +USER +TASK/);
      for (const name of ['task', 'auth', 'notify', 'fs', 'shell', 'fs:hello']) expect(ps.some((l) => l.includes(` ${name}`))).toBe(true);
      // Each translator task with the user it runs as (the fs told the task server: Tasks.adopt).
      const users = (where: string): string[] => ps.filter((l) => l.includes(`hello ${where}`)).map((l) => l.trim().split(/ +/)[1]!);
      expect(users('/home/user/greet').length).toBeGreaterThan(0);
      expect(new Set(users('/home/user/greet'))).toEqual(new Set(['user']));
      expect(new Set(users('/hello'))).toEqual(new Set(['root']));
      expect(await shell.run(`kill ${h.system.task('auth').id}`)).toBe(1);
      expect(err.join('')).toMatch(/^kill: \(\d+\) - (Operation not permitted|No such process)\n$/);
      expect(h.system.task('auth').alive).toBe(true);
    } finally {
      expect(await h.shutdown()).toEqual([]);
    }
  }, 60_000);

  it('as a process: runs -c commands with names, auth, notify, task and fs in workers (ps and kill through the isolated task server too) and shuts down cleanly', () => {
    const r = spawnSync(process.execPath, [...start, '--isolate', '--user', '-c', 'cat /hello; echo hi > /home/user/g; cat /home/user/g; cat /nope; ps | head -1; kill 99999'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toMatch(/^Hello, world!\nhi\nPID +USER +TASK.*\n$/);
    expect(r.stderr).toMatch(/^isolated, each in its own worker: names, auth, notify, task, fs\n/);
    expect(r.stderr).toContain('cat: /nope: No such file or directory');
    expect(r.stderr).toContain('kill: (99999) - No such process');
    expect(r.stderr).not.toMatch(/^(held|error):/m);
    expect(r.status).toBe(1);
  }, 70_000);
});

const root = new URL('../..', import.meta.url).pathname;
const start = ['--import', 'tsx', 'examples/start.ts'];
