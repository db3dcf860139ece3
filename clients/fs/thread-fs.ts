// The fs client for code that already runs in a kernel thread of the client's task (a
// program written as a thread body, a benchmark loop): the same operations as generators
// to `yield*`, answering result values instead of promises. No thread per call.

import type { Buffer } from 'node:buffer';
import type { Sys, SysGen } from '../../core/index.ts';
import { O, Protid } from '../../protocol/fs.ts';
import { mkdirOne, readdirPath, unlinkPath } from './dir-ops.ts';
import { FsError } from './fs-error.ts';
import type { FsClient } from './fs-client.ts';
import { openPath, readSome, readToEnd, writeAll } from './io-ops.ts';
import { statPath } from './node-ops.ts';
import { Failure, section, Session } from './session.ts';
import { Stats } from './stats.ts';

/** A result value: the answer, or Node's error. */
export type FsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FsError };

/**
 * The client's calls for a thread of its task (`sys` must be one). It keeps the root and
 * working directory the client had when it was made: a later chdir does not move it.
 */
export class ThreadFs {
  private readonly s: Session;

  constructor(sys: Sys, client: FsClient) {
    this.s = new Session(sys, client.runner.state);
  }

  private *attempt<T>(g: SysGen<T>, syscall: string, path?: string): SysGen<FsResult<T>> {
    try {
      return { ok: true, value: yield* g };
    } catch (e) {
      if (e instanceof Failure) return { ok: false, error: new FsError(e.code, syscall, path) };
      if (e instanceof FsError) return { ok: false, error: e };
      throw e;
    }
  }

  *stat(path: string): SysGen<FsResult<Stats>> {
    const r = yield* this.attempt(statPath(this.s, path, true), 'stat', path);
    return r.ok ? { ok: true, value: new Stats(r.value) } : r;
  }

  *lstat(path: string): SysGen<FsResult<Stats>> {
    const r = yield* this.attempt(statPath(this.s, path, false), 'lstat', path);
    return r.ok ? { ok: true, value: new Stats(r.value) } : r;
  }

  /** Open `path` (O_* flags); answers the port, to close() when done. */
  *open(path: string, flags: number = O.RDONLY, mode = 0o666): SysGen<FsResult<number>> {
    return yield* this.attempt(openPath(this.s, path, flags, mode), 'open', path);
  }

  /** Read up to `length` bytes at `position` (the open's offset when undefined). */
  *read(fd: number, length: number, position?: number): SysGen<FsResult<Uint8Array>> {
    return yield* this.attempt(readSome(this.s, fd, length, position), 'read');
  }

  /** Write all of `data` at `position` (the open's offset when undefined). */
  *write(fd: number, data: Uint8Array, position?: number): SysGen<FsResult<number>> {
    return yield* this.attempt(writeAll(this.s, fd, data, position), 'write');
  }

  *fstat(fd: number): SysGen<FsResult<Stats>> {
    const s = this.s;
    return yield* this.attempt(
      (function* () {
        return new Stats((yield* s.call(fd, Protid.methods.stat, {})).stat);
      })(),
      'fstat',
    );
  }

  /** Delete the port of an open file. */
  close(fd: number): void {
    this.s.drop(fd);
  }

  *readFile(path: string): SysGen<FsResult<Buffer>> {
    const s = this.s;
    return yield* this.attempt(
      (function* () {
        const port = yield* openPath(s, path, O.RDONLY, 0);
        try {
          return yield* section(readToEnd(s, port), 'read');
        } finally {
          s.drop(port);
        }
      })(),
      'open',
      path,
    );
  }

  *writeFile(path: string, data: Uint8Array, mode = 0o666): SysGen<FsResult<void>> {
    const s = this.s;
    return yield* this.attempt(
      (function* () {
        const port = yield* openPath(s, path, O.WRONLY | O.CREAT | O.TRUNC, mode);
        try {
          yield* section(writeAll(s, port, data, undefined), 'write');
        } finally {
          s.drop(port);
        }
      })(),
      'open',
      path,
    );
  }

  *readdir(path: string): SysGen<FsResult<string[]>> {
    const r = yield* this.attempt(readdirPath(this.s, path, false), 'scandir', path);
    return r.ok ? { ok: true, value: r.value.map((e) => e.name) } : r;
  }

  *mkdir(path: string, mode = 0o777): SysGen<FsResult<void>> {
    return yield* this.attempt(mkdirOne(this.s, path, mode & ~this.s.state.umask), 'mkdir', path);
  }

  *unlink(path: string): SysGen<FsResult<void>> {
    return yield* this.attempt(unlinkPath(this.s, path), 'unlink', path);
  }
}
