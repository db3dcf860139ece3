// The shell's commands: ls, cat, echo, mkdir, rm, mv, stat, cd, pwd, settrans,
// showtrans, fsysopts, ps, trace, bench, help. They work on any object with Node's
// fs.promises shape (memfs, or the client library over the filesystem servers) plus an
// optional system facet for the Hurd-specific ones. Errors print as a Unix shell's.

import { posix } from 'node:path';

/** The part of fs.promises the shell uses. */
export interface ShellFs {
  readFile(path: string): Promise<Uint8Array | string>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  appendFile(path: string, data: string | Uint8Array): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, opts?: { recursive?: boolean }): Promise<unknown>;
  rm(path: string, opts?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<ShellStats>;
  lstat(path: string): Promise<ShellStats>;
  readlink?(path: string): Promise<string>;
}

export interface ShellStats {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  mode: number;
  size: number;
  ino: number;
  dev: number;
  uid: number;
  gid: number;
  nlink: number;
  mtimeMs: number;
  atimeMs: number;
  ctimeMs: number;
  birthtimeMs?: number;
}

/** Hurd-specific operations the system provides (absent on plain memfs). */
export interface ShellSystem {
  settrans?(path: string, argv: string[], opts: SettransOptions): Promise<void>;
  showtrans?(path: string): Promise<string[]>;
  fsysopts?(path: string, options: string[] | null): Promise<string[]>;
  /** ps-style lines. */
  ps?(): string[] | Promise<string[]>;
  /** Turn tracing on (lines go to `out`, JSON to `file` when given) or off (answers a summary). */
  trace?(on: boolean, file: string | null, out: (line: string) => void): Promise<string> | string;
  /** Run benchmark rows whose names start with `prefix`; answers table lines. */
  bench?(prefix: string, out: (line: string) => void): Promise<void>;
}

export interface SettransOptions {
  /** -a: start an active translator now (else set the passive setting). */
  active: boolean;
  /** -c: create the node if it does not exist. */
  create: boolean;
  /** -g: tell the active translator to go away (and clear the passive setting when no argv). */
  goaway: boolean;
  /** -f: force (with -g: even when in use). */
  force: boolean;
}

/** What a command sees: the fs, the system, where output goes. */
export interface ShellContext {
  readonly fs: ShellFs;
  readonly system: ShellSystem;
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** Called by `exit`. */
  exit(code: number): void;
}

export type CommandFn = (ctx: ShellContext, args: string[]) => Promise<number>;

interface CommandDef {
  readonly run: CommandFn;
  readonly usage: string;
  readonly help: string;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EXDEV: 'Invalid cross-device link',
  ELOOP: 'Too many levels of symbolic links',
  EINVAL: 'Invalid argument',
  EBUSY: 'Device or resource busy',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  ETIMEDOUT: 'Connection timed out',
  EOPNOTSUPP: 'Operation not supported',
  ENOSYS: 'Function not implemented',
  ENXIO: 'No such device or address',
  EIO: 'Input/output error',
  EPIPE: 'Broken pipe',
  EBADF: 'Bad file descriptor',
  ENAMETOOLONG: 'File name too long',
  EINTR: 'Interrupted system call',
};

/** "No such file or directory" for an error with a code, else its message. */
export function describeError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && STRERROR[code] !== undefined) return STRERROR[code];
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

/** Resolve a path argument against the cwd (lexically, as the shell's own bookkeeping). */
export function resolvePath(cwd: string, p: string): string {
  return posix.resolve(cwd, p === '' ? '.' : p);
}

function flags(args: string[], allowed: string): { opts: Set<string>; rest: string[]; bad: string | null } {
  const opts = new Set<string>();
  const rest: string[] = [];
  let bad: string | null = null;
  let done = false;
  for (const a of args) {
    if (!done && a === '--') done = true;
    else if (!done && a.startsWith('-') && a.length > 1) {
      for (const c of a.slice(1)) {
        if (allowed.includes(c)) opts.add(c);
        else bad ??= c;
      }
    } else rest.push(a);
  }
  return { opts, rest, bad };
}

