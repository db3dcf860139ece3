// The shell's command table, and the Hurd and system commands (settrans, showtrans,
// fsysopts, ps, trace, bench, id, kill, df, mount) and builtins (help, history, clear,
// export, unset, env, true, false, sleep, exit). The file commands are in
// file-commands.ts and tree-commands.ts, the text commands in text-commands.ts.

import { posix } from 'node:path';
import { checkInterrupt, describeError, resolvePath, usageError, type CommandDef, type ShellContext } from './context.ts';
import { cat, cd, chmod, chown, echo, ls, mkdir, pwd, rmdir, stat, touch } from './file-commands.ts';
import { cp, ln, mv, rm } from './tree-commands.ts';
import { parseOptions } from './options.ts';
import { find, grep, head, tail, wc } from './text-commands.ts';

export { describeError, resolvePath } from './context.ts';
export type { CommandFn, ShellContext, ShellFs, ShellStats, ShellSystem, SettransOptions, Stdin } from './context.ts';

function unsupported(ctx: ShellContext, cmd: string): number {
  ctx.err(`${cmd}: not available on this system\n`);
  return 1;
}

async function settrans(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.settrans === undefined) return unsupported(ctx, 'settrans');
  // Options come before the node; everything after the node is the translator's argv.
  const i = args.findIndex((a) => !a.startsWith('-'));
  const p = parseOptions(i < 0 ? args : args.slice(0, i), {
    flags: 'acgfp',
    long: { active: 'a', create: 'c', goaway: 'g', force: 'f', passive: 'p' },
  });
  if (!p.ok) return usageError(ctx, 'settrans', p.error);
  if (i < 0) return usageError(ctx, 'settrans', 'missing node');
  const node = args[i]!;
  try {
    await sys.settrans(resolvePath(ctx.cwd, node), args.slice(i + 1), {
      active: p.opts.has('a'),
      create: p.opts.has('c'),
      goaway: p.opts.has('g'),
      force: p.opts.has('f'),
    });
    return 0;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    ctx.err(`settrans: ${node}: ${describeError(e)}\n`);
    return 1;
  }
}

