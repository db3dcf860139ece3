// What the shell's commands see (the file system, the system facet, standard input and
// output, the interrupt signal, the variables) and the helpers they share: errors
// printed as a Unix shell's, paths resolved against the cwd, text from bytes.

import { posix } from 'node:path';

/** The part of fs.promises the shell uses (memfs's, or the client library's over the filesystem servers). */
export interface ShellFs {
  readFile(path: string): Promise<Uint8Array | string>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  appendFile(path: string, data: string | Uint8Array): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, opts?: { recursive?: boolean }): Promise<unknown>;
  rm(path: string, opts?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<ShellStats>;
  lstat(path: string): Promise<ShellStats>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  utimes(path: string, atime: number | Date, mtime: number | Date): Promise<void>;
  readlink?(path: string): Promise<string>;
  /** Streamed reads (cat, head of an endless file); readFile is used when absent. */
  open?(path: string, flags?: string): Promise<ShellFileHandle>;
  /** Filesystem statistics as Node's fs.statfs (df). */
  statfs?(path: string): Promise<ShellStatFs>;
  /** A view whose RPCs are cancelled when `signal` aborts (the fs client's; Ctrl-C). */
  withSignal?(signal: AbortSignal): ShellFs;
}

export interface ShellFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface ShellStatFs {
  readonly type: number;
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
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
  /** Who the shell runs as (id). */
  readonly ids?: { readonly uid: number; readonly gid: number; readonly groups?: readonly number[] };
  /** Kill the task `pid` through the task server (kill). */
  kill?(pid: number): Promise<void>;
  /** Start the live view if it is not running; answers its address (view). */
  view?(): Promise<string>;
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

/** A command's standard input: the previous command of a pipeline, or a file (<). */
export interface Stdin {
  /** The next chunk, or null at the end. */
  read(): Promise<string | null>;
}

/** What a command sees: the fs, the system, where output goes. */
export interface ShellContext {
  /** The file system, as a view whose RPCs Ctrl-C cancels when the client can. */
  readonly fs: ShellFs;
  readonly system: ShellSystem;
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** Called by `exit`. */
  exit(code: number): void;
  /** null when nothing is piped or redirected in. */
  readonly stdin: Stdin | null;
  /** Aborts on Ctrl-C, or when the reader of this command's output has gone (head). */
  readonly signal: AbortSignal;
  /** Shell variables (export, unset, env). */
  readonly vars: Map<string, string>;
  /** Lines typed so far (history). */
  readonly history: readonly string[];
}

export type CommandFn = (ctx: ShellContext, args: string[]) => Promise<number>;

export interface CommandDef {
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
  ESRCH: 'No such process',
  EAGAIN: 'Resource temporarily unavailable',
  ENOTSUP: 'Operation not supported',
  EFBIG: 'File too large',
  ENOMEM: 'Cannot allocate memory',
  ABORT_ERR: 'Interrupted system call',
};

/** "No such file or directory" for an error with a code, else its message. */
export function describeError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  // A server's own words (a translator's start error) follow in parentheses.
  const why = detailOf(e);
  const more = why === '' ? '' : ` (${why})`;
  if (typeof code === 'string' && STRERROR[code] !== undefined) return STRERROR[code] + more;
  if (typeof code === 'string') return code + more;
  return e instanceof Error ? e.message : String(e);
}

/**
 * The words a server added after Node's message ("EIO: i/o error, stat '/m': hello: bad
 * arguments" gives "hello: bad arguments"), or ''.
 */
export function detailOf(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  return /^[A-Z]+: [^,]*, \w+ '[^']*'(?: -> '[^']*')?: (.+)$/s.exec(message)?.[1] ?? '';
}

/** The error's code ('ENOENT'...), or ''. */
export function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Resolve a path argument against the cwd (lexically, as the shell's own bookkeeping). */
export function resolvePath(cwd: string, p: string): string {
  return posix.resolve(cwd, p === '' ? '.' : p);
}

/** Bytes (or a string) as text. */
export function text(data: Uint8Array | string): string {
  return typeof data === 'string' ? data : new TextDecoder().decode(data);
}

/** Thrown by commands when their signal aborts; the shell prints ^C, not this. */
export class Interrupted extends Error {
  readonly code = 'EINTR';
  constructor() {
    super('Interrupted');
  }
}

/** Throw Interrupted when the command was interrupted (its loops call this). */
export function checkInterrupt(ctx: ShellContext): void {
  if (ctx.signal.aborted) throw new Interrupted();
}

/** Read all of standard input ('' when there is none). */
export async function readStdin(ctx: ShellContext): Promise<string> {
  if (ctx.stdin === null) return '';
  let all = '';
  for (let c = await ctx.stdin.read(); c !== null; c = await ctx.stdin.read()) {
    checkInterrupt(ctx);
    all += c;
  }
  return all;
}

const CHUNK = 64 * 1024;

/**
 * Let the host's event loop run (terminal input, Ctrl-C): an in-process kernel answers
 * RPCs on promise jobs alone, so a loop of reads would otherwise never let a key in.
 */
export function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Read a file in chunks, handing each to `sink` until it answers false or the file ends;
 * an endless file (/dev/zero) stops when the command is interrupted.
 */
export async function readChunks(ctx: ShellContext, path: string, sink: (chunk: Uint8Array) => boolean): Promise<void> {
  if (ctx.fs.open === undefined) {
    const data = await ctx.fs.readFile(path);
    sink(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return;
  }
  const fh = await ctx.fs.open(path, 'r');
  try {
    for (;;) {
      checkInterrupt(ctx);
      const buf = new Uint8Array(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      if (!sink(buf.subarray(0, bytesRead))) return;
      await yieldToHost();
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Hand a file's text (standard input for '-') to `sink` chunk by chunk until it answers
 * false or the input ends, so that endless input (/dev/zero, a pipe from it) can be
 * counted or cut without holding it all.
 */
export async function eachChunk(ctx: ShellContext, name: string, sink: (text: string) => boolean): Promise<void> {
  if (name === '-') {
    if (ctx.stdin === null) return;
    for (let c = await ctx.stdin.read(); c !== null; c = await ctx.stdin.read()) {
      checkInterrupt(ctx);
      if (!sink(c)) return;
    }
    return;
  }
  const decoder = new TextDecoder();
  let going = true;
  await readChunks(ctx, resolvePath(ctx.cwd, name), (c) => {
    going = sink(decoder.decode(c, { stream: true }));
    return going;
  });
  if (going) {
    const rest = decoder.decode();
    if (rest !== '') sink(rest);
  }
}

/** A file's text, or standard input for '-'. */
export async function readText(ctx: ShellContext, name: string): Promise<string> {
  if (name === '-') return readStdin(ctx);
  const decoder = new TextDecoder();
  let s = '';
  await readChunks(ctx, resolvePath(ctx.cwd, name), (c) => {
    s += decoder.decode(c, { stream: true });
    return true;
  });
  return s + decoder.decode();
}

/** A usage mistake, as GNU prints it: "cmd: msg" and where to find help; answers `status`. */
export function usageError(ctx: ShellContext, cmd: string, msg: string, status = 1): number {
  ctx.err(`${cmd}: ${msg}\nTry '${cmd} --help' for more information.\n`);
  return status;
}
