// fs.Dir as opendir gives it: one port on an open directory, read in batches of
// `bufferSize` entries (dir.readdir with an offset), one Dirent at a time; with
// `recursive`, the directories found are opened and read after it, breadth first.
// Operations run one after another, as Node queues them; read or close after close
// is Node's ERR_DIR_CLOSED (thrown by read, a rejection of close). The ports are deleted at close (and at the end of a
// for-await loop, as Node's Dir closes itself there).

import { Buffer } from 'node:buffer';
import { O, Protid } from '../../protocol/fs.ts';
import { joinPath } from './dir-ops.ts';
import type { Runner } from './runner.ts';
import { lookupPath } from './resolve.ts';
import { Dirent } from './stats.ts';

const M = Protid.methods;

/** Most entries asked of the server per dir.readdir (the interface's array bound). */
const MAX_BATCH = 1024;

/** Node's ERR_DIR_CLOSED. */
function dirClosed(): Error {
  return Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
}

interface Open {
  port: number;
  /** The directory's path as the caller named it (the Dirents' parentPath). */
  path: string;
  offset: number;
  eof: boolean;
}

/** An open directory, read one entry at a time. */
export class Dir {
  readonly #runner: Runner;
  readonly #path: string;
  readonly #batch: number;
  readonly #recursive: boolean;
  readonly #encoding: BufferEncoding | 'buffer';
  #cur: Open | null;
  /** Directories found (recursive) and not opened yet. */
  readonly #todo: string[] = [];
  readonly #buffered: Dirent<string | Buffer>[] = [];
  #closed = false;
  /** The tail of the queue of operations (Node runs a Dir's operations one at a time). */
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Made by opendir with the port of the open directory. */
  constructor(runner: Runner, port: number, path: string, opts: { bufferSize: number; recursive: boolean; encoding: BufferEncoding | 'buffer' }) {
    this.#runner = runner;
    this.#path = path;
    this.#batch = Math.min(MAX_BATCH, opts.bufferSize);
    this.#recursive = opts.recursive;
    this.#encoding = opts.encoding;
    this.#cur = { port, path, offset: 0, eof: false };
  }

  /** The path given to opendir. */
  get path(): string {
    return this.#path;
  }

  /** The next entry, or null after the last ("." and ".." never appear). With a callback: cb(err, dirent). */
  read(): Promise<Dirent | null>;
  read(cb: (err: Error | null, dirent?: Dirent | null) => void): void;
  read(cb?: (err: Error | null, dirent?: Dirent | null) => void): Promise<Dirent | null> | void {
    // As Node's: reading a closed Dir throws at once (close rejects).
    if (this.#closed) throw dirClosed();
    // A Dirent<Buffer> with encoding 'buffer': typed as Node types it, by the common case.
    const p = this.#enqueue(() => this.#next()) as Promise<Dirent | null>;
    if (cb === undefined) return p;
    p.then(
      (d) => process.nextTick(cb, null, d),
      (e: unknown) => process.nextTick(cb, e as Error),
    );
  }

  /** Close the directory (deleting its ports). With a callback: cb(err). */
  close(): Promise<void>;
  close(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): Promise<void> | void {
    const p = this.#closed ? Promise.reject(dirClosed()) : this.#enqueue(async () => this.#release());
    if (!this.#closed) this.#closed = true;
    if (cb === undefined) return p;
    p.then(
      () => process.nextTick(cb, null),
      (e: unknown) => process.nextTick(cb, e as Error),
    );
  }

  async *entries(): AsyncGenerator<Dirent, void, undefined> {
    try {
      for (;;) {
        const d = await this.read();
        if (d === null) return;
        yield d;
      }
    } finally {
      if (!this.#closed) await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Dirent, void, undefined> {
    return this.entries();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(dirClosed());
    const p = this.#queue.then(op);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #next(): Promise<Dirent<string | Buffer> | null> {
    for (;;) {
      const d = this.#buffered.shift();
      if (d !== undefined) return d;
      const cur = this.#cur;
      if (cur === null) return null;
      if (cur.eof) {
        this.#cur = null;
        this.#runner.release(cur.port);
        const next = this.#todo.shift();
        if (next === undefined) return null;
        const port = await this.#runner.run((s) => lookupPath(s, next, O.RDONLY | O.DIRECTORY, 0), 'opendir', next);
        this.#cur = { port, path: next, offset: 0, eof: false };
        continue;
      }
      const r = await this.#runner.run((s) => s.call(cur.port, M.readdir, { offset: cur.offset, max: this.#batch }), 'scandir', cur.path);
      cur.offset = r.next;
      if (r.eof || r.entries.length === 0) cur.eof = true;
      for (const e of r.entries) {
        if (e.name === '.' || e.name === '..') continue;
        const name = this.#encoding === 'buffer' ? Buffer.from(e.name) : this.#encoding === 'utf8' ? e.name : Buffer.from(e.name).toString(this.#encoding);
        this.#buffered.push(new Dirent(name, e.type, cur.path));
        if (this.#recursive && e.type === 'dir') this.#todo.push(joinPath(cur.path, e.name));
      }
    }
  }

  #release(): void {
    const cur = this.#cur;
    this.#cur = null;
    this.#todo.length = 0;
    this.#buffered.length = 0;
    if (cur !== null) this.#runner.release(cur.port);
  }
}
