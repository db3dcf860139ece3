// The default system's Hurd habits and the shell's commands on the real servers (virtual
// time): /servers, /hurd, /dev/null and /dev/zero as translators, mv across a
// translator, rm -r naming the busy entry, and the file and system commands end to end.

import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/index.ts';
import type { TaskInstance } from '../../servers/task/index.ts';
import { Shell } from '../../tools/shell/index.ts';
import { bootHurdle, shellFs } from '../../tools/start/system.ts';

async function session(opts: { uid?: number; gid?: number } = {}) {
  const h = await bootHurdle({ clock: new VirtualClock(), ...opts });
  const out: string[] = [];
  const err: string[] = [];
  const home = opts.uid === 1000 ? '/home/user' : '/';
  const shell = new Shell({ fs: shellFs(h.fs), system: h.shellSystem, home, out: (t) => out.push(t), err: (t) => err.push(t) });
  const run = async (line: string): Promise<{ out: string; err: string; status: number }> => {
    out.length = 0;
    err.length = 0;
    const status = await shell.run(line);
    return { out: out.join(''), err: err.join(''), status };
  };
  return { h, shell, run };
}

describe('Hurd habits in the default system', () => {
  it('/servers names each server of the system and its task; /hurd has one node per registered translator', async () => {
    const { h, run } = await session();
    expect((await run('ls /servers')).out).toBe('auth\nfs\nnames\nnotify\ntask\n');
    expect((await run('cat /servers/auth')).out).toBe(`auth: the auth server, task ${h.system.task('auth').id}\n`);
    expect((await run('ls /hurd')).out).toBe('filter\nfirmlink\nhello\njson\nlog\nnull\nproc\ntmpfs\nzero\n');
    // A /hurd name is what settrans takes.
    expect((await run('settrans -c /greet /hurd/hello --contents=hey; cat /greet')).out).toBe('hey');
    await h.shutdown();
  });

  it('/dev/null reads empty and swallows writes; /dev/zero reads zeros without end', async () => {
    const { h, run } = await session({ uid: 1000, gid: 100 });
    expect(await run('echo gone > /dev/null; cat /dev/null | wc -c')).toEqual({ out: '0\n', err: '', status: 0 });
    expect((await run('head -c 100000 /dev/zero | wc -c')).out).toBe('100000\n');
    expect((await run('ls -l /dev')).out).toMatch(/^crw-rw-rw- +1 +0 +0 +0 .* null\ncrw-rw-rw- +1 +0 +0 +0 .* zero\n$/);
    expect((await run('showtrans /dev/null /dev/zero')).out).toBe('/hurd/null\n/hurd/zero\n');
    const bytes = await h.fs.readFile('/dev/null');
    expect(bytes.length).toBe(0);
    const fh = await h.fs.open('/dev/zero', 'r+');
    const buf = Buffer.alloc(8, 1);
    expect((await fh.read(buf, 0, 8, null)).bytesRead).toBe(8);
    expect([...buf]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect((await fh.write(Buffer.from('abc'))).bytesWritten).toBe(3);
    await fh.close();
    // The open mode still rules: a read-only open cannot write, a write-only one cannot read.
    const ro = await h.fs.open('/dev/null', 'r');
    await expect(ro.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await ro.close();
    const wo = await h.fs.open('/dev/zero', 'w');
    await expect(wo.read(Buffer.alloc(1), 0, 1, null)).rejects.toMatchObject({ code: 'EBADF' });
    await wo.close();
    // Options are refused at start: the node answers an error, never a half-started device.
    const bad = await run('settrans -ac /home/user/z2 /hurd/zero --size=3; showtrans /home/user/z2');
    expect(bad.status).toBe(0);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/^settrans: \/home\/user\/z2: .+\n$/);
    await h.shutdown();
  });

  it('settrans -a reports a translator that cannot start, and leaves no setting behind', async () => {
    const { h, run } = await session();
    const r = await run('settrans -ac /m nosuch');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^settrans: \/m: .+\n$/);
    expect(await run('showtrans /m; cat /m')).toEqual({ out: '', err: '', status: 0 });
    await h.shutdown();
  });

  it('mount lists the translators set on nodes; id says who the shell runs as', async () => {
    const { h, run } = await session({ uid: 1000, gid: 100 });
    const m = (await run('mount')).out;
    expect(m).toContain('fs on / type fs (memfs)\n');
    expect(m).toContain('hello on /hello type hello (hello)\n');
    expect(m).toContain('tmpfs on /tmp type tmpfs (tmpfs)\n');
    expect(m).toContain('/hurd/null on /dev/null type null (/hurd/null)\n');
    expect((await run('id')).out).toBe('uid=1000(user) gid=100(users) groups=100(users)\n');
    expect((await run('id -u; id -gn')).out).toBe('1000\nusers\n');
    await h.shutdown();
  });

  it('ps shows translators by where they are attached, and a USER column when the task server records owners', async () => {
    const { h, run } = await session();
    await run('cat /hello /shout');
    const ps = (await run('ps')).out;
    expect(ps).toContain('fs:hello');
    const header = ps.split('\n')[0]!;
    // The USER column comes with the task server's owner records (TaskInstance.about).
    const inst = h.system.instance('task') as { about?: unknown };
    if (typeof inst.about === 'function') expect(header).toMatch(/^PID +USER +TASK/);
    else expect(header).toMatch(/^PID +TASK/);
    await h.shutdown();
  });

  it('ps shows a translator task with the user it runs as: its node\'s owner, not root', async () => {
    const { h, run } = await session({ uid: 1000, gid: 100 });
    expect((await run('settrans -c /home/user/greet /hurd/hello --contents=hi; cat /home/user/greet /hello')).out).toBe('hiHello, world!\n');
    const ps = (await run('ps')).out.split('\n');
    expect(ps[0]).toMatch(/^PID +USER +TASK/);
    // One row per thread ('fs:/hurd/hello /home/user/greet'): every row of the user's
    // translator says user, of root's root.
    const rows = (where: string): string[][] => ps.filter((l) => l.includes(`hello ${where}`)).map((l) => l.trim().split(/ +/));
    expect(rows('/home/user/greet').length).toBeGreaterThan(0);
    expect(rows('/home/user/greet').map((r) => r[1])).toEqual(rows('/home/user/greet').map(() => 'user'));
    expect(rows('/hello').length).toBeGreaterThan(0);
    expect(rows('/hello').map((r) => r[1])).toEqual(rows('/hello').map(() => 'root'));
    // The task server's own record says so: the fs told it through its admin cap (Tasks.adopt).
    const pid = Number(rows('/home/user/greet')[0]![0]);
    expect(h.system.instance<TaskInstance>('task').about(pid)?.uid).toBe(1000);
    await h.shutdown();
  });

  it('kill asks the task server: a task the shell may not kill is EPERM or ESRCH, never a crash', async () => {
    const { h, run } = await session();
    const r = await run(`kill ${h.system.task('auth').id}`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^kill: \(\d+\) - (Operation not permitted|No such process)\n$/);
    expect((await run('kill abc')).err).toBe('kill: abc: arguments must be process or job IDs\n');
    await h.shutdown();
  });
});

