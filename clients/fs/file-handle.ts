// FileHandle as Node's fs.promises gives it from open(): one port (a protid on one open
// of a node, with its own offset) held until close(). Large reads and writes go through
// the open's transfer buffer, others over IO_MAX are split (io-ops.ts); calls after
// close() reject with Node's "file closed" EBADF; close() waits for the calls in
// flight, then deletes the port (and with it the transfer buffer).

import { Buffer } from 'node:buffer';
import type { SysGen } from '../../core/index.ts';
import { Protid } from '../../protocol/fs.ts';
import {
  checkEncoding,
  checkId,
  checkInteger,
  checkMode,
  checkOptions,
  checkTime,
  checkWriteData,
  toBytes,
  type WriteData,
} from './args.ts';
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import { abortError, FileClosedError, invalidArgType, invalidArgValue, outOfRange } from './fs-error.ts';
import { ReadStream, WriteStream, type ReadStreamOptions, type WriteStreamOptions } from './file-streams.ts';
import { readSome, readToEnd, writeAll } from './io-ops.ts';
import type { Runner } from './runner.ts';
import type { Session } from './session.ts';
import { BigIntStats, Stats } from './stats.ts';

const M = Protid.methods;

/** Node's default buffer size for read() without a buffer. */
const DEFAULT_READ_SIZE = 16384;

/** What read() resolves with. */
export interface FileReadResult<T extends ArrayBufferView> {
  bytesRead: number;
  buffer: T;
}

/** What write() resolves with. */
export interface FileWriteResult<T> {
  bytesWritten: number;
  buffer: T;
}

/** read()'s options form. */
export interface FileReadOptions<T extends ArrayBufferView = Buffer> {
  buffer?: T;
  offset?: number | null;
  length?: number | null;
  position?: number | bigint | null;
}

function isView(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v);
}

/** Node's position argument: null, undefined or -1 mean the open's offset. */
function positionOf(p: unknown): number | undefined {
  if (p === null || p === undefined) return undefined;
  if (typeof p === 'bigint') return p < 0n ? undefined : Number(p);
  if (typeof p !== 'number') throw invalidArgType('position', 'of type number or bigint', p);
  if (!Number.isInteger(p)) throw outOfRange('position', 'an integer', p);
  return p < 0 ? undefined : p;
}

/** readv / writev's buffers: an array of ArrayBufferViews, as byte views. */
function checkBuffers(buffers: unknown): Uint8Array[] {
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of ArrayBufferView[]', buffers);
  return buffers.map((b: unknown) => {
    if (!isView(b)) throw invalidArgType('buffers', 'an instance of ArrayBufferView[]', buffers);
    return bytesOf(b);
  });
}