async function showtrans(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.showtrans === undefined) return unsupported(ctx, 'showtrans');
  const p = parseOptions(args, { flags: 'p', long: { prefix: 'p' } });
  if (!p.ok) return usageError(ctx, 'showtrans', p.error);
  if (p.rest.length === 0) return usageError(ctx, 'showtrans', 'missing node');
  let status = 0;
  for (const a of p.rest) {
    try {
      const argv = await sys.showtrans(resolvePath(ctx.cwd, a));
      if (argv.length > 0) ctx.out(`${p.opts.has('p') ? `${a}: ` : ''}${argv.join(' ')}\n`);
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
  // Everything after the node is the translator's options (they start with -- themselves).
  const node = args[0];
  if (node === undefined) return usageError(ctx, 'fsysopts', 'missing node');
  try {
    const opts = await sys.fsysopts(resolvePath(ctx.cwd, node), args.length > 1 ? args.slice(1) : null);
    if (args.length === 1) ctx.out(`${opts.join(' ')}\n`);
    return 0;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    ctx.err(`fsysopts: ${node}: ${describeError(e)}\n`);
    return 1;
  }
}

async function ps(ctx: ShellContext, args: string[]): Promise<number> {
  if (ctx.system.ps === undefined) return unsupported(ctx, 'ps');
  const p = parseOptions(args, { flags: 'aefxl' });
  if (!p.ok) return usageError(ctx, 'ps', p.error);
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

async function id(ctx: ShellContext, args: string[]): Promise<number> {
  const ids = ctx.system.ids;
  if (ids === undefined) return unsupported(ctx, 'id');
  const p = parseOptions(args, { flags: 'ugGn', long: { user: 'u', group: 'g', groups: 'G', name: 'n' } });
  if (!p.ok) return usageError(ctx, 'id', p.error);
  if (p.rest.length > 0) {
    ctx.err(`id: '${p.rest[0]}': no such user\n`);
    return 1;
  }
  const uname = (u: number): string => (u === 0 ? 'root' : u === 1000 ? 'user' : String(u));
  const gname = (g: number): string => (g === 0 ? 'root' : g === 100 ? 'users' : String(g));
  const groups = ids.groups ?? [ids.gid];
  const n = p.opts.has('n');
  if (p.opts.has('u')) ctx.out(`${n ? uname(ids.uid) : ids.uid}\n`);
  else if (p.opts.has('g')) ctx.out(`${n ? gname(ids.gid) : ids.gid}\n`);
  else if (p.opts.has('G')) ctx.out(`${groups.map((g) => (n ? gname(g) : String(g))).join(' ')}\n`);
  else ctx.out(`uid=${ids.uid}(${uname(ids.uid)}) gid=${ids.gid}(${gname(ids.gid)}) groups=${groups.map((g) => `${g}(${gname(g)})`).join(',')}\n`);
  return 0;
}

async function kill(ctx: ShellContext, args: string[]): Promise<number> {
  if (ctx.system.kill === undefined) return unsupported(ctx, 'kill');
  // Signals are accepted for habit's sake; the task server's kill deletes the task (SIGKILL).
  const p = parseOptions(args.filter((a) => !/^-(\d+|KILL|TERM|HUP|INT|9|15)$/.test(a)), { values: 's', flags: 'l' });
  if (!p.ok) return usageError(ctx, 'kill', p.error);
  if (p.opts.has('l')) {
    ctx.out('HUP INT KILL TERM\n');
    return 0;
  }
  if (p.rest.length === 0) return usageError(ctx, 'kill', 'not enough arguments');
  let status = 0;
  for (const a of p.rest) {
    if (!/^\d+$/.test(a)) {
      ctx.err(`kill: ${a}: arguments must be process or job IDs\n`);
      status = 1;
      continue;
    }
    try {
      await ctx.system.kill(Number(a));
    } catch (e) {
      ctx.err(`kill: (${a}) - ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function view(ctx: ShellContext, args: string[]): Promise<number> {
  if (ctx.system.view === undefined) return unsupported(ctx, 'view');
  if (args.length > 0) return usageError(ctx, 'view', `unexpected argument '${args[0]!}'`);
  try {
    ctx.out(`live view: ${await ctx.system.view()}\n`);
    return 0;
  } catch (e) {
    ctx.err(`view: ${describeError(e)}\n`);
    return 1;
  }
}

async function df(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, { flags: 'hki', long: { 'human-readable': 'h', inodes: 'i' } });
  if (!p.ok) return usageError(ctx, 'df', p.error);
  if (ctx.fs.statfs === undefined) {
    ctx.err('df: statfs is not available on this file system\n');
    return 1;
  }
  const human = (n: number): string => {
    const units = ['', 'K', 'M', 'G', 'T'];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return u === 0 ? String(n) : `${n < 10 ? n.toFixed(1) : Math.round(n)}${units[u]}`;
  };
  const inodes = p.opts.has('i');
  ctx.out(inodes ? 'Filesystem       Inodes   IUsed   IFree IUse% Mounted on\n' : `Filesystem     ${p.opts.has('h') ? '  Size   Used  Avail' : '1K-blocks      Used Available'} Use% Mounted on\n`);
  let status = 0;
  for (const a of p.rest.length === 0 ? ['/'] : p.rest) {
    try {
      const s = await ctx.fs.statfs(resolvePath(ctx.cwd, a));
      const name = posix.basename(resolvePath(ctx.cwd, a)) === '' ? 'fs' : `fs:${a}`;
      if (inodes) {
        const used = s.files - s.ffree;
        const pct = s.files === 0 ? '-' : `${Math.ceil((used * 100) / s.files)}%`;
        ctx.out(`${name.padEnd(14)} ${String(s.files).padStart(8)} ${String(used).padStart(7)} ${String(s.ffree).padStart(7)} ${pct.padStart(5)} ${a}\n`);
        continue;
      }
      const size = s.blocks * s.bsize;
      const used = (s.blocks - s.bfree) * s.bsize;
      const avail = s.bavail * s.bsize;
      const pct = size === 0 ? '-' : `${Math.ceil((used * 100) / Math.max(1, used + avail))}%`;
      const cols = p.opts.has('h')
        ? [human(size).padStart(6), human(used).padStart(6), human(avail).padStart(6)]
        : [String(Math.ceil(size / 1024)).padStart(9), String(Math.ceil(used / 1024)).padStart(9), String(Math.floor(avail / 1024)).padStart(9)];
      ctx.out(`${name.padEnd(14)} ${cols.join(' ')} ${pct.padStart(4)} ${a}\n`);
    } catch (e) {
      ctx.err(`df: ${a}: ${describeError(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** mount: every translator set on a node, found by walking the tree with showtrans (translated nodes are not entered). */
async function mount(ctx: ShellContext, args: string[]): Promise<number> {
  const sys = ctx.system;
  if (sys.showtrans === undefined) return unsupported(ctx, 'mount');
  const p = parseOptions(args, { flags: 'l' });
  if (!p.ok) return usageError(ctx, 'mount', p.error);
  if (p.rest.length > 0) {
    ctx.err('mount: attach translators with settrans (settrans -a node translator args...)\n');
    return 1;
  }
  ctx.out('fs on / type fs (memfs)\n');
  const walk = async (dir: string, depth: number): Promise<void> => {
    checkInterrupt(ctx);
    let names: string[];
    try {
      names = (await ctx.fs.readdir(dir)).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const path = posix.join(dir, n);
      const argv = await sys.showtrans!(path).catch(() => [] as string[]);
      if (argv.length > 0) {
        ctx.out(`${argv[0]} on ${path} type ${posix.basename(argv[0]!)} (${argv.join(' ')})\n`);
        continue;
      }
      const st = await ctx.fs.lstat(path).catch(() => null);
      if (st?.isDirectory() === true && depth < 16) await walk(path, depth + 1);
    }
  };
  await walk('/', 0);
  return 0;
}

async function history(ctx: ShellContext, args: string[]): Promise<number> {
  const p = parseOptions(args, {});
  if (!p.ok) return usageError(ctx, 'history', p.error);
  const n = p.rest[0] === undefined ? ctx.history.length : Number(p.rest[0]);
  if (!Number.isInteger(n) || n < 0) {
    ctx.err(`history: ${p.rest[0]}: numeric argument required\n`);
    return 1;
  }
  const start = Math.max(0, ctx.history.length - n);
  for (let i = start; i < ctx.history.length; i++) ctx.out(`${String(i + 1).padStart(5)}  ${ctx.history[i]}\n`);
  return 0;
}

async function clear(ctx: ShellContext): Promise<number> {
  ctx.out('\x1b[H\x1b[2J\x1b[3J');
  return 0;
}

async function exportCmd(ctx: ShellContext, args: string[]): Promise<number> {
  for (const a of args) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      ctx.err(`export: '${a}': not a valid identifier\n`);
      return 1;
    }
    if (eq >= 0) ctx.vars.set(name, a.slice(eq + 1));
    else if (!ctx.vars.has(name)) ctx.vars.set(name, '');
  }
  if (args.length === 0) for (const [k, v] of [...ctx.vars].sort()) ctx.out(`export ${k}=${JSON.stringify(v)}\n`);
  return 0;
}

async function unset(ctx: ShellContext, args: string[]): Promise<number> {
  for (const a of args) ctx.vars.delete(a);
  return 0;
}

async function env(ctx: ShellContext): Promise<number> {
  for (const [k, v] of [...ctx.vars].sort()) ctx.out(`${k}=${v}\n`);
  return 0;
}

async function sleep(ctx: ShellContext, args: string[]): Promise<number> {
  const s = Number(args[0]);
  if (args.length !== 1 || !Number.isFinite(s) || s < 0) return usageError(ctx, 'sleep', args.length === 0 ? 'missing operand' : `invalid time interval '${args[0] ?? ''}'`);
  // Ends early on Ctrl-C (the signal) rather than running its timer out.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, s * 1000);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  checkInterrupt(ctx);
  return 0;
}

async function exit(ctx: ShellContext, args: string[]): Promise<number> {
  const code = args[0] === undefined ? 0 : Number(args[0]);
  if (!Number.isInteger(code)) {
    ctx.err(`exit: ${args[0]}: numeric argument required\n`);
    ctx.exit(2);
    return 2;
  }
  ctx.exit(code & 0xff);
  return code & 0xff;
}

async function help(ctx: ShellContext, args: string[]): Promise<number> {
  if (args[0] !== undefined) {
    const c = COMMANDS[args[0]];
    if (c === undefined) {
      ctx.err(`help: no help topics match '${args[0]}'\n`);
      return 1;
    }
    ctx.out(`usage: ${c.usage}\n    ${c.help}\n`);
    return 0;
  }
  for (const c of Object.values(COMMANDS)) ctx.out(`${c.usage.padEnd(46)} ${c.help}\n`);
  ctx.out(
    'Every command answers --help. Join commands with ; && || and |; redirect with < > >> 2> 2>&1;\n' +
      'globs * ? [..], variables NAME=value $NAME ${NAME} $?, and ~ expand as in sh. Ctrl-C interrupts.\n',
  );
  return 0;
}

export const COMMANDS: Record<string, CommandDef> = {
  ls: { run: ls, usage: 'ls [-lad1] [path...]', help: 'list directory contents' },
  cat: { run: cat, usage: 'cat [-n] [file...]', help: 'print files (or standard input)' },
  echo: { run: echo, usage: 'echo [-n] [word...]', help: 'print words' },
  head: { run: head, usage: 'head [-n N] [-c N] [file...]', help: 'print the first lines (or bytes) of files' },
  tail: { run: tail, usage: 'tail [-n [+]N] [-c N] [file...]', help: 'print the last lines (or bytes) of files' },
  grep: { run: grep, usage: 'grep [-ivnclqrHhEFwo] [-e] pattern [file...]', help: 'print lines that match a pattern' },
  wc: { run: wc, usage: 'wc [-lwcm] [file...]', help: 'count lines, words and bytes' },
  find: { run: find, usage: 'find [path...] [-name P] [-iname P] [-type f|d|l] [-maxdepth N] [-mindepth N]', help: 'walk a tree and print what matches' },
  mkdir: { run: mkdir, usage: 'mkdir [-pv] dir...', help: 'make directories' },
  rmdir: { run: rmdir, usage: 'rmdir [-pv] dir...', help: 'remove empty directories' },
  rm: { run: rm, usage: 'rm [-rfdv] path...', help: 'remove files or directories' },
  mv: { run: mv, usage: 'mv [-fnv] source... dest', help: 'rename or move (copies across translators)' },
  cp: { run: cp, usage: 'cp [-rRanv] source... dest', help: 'copy files and directories' },
  ln: { run: ln, usage: 'ln [-sfv] target [link]', help: 'make hard or symbolic links' },
  chmod: { run: chmod, usage: 'chmod [-Rv] mode file...', help: 'change permissions (octal or u+x,go-w)' },
  chown: { run: chown, usage: 'chown [-Rv] owner[:group] file...', help: 'change the owner and group' },
  touch: { run: touch, usage: 'touch [-c] file...', help: 'create files or update their times' },
  stat: { run: stat, usage: 'stat [-L] path...', help: 'show file status' },
  cd: { run: cd, usage: 'cd [dir]', help: 'change the working directory' },
  pwd: { run: pwd, usage: 'pwd', help: 'print the working directory' },
  settrans: { run: settrans, usage: 'settrans [-acgfp] node [translator arg...]', help: 'set a translator on a node (passive unless -a)' },
  showtrans: { run: showtrans, usage: 'showtrans [-p] node...', help: 'show the passive translator of a node' },
  fsysopts: { run: fsysopts, usage: 'fsysopts node [option...]', help: "get or set a running translator's options" },
  mount: { run: mount, usage: 'mount', help: 'list the translators set on nodes' },
  df: { run: df, usage: 'df [-hi] [path...]', help: 'file system space (statfs)' },
  ps: { run: ps, usage: 'ps', help: 'list tasks, threads and what they are blocked on' },
  kill: { run: kill, usage: 'kill [-9] pid...', help: 'kill tasks through the task server' },
  view: { run: view, usage: 'view', help: 'open the live view of the system in a browser (prints its address)' },
  id: { run: id, usage: 'id [-ugGn]', help: 'print who the shell runs as' },
  trace: { run: trace, usage: 'trace on|off [file.json]', help: 'trace RPCs (rpctrace); off writes the Perfetto JSON' },
  bench: { run: bench, usage: 'bench [prefix]', help: 'run benchmark rows whose names start with prefix' },
  history: { run: history, usage: 'history [n]', help: 'list the lines typed so far' },
  clear: { run: clear, usage: 'clear', help: 'clear the terminal' },
  export: { run: exportCmd, usage: 'export [name[=value]...]', help: 'set shell variables' },
  unset: { run: unset, usage: 'unset name...', help: 'remove shell variables' },
  env: { run: env, usage: 'env', help: 'print the shell variables' },
  sleep: { run: sleep, usage: 'sleep seconds', help: 'wait (Ctrl-C ends it)' },
  true: { run: async () => 0, usage: 'true', help: 'succeed' },
  false: { run: async () => 1, usage: 'false', help: 'fail' },
  help: { run: help, usage: 'help [command]', help: 'this help' },
  exit: { run: exit, usage: 'exit [status]', help: 'leave the shell' },
};
