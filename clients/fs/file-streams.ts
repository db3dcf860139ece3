// fs.ReadStream and fs.WriteStream over an fs client's FileHandle: real Node streams
// (Readable / Writable, so backpressure, pipe and pipeline work), opening the file in
// _construct when given a path, reading at `start`..`end` or writing at `start`, and
// closing the handle on destroy as Node's streams do. Not a copy of Node's: the same
// options, events ('open', 'ready', 'close') and fields (path, bytesRead, bytesWritten,
// pending).

import { Buffer } from 'node:buffer';
import { Readable, Writable } from 'node:stream';
import { invalidArgType, outOfRange } from './fs-error.ts';
import type { FileHandle } from './file-handle.ts';

/** Opens a file for a stream made from a path (the client's open). */
export type StreamOpener = (path: string, flags: string | number, mode: number) => Promise<FileHandle>;

/** createReadStream's options, as Node's. */
export interface ReadStreamOptions {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  /** A FileHandle to read instead of opening `path`. */
  fd?: FileHandle;
  mode?: number;
  /** Close the handle when the stream ends or fails (default true). */
  autoClose?: boolean;
  emitClose?: boolean;
  /** First byte read (default: the open's offset). */
  start?: number;
  /** Last byte read, inclusive (default: to the end). */
  end?: number;
  /** Bytes per read (default 64 KiB). */
  highWaterMark?: number;
  signal?: AbortSignal;
}

/** createWriteStream's options, as Node's. */
export interface WriteStreamOptions {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: FileHandle;
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  /** Where writing starts (default: the open's offset). */
  start?: number;
  /** fsync before the stream finishes. */
  flush?: boolean;
  highWaterMark?: number;
  signal?: AbortSignal;
}

function checkStart(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < 0 || v > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `>= 0 && <= ${Number.MAX_SAFE_INTEGER}`, v);
  return v;
}

/** Close `h` (when held) and report `err` (or the close's own failure) to `cb`. */
function closeThen(h: FileHandle | null, err: Error | null, cb: (e: Error | null) => void): void {
  if (h === null) {
    cb(err);
    return;
  }
  h.close().then(
    () => cb(err),
    (e: unknown) => cb(err ?? (e as Error)),
  );
}

/** fs.ReadStream: a Readable of a file's bytes. */
export class ReadStream extends Readable {
  /** The path opened ('' when made from a FileHandle). */
  readonly path: string | undefined;
  /** The descriptor once open. */
  fd: number | null = null;
  /** Bytes read so far. */
  bytesRead = 0;
  readonly flags: string | number;
  readonly mode: number;
  readonly start: number | undefined;
  readonly end: number;
  #pos: number | undefined;
  #handle: FileHandle | null;
  readonly #open: StreamOpener | null;

  /** @internal Made by createReadStream (a path and the client's open) or FileHandle.createReadStream. */
  constructor(path: string | null, options: ReadStreamOptions & { opener?: StreamOpener } = {}) {
    const autoClose = options.autoClose ?? true;
    super({
      highWaterMark: options.highWaterMark ?? 64 * 1024,
      encoding: options.encoding ?? null,
      emitClose: options.emitClose ?? true,
      autoDestroy: autoClose,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    } as ConstructorParameters<typeof Readable>[0]);
    this.path = path ?? undefined;
    this.flags = options.flags ?? 'r';
    this.mode = options.mode ?? 0o666;
    this.start = checkStart(options.start, 'start');
    const end = options.end === undefined || options.end === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : checkStart(options.end, 'end')!;
    if (this.start !== undefined && this.start > end) throw outOfRange('start', `<= "end" (here: ${end})`, this.start);
    this.end = end;
    this.#pos = this.start;
    this.#handle = options.fd ?? null;
    this.#open = options.opener ?? null;
    if (this.#handle !== null) this.fd = this.#handle.fd;
  }

  /** True until the file is open. */
  get pending(): boolean {
    return this.#handle === null;
  }

  override _construct(cb: (e?: Error | null) => void): void {
    if (this.#handle !== null || this.#open === null || this.path === undefined) {
      cb();
      return;
    }
    this.#open(this.path, this.flags, this.mode).then(
      (h) => {
        this.#handle = h;
        this.fd = h.fd;
        this.emit('open', h.fd);
        this.emit('ready');
        cb();
      },
      (e: unknown) => cb(e as Error),
    );
  }

