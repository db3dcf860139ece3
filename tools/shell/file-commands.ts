// The shell's file commands, with GNU coreutils' options and messages: ls, cat, echo,
// mkdir, rmdir, chmod, chown, touch, stat, cd, pwd (rm, mv, cp and ln are in
// tree-commands.ts). They work on any fs.promises-shaped object (ShellFs).

import { posix } from 'node:path';
import {
  checkInterrupt,
  codeOf,
  describeError,
  eachChunk,
  readChunks,
  resolvePath,
  usageError,
  type ShellContext,
  type ShellStats,
} from './context.ts';
import { parseOptions } from './options.ts';

function modeString(st: ShellStats): string {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? '-' : (st.mode & 0o170000) === 0o020000 ? 'c' : '?';
  const bits = 'rwxrwxrwx';
  let s = type;
  for (let i = 0; i < 9; i++) s += (st.mode & (1 << (8 - i))) !== 0 ? bits[i] : '-';
  if ((st.mode & 0o1000) !== 0) s = s.slice(0, 9) + (s[9] === 'x' ? 't' : 'T');
  return s;
}

function date(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export async function ls(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'lad1', long: { all: 'a', directory: 'd' } });
  if (!p.ok) return usageError(ctx, 'ls', p.error, 2);
  const long = p.opts.has('l');
  const targets = p.rest.length === 0 ? ['.'] : p.rest;
  let status = 0;
  const dirs: string[] = [];
  for (const t of targets) {
    const path = resolvePath(ctx.cwd, t);
    let st: ShellStats;
    try {
      st = await ctx.fs.lstat(path);
      if (st.isSymbolicLink() && !long) st = await ctx.fs.stat(path).catch(() => st);
    } catch (e) {
      ctx.err(`ls: cannot access '${t}': ${describeError(e)}\n`);
      status = 2;
      continue;
    }
    if (st.isDirectory() && !p.opts.has('d')) dirs.push(t);
    else ctx.out(long ? `${await longLine(ctx, path, t, st)}\n` : `${t}\n`);
  }
  for (const [i, t] of dirs.entries()) {
    checkInterrupt(ctx);
    const path = resolvePath(ctx.cwd, t);
    if (targets.length > 1) ctx.out(`${i > 0 || dirs.length < targets.length ? '\n' : ''}${t}:\n`);
    let names: string[];
    try {
      names = (await ctx.fs.readdir(path)).sort();
    } catch (e) {
      ctx.err(`ls: cannot open directory '${t}': ${describeError(e)}\n`);
      status = 2;
      continue;
    }
    if (!p.opts.has('a')) names = names.filter((n) => !n.startsWith('.'));
    for (const n of names) {
      const np = posix.join(path, n);
      if (!long) {
        ctx.out(`${n}\n`);
        continue;
      }
      try {
        ctx.out(`${await longLine(ctx, np, n, await ctx.fs.lstat(np))}\n`);
      } catch (e) {
        ctx.out(`?????????? ? ? ? ? ${n}  (${describeError(e)})\n`);
      }
    }
  }
  return status;
}

async function longLine(ctx: ShellContext, path: string, name: string, st: ShellStats): Promise<string> {
  let line = `${modeString(st)} ${String(st.nlink).padStart(2)} ${String(st.uid).padStart(5)} ${String(st.gid).padStart(5)} ${String(st.size).padStart(8)} ${date(st.mtimeMs)} ${name}`;
  if (st.isSymbolicLink() && ctx.fs.readlink !== undefined) {
    try {
      line += ` -> ${await ctx.fs.readlink(path)}`;
    } catch {
      // a link whose target cannot be read still lists
    }
  }
  return line;
}