function text(data: Uint8Array | string): string {
  return typeof data === 'string' ? data : new TextDecoder().decode(data);
}

function modeString(st: ShellStats): string {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? '-' : '?';
  const bits = 'rwxrwxrwx';
  let s = type;
  for (let i = 0; i < 9; i++) s += (st.mode & (1 << (8 - i))) !== 0 ? bits[i] : '-';
  return s;
}

function date(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

async function ls(ctx: ShellContext, args: string[]): Promise<number> {
  const { opts, rest, bad } = flags(args, 'la');
  if (bad !== null) return usageError(ctx, 'ls', `invalid option -- '${bad}'`);
  const targets = rest.length === 0 ? ['.'] : rest;
  let status = 0;
  for (const [i, t] of targets.entries()) {
    const path = resolvePath(ctx.cwd, t);
    let st: ShellStats;
    try {
      st = await ctx.fs.lstat(path);
      if (st.isSymbolicLink() && !opts.has('l')) st = await ctx.fs.stat(path).catch(() => st);
    } catch (e) {
      ctx.err(`ls: cannot access '${t}': ${describeError(e)}\n`);
      status = 2;
      continue;
    }
    if (!st.isDirectory()) {
      ctx.out(opts.has('l') ? `${await longLine(ctx, path, t, st)}\n` : `${t}\n`);
      continue;
    }
    if (targets.length > 1) ctx.out(`${i > 0 ? '\n' : ''}${t}:\n`);
    let names: string[];
    try {
      names = (await ctx.fs.readdir(path)).sort();
    } catch (e) {
      ctx.err(`ls: cannot open directory '${t}': ${describeError(e)}\n`);
      status = 2;
      continue;
    }
    if (!opts.has('a')) names = names.filter((n) => !n.startsWith('.'));
    for (const n of names) {
      const p = posix.join(path, n);
      if (!opts.has('l')) {
        ctx.out(`${n}\n`);
        continue;
      }
      try {
        ctx.out(`${await longLine(ctx, p, n, await ctx.fs.lstat(p))}\n`);
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

async function cat(ctx: ShellContext, args: string[]): Promise<number> {
  let status = 0;
  for (const a of args) {
    try {
      ctx.out(text(await ctx.fs.readFile(resolvePath(ctx.cwd, a))));
    } catch (e) {
      ctx.err(`cat: ${a}: ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function echo(ctx: ShellContext, args: string[]): Promise<number> {
  const noNewline = args[0] === '-n';
  const words = noNewline ? args.slice(1) : args;
  ctx.out(words.join(' ') + (noNewline ? '' : '\n'));
  return 0;
}

async function mkdir(ctx: ShellContext, args: string[]): Promise<number> {
  const { opts, rest, bad } = flags(args, 'p');
  if (bad !== null) return usageError(ctx, 'mkdir', `invalid option -- '${bad}'`);
  if (rest.length === 0) return usageError(ctx, 'mkdir', 'missing operand');
  let status = 0;
  for (const d of rest) {
    try {
      await ctx.fs.mkdir(resolvePath(ctx.cwd, d), { recursive: opts.has('p') });
    } catch (e) {
      ctx.err(`mkdir: cannot create directory '${d}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function rm(ctx: ShellContext, args: string[]): Promise<number> {
  const { opts, rest, bad } = flags(args, 'rfR');
  if (bad !== null) return usageError(ctx, 'rm', `invalid option -- '${bad}'`);
  if (rest.length === 0) return opts.has('f') ? 0 : usageError(ctx, 'rm', 'missing operand');
  const recursive = opts.has('r') || opts.has('R');
  let status = 0;
  for (const p of rest) {
    const path = resolvePath(ctx.cwd, p);
    try {
      if (!recursive) {
        const st = await ctx.fs.lstat(path);
        if (st.isDirectory()) {
          ctx.err(`rm: cannot remove '${p}': Is a directory\n`);
          status = 1;
          continue;
        }
      }
      await ctx.fs.rm(path, { recursive, force: opts.has('f') });
    } catch (e) {
      if (opts.has('f') && (e as { code?: string }).code === 'ENOENT') continue;
      ctx.err(`rm: cannot remove '${p}': ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function mv(ctx: ShellContext, args: string[]): Promise<number> {
  if (args.length !== 2) return usageError(ctx, 'mv', args.length < 2 ? 'missing file operand' : 'too many operands');
  const [from, to] = args as [string, string];
  let dest = resolvePath(ctx.cwd, to);
  try {
    const st = await ctx.fs.stat(dest).catch(() => null);
    if (st?.isDirectory() === true) dest = posix.join(dest, posix.basename(from));
    await ctx.fs.rename(resolvePath(ctx.cwd, from), dest);
    return 0;
  } catch (e) {
    ctx.err(`mv: cannot move '${from}' to '${to}': ${describeError(e)}\n`);
    return 1;
  }
}

async function stat(ctx: ShellContext, args: string[]): Promise<number> {
  if (args.length === 0) return usageError(ctx, 'stat', 'missing operand');
  let status = 0;
  for (const a of args) {
    try {
      const st = await ctx.fs.lstat(resolvePath(ctx.cwd, a));
      const kind = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symbolic link' : st.isFile() ? 'regular file' : 'other';
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

async function cd(ctx: ShellContext, args: string[]): Promise<number> {
  const target = resolvePath(ctx.cwd, args[0] ?? '/');
  try {
    const st = await ctx.fs.stat(target);
    if (!st.isDirectory()) {
      ctx.err(`cd: ${args[0]}: Not a directory\n`);
      return 1;
    }
    ctx.cwd = target;
    return 0;
  } catch (e) {
    ctx.err(`cd: ${args[0] ?? '/'}: ${describeError(e)}\n`);
    return 1;
  }
}

async function pwd(ctx: ShellContext): Promise<number> {
  ctx.out(`${ctx.cwd}\n`);
  return 0;
}

function unsupported(ctx: ShellContext, cmd: string): number {
  ctx.err(`${cmd}: not available on this system\n`);
  return 1;
}

async function settrans(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.settrans === undefined) return unsupported(ctx, 'settrans');
  // Options come before the node; everything after the node is the translator's argv.
  const opts = new Set<string>();
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-'); i++) for (const c of args[i]!.slice(1)) opts.add(c);
  const node = args[i];
  if (node === undefined) return usageError(ctx, 'settrans', 'missing node');
  const argv = args.slice(i + 1);
  for (const c of opts) if (!'acgfp'.includes(c)) return usageError(ctx, 'settrans', `invalid option -- '${c}'`);
  try {
    await sys.settrans(resolvePath(ctx.cwd, node), argv, {
      active: opts.has('a'),
      create: opts.has('c'),
      goaway: opts.has('g'),
      force: opts.has('f'),
    });
    return 0;
  } catch (e) {
    ctx.err(`settrans: ${node}: ${describeError(e)}\n`);
    return 1;
  }
}

async function showtrans(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.showtrans === undefined) return unsupported(ctx, 'showtrans');
  if (args.length === 0) return usageError(ctx, 'showtrans', 'missing node');
  let status = 0;
  for (const a of args) {
    try {
      const argv = await sys.showtrans(resolvePath(ctx.cwd, a));
      if (argv.length > 0) ctx.out(`${argv.join(' ')}\n`);
    } catch (e) {
      ctx.err(`showtrans: ${a}: ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function fsysopts(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.fsysopts === undefined) return unsupported(ctx, 'fsysopts');
  const node = args[0];
  if (node === undefined) return usageError(ctx, 'fsysopts', 'missing node');
  try {
    const opts = await sys.fsysopts(resolvePath(ctx.cwd, node), args.length > 1 ? args.slice(1) : null);
    if (args.length === 1) ctx.out(`${opts.join(' ')}\n`);
    return 0;
  } catch (e) {
    ctx.err(`fsysopts: ${node}: ${describeError(e)}\n`);
    return 1;
  }
}

async function ps(ctx: ShellContext): Promise<number> {
  if (ctx.system.ps === undefined) return unsupported(ctx, 'ps');
  for (const l of await ctx.system.ps()) ctx.out(`${l}\n`);
  return 0;
}

async function trace(ctx: ShellContext, args: string[]): Promise<number> {
  if (ctx.system.trace === undefined) return unsupported(ctx, 'trace');
  const mode = args[0];
  if (mode !== 'on' && mode !== 'off') return usageError(ctx, 'trace', 'expected on or off');
  const summary = await ctx.system.trace(mode === 'on', args[1] ?? null, (l) => ctx.out(`${l}\n`));
  if (summary !== '') ctx.out(`${summary}\n`);
  return 0;
}

async function bench(ctx: ShellContext, args: string[]): Promise<number> {
  if (ctx.system.bench === undefined) return unsupported(ctx, 'bench');
  await ctx.system.bench(args[0] ?? '', (l) => ctx.out(`${l}\n`));
  return 0;
}

async function exit(ctx: ShellContext, args: string[]): Promise<number> {
  const code = args[0] === undefined ? 0 : Number(args[0]);
  ctx.exit(Number.isInteger(code) ? code : 2);
  return 0;
}

async function help(ctx: ShellContext, args: string[]): Promise<number> {
  if (args[0] !== undefined) {
    const c = COMMANDS[args[0]];
    if (c === undefined) {
      ctx.err(`help: no help topics match '${args[0]}'\n`);
      return 1;
    }
    ctx.out(`${c.usage}\n    ${c.help}\n`);
    return 0;
  }
  for (const c of Object.values(COMMANDS)) ctx.out(`${c.usage.padEnd(44)} ${c.help}\n`);
  ctx.out('Output of any command can be redirected with > file or >> file; separate commands with ;.\n');
  return 0;
}

function usageError(ctx: ShellContext, cmd: string, msg: string): number {
  ctx.err(`${cmd}: ${msg}\nusage: ${COMMANDS[cmd]?.usage ?? cmd}\n`);
  return 2;
}

export const COMMANDS: Record<string, CommandDef> = {
  ls: { run: ls, usage: 'ls [-la] [path...]', help: 'list directory contents' },
  cat: { run: cat, usage: 'cat file...', help: 'print files' },
  echo: { run: echo, usage: 'echo [-n] [word...]', help: 'print words (redirect with > or >>)' },
  mkdir: { run: mkdir, usage: 'mkdir [-p] dir...', help: 'make directories' },
  rm: { run: rm, usage: 'rm [-rf] path...', help: 'remove files or directories' },
  mv: { run: mv, usage: 'mv from to', help: 'rename or move' },
  stat: { run: stat, usage: 'stat path...', help: 'show file status' },
  cd: { run: cd, usage: 'cd [dir]', help: 'change the working directory' },
  pwd: { run: pwd, usage: 'pwd', help: 'print the working directory' },
  settrans: { run: settrans, usage: 'settrans [-acgf] node [translator arg...]', help: 'set a translator on a node (passive unless -a)' },
  showtrans: { run: showtrans, usage: 'showtrans node...', help: 'show the passive translator of a node' },
  fsysopts: { run: fsysopts, usage: 'fsysopts node [option...]', help: "get or set a running translator's options" },
  ps: { run: ps, usage: 'ps', help: 'list tasks, threads and what they are blocked on' },
  trace: { run: trace, usage: 'trace on|off [file.json]', help: 'trace RPCs (rpctrace); off writes the Perfetto JSON' },
  bench: { run: bench, usage: 'bench [prefix]', help: 'run benchmark rows whose names start with prefix' },
  help: { run: help, usage: 'help [command]', help: 'this help' },
  exit: { run: exit, usage: 'exit [status]', help: 'leave the shell' },
};
