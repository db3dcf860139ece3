// The shell's commands that remove, move, copy and link, with GNU coreutils' options and
// messages: rm (-r entry by entry, naming each entry that stays), mv (copy and remove
// across file systems, as GNU mv on EXDEV), cp (-r trees), ln (-s).

import { posix } from 'node:path';
import { checkInterrupt, codeOf, describeError, resolvePath, usageError, type ShellContext, type ShellStats } from './context.ts';
import { parseOptions } from './options.ts';

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