describe('file commands on the filesystem servers', () => {
  it('mv across a translator copies and removes (EXDEV), files and trees', async () => {
    const { h, run } = await session();
    expect(await run('echo data > /tmp/f; mv /tmp/f /home/user/f; cat /home/user/f; ls /tmp')).toEqual({ out: 'data\n', err: '', status: 0 });
    expect((await run('mkdir -p /home/t/sub; echo x > /home/t/sub/y; mv /home/t /tmp; cat /tmp/t/sub/y; ls /home')).out).toBe('x\nuser\n');
    await h.shutdown();
  });

  it('rm -r /etc reports each busy translated entry by its own name and removes the rest', async () => {
    const { h, run } = await session();
    const r = await run('rm -r /etc');
    expect(r.err).toBe("rm: cannot remove '/etc/motd.rot13': Device or resource busy\nrm: cannot remove '/etc/system.json': Device or resource busy\n");
    expect(r.status).toBe(1);
    expect((await run('ls /etc')).out).toBe('motd.rot13\nsystem.json\n');
    await h.shutdown();
  });

  it('cp, ln, chmod, chown, touch, rmdir, find, grep, wc, tail through the fs client', async () => {
    const { h, run } = await session();
    expect((await run('cp /etc/motd /tmp/m; cp -r /usr /tmp/u; find /tmp -type f')).out).toBe('/tmp/m\n/tmp/u/share/doc/translators.txt\n');
    expect((await run('cp /usr /x')).err).toBe("cp: -r not specified; omitting directory '/usr'\n");
    expect((await run('ln -s /etc/motd /l; cat /l | wc -w; ln /etc/motd /hard; stat /hard | grep Links')).out).toMatch(/^9\n.*Links: 2\n$/);
    expect((await run('touch /new; chmod 640 /new; chmod g+w,o+r /new; stat /new | grep Access: | head -n 1')).out).toBe('Access: (0664/-rw-rw-r--)  Uid: 0  Gid: 0\n');
    expect((await run('chmod -w /new; ls -l /new')).out).toMatch(/^-r--r--r-- /);
    expect((await run('chown user:users /new; ls -l /new')).out).toMatch(/^-r--r--r-- +1 +1000 +100 /);
    expect((await run('chown nobody /new')).err).toBe("chown: invalid user: 'nobody'\nTry 'chown --help' for more information.\n");
    expect((await run('chmod z+q /new')).err).toBe("chmod: invalid mode: 'z+q'\nTry 'chmod --help' for more information.\n");
    expect((await run('mkdir /e; rmdir /e /e; ls /e')).err).toBe(
      "rmdir: failed to remove '/e': No such file or directory\nls: cannot access '/e': No such file or directory\n",
    );
    expect((await run('grep -n Hurd /etc/motd /README | head -n 2')).out).toBe(
      '/etc/motd:1:Welcome to hurdle, a Hurd-style multiserver OS in TypeScript.\n/README:1:hurdle: a Hurd-style multiserver system in TypeScript.\n',
    );
    expect((await run('grep -c translator /README; grep -q nomatch /README; echo $?')).out).toBe('6\n1\n');
    expect((await run('find /etc -name "*.json" -maxdepth 1')).out).toBe('/etc/system.json\n');
    expect((await run('tail -n 2 /README')).out).toBe('Try: ls /proc/tasks, cat /hello, echo hi > /tmp/x, echo note >> /var/log/messages,\nps, trace on, help.\n');
    expect((await run('df')).status).toBe(typeof (h.fs as { statfs?: unknown }).statfs === 'function' ? 0 : 1);
    await h.shutdown();
  });

  it('a user gets the servers\' errors: Permission denied, Operation not permitted', async () => {
    const { h, run } = await session({ uid: 1000, gid: 100 });
    expect((await run('touch /etc/x')).err).toBe("touch: cannot touch '/etc/x': Permission denied\n");
    expect((await run('chmod 777 /etc/motd')).err).toBe("chmod: changing permissions of '/etc/motd': Operation not permitted\n");
    expect((await run('cp /etc/motd ~; cat ~/motd | wc -l')).out).toBe('1\n');
    await h.shutdown();
  });
});
