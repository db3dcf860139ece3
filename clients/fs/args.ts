// Argument checking as Node's fs does it (getValidatedPath, stringToFlags, parseFileMode,
// validateInteger, toUnixTimestamp ...): the same accepted forms, the same defaults and
// the same argument errors. Runs on the host before any RPC; never talks to a server.

import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { O } from '../../protocol/fs.ts';
import { invalidArgType, invalidArgValue, outOfRange } from './fs-error.ts';

/** What Node accepts as a path (any Uint8Array is taken at run time, as Node does). */
export type PathLike = string | Buffer | URL;

/** A path argument as a string; Node's errors for other types, NUL bytes and bad URLs. */
export function checkPath(p: unknown, name = 'path'): string {
  let s: string;
  if (typeof p === 'string') s = p;
  else if (p instanceof Uint8Array) s = Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8');
  else if (p instanceof URL) {
    if (p.protocol !== 'file:') {
      throw Object.assign(new TypeError('The URL must be of scheme file'), { code: 'ERR_INVALID_URL_SCHEME' });
    }
    s = fileURLToPath(p);
  } else throw invalidArgType(name, 'of type string or an instance of Buffer or URL', p);
  if (s.includes('\0')) throw invalidArgValue(name, s, 'must be a string, Uint8Array, or URL without null bytes');
  return s;
}

/** Node's flag strings (fs.open, readFile's `flag` ...) as O_* numbers; the sync forms open as their plain ones. */
const FLAG_STRINGS: Readonly<Record<string, number>> = {
  r: O.RDONLY,
  rs: O.RDONLY,
  sr: O.RDONLY,
  'r+': O.RDWR,
  'rs+': O.RDWR,
  'sr+': O.RDWR,
  w: O.TRUNC | O.CREAT | O.WRONLY,
  wx: O.TRUNC | O.CREAT | O.WRONLY | O.EXCL,
  xw: O.TRUNC | O.CREAT | O.WRONLY | O.EXCL,
  'w+': O.TRUNC | O.CREAT | O.RDWR,
  'wx+': O.TRUNC | O.CREAT | O.RDWR | O.EXCL,
  'xw+': O.TRUNC | O.CREAT | O.RDWR | O.EXCL,
  a: O.APPEND | O.CREAT | O.WRONLY,
  ax: O.APPEND | O.CREAT | O.WRONLY | O.EXCL,
  xa: O.APPEND | O.CREAT | O.WRONLY | O.EXCL,
  as: O.APPEND | O.CREAT | O.WRONLY,
  sa: O.APPEND | O.CREAT | O.WRONLY,
  'a+': O.APPEND | O.CREAT | O.RDWR,
  'ax+': O.APPEND | O.CREAT | O.RDWR | O.EXCL,
  'xa+': O.APPEND | O.CREAT | O.RDWR | O.EXCL,
  'as+': O.APPEND | O.CREAT | O.RDWR,
  'sa+': O.APPEND | O.CREAT | O.RDWR,
};

/** Node's stringToFlags: a flag string or number as O_* bits; `fallback` when absent. */
export function checkFlags(flags: unknown, fallback: number, name = 'flags'): number {
  if (flags === undefined || flags === null) return fallback;
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags)) throw invalidArgValue(name, flags);
    return flags >>> 0;
  }
  if (typeof flags === 'string') {
    const f = FLAG_STRINGS[flags];
    if (f !== undefined) return f;
  }
  throw invalidArgValue(name, flags);
}

/** Node's parseFileMode: a number or an octal string; `fallback` when absent. */
export function checkMode(mode: unknown, fallback: number, name = 'mode'): number {
  if (mode === undefined || mode === null) return fallback;
  if (typeof mode === 'string') {
    if (!/^[0-7]+$/.test(mode)) throw invalidArgValue(name, mode, 'must be a 32-bit unsigned integer or an octal string');
    mode = Number.parseInt(mode, 8);
  }
  return checkInteger(mode, name, 0, 0xffffffff);
}

/** Node's validateInteger. */
export function checkInteger(v: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < min || v > max) throw outOfRange(name, `>= ${min} && <= ${max}`, v);
  return v;
}

/** The access / copyFile mode argument (0..7). */
export function checkSmallMode(mode: unknown, fallback: number): number {
  if (mode === undefined || mode === null) return fallback;
  return checkInteger(mode, 'mode', 0, 7);
}

/** A uid or gid for chown (-1 = leave unchanged). */
export function checkId(v: unknown, name: 'uid' | 'gid'): number {
  return checkInteger(v, name, -1, 0xffffffff);
}

/**
 * Node's toUnixTimestamp, as milliseconds: seconds (a finite number, negative meaning
 * now, or a string that loosely equals its number, as Node tests it) or a Date.
 */
export function checkTime(v: unknown, name: string): number {
  // eslint-disable-next-line eqeqeq -- Node's own test: `+time == time`.
  if (typeof v === 'string' && (+v as unknown as string) == v) return +v * 1000;
  if (typeof v === 'number' && Number.isFinite(v)) return v < 0 ? Date.now() : v * 1000;
  if (v instanceof Date) return v.getTime();
  throw invalidArgType(name, 'an instance of Date or an Time in seconds', v);
}

/** Encodings readFile, readdir and readlink accept. */
export type Encoding = BufferEncoding | 'buffer';

/** An encoding option: a known Buffer encoding, 'buffer', or null/undefined for `fallback`. */
export function checkEncoding(enc: unknown, fallback: Encoding | null): Encoding | null {
  if (enc === undefined || enc === null) return fallback;
  if (enc === 'buffer') return 'buffer';
  if (typeof enc === 'string' && Buffer.isEncoding(enc)) return enc;
  throw invalidArgValue('encoding', enc, 'is invalid encoding');
}

/** Node's getOptions: a string is the encoding; an object is taken as is; absent gives {}. */
export function checkOptions(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null || typeof options === 'function') return {};
  if (typeof options === 'string') return { encoding: options };
  if (typeof options === 'object') return options as Record<string, unknown>;
  throw invalidArgType('options', 'one of type string or an instance of Object', options);
}

/** A boolean option (Node's validateBoolean). */
export function checkBoolean(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
  return v;
}

/** Data for writeFile / appendFile / FileHandle.writeFile. */
export type WriteData = string | ArrayBufferView | Iterable<string | ArrayBufferView> | AsyncIterable<string | ArrayBufferView>;

/** True for what writeFile accepts as data. */
export function isWriteData(d: unknown): d is WriteData {
  if (typeof d === 'string' || ArrayBuffer.isView(d)) return true;
  if (typeof d !== 'object' || d === null) return false;
  return Symbol.iterator in d || Symbol.asyncIterator in d;
}

/** The data argument of writeFile, or Node's error. */
export function checkWriteData(d: unknown): WriteData {
  if (!isWriteData(d)) throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', d);
  return d;
}

/** The bytes of a chunk of write data. */
export function toBytes(chunk: string | ArrayBufferView, encoding: BufferEncoding = 'utf8'): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
