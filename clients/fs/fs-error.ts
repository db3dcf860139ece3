// Errors shaped as Node's fs errors: a system error (`code`, negative `errno`, `syscall`,
// `path`, `dest`, message "ENOENT: no such file or directory, open '/x'"), Node's
// argument errors (ERR_INVALID_ARG_TYPE ...), and the few special ones (a closed
// FileHandle, rm on a directory without `recursive`). Not the protocol's errors: those
// are names (libcap ErrnoName) until an operation turns them into one of these.

import { ERRNO, type ErrnoName } from '../../libcap/index.ts';

/** libuv's descriptions, as Node prints them (uv_strerror). */
const UV_MESSAGES: Partial<Record<ErrnoName, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'i/o error',
  ENXIO: 'no such device or address',
  E2BIG: 'argument list too long',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'not enough memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address in system call argument',
  EBUSY: 'resource busy or locked',
  EEXIST: 'file already exists',
  EXDEV: 'cross-device link not permitted',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'file table overflow',
  EMFILE: 'too many open files',
  ENOTTY: 'inappropriate ioctl for device',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  ESPIPE: 'invalid seek',
  EROFS: 'read-only file system',
  EMLINK: 'too many links',
  EPIPE: 'broken pipe',
  ERANGE: 'result too large',
  ENAMETOOLONG: 'name too long',
  ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many symbolic links encountered',
  EPROTO: 'protocol error',
  EOVERFLOW: 'value too large for defined data type',
  EOPNOTSUPP: 'operation not supported on socket',
  ECONNABORTED: 'software caused connection abort',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  ECANCELED: 'operation canceled',
  EDQUOT: 'disk quota exceeded',
};

/** The description Node gives for an error code. */
export function uvMessage(code: ErrnoName): string {
  return UV_MESSAGES[code] ?? code.toLowerCase();
}

/**
 * A failed filesystem call, as Node reports one: `code` (ENOENT ...), `errno` (negative,
 * Linux numbering), `syscall` (Node's name for the call: open, stat, scandir, rename ...),
 * `path` and, for two-path calls, `dest`.
 */
export class FsError extends Error {
  readonly errno: number;
  readonly code: ErrnoName;
  readonly syscall: string;
  declare readonly path?: string;
  declare readonly dest?: string;

  constructor(code: ErrnoName, syscall: string, path?: string, dest?: string) {
    let msg = `${code}: ${uvMessage(code)}, ${syscall}`;
    if (path !== undefined) msg += ` '${path}'`;
    if (dest !== undefined) msg += ` -> '${dest}'`;
    super(msg);
    this.errno = -ERRNO[code];
    this.code = code;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
    if (dest !== undefined) this.dest = dest;
  }
}

/**
 * The error of a FileHandle used after close(): Node's own shape (code EBADF, message
 * "file closed", the method as syscall, no errno).
 */
export class FileClosedError extends Error {
  readonly code = 'EBADF';
  constructor(readonly syscall: string) {
    super('file closed');
  }
}

/**
 * Node's SystemError, used by rm() on a directory without `recursive` (ERR_FS_EISDIR)
 * and by cp() (ERR_FS_CP_*): "prefix: syscall returned CODE (message) path"; `errno` is
 * positive here, as Node's SystemError has it.
 */
export class FsSystemError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;
  readonly info: { code: string; message: string; path: string; syscall: string; errno: number };

  constructor(code: string, prefix: string, errCode: ErrnoName, syscall: string, path: string, detail?: string) {
    const message = detail ?? (errCode === 'EISDIR' ? 'is a directory' : uvMessage(errCode));
    super(`${prefix}: ${syscall} returned ${errCode} (${message}) ${path}`);
    this.code = code;
    this.errno = ERRNO[errCode];
    this.syscall = syscall;
    this.path = path;
    this.info = { code: errCode, message, path, syscall, errno: ERRNO[errCode] };
  }
}
Object.defineProperty(FsSystemError.prototype, 'name', { value: 'SystemError', configurable: true, writable: true });

/** rm() on a directory without `recursive`. */
export function rmIsDirectory(path: string): FsSystemError {
  return new FsSystemError('ERR_FS_EISDIR', 'Path is a directory', 'EISDIR', 'rm', path);
}

/** Codes of Node's argument errors. */
export type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/** Node's argument errors: a TypeError (or RangeError) carrying a `code`. */
export type ArgError = (TypeError | RangeError) & { readonly code: ArgErrorCode };

function argError(code: ArgErrorCode, message: string, range = false): ArgError {
  const e = range ? new RangeError(message) : new TypeError(message);
  return Object.assign(e, { code });
}

/** Describe a received value as Node's argument errors do ("Received type number (123)"). */
export function describeReceived(v: unknown): string {
  if (v === undefined || v === null) return `Received ${String(v)}`;
  if (typeof v === 'function') return `Received function ${(v as { name?: string }).name ?? ''}`;
  if (typeof v === 'object') {
    const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
    return ctor !== undefined && ctor !== '' ? `Received an instance of ${ctor}` : 'Received an object';
  }
  let shown = typeof v === 'string' ? `'${v.length > 28 ? `${v.slice(0, 25)}...` : v}'` : String(v);
  if (typeof v === 'bigint') shown += 'n';
  return `Received type ${typeof v} (${shown})`;
}

/** ERR_INVALID_ARG_TYPE for argument `name`. */
export function invalidArgType(name: string, expected: string, value: unknown): ArgError {
  return argError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. ${describeReceived(value)}`);
}

/** ERR_INVALID_ARG_VALUE for argument `name`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): ArgError {
  const shown = typeof value === 'string' ? `'${value.replace(/\0/g, '\\x00')}'` : String(value);
  return argError('ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${shown}`);
}

/** ERR_OUT_OF_RANGE for argument `name`. */
export function outOfRange(name: string, range: string, value: unknown): ArgError {
  return argError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`, true);
}

/** Node's AbortError for an operation whose signal fired (name AbortError, code ABORT_ERR, the reason as cause). */
export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}