export async function cat(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'n', long: { number: 'n' } });
  if (!p.ok) return usageError(ctx, 'cat', p.error);
  const files = p.rest.length === 0 ? ['-'] : p.rest;
  let status = 0;
  let line = 1;
  let atStart = true;
  const emit = (s: string): void => {
    if (!p.opts.has('n')) return ctx.out(s);
    let o = '';
    for (const c of s) {
      if (atStart) o += `${String(line++).padStart(6)}\t`;
      o += c;
      atStart = c === '\n';
    }
    ctx.out(o);
  };
  for (const a of files) {
    try {
      if (a === '-') {
        await eachChunk(ctx, '-', (c) => {
          emit(c);
          return true;
        });
        continue;
      }
      const decoder = new TextDecoder();
      await readChunks(ctx, resolvePath(ctx.cwd, a), (c) => {
        emit(decoder.decode(c, { stream: true }));
        return !ctx.signal.aborted;
      });
      emit(decoder.decode());
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.err(`cat: ${a}: ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

export async function echo(ctx: ShellContext, args: string[]): Promise<number> {
  const noNewline = args[0] === '-n';
  const words = noNewline ? args.slice(1) : args;
  ctx.out(words.join(' ') + (noNewline ? '' : '\n'));
  return 0;
}

export async function mkdir(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'pv', long: { parents: 'p', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'mkdir', p.error);
  if (p.rest.length === 0) return usageError(ctx, 'mkdir', 'missing operand');
  let status = 0;
  for (const d of p.rest) {
    try {
      await ctx.fs.mkdir(resolvePath(ctx.cwd, d), { recursive: p.opts.has('p') });
      if (p.opts.has('v')) ctx.out(`mkdir: created directory '${d}'\n`);
    } catch (e) {
      ctx.err(`mkdir: cannot create directory '${d}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

export async function rmdir(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'pv', long: { parents: 'p', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'rmdir', p.error);
  if (p.rest.length === 0) return usageError(ctx, 'rmdir', 'missing operand');
  let status = 0;
  for (const d of p.rest) {
    let cur = d;
    for (;;) {
      try {
        await ctx.fs.rmdir(resolvePath(ctx.cwd, cur));
        if (p.opts.has('v')) ctx.out(`rmdir: removing directory, '${cur}'\n`);
      } catch (e) {
        ctx.err(`rmdir: failed to remove '${cur}': ${describeError(e)}\n`);
        status = 1;
        break;
      }
      const up = posix.dirname(cur);
      if (!p.opts.has('p') || up === cur || up === '.' || up === '/') break;
      cur = up;
    }
  }
  return status;
}

/** A mode from an octal number or symbolic clauses (u+x,go-w,a=r), applied to `old`; null when malformed. */
export function parseMode(spec: string, old: number, isDir: boolean): number | null {
  if (/^[0-7]{1,4}$/.test(spec)) return parseInt(spec, 8);
  let mode = old & 0o7777;
  for (const clause of spec.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (m === null) return null;
    const who = m[1] === '' || m[1]!.includes('a') ? 'ugo' : m[1]!;
    let bits = 0;
    for (const c of m[3]!) {
      const perm = c === 'r' ? 4 : c === 'w' ? 2 : c === 'x' || (c === 'X' && (isDir || (old & 0o111) !== 0)) ? 1 : 0;
      for (const w of who) bits |= perm << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      if (c === 's') bits |= (who.includes('u') ? 0o4000 : 0) | (who.includes('g') ? 0o2000 : 0);
      if (c === 't') bits |= 0o1000;
    }
    let mask = 0;
    for (const w of who) mask |= 7 << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
    if (m[2] === '+') mode |= bits;
    else if (m[2] === '-') mode &= ~bits;
    else mode = (mode & ~mask) | bits;
  }
  return mode;
}

async function eachTree(ctx: ShellContext, path: string, recursive: boolean, fn: (p: string, st: ShellStats) => Promise<void>): Promise<void> {
  checkInterrupt(ctx);
  const st = await ctx.fs.stat(path);
  await fn(path, st);
  if (recursive && st.isDirectory()) for (const n of await ctx.fs.readdir(path)) await eachTree(ctx, posix.join(path, n), true, fn);
}

export async function chmod(ctx: ShellContext, args: string[]): Promise<number> {
  // A mode such as -w or -x looks like an option; GNU chmod takes it as the mode.
  const modeAt = args.findIndex((a) => /^-[rwxXst]+$/.test(a));
  const spec = modeAt >= 0 ? args[modeAt]! : null;
  const p = parseOptions(modeAt >= 0 ? args.filter((_, i) => i !== modeAt) : args, { flags: 'Rv', long: { recursive: 'R', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'chmod', p.error);
  const mode = spec ?? p.rest.shift();
  if (mode === undefined) return usageError(ctx, 'chmod', 'missing operand');
  if (p.rest.length === 0) return usageError(ctx, 'chmod', `missing operand after '${mode}'`);
  let status = 0;
  for (const f of p.rest) {
    try {
      await eachTree(ctx, resolvePath(ctx.cwd, f), p.opts.has('R'), async (path, st) => {
        const m = parseMode(mode, st.mode, st.isDirectory());
        if (m === null) throw Object.assign(new Error(`invalid mode: '${mode}'`), { code: 'INVALID_MODE' });
        await ctx.fs.chmod(path, m);
      });
    } catch (e) {
      if (codeOf(e) === 'INVALID_MODE') return usageError(ctx, 'chmod', `invalid mode: '${mode}'`);
      ctx.err(`chmod: changing permissions of '${f}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** A user or group: a number, or the names this system knows (root, user). */
function idOf(name: string, kind: 'user' | 'group'): number | null {
  if (/^\d+$/.test(name)) return Number(name);
  const known: Record<string, number> = kind === 'user' ? { root: 0, user: 1000 } : { root: 0, wheel: 0, users: 100 };
  return known[name] ?? null;
}

export async function chown(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'Rv', long: { recursive: 'R', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'chown', p.error);
  const owner = p.rest.shift();
  if (owner === undefined) return usageError(ctx, 'chown', 'missing operand');
  if (p.rest.length === 0) return usageError(ctx, 'chown', `missing operand after '${owner}'`);
  const [u, g] = owner.split(':') as [string, string | undefined];
  const uid = u === '' ? null : idOf(u, 'user');
  const gid = g === undefined || g === '' ? null : idOf(g, 'group');
  if (u !== '' && uid === null) return usageError(ctx, 'chown', `invalid user: '${owner}'`);
  if (g !== undefined && g !== '' && gid === null) return usageError(ctx, 'chown', `invalid group: '${owner}'`);
  let status = 0;
  for (const f of p.rest) {
    try {
      await eachTree(ctx, resolvePath(ctx.cwd, f), p.opts.has('R'), (path, st) => ctx.fs.chown(path, uid ?? st.uid, gid ?? st.gid));
    } catch (e) {
      ctx.err(`chown: changing ownership of '${f}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

export async function touch(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'c', long: { 'no-create': 'c' } });
  if (!p.ok) return usageError(ctx, 'touch', p.error);
  if (p.rest.length === 0) return usageError(ctx, 'touch', 'missing file operand');
  let status = 0;
  for (const f of p.rest) {
    const path = resolvePath(ctx.cwd, f);
    try {
      const exists = await ctx.fs.stat(path).then(() => true, (e: unknown) => (codeOf(e) === 'ENOENT' ? false : Promise.reject(e)));
      if (!exists) {
        if (p.opts.has('c')) continue;
        await ctx.fs.appendFile(path, '');
      }
      const now = new Date();
      await ctx.fs.utimes(path, now, now);
    } catch (e) {
      ctx.err(`touch: cannot touch '${f}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

export async function stat(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'L', long: { dereference: 'L' } });
  if (!p.ok) return usageError(ctx, 'stat', p.error);
  if (p.rest.length === 0) return usageError(ctx, 'stat', 'missing operand');
  let status = 0;
  for (const a of p.rest) {
    try {
      const path = resolvePath(ctx.cwd, a);
      const st = p.opts.has('L') ? await ctx.fs.stat(path) : await ctx.fs.lstat(path);
      const kind = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symbolic link' : st.isFile() ? 'regular file' : (st.mode & 0o170000) === 0o020000 ? 'character special file' : 'other';
      ctx.out(
        `  File: ${a}\n  Size: ${st.size}\tBlocks: ${Math.ceil(st.size / 512)}\t${kind}\n` +
          `Device: ${st.dev}\tInode: ${st.ino}\tLinks: ${st.nlink}\n` +
          `Access: (${(st.mode & 0o7777).toString(8).padStart(4, '0')}/${modeString(st)})  Uid: ${st.uid}  Gid: ${st.gid}\n` +
          `Access: ${date(st.atimeMs)}\nModify: ${date(st.mtimeMs)}\nChange: ${date(st.ctimeMs)}\n`,
      );
    } catch (e) {
      ctx.err(`stat: cannot statx '${a}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

export async function cd(ctx: ShellContext, args: string[]): Promise<number> {
  if (args.length > 1) {
    ctx.err('cd: too many arguments\n');
    return 1;
  }
  const arg = args[0] ?? ctx.vars.get('HOME') ?? '/';
  const target = resolvePath(ctx.cwd, arg);
  try {
    const st = await ctx.fs.stat(target);
    if (!st.isDirectory()) {
      ctx.err(`cd: ${arg}: Not a directory\n`);
      return 1;
    }
    ctx.cwd = target;
    return 0;
  } catch (e) {
    ctx.err(`cd: ${arg}: ${describeError(e)}\n`);
    return 1;
  }
}

export async function pwd(ctx: ShellContext): Promise<number> {
  ctx.out(`${ctx.cwd}\n`);
  return 0;
}
