// The shell over plain memfs: parsing, every file command, redirection, errors printed
// as a Unix shell's without ending the session, completion, scripts, and exit.

import { createFsFromVolume, Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { parseLine, Shell, wordText, type ShellFs } from '../../tools/shell/index.ts';

function make(files: Record<string, string> = {}) {
  const vol = Volume.fromJSON(files);
  const fs = createFsFromVolume(vol).promises as unknown as ShellFs;
  const out: string[] = [];
  const err: string[] = [];
  const sh = new Shell({ fs, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { sh, vol, out: () => out.join(''), err: () => err.join(''), reset: () => ((out.length = 0), (err.length = 0)) };
}

describe('shell parsing', () => {
  it('splits words with quotes and escapes, lists on ; && ||, pipelines and redirections', () => {
    const r = parseLine(`echo 'a b' "c \\"d\\"" e\\ f; cat x > out.txt && echo y >> log || ls | wc -l < in 2>&1`);
    if (!r.ok) throw new Error(r.error);
    const shape = r.list.map((i) => ({ next: i.next, cmds: i.pipeline.map((c) => ({ words: c.words.map(wordText), redirects: c.redirects.map((x) => `${x.op}${wordText(x.target)}`) })) }));
    expect(shape).toEqual([
      { next: ';', cmds: [{ words: ['echo', 'a b', 'c "d"', 'e f'], redirects: [] }] },
      { next: '&&', cmds: [{ words: ['cat', 'x'], redirects: ['>out.txt'] }] },
      { next: '||', cmds: [{ words: ['echo', 'y'], redirects: ['>>log'] }] },
      { next: ';', cmds: [{ words: ['ls'], redirects: [] }, { words: ['wc', '-l'], redirects: ['<in', '2>&1'] }] },
    ]);
  });

  it('keeps quoting on word parts, so expansion knows what to glob and split', () => {
    const r = parseLine(`X=1 cmd "$HOME"/*.txt '$Y' \\$Z`);
    if (!r.ok) throw new Error(r.error);
    const c = r.list[0]!.pipeline[0]!;
    expect(c.assigns).toEqual([{ name: 'X', value: [{ kind: 'text', text: '1', quoted: false }] }]);
    expect(c.words[1]).toEqual([
      { kind: 'var', name: 'HOME', quoted: true },
      { kind: 'text', text: '/*.txt', quoted: false },
    ]);
    expect(c.words[2]).toEqual([{ kind: 'text', text: '$Y', quoted: true }]);
    expect(c.words[3]).toEqual([
      { kind: 'text', text: '$', quoted: true },
      { kind: 'text', text: 'Z', quoted: false },
    ]);
  });

  it('reports unterminated quotes, dangling operators and a redirection without a file', () => {
    expect(parseLine(`echo 'oops`)).toEqual({ ok: false, error: 'syntax error: unterminated single quote' });
    expect(parseLine(`echo "oops`)).toEqual({ ok: false, error: 'syntax error: unterminated double quote' });
    expect(parseLine(`echo x >`)).toEqual({ ok: false, error: 'syntax error: redirection without a file' });
    expect(parseLine(`echo x &&`)).toEqual({ ok: false, error: "syntax error: '&&' without a command after it" });
    expect(parseLine(`| wc`)).toEqual({ ok: false, error: "syntax error near unexpected token '|'" });
    expect(parseLine(`echo x | ;`)).toEqual({ ok: false, error: "syntax error near unexpected token ';'" });
    expect(parseLine(`sleep 1 &`)).toEqual({ ok: false, error: "syntax error near '&': background jobs are not supported" });
    expect(parseLine(`echo \${oops`)).toEqual({ ok: false, error: 'syntax error: bad substitution' });
  });
});

describe('shell commands', () => {
  it('ls, cat, echo with redirection, mkdir -p, mv, rm -r, cd and pwd', async () => {
    const s = make({ '/a/one.txt': 'one\n', '/a/two.txt': 'two\n' });
    await s.sh.run('ls /a; cat /a/one.txt /a/two.txt');
    expect(s.out()).toBe('one.txt\ntwo.txt\none\ntwo\n');
    s.reset();
    await s.sh.run('echo hello world > /a/h.txt; echo again >> /a/h.txt; cat /a/h.txt');
    expect(s.out()).toBe('hello world\nagain\n');
    s.reset();
    await s.sh.run('mkdir -p /b/c/d; mv /a/h.txt /b/c; cd /b/c; pwd; ls');
    expect(s.out()).toBe('/b/c\nd\nh.txt\n');
    s.reset();
    await s.sh.run('rm -r /b; ls /');
    expect(s.out()).toBe('a\n');
  });

  it('prints errors like a Unix shell and keeps going', async () => {
    const s = make({ '/f': 'x' });
    const st = await s.sh.run('cat /nope; ls /missing; nosuch; echo still here');
    expect(s.err()).toBe(
      "cat: /nope: No such file or directory\nls: cannot access '/missing': No such file or directory\nsh: nosuch: command not found\n",
    );
    expect(s.out()).toBe('still here\n');
    expect(st).toBe(0);
    s.reset();
    expect(await s.sh.run('mkdir /f')).toBe(1);
    expect(s.err()).toBe("mkdir: cannot create directory '/f': File exists\n");
    s.reset();
    expect(await s.sh.run('rm /')).toBe(1);
    expect(s.err()).toBe("rm: cannot remove '/': Is a directory\n");
    expect(s.sh.exited).toBeNull();
  });

  it('stat and ls -l show modes, sizes and owners', async () => {
    const s = make({ '/d/file': 'abcd' });
    await s.sh.run('stat /d/file');
    expect(s.out()).toMatch(/File: \/d\/file\n {2}Size: 4\t.*regular file/);
    s.reset();
    await s.sh.run('ls -l /d');
    expect(s.out()).toMatch(/^-rw-rw-rw-\s+1\s+\d+\s+\d+\s+4 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d file\n$/);
  });

  it('says when a Hurd command is not available on plain memfs', async () => {
    const s = make();
    expect(await s.sh.run('settrans /x hello')).toBe(1);
    expect(s.err()).toBe('settrans: not available on this system\n');
  });

  it('completes command names and paths', async () => {
    const s = make({ '/dir/alpha': '', '/dir/beta/x': '' });
    expect(await s.sh.complete('ca')).toEqual([['cat '], 'ca']);
    expect(await s.sh.complete('ls /dir/b')).toEqual([['/dir/beta/'], '/dir/b']);
    expect(await s.sh.complete('ls /dir | he')).toEqual([['head ', 'help '], 'he']);
    expect(await s.sh.complete('true && ls /dir/a')).toEqual([['/dir/alpha'], '/dir/a']);
  });

  it('runs scripts until exit and answers its status', async () => {
    const s = make();
    expect(await s.sh.runScript('echo one\nexit 3\necho never')).toBe(3);
    expect(s.out()).toBe('one\n');
  });
});
