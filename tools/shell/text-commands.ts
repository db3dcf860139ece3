// The shell's text and search commands, with GNU options and messages: head, tail,
// grep, wc, find. Each reads its files, or standard input (a pipe, <) when given none.

import { posix } from 'node:path';
import { checkInterrupt, describeError, eachChunk, readChunks, readText, resolvePath, usageError, type ShellContext, type ShellStats } from './context.ts';
import { globRegExp } from './expand.ts';
import { parseOptions } from './options.ts';

/** -5 means -n 5, as head and tail have always taken it. */
function numericShorthand(args: string[]): string[] {
  return args.map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
}

function count(ctx: ShellContext, cmd: string, v: string | undefined, what: string, fallback: number): number | null {
  if (v === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(v)) {
    usageError(ctx, cmd, `invalid number of ${what}: '${v}'`);
    return null;
  }
  return Number(v.replace(/^[+-]/, ''));
}

export async function head(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(numericShorthand(args), { values: 'nc', flags: 'qv', long: { lines: 'n', bytes: 'c', quiet: 'q', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'head', p.error);
  const lines = count(ctx, 'head', p.opts.get('n'), 'lines', 10);
  const bytes = p.opts.has('c') ? count(ctx, 'head', p.opts.get('c'), 'bytes', 0) : null;
  if (lines === null || (p.opts.has('c') && bytes === null)) return 1;
  const files = p.rest.length === 0 ? ['-'] : p.rest;
  let status = 0;
  for (const [i, f] of files.entries()) {
    if ((files.length > 1 && !p.opts.has('q')) || p.opts.has('v')) ctx.out(`${i > 0 ? '\n' : ''}==> ${f === '-' ? 'standard input' : f} <==\n`);
    try {
      ctx.out(await headOf(ctx, f, lines, bytes));
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.err(`head: cannot open '${f}' for reading: ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** The first lines (or bytes) of a file or standard input, reading no more of it than needed (head -c 5 /dev/zero ends). */
async function headOf(ctx: ShellContext, f: string, lines: number, bytes: number | null): Promise<string> {
  if (bytes !== null && f !== '-') {
    let got = 0;
    const parts: Uint8Array[] = [];
    await readChunks(ctx, resolvePath(ctx.cwd, f), (c) => {
      parts.push(c.subarray(0, bytes - got));
      got += Math.min(c.length, bytes - got);
      return got < bytes;
    });
    return new TextDecoder().decode(concat(parts));
  }
  let s = '';
  let newlines = 0;
  await eachChunk(ctx, f, (c) => {
    s += c;
    if (bytes !== null) return s.length < bytes;
    for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) newlines++;
    return newlines < lines;
  });
  return bytes !== null ? s.slice(0, bytes) : firstLines(s, lines);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function firstLines(s: string, n: number): string {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const nl = s.indexOf('\n', at);
    if (nl < 0) return s;
    at = nl + 1;
  }
  return s.slice(0, at);
}

export async function tail(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(numericShorthand(args), { values: 'nc', flags: 'qv', long: { lines: 'n', bytes: 'c', quiet: 'q', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'tail', p.error);
  const nArg = p.opts.get('n');
  const lines = count(ctx, 'tail', nArg, 'lines', 10);
  const bytes = p.opts.has('c') ? count(ctx, 'tail', p.opts.get('c'), 'bytes', 0) : null;
  if (lines === null || (p.opts.has('c') && bytes === null)) return 1;
  const files = p.rest.length === 0 ? ['-'] : p.rest;
  let status = 0;
  for (const [i, f] of files.entries()) {
    if ((files.length > 1 && !p.opts.has('q')) || p.opts.has('v')) ctx.out(`${i > 0 ? '\n' : ''}==> ${f === '-' ? 'standard input' : f} <==\n`);
    let all: string;
    try {
      all = await readText(ctx, f);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.err(`tail: cannot open '${f}' for reading: ${describeError(e)}\n`);
      status = 1;
      continue;
    }
    if (bytes !== null) {
      ctx.out(p.opts.get('c')!.startsWith('+') ? all.slice(Math.max(0, bytes - 1)) : all.slice(Math.max(0, all.length - bytes)));
      continue;
    }
    const ls = all.split('\n');
    const trailing = ls[ls.length - 1] === '';
    if (trailing) ls.pop();
    const kept = nArg?.startsWith('+') === true ? ls.slice(Math.max(0, lines - 1)) : lines === 0 ? [] : ls.slice(-lines);
    ctx.out(kept.map((l, j) => (j < kept.length - 1 || trailing ? `${l}\n` : l)).join(''));
  }
  return status;
}

export async function grep(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, {
    flags: 'ivnclqrRHhEFwo',
    values: 'e',
    long: { 'ignore-case': 'i', 'invert-match': 'v', 'line-number': 'n', count: 'c', 'files-with-matches': 'l', quiet: 'q', recursive: 'r', regexp: 'e', 'fixed-strings': 'F', 'extended-regexp': 'E', 'word-regexp': 'w', 'only-matching': 'o' },
  });
  if (!p.ok) return usageError(ctx, 'grep', p.error, 2);
  const o = p.opts;
  const pattern = o.get('e') ?? p.rest.shift();
  if (pattern === undefined) return usageError(ctx, 'grep', 'no pattern given', 2);
  let source = o.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : o.has('E') ? pattern : basicToExtended(pattern);
  if (o.has('w')) source = `\\b(?:${source})\\b`;
  let re: RegExp;
  try {
    re = new RegExp(source, o.has('i') ? 'gi' : 'g');
  } catch {
    ctx.err(`grep: invalid regular expression '${pattern}'\n`);
    return 2;
  }
  const recursive = o.has('r') || o.has('R');
  let files = p.rest.length === 0 ? [recursive ? '.' : '-'] : p.rest;
  if (recursive) files = await expandTree(ctx, files, 'grep');
  const label = (files.length > 1 || recursive || o.has('H')) && !o.has('h');
  let matched = false;
  let status = 0;
  for (const f of files) {
    checkInterrupt(ctx);
    let body: string;
    try {
      body = await readText(ctx, f);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.err(`grep: ${f}: ${describeError(e)}\n`);
      status = 2;
      continue;
    }
    const lines = body.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let n = 0;
    for (const [i, line] of lines.entries()) {
      re.lastIndex = 0;
      const hit = re.test(line) !== o.has('v');
      if (!hit) continue;
      n++;
      matched = true;
      if (o.has('q')) return 0;
      if (o.has('l') || o.has('c')) continue;
      const prefix = `${label ? `${f === '-' ? '(standard input)' : f}:` : ''}${o.has('n') ? `${i + 1}:` : ''}`;
      if (o.has('o') && !o.has('v')) {
        // matchAll starts where test() left lastIndex.
        re.lastIndex = 0;
        for (const m of line.matchAll(re)) if (m[0] !== '') ctx.out(`${prefix}${m[0]}\n`);
      }
      else ctx.out(`${prefix}${line}\n`);
    }
    if (o.has('l') && n > 0) ctx.out(`${f === '-' ? '(standard input)' : f}\n`);
    else if (o.has('c')) ctx.out(`${label ? `${f}:` : ''}${n}\n`);
  }
  return status === 2 && !matched ? 2 : matched ? 0 : 1;
}

/** GNU basic regular expressions to JavaScript's: \( \) \{ \} \| \+ \? are the operators, bare ( ) { } | + ? are literal. */
function basicToExtended(bre: string): string {
  let out = '';
  for (let i = 0; i < bre.length; i++) {
    const c = bre[i]!;
    if (c === '\\' && i + 1 < bre.length) {
      const n = bre[++i]!;
      out += '(){}|+?'.includes(n) ? n : `\\${n}`;
    } else out += '(){}|+?'.includes(c) ? `\\${c}` : c;
  }
  return out;
}

/** The regular files under each operand (grep -r). */
async function expandTree(ctx: ShellContext, roots: string[], cmd: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (shown: string): Promise<void> => {
    checkInterrupt(ctx);
    const path = resolvePath(ctx.cwd, shown);
    let st: ShellStats;
    try {
      st = await ctx.fs.lstat(path);
    } catch (e) {
      ctx.err(`${cmd}: ${shown}: ${describeError(e)}\n`);
      return;
    }
    if (!st.isDirectory()) {
      if (st.isFile()) out.push(shown);
      return;
    }
    let names: string[] = [];
    try {
      names = (await ctx.fs.readdir(path)).sort();
    } catch (e) {
      ctx.err(`${cmd}: ${shown}: ${describeError(e)}\n`);
    }
    for (const n of names) await walk(shown === '.' ? n : posix.join(shown, n));
  };
  for (const r of roots) await walk(r);
  return out;
}

export async function wc(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'lwcm', long: { lines: 'l', words: 'w', bytes: 'c', chars: 'm' } });
  if (!p.ok) return usageError(ctx, 'wc', p.error);
  const pick = ['l', 'w', 'c', 'm'].filter((k) => p.opts.has(k));
  const cols = pick.length === 0 ? ['l', 'w', 'c'] : pick;
  const files = p.rest.length === 0 ? ['-'] : p.rest;
  const total: Record<string, number> = { l: 0, w: 0, c: 0, m: 0 };
  const rows: [Record<string, number>, string][] = [];
  let status = 0;
  for (const f of files) {
    // Counted as it streams: wc -c of an endless pipe runs until Ctrl-C without growing.
    const r = { l: 0, w: 0, c: 0, m: 0 };
    let inWord = false;
    try {
      await eachChunk(ctx, f, (chunk) => {
        for (const ch of chunk) {
          r.m++;
          if (ch === '\n') r.l++;
          const space = ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v';
          if (!space && !inWord) r.w++;
          inWord = !space;
        }
        r.c += Buffer.byteLength(chunk);
        return true;
      });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.err(`wc: ${f}: ${describeError(e)}\n`);
      status = 1;
      continue;
    }
    for (const k of Object.keys(total)) total[k]! += r[k as keyof typeof r];
    rows.push([r, f === '-' ? '' : f]);
  }
  if (rows.length > 1) rows.push([total, 'total']);
  const width = rows.length === 1 && files[0] === '-' ? 1 : Math.max(1, ...rows.flatMap(([r]) => cols.map((k) => String(r[k]).length)));
  for (const [r, name] of rows) ctx.out(`${cols.map((k) => String(r[k]).padStart(width)).join(' ')}${name === '' ? '' : ` ${name}`}\n`);
  return status;
}

/** find [path...] [-name PAT] [-iname PAT] [-type f|d|l] [-maxdepth N] [-mindepth N] [-print] */
export async function find(ctx: ShellContext, args: string[]): Promise<number> {
  const roots: string[] = [];
  let i = 0;
  for (; i < args.length && !args[i]!.startsWith('-'); i++) roots.push(args[i]!);
  if (roots.length === 0) roots.push('.');
  const tests: ((name: string, st: ShellStats) => boolean)[] = [];
  let maxDepth = Infinity;
  let minDepth = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-print') continue;
    const v = args[i + 1];
    if (!['-name', '-iname', '-type', '-maxdepth', '-mindepth'].includes(a)) {
      ctx.err(a.startsWith('-') ? `find: unknown predicate '${a}'\n` : `find: paths must precede expression: '${a}'\n`);
      return 1;
    }
    if (v === undefined) {
      ctx.err(`find: missing argument to '${a}'\n`);
      return 1;
    }
    i++;
    if (a === '-name' || a === '-iname') {
      const re = globRegExp(v);
      const ci = new RegExp(re.source, 'i');
      tests.push((n) => (a === '-iname' ? ci : re).test(n));
    } else if (a === '-type') {
      if (!['f', 'd', 'l'].includes(v)) {
        ctx.err(`find: Unknown argument to -type: ${v}\n`);
        return 1;
      }
      tests.push((_, st) => (v === 'f' ? st.isFile() : v === 'd' ? st.isDirectory() : st.isSymbolicLink()));
    } else {
      if (!/^\d+$/.test(v)) {
        ctx.err(`find: Expected a positive decimal integer argument to ${a}, but got '${v}'\n`);
        return 1;
      }
      if (a === '-maxdepth') maxDepth = Number(v);
      else minDepth = Number(v);
    }
  }
  let status = 0;
  const walk = async (shown: string, depth: number): Promise<void> => {
    checkInterrupt(ctx);
    const path = resolvePath(ctx.cwd, shown);
    let st: ShellStats;
    try {
      st = await ctx.fs.lstat(path);
    } catch (e) {
      ctx.err(`find: '${shown}': ${describeError(e)}\n`);
      status = 1;
      return;
    }
    if (depth >= minDepth && tests.every((t) => t(posix.basename(path), st))) ctx.out(`${shown}\n`);
    if (!st.isDirectory() || depth >= maxDepth) return;
    let names: string[];
    try {
      names = (await ctx.fs.readdir(path)).sort();
    } catch (e) {
      ctx.err(`find: '${shown}': ${describeError(e)}\n`);
      status = 1;
      return;
    }
    for (const n of names) await walk(shown.endsWith('/') ? `${shown}${n}` : `${shown}/${n}`, depth + 1);
  };
  for (const r of roots) await walk(r, 0);
  return status;
}
