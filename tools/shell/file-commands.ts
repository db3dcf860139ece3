// The shell's file commands, with GNU coreutils' options and messages: ls, cat, echo,
// mkdir, rmdir, rm, mv (copy and remove across file systems), cp, ln, chmod, chown,
// touch, stat, cd, pwd. They work on any fs.promises-shaped object (ShellFs).

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

/**
 * Remove `shown` (resolved `path`) and, when recursive, what is under it, as GNU rm:
 * unlink or rmdir first, empty a directory only when rmdir says it is not empty (so a
 * translated node answers EBUSY for itself and is not entered), and report each entry
 * that fails by its own name. Answers false when something stayed.
 */
async function removeTree(ctx: ShellContext, path: string, shown: string, force: boolean): Promise<boolean> {
  checkInterrupt(ctx);
  const report = (e: unknown): boolean => {
    if (force && codeOf(e) === 'ENOENT') return true;
    if (ctx.signal.aborted) throw e;
    ctx.err(`rm: cannot remove '${shown}': ${describeError(e)}\n`);
    return false;
  };
  let st: ShellStats;
  try {
    st = await ctx.fs.lstat(path);
  } catch (e) {
    return report(e);
  }
  if (!st.isDirectory()) {
    try {
      await ctx.fs.unlink(path);
      return true;
    } catch (e) {
      return report(e);
    }
  }
  try {
    await ctx.fs.rmdir(path);
    return true;
  } catch (e) {
    // A translator shows a directory over a file node: the node itself is unlinked (and says why not).
    if (codeOf(e) === 'ENOTDIR') return ctx.fs.unlink(path).then(() => true, report);
    if (codeOf(e) !== 'ENOTEMPTY' && codeOf(e) !== 'EEXIST') return report(e);
  }
  let names: string[];
  try {
    names = await ctx.fs.readdir(path);
  } catch (e) {
    return report(e);
  }
  let ok = true;
  for (const n of names.sort()) ok = (await removeTree(ctx, posix.join(path, n), posix.join(shown, n), force)) && ok;
  if (!ok) return false;
  try {
    await ctx.fs.rmdir(path);
    return true;
  } catch (e) {
    return report(e);
  }
}

