// The shell's language over plain memfs: variables, $?, ~, globs, pipes, && and ||,
// redirections of input and errors, --help on every command, and Ctrl-C (interrupt())
// cancelling a running line through the signal each command's fs view carries.

import { createFsFromVolume, Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, INTERRUPTED_STATUS, Shell, type ShellFs } from '../../tools/shell/index.ts';

function make(files: Record<string, string> = {}, extra: Partial<ShellFs> = {}) {
  const vol = Volume.fromJSON(files);
  const fs = Object.assign(createFsFromVolume(vol).promises as unknown as ShellFs, extra);
  const out: string[] = [];
  const err: string[] = [];
  const sh = new Shell({ fs, out: (t) => out.push(t), err: (t) => err.push(t), home: '/home/me' });
  const run = async (line: string) => {
    out.length = 0;
    err.length = 0;
    const status = await sh.run(line);
    return { out: out.join(''), err: err.join(''), status };
  };
  return { sh, vol, run };
}

describe('variables, $? and ~', () => {
  it('sets and expands variables, braced and in double quotes; single quotes keep $ literal', async () => {
    const { run } = make();
    expect((await run(`X=hello; echo $X "\${X}!" '$X' \\$X`)).out).toBe('hello hello! $X $X\n');
    expect((await run('echo [$UNSET]')).out).toBe('[]\n');
    expect((await run('export Y=2; env')).out).toContain('Y=2\n');
    expect((await run('unset Y; echo "$Y"')).out).toBe('\n');
  });

  it('splits an unquoted value into words, keeps a quoted one whole', async () => {
    const { run } = make({ '/a': 'A', '/b': 'B' });
    expect((await run('F="/a /b"; cat $F')).out).toBe('AB');
    expect(await run('cat "$F"')).toEqual({ out: '', err: 'cat: /a /b: No such file or directory\n', status: 1 });
  });

  it('$? is the last status; a prefix assignment lasts one command', async () => {
    const { run } = make({ '/tmp/x': '' });
    expect((await run('false; echo $?; true; echo $?; nosuch; echo $?')).out).toBe('1\n0\n127\n');
    expect((await run('HOME=/tmp cd; pwd; echo $HOME')).out).toBe('/tmp\n/home/me\n');
  });

  it('~ is the home directory at the start of a word, not when quoted', async () => {
    const { run } = make({ '/home/me/f': 'mine' });
    expect((await run('cat ~/f; echo "~" x~')).out).toBe('mine~ x~\n');
    expect((await run('cd; pwd')).out).toBe('/home/me\n');
  });
});

describe('globs', () => {
  const files = { '/d/a.txt': '', '/d/b.txt': '', '/d/c.md': '', '/d/.hidden.txt': '', '/d/sub/x.txt': '', '/e/sub/x.txt': '' };

  it('* ? and [..] match names in order; hidden names only with a leading dot', async () => {
    const { run } = make(files);
    expect((await run('echo /d/*.txt')).out).toBe('/d/a.txt /d/b.txt\n');
    expect((await run('echo /d/?.md /d/[ab].txt /d/[!a].txt')).out).toBe('/d/c.md /d/a.txt /d/b.txt /d/b.txt\n');
    expect((await run('echo /d/.*.txt')).out).toBe('/d/.hidden.txt\n');
    expect((await run('echo /*/sub/x.txt')).out).toBe('/d/sub/x.txt /e/sub/x.txt\n');
    expect((await run('cd /d; echo *.md')).out).toBe('c.md\n');
  });

  it('a pattern that matches nothing stays as written; quoted ones are never globbed', async () => {
    const { run } = make(files);
    expect((await run('echo /d/*.none "/d/*.txt"')).out).toBe('/d/*.none /d/*.txt\n');
    expect((await run('ls /nope/*')).err).toBe("ls: cannot access '/nope/*': No such file or directory\n");
  });
});

