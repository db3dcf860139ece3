// Each of the shell's commands over plain memfs, with its GNU options and messages:
// head, tail, grep, wc, find, cat -n, cp, mv, ln, chmod, rmdir, rm, touch, history,
// clear, exit, and the Hurd ones saying they are not available without a system.

import { createFsFromVolume, Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { Shell, type ShellFs } from '../../tools/shell/index.ts';

function make(files: Record<string, string> = {}) {
  const vol = Volume.fromJSON(files);
  const fs = createFsFromVolume(vol).promises as unknown as ShellFs;
  const out: string[] = [];
  const err: string[] = [];
  const sh = new Shell({ fs, out: (t) => out.push(t), err: (t) => err.push(t) });
  const run = async (line: string) => {
    out.length = 0;
    err.length = 0;
    const status = await sh.run(line);
    return { out: out.join(''), err: err.join(''), status };
  };
  return { sh, vol, run };
}

const TEN = Array.from({ length: 12 }, (_, i) => `line ${i + 1}\n`).join('');

describe('text commands', () => {
  it('head: 10 lines by default, -n, -N, -c, headers for several files', async () => {
    const { run } = make({ '/f': TEN, '/g': 'a\nb\n' });
    expect((await run('head /f')).out.split('\n').length).toBe(11);
    expect((await run('head -n 2 /f')).out).toBe('line 1\nline 2\n');
    expect((await run('head -3 /f | tail -n 1')).out).toBe('line 3\n');
    expect((await run('head -c 4 /f')).out).toBe('line');
    expect((await run('head -n 1 /f /g')).out).toBe('==> /f <==\nline 1\n\n==> /g <==\na\n');
    expect((await run('head /nope')).err).toBe("head: cannot open '/nope' for reading: No such file or directory\n");
  });

  it('tail: last lines, +N from a line on, -c bytes', async () => {
    const { run } = make({ '/f': TEN, '/n': 'x\ny' });
    expect((await run('tail -n 2 /f')).out).toBe('line 11\nline 12\n');
    expect((await run('tail -n +11 /f')).out).toBe('line 11\nline 12\n');
    expect((await run('tail -c 3 /f')).out).toBe('12\n');
    expect((await run('tail -n 1 /n')).out).toBe('y');
    expect((await run('tail -n 0 /f')).out).toBe('');
  });

  it('grep: -i -v -n -c -l -o -w -F -e, -r, basic regular expressions, status 0/1/2', async () => {
    const { run } = make({ '/a': 'Apple\nbanana\ncherry pie\n', '/d/b': 'apple tart\n', '/d/e/c': 'none\n' });
    expect(await run('grep an /a')).toEqual({ out: 'banana\n', err: '', status: 0 });
    expect((await run('grep -i apple /a /d/b')).out).toBe('/a:Apple\n/d/b:apple tart\n');
    expect((await run('grep -vn an /a')).out).toBe('1:Apple\n3:cherry pie\n');
    expect((await run('grep -c e /a')).out).toBe('2\n');
    expect((await run('grep -l apple /a /d/b')).out).toBe('/d/b\n');
    expect((await run('grep -o "an" /a')).out).toBe('an\nan\n');
    expect((await run('grep -w pie /a; grep -w pi /a')).out).toBe('cherry pie\n');
    expect((await run('grep -F "a.p" /a; echo $?')).out).toBe('1\n');
    expect((await run('grep "ch\\(err\\)y" /a; grep -E "(ban)+" /a')).out).toBe('cherry pie\nbanana\n');
    expect((await run('grep -r apple /d')).out).toBe('/d/b:apple tart\n');
    expect((await run('grep -e Apple -- /a')).out).toBe('Apple\n');
    expect(await run('grep x /nope')).toEqual({ out: '', err: 'grep: /nope: No such file or directory\n', status: 2 });
    expect((await run('grep')).status).toBe(2);
    expect((await run('grep -E "(" /a')).err).toBe("grep: invalid regular expression '('\n");
    expect((await run('grep "(" /a')).status).toBe(1);
  });

  it('wc: lines, words, bytes, a total for several files; standard input without a name', async () => {
    const { run } = make({ '/a': 'one two\nthree\n', '/b': 'x\n' });
    expect((await run('wc /a')).out).toBe(' 2  3 14 /a\n');
    expect((await run('wc -l /a /b')).out).toBe('2 /a\n1 /b\n3 total\n');
    expect((await run('cat /a | wc -w')).out).toBe('3\n');
    expect((await run('wc -c < /b')).out).toBe('2\n');
  });

  it('find: the tree in order, -name, -iname, -type, -maxdepth, -mindepth; errors as find\'s', async () => {
    const { run } = make({ '/t/a.txt': '', '/t/B.TXT': '', '/t/s/c.txt': '', '/t/s/d.md': '' });
    expect((await run('find /t')).out).toBe('/t\n/t/B.TXT\n/t/a.txt\n/t/s\n/t/s/c.txt\n/t/s/d.md\n');
    expect((await run('find /t -name "*.txt"')).out).toBe('/t/a.txt\n/t/s/c.txt\n');
    expect((await run('find /t -iname "*.txt" -maxdepth 1')).out).toBe('/t/B.TXT\n/t/a.txt\n');
    expect((await run('find /t -type d -mindepth 1')).out).toBe('/t/s\n');
    expect((await run('cd /t/s; find .')).out).toBe('.\n./c.txt\n./d.md\n');
    expect((await run('find /t -bogus')).err).toBe("find: unknown predicate '-bogus'\n");
    expect((await run('find /t -type q')).err).toBe('find: Unknown argument to -type: q\n');
    expect((await run('find /nope')).err).toBe("find: '/nope': No such file or directory\n");
  });

  it('cat -n numbers lines across files; cat with no file reads standard input', async () => {
    const { run } = make({ '/a': 'x\ny\n', '/b': 'z\n' });
    expect((await run('cat -n /a /b')).out).toBe('     1\tx\n     2\ty\n     3\tz\n');
    expect((await run('cat /a | cat - /b')).out).toBe('x\ny\nz\n');
  });
});

describe('file commands', () => {
  it('cp copies files, into directories, trees with -r; -n keeps what exists', async () => {
    const { run } = make({ '/a': 'A', '/b': 'B', '/d/x/y': 'Y', '/dest/.keep': '' });
    expect(await run('cp /a /b /dest; ls /dest')).toEqual({ out: 'a\nb\n', err: '', status: 0 });
    expect((await run('cp -r /d /e; cat /e/x/y')).out).toBe('Y');
    expect((await run('cp -n /a /b; cat /b')).out).toBe('B');
    expect((await run('cp /a')).err).toBe("cp: missing destination file operand after '/a'\nTry 'cp --help' for more information.\n");
    expect((await run('cp /a /b /nodir')).err).toBe("cp: target '/nodir' is not a directory\n");
    expect((await run('cp /nope /x')).err).toBe("cp: cannot stat '/nope': No such file or directory\n");
  });

  it('mv moves several sources into a directory; -n does not overwrite; -v says what it did', async () => {
    const { run } = make({ '/a': 'A', '/b': 'B', '/d/.keep': '', '/c': 'C' });
    expect(await run('mv -v /a /b /d; ls /d')).toEqual({ out: "renamed '/a' -> '/d/a'\nrenamed '/b' -> '/d/b'\na\nb\n", err: '', status: 0 });
    expect((await run('mv -n /c /d/a; cat /d/a')).out).toBe('A');
    expect((await run('mv /nope /x')).err).toBe("mv: cannot move '/nope' to '/x': No such file or directory\n");
    expect((await run('mv /c')).status).toBe(1);
  });

  it('ln makes symbolic and hard links; -f replaces', async () => {
    const { run } = make({ '/a': 'A', '/b': 'B' });
    expect((await run('ln -s /a /s; cat /s; ls -l /s')).out).toMatch(/^Al.* \/s -> \/a\n$/);
    expect((await run('ln /a /h; stat /a')).out).toContain('Links: 2');
    expect((await run('ln /b /h')).err).toBe("ln: failed to create hard link '/h': File exists\n");
    expect((await run('ln -sf /b /h; cat /h')).out).toBe('B');
  });

  it('chmod takes octal and symbolic modes, -R walks a tree', async () => {
    const { run } = make({ '/d/f': '', '/d/g': '' });
    expect((await run('chmod 600 /d/f; stat /d/f')).out).toContain('(0600/-rw-------)');
    expect((await run('chmod u+x,go=r /d/f; stat /d/f')).out).toContain('(0744/-rwxr--r--)');
    expect((await run('chmod -R a-w /d; stat /d/g')).out).toContain('(0444/-r--r--r--)');
    expect((await run('chmod 644')).err).toBe("chmod: missing operand after '644'\nTry 'chmod --help' for more information.\n");
  });

  it('touch creates or keeps contents; -c does not create; rmdir -p removes empty parents', async () => {
    const { run } = make({ '/f': 'keep', '/p/q/r/.x': '' });
    expect((await run('touch /f /new; cat /f /new')).out).toBe('keep');
    expect((await run('touch -c /none; ls /none')).status).toBe(2);
    await run('rm /p/q/r/.x');
    expect(await run('rmdir -p /p/q/r; ls /')).toEqual({ out: 'f\nnew\n', err: '', status: 0 });
    expect((await run('mkdir /x; touch /x/y; rmdir /x')).err).toBe("rmdir: failed to remove '/x': Directory not empty\n");
  });

  it('rm: -d removes an empty directory, -f ignores missing files, refuses / recursively', async () => {
    const { run } = make({ '/e/.k': '' });
    await run('rm /e/.k');
    expect(await run('rm -d /e; rm -f /nope')).toEqual({ out: '', err: '', status: 0 });
    expect((await run('rm -rf /')).err).toBe("rm: it is dangerous to operate recursively on '/'\n");
  });
});

describe('shell commands', () => {
  it("settrans prints the translator's own words after the errno when the error carries them", async () => {
    const base = createFsFromVolume(Volume.fromJSON({})).promises as unknown as ShellFs;
    const err: string[] = [];
    const fail = (message: string, code: string) => Object.assign(new Error(message), { code });
    let next = fail("EIO: i/o error, settrans '/m': hello: bad arguments", 'EIO');
    const sh = new Shell({
      fs: base,
      system: {
        settrans: async () => {
          throw next;
        },
      },
      out: () => undefined,
      err: (t) => err.push(t),
    });
    expect(await sh.run('settrans -ac /m hello --bogus')).toBe(1);
    next = fail("ENOENT: no such file or directory, settrans '/n'", 'ENOENT');
    await sh.run('settrans -a /n nosuch');
    expect(err.join('')).toBe('settrans: /m: Input/output error (hello: bad arguments)\nsettrans: /n: No such file or directory\n');
  });

  it('df says so when the file system has no statfs', async () => {
    const base = createFsFromVolume(Volume.fromJSON({})).promises as unknown as ShellFs;
    const err: string[] = [];
    const sh = new Shell({ fs: Object.assign(Object.create(base) as ShellFs, { statfs: undefined }), out: () => undefined, err: (t) => err.push(t) });
    expect(await sh.run('df')).toBe(1);
    expect(err.join('')).toBe('df: statfs is not available on this file system\n');
  });

  it('history lists typed lines; clear clears the screen; exit takes a status', async () => {
    const { sh, run } = make();
    sh.history.push('ls', 'cat x');
    expect((await run('history')).out).toBe('    1  ls\n    2  cat x\n');
    expect((await run('history 1')).out).toBe('    2  cat x\n');
    expect((await run('clear')).out).toBe('\x1b[H\x1b[2J\x1b[3J');
    expect(await run('exit 3')).toEqual({ out: '', err: '', status: 3 });
    expect(sh.exited).toBe(3);
  });

  it('Hurd and system commands say they are not available on plain memfs; df without statfs is an error', async () => {
    const { run } = make();
    for (const c of ['showtrans /x', 'fsysopts /x', 'ps', 'kill 1', 'id', 'mount', 'trace on', 'bench']) {
      const r = await run(c);
      expect(r.status, c).toBe(1);
      expect(r.err, c).toBe(`${c.split(' ')[0]}: not available on this system\n`);
    }
    // memfs has statfs: df prints its figures.
    expect((await run('df -h /')).out).toMatch(/^Filesystem +Size +Used +Avail Use% Mounted on\nfs +\S+ +\S+ +\S+ +\S+ \/\n$/);
  });
});