export async function rm(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'rfRdv', long: { recursive: 'r', force: 'f', dir: 'd', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'rm', p.error);
  const force = p.opts.has('f');
  if (p.rest.length === 0) return force ? 0 : usageError(ctx, 'rm', 'missing operand');
  const recursive = p.opts.has('r') || p.opts.has('R');
  let status = 0;
  for (const a of p.rest) {
    const path = resolvePath(ctx.cwd, a);
    if (recursive) {
      if (path === '/') {
        ctx.err(`rm: it is dangerous to operate recursively on '/'\n`);
        status = 1;
      } else if (!(await removeTree(ctx, path, a, force))) status = 1;
      continue;
    }
    try {
      const st = await ctx.fs.lstat(path);
      if (st.isDirectory()) {
        if (p.opts.has('d')) await ctx.fs.rmdir(path);
        else {
          ctx.err(`rm: cannot remove '${a}': Is a directory\n`);
          status = 1;
          continue;
        }
      } else await ctx.fs.unlink(path);
      if (p.opts.has('v')) ctx.out(`removed '${a}'\n`);
    } catch (e) {
      if (force && codeOf(e) === 'ENOENT') continue;
      ctx.err(`rm: cannot remove '${a}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** Copy `from` to `to` (a tree when recursive); errors name the entry, as GNU cp's. */
async function copyTree(ctx: ShellContext, cmd: string, from: string, to: string, shownFrom: string, recursive: boolean): Promise<boolean> {
  checkInterrupt(ctx);
  let st: ShellStats;
  try {
    st = await ctx.fs.lstat(from);
  } catch (e) {
    ctx.err(`${cmd}: cannot stat '${shownFrom}': ${describeError(e)}\n`);
    return false;
  }
  if (st.isDirectory()) {
    if (!recursive) {
      ctx.err(`${cmd}: -r not specified; omitting directory '${shownFrom}'\n`);
      return false;
    }
    try {
      await ctx.fs.mkdir(to);
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') {
        ctx.err(`${cmd}: cannot create directory '${to}': ${describeError(e)}\n`);
        return false;
      }
    }
    let ok = true;
    let names: string[] = [];
    try {
      names = await ctx.fs.readdir(from);
    } catch (e) {
      ctx.err(`${cmd}: cannot access '${shownFrom}': ${describeError(e)}\n`);
      return false;
    }
    for (const n of names.sort()) ok = (await copyTree(ctx, cmd, posix.join(from, n), posix.join(to, n), posix.join(shownFrom, n), true)) && ok;
    return ok;
  }
  try {
    if (st.isSymbolicLink() && ctx.fs.readlink !== undefined) await ctx.fs.symlink(await ctx.fs.readlink(from), to);
    else await ctx.fs.writeFile(to, await ctx.fs.readFile(from));
    return true;
  } catch (e) {
    ctx.err(`${cmd}: cannot copy '${shownFrom}' to '${to}': ${describeError(e)}\n`);
    return false;
  }
}

/** The destination of each source: into `dest` when it is a directory, else `dest` itself (one source only). */
async function targets(ctx: ShellContext, cmd: string, operands: string[]): Promise<[string, string][] | null> {
  if (operands.length === 0) {
    usageError(ctx, cmd, 'missing file operand');
    return null;
  }
  if (operands.length === 1) {
    usageError(ctx, cmd, `missing destination file operand after '${operands[0]}'`);
    return null;
  }
  const dest = operands[operands.length - 1]!;
  const sources = operands.slice(0, -1);
  const destPath = resolvePath(ctx.cwd, dest);
  const isDir = (await ctx.fs.stat(destPath).catch(() => null))?.isDirectory() === true;
  if (!isDir && sources.length > 1) {
    ctx.err(`${cmd}: target '${dest}' is not a directory\n`);
    return null;
  }
  return sources.map((s) => [s, isDir ? posix.join(destPath, posix.basename(resolvePath(ctx.cwd, s))) : destPath]);
}

export async function mv(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'fnv', long: { force: 'f', 'no-clobber': 'n', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'mv', p.error);
  const pairs = await targets(ctx, 'mv', p.rest);
  if (pairs === null) return 1;
  let status = 0;
  for (const [from, to] of pairs) {
    const src = resolvePath(ctx.cwd, from);
    if (p.opts.has('n') && (await ctx.fs.lstat(to).then(() => true, () => false))) continue;
    try {
      await ctx.fs.rename(src, to);
    } catch (e) {
      if (codeOf(e) !== 'EXDEV') {
        ctx.err(`mv: cannot move '${from}' to '${to}': ${describeError(e)}\n`);
        status = 1;
        continue;
      }
      // Across file systems (into or out of a translator), as GNU mv: copy, then remove the original.
      if (!(await copyTree(ctx, 'mv', src, to, from, true)) || !(await removeTree(ctx, src, from, false))) {
        status = 1;
        continue;
      }
    }
    if (p.opts.has('v')) ctx.out(`renamed '${from}' -> '${to}'\n`);
  }
  return status;
}

export async function cp(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'rRanv', long: { recursive: 'r', archive: 'a', 'no-clobber': 'n', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'cp', p.error);
  const pairs = await targets(ctx, 'cp', p.rest);
  if (pairs === null) return 1;
  const recursive = p.opts.has('r') || p.opts.has('R') || p.opts.has('a');
  let status = 0;
  for (const [from, to] of pairs) {
    if (p.opts.has('n') && (await ctx.fs.lstat(to).then(() => true, () => false))) continue;
    if (!(await copyTree(ctx, 'cp', resolvePath(ctx.cwd, from), to, from, recursive))) status = 1;
    else if (p.opts.has('v')) ctx.out(`'${from}' -> '${to}'\n`);
  }
  return status;
}

export async function ln(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'sfv', long: { symbolic: 's', force: 'f', verbose: 'v' } });
  if (!p.ok) return usageError(ctx, 'ln', p.error);
  if (p.rest.length === 1) p.rest.push('.');
  const pairs = await targets(ctx, 'ln', p.rest);
  if (pairs === null) return 1;
  let status = 0;
  for (const [from, to] of pairs) {
    try {
      if (p.opts.has('f')) await ctx.fs.unlink(to).catch(() => undefined);
      if (p.opts.has('s')) await ctx.fs.symlink(from, to);
      else await ctx.fs.link(resolvePath(ctx.cwd, from), to);
      if (p.opts.has('v')) ctx.out(`'${to}' -> '${from}'\n`);
    } catch (e) {
      ctx.err(`ln: failed to create ${p.opts.has('s') ? 'symbolic' : 'hard'} link '${to}': ${describeError(e)}\n`);
      status = 1;
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