describe('lists and pipes', () => {
  it('&& runs on success, || on failure, ; always', async () => {
    const { run } = make();
    expect((await run('true && echo a || echo b; false && echo c || echo d; false; echo e')).out).toBe('a\nd\ne\n');
    expect((await run('false || false && echo never')).status).toBe(1);
  });

  it('passes output through pipes; the status is the last command\'s', async () => {
    const { run } = make({ '/f': 'one\ntwo\nthree\nfour\n' });
    expect(await run('cat /f | grep o | head -n 2 | wc -l')).toEqual({ out: '2\n', err: '', status: 0 });
    expect((await run('cat /f | tail -n 1')).out).toBe('four\n');
    expect((await run('echo x | false')).status).toBe(1);
    expect((await run('false | echo y')).status).toBe(0);
  });

  it('redirects input with <, errors with 2> and 2>&1, output with > and >>', async () => {
    const { run } = make({ '/f': 'b\na\n' });
    expect((await run('wc -l < /f')).out).toBe('2\n');
    expect(await run('cat /nope 2> /err; cat /err')).toEqual({ out: 'cat: /nope: No such file or directory\n', err: '', status: 0 });
    expect((await run('cat /nope /f > /both 2>&1; cat /both')).out).toBe('cat: /nope: No such file or directory\nb\na\n');
    expect((await run('echo 1 > /o; echo 2 >> /o; cat < /o')).out).toBe('1\n2\n');
    expect((await run('cat < /missing')).err).toBe('sh: /missing: No such file or directory\n');
    expect((await run('echo x > /d/*')).err).toBe('sh: /d/*: No such file or directory\n');
  });
});

describe('--help and option errors', () => {
  it('every command answers --help with its usage and status 0', async () => {
    const { run } = make();
    for (const [name, def] of Object.entries(COMMANDS)) {
      const r = await run(`${name} --help`);
      expect(r, name).toEqual({ out: `usage: ${def.usage}\n    ${def.help}\n`, err: '', status: 0 });
    }
  });

  it('an unknown option is an error, not a file name', async () => {
    const { run } = make({ '/f': '' });
    expect(await run('cat -x /f')).toEqual({ out: '', err: "cat: invalid option -- 'x'\nTry 'cat --help' for more information.\n", status: 1 });
    expect((await run('ls --bogus')).err).toBe("ls: unrecognized option '--bogus'\nTry 'ls --help' for more information.\n");
    expect((await run('ls --bogus')).status).toBe(2);
    expect((await run('head -n')).err).toBe("head: option requires an argument -- 'n'\nTry 'head --help' for more information.\n");
    expect((await run('head --lines=x /f')).err).toBe("head: invalid number of lines: 'x'\nTry 'head --help' for more information.\n");
    expect((await run('rm -- -x')).err).toBe("rm: cannot remove '-x': No such file or directory\n");
  });
});

describe('Ctrl-C', () => {
  it('interrupt() ends a running command with 130, prints nothing of it, and the shell takes the next line', async () => {
    const { sh, run } = make();
    const running = sh.run('sleep 1000; echo never');
    expect(sh.busy).toBe(true);
    expect(sh.interrupt()).toBe(true);
    expect(await running).toBe(INTERRUPTED_STATUS);
    expect(sh.busy).toBe(false);
    expect(sh.interrupt()).toBe(false);
    expect(await run('echo $?; echo next')).toEqual({ out: '130\nnext\n', err: '', status: 0 });
  });

  it("cancels the command's RPCs: its fs view is withSignal's, and a call that never answers is left behind", async () => {
    const base = createFsFromVolume(Volume.fromJSON({ '/f': 'x' })).promises as unknown as ShellFs;
    const seen: AbortSignal[] = [];
    const hang = (): Promise<never> => new Promise(() => undefined);
    const fs: ShellFs = Object.assign(Object.create(base) as ShellFs, {
      withSignal(signal: AbortSignal): ShellFs {
        seen.push(signal);
        return Object.assign(Object.create(base) as ShellFs, { readFile: hang, open: undefined });
      },
    });
    const err: string[] = [];
    const sh = new Shell({ fs, out: () => undefined, err: (t) => err.push(t) });
    const running = sh.run('cat /f');
    await Promise.resolve();
    sh.interrupt();
    expect(await running).toBe(INTERRUPTED_STATUS);
    expect(seen.length).toBe(1);
    expect(seen[0]!.aborted).toBe(true);
    expect(err).toEqual([]);
  });
});