  override _read(n: number): void {
    const h = this.#handle!;
    const left = this.#pos !== undefined ? this.end - this.#pos + 1 : this.end - this.bytesRead + 1;
    const want = Math.min(n, left);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafeSlow(want);
    h.read(buf, 0, want, this.#pos ?? null).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.push(null);
          return;
        }
        this.bytesRead += bytesRead;
        if (this.#pos !== undefined) this.#pos += bytesRead;
        this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      },
      (e: unknown) => this.destroy(e as Error),
    );
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    const h = this.#handle;
    this.#handle = null;
    closeThen(h, err, cb);
  }

  /** Close the stream (destroy), calling `cb` once it closed. */
  close(cb?: (err?: Error | null) => void): void {
    if (cb !== undefined) this.once('close', cb);
    this.destroy();
  }
}

/** fs.WriteStream: a Writable into a file. */
export class WriteStream extends Writable {
  readonly path: string | undefined;
  fd: number | null = null;
  /** Bytes written so far. */
  bytesWritten = 0;
  readonly flags: string | number;
  readonly mode: number;
  readonly start: number | undefined;
  readonly #flush: boolean;
  #pos: number | undefined;
  #handle: FileHandle | null;
  readonly #open: StreamOpener | null;

  /** @internal Made by createWriteStream or FileHandle.createWriteStream. */
  constructor(path: string | null, options: WriteStreamOptions & { opener?: StreamOpener } = {}) {
    const autoClose = options.autoClose ?? true;
    super({
      highWaterMark: options.highWaterMark ?? 16 * 1024,
      defaultEncoding: options.encoding ?? 'utf8',
      decodeStrings: true,
      emitClose: options.emitClose ?? true,
      autoDestroy: autoClose,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    } as ConstructorParameters<typeof Writable>[0]);
    this.path = path ?? undefined;
    this.flags = options.flags ?? 'w';
    this.mode = options.mode ?? 0o666;
    this.start = checkStart(options.start, 'start');
    this.#flush = options.flush ?? false;
    this.#pos = this.start;
    this.#handle = options.fd ?? null;
    this.#open = options.opener ?? null;
    if (this.#handle !== null) this.fd = this.#handle.fd;
  }

  get pending(): boolean {
    return this.#handle === null;
  }

  override _construct(cb: (e?: Error | null) => void): void {
    if (this.#handle !== null || this.#open === null || this.path === undefined) {
      cb();
      return;
    }
    this.#open(this.path, this.flags, this.mode).then(
      (h) => {
        this.#handle = h;
        this.fd = h.fd;
        this.emit('open', h.fd);
        this.emit('ready');
        cb();
      },
      (e: unknown) => cb(e as Error),
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#handle!.write(chunk, 0, chunk.length, this.#pos ?? null).then(
      ({ bytesWritten }) => {
        this.bytesWritten += bytesWritten;
        if (this.#pos !== undefined) this.#pos += bytesWritten;
        cb();
      },
      (e: unknown) => cb(e as Error),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.#handle!.writev(
      chunks.map((c) => c.chunk),
      this.#pos ?? null,
    ).then(
      ({ bytesWritten }) => {
        this.bytesWritten += bytesWritten;
        if (this.#pos !== undefined) this.#pos += bytesWritten;
        cb();
      },
      (e: unknown) => cb(e as Error),
    );
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (!this.#flush || this.#handle === null) {
      cb();
      return;
    }
    this.#handle.sync().then(
      () => cb(),
      (e: unknown) => cb(e as Error),
    );
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    const h = this.#handle;
    this.#handle = null;
    closeThen(h, err, cb);
  }

  /** End the stream and close it, calling `cb` once closed. */
  close(cb?: (err?: Error | null) => void): void {
    if (cb !== undefined) this.once('close', cb);
    if (this.writableEnded) this.destroy();
    else this.end(() => this.destroy());
  }
}