/** An options.signal: undefined or an AbortSignal (an aborted one fails at once). */
export function checkSignalOption(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  if (signal.aborted) throw abortError(signal);
  return signal;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** An open file of the fs client, with Node's FileHandle methods. */
export class FileHandle {
  #port: number;
  #inflight = 0;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  /** @internal Made by the client's open(). */
  constructor(
    private readonly runner: Runner,
    port: number,
  ) {
    this.#port = port;
  }

  /** The descriptor: the port's slot in the client's task, -1 once closed. */
  get fd(): number {
    return this.#port;
  }

  /** Run an operation on the port, counted so that close() waits for it. */
  private async use<T>(syscall: string, body: (s: Session, port: number) => SysGen<T>, signal?: AbortSignal): Promise<T> {
    if (this.#port < 0 || this.#closing !== null) throw new FileClosedError(syscall);
    const port = this.#port;
    this.#inflight++;
    try {
      return await this.runner.run((s) => body(s, port), syscall, undefined, undefined, signal);
    } finally {
      if (--this.#inflight === 0) this.#drained?.();
    }
  }

  /** read(buffer, offset, length, position), read(buffer, options), read(options) or read(). */
  async read<T extends ArrayBufferView = Buffer>(
    bufferOrOptions?: T | FileReadOptions<T> | null,
    offsetOrOptions?: number | FileReadOptions<T> | null,
    length?: number | null,
    position?: number | bigint | null,
  ): Promise<FileReadResult<T>> {
    let buffer: ArrayBufferView;
    let offset: unknown = offsetOrOptions;
    let len: unknown = length;
    let pos: unknown = position;
    if (!isView(bufferOrOptions)) {
      if (bufferOrOptions !== undefined && bufferOrOptions !== null && typeof bufferOrOptions !== 'object') {
        throw invalidArgType('options', 'of type object', bufferOrOptions);
      }
      const o = (bufferOrOptions ?? {}) as FileReadOptions<T>;
      buffer = o.buffer ?? Buffer.alloc(DEFAULT_READ_SIZE);
      if (!isView(buffer)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
      offset = o.offset ?? 0;
      len = o.length ?? buffer.byteLength - (offset as number);
      pos = o.position ?? null;
    } else {
      buffer = bufferOrOptions;
      if (offset !== null && typeof offset === 'object') {
        const o = offset as FileReadOptions<T>;
        offset = o.offset ?? 0;
        len = o.length ?? buffer.byteLength - (offset as number);
        pos = o.position ?? null;
      }
    }
    const off = offset === null || offset === undefined ? 0 : checkInteger(offset, 'offset', 0);
    const n = len === null || len === undefined ? buffer.byteLength - off : checkInteger(len, 'length', 0);
    const result = buffer as T;
    if (n === 0) return { bytesRead: 0, buffer: result };
    if (buffer.byteLength === 0) throw invalidArgValue('buffer', '', 'is empty and cannot be written');
    if (off + n > buffer.byteLength) throw outOfRange('length', `<= ${buffer.byteLength - off}`, n);
    const at = positionOf(pos);
    const into = bytesOf(buffer);
    const got = await this.use('read', (s, port) => readSome(s, port, n, at, into, off));
    return { bytesRead: got.length, buffer: result };
  }

  /** write(buffer, offset, length, position), write(buffer, options) or write(string, position, encoding). */
  async write<T extends ArrayBufferView | string>(
    data: T,
    offsetOrPosition?: number | null | { offset?: number; length?: number; position?: number | null },
    lengthOrEncoding?: number | BufferEncoding | null,
    position?: number | null,
  ): Promise<FileWriteResult<T>> {
    let bytes: Uint8Array;
    let at: number | undefined;
    if (isView(data)) {
      if (data.byteLength === 0) return { bytesWritten: 0, buffer: data };
      let offset: unknown = offsetOrPosition;
      let len: unknown = lengthOrEncoding;
      let pos: unknown = position;
      if (offset !== null && typeof offset === 'object') {
        const o = offset as { offset?: number; length?: number; position?: number | null };
        offset = o.offset ?? 0;
        len = o.length ?? data.byteLength - (offset as number);
        pos = o.position ?? null;
      }
      const off = offset === null || offset === undefined ? 0 : checkInteger(offset, 'offset', 0);
      const n = typeof len === 'number' ? checkInteger(len, 'length', 0) : data.byteLength - off;
      if (off > data.byteLength) throw outOfRange('offset', `<= ${data.byteLength}`, off);
      if (off + n > data.byteLength) throw outOfRange('length', `<= ${data.byteLength - off}`, n);
      bytes = bytesOf(data).subarray(off, off + n);
      at = typeof pos === 'number' ? positionOf(pos) : undefined;
    } else if (typeof data === 'string') {
      const enc = checkEncoding(typeof lengthOrEncoding === 'string' ? lengthOrEncoding : null, 'utf8');
      bytes = Buffer.from(data, enc === 'buffer' || enc === null ? 'utf8' : enc);
      at = typeof offsetOrPosition === 'number' ? positionOf(offsetOrPosition) : undefined;
    } else {
      throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
    }
    if (bytes.length === 0) return { bytesWritten: 0, buffer: data };
    const written = await this.use('write', (s, port) => writeAll(s, port, bytes, at));
    return { bytesWritten: written, buffer: data };
  }

  /** The rest of the file from the open's offset (a Buffer, or a string with an encoding). */
  readFile(options?: { encoding?: null; flag?: string | number; signal?: AbortSignal } | null): Promise<Buffer>;
  readFile(options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding): Promise<string>;
  readFile(options?: { encoding?: BufferEncoding | null; flag?: string | number; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string>;
  async readFile(options?: { encoding?: BufferEncoding | null; flag?: string | number; signal?: AbortSignal } | BufferEncoding | null): Promise<Buffer | string> {
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, null);
    const signal = checkSignalOption(o.signal);
    const data = await this.use('read', (s, port) => readToEnd(s, port), signal);
    return enc === null || enc === 'buffer' ? data : data.toString(enc);
  }

  /** Write `data` at the open's offset (not truncating: Node's FileHandle.writeFile). */
  async writeFile(data: WriteData, options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<void> {
    const o = checkOptions(options);
    const enc = checkEncoding(o.encoding, 'utf8');
    const signal = checkSignalOption(o.signal);
    const chunks = await collectChunks(checkWriteData(data), enc === 'buffer' || enc === null ? 'utf8' : enc);
    await this.use(
      'write',
      function* (s, port) {
        for (const c of chunks) yield* writeAll(s, port, c, undefined);
      },
      signal,
    );
  }

  /** Append: writeFile on a handle opened for appending. */
  appendFile(data: WriteData, options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<void> {
    return this.writeFile(data, options);
  }

  stat(opts: { bigint: true }): Promise<BigIntStats>;
  stat(opts?: { bigint?: false }): Promise<Stats>;
  stat(opts?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  async stat(opts?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    const st = await this.use('fstat', function* (s, port) {
      return (yield* s.call(port, M.stat, {})).stat;
    });
    return opts?.bigint === true ? new BigIntStats(st) : new Stats(st);
  }

  /** Set the size (negative lengths count as 0, as Node). */
  async truncate(len: number = 0): Promise<void> {
    const size = Math.max(0, checkInteger(len, 'len'));
    await this.use('ftruncate', function* (s, port) {
      yield* s.call(port, M.truncate, { size });
    });
  }

  async chmod(mode: number | string): Promise<void> {
    const m = checkMode(mode, 0) & 0o7777;
    await this.use('fchmod', function* (s, port) {
      yield* s.call(port, M.chmod, { mode: m });
    });
  }

  async chown(uid: number, gid: number): Promise<void> {
    const u = checkId(uid, 'uid') | 0;
    const g = checkId(gid, 'gid') | 0;
    await this.use('fchown', function* (s, port) {
      yield* s.call(port, M.chown, { uid: u, gid: g });
    });
  }

  async utimes(atime: number | string | Date, mtime: number | string | Date): Promise<void> {
    const atimeMs = checkTime(atime, 'atime');
    const mtimeMs = checkTime(mtime, 'mtime');
    await this.use('futime', function* (s, port) {
      yield* s.call(port, M.utimes, { atimeMs, mtimeMs });
    });
  }

  async sync(): Promise<void> {
    await this.use('fsync', function* (s, port) {
      yield* s.call(port, M.sync, {});
    });
  }

  async datasync(): Promise<void> {
    await this.use('fdatasync', function* (s, port) {
      yield* s.call(port, M.sync, {});
    });
  }

  /**
   * Read into each of `buffers` in turn (Node's readv), at `position` or the open's
   * offset; stops at the end of file. Resolves with the bytes read and the buffers.
   */
  async readv<T extends readonly ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{ bytesRead: number; buffers: T }> {
    const views = checkBuffers(buffers);
    const at = positionOf(position);
    const bytesRead = await this.use('read', function* (s, port) {
      let done = 0;
      for (const v of views) {
        if (v.byteLength === 0) continue;
        const got = yield* readSome(s, port, v.byteLength, at === undefined ? undefined : at + done, v, 0);
        done += got.length;
        if (got.length < v.byteLength) break;
      }
      return done;
    });
    return { bytesRead, buffers };
  }

  /** Write each of `buffers` in turn (Node's writev), at `position` or the open's offset. */
  async writev<T extends readonly ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{ bytesWritten: number; buffers: T }> {
    const views = checkBuffers(buffers);
    const at = positionOf(position);
    if (views.every((v) => v.byteLength === 0)) return { bytesWritten: 0, buffers };
    const bytesWritten = await this.use('write', function* (s, port) {
      let done = 0;
      for (const v of views) {
        if (v.byteLength === 0) continue;
        done += yield* writeAll(s, port, v, at === undefined ? undefined : at + done);
      }
      return done;
    });
    return { bytesWritten, buffers };
  }

  /** A Node Readable over this file (fs.ReadStream; closes the handle at its end unless autoClose is false). */
  createReadStream(options?: ReadStreamOptions): ReadStream {
    return new ReadStream(null, { ...options, fd: this });
  }

  /** A Node Writable into this file (fs.WriteStream; closes the handle at its end unless autoClose is false). */
  createWriteStream(options?: WriteStreamOptions): WriteStream {
    return new WriteStream(null, { ...options, fd: this });
  }

  /** The file's lines (readline over createReadStream), as Node's filehandle.readLines. */
  readLines(options?: ReadStreamOptions): ReadlineInterface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Number.POSITIVE_INFINITY });
  }

  /**
   * A web ReadableStream of the file's bytes from the open's offset (Uint8Array chunks;
   * a byte stream with `{ type: 'bytes' }`). The handle stays open.
   */
  readableWebStream(options?: { type?: 'bytes' }): ReadableStream<Uint8Array> {
    const chunk = 65536;
    const pull = async (c: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController): Promise<void> => {
      const buf = Buffer.alloc(chunk);
      const { bytesRead } = await this.read(buf, 0, chunk, null);
      if (bytesRead === 0) c.close();
      else c.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
    };
    if (options?.type === 'bytes') return new ReadableStream({ type: 'bytes', pull }) as ReadableStream<Uint8Array>;
    return new ReadableStream<Uint8Array>({ pull });
  }

  /** Close: wait for the calls in flight, then delete the port. A second close is a no-op. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#port < 0) return Promise.resolve();
    this.#closing = (async () => {
      if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      const port = this.#port;
      this.#port = -1;
      this.runner.release(port);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The bytes of writeFile data, gathered on the host (async iterables included). */
export async function collectChunks(data: WriteData, encoding: BufferEncoding): Promise<Uint8Array[]> {
  if (typeof data === 'string' || isView(data)) return [toBytes(data, encoding)];
  const out: Uint8Array[] = [];
  const add = (c: unknown): void => {
    if (typeof c !== 'string' && !isView(c)) {
      throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', c);
    }
    out.push(toBytes(c, encoding));
  };
  if (Symbol.asyncIterator in data) for await (const c of data as AsyncIterable<unknown>) add(c);
  else for (const c of data as Iterable<unknown>) add(c);
  return out;
}
