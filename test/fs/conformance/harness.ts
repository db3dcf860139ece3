// The conformance suite's frame: what an implementation under test provides, how cases
// are registered (one id each, so an implementation can skip one with a reason or mark
// it as a known deviation from Node), and the assertions every case shares (Node's
// error shape: code, errno, syscall, path, dest, message).

import type * as NodeFs from 'node:fs';
import { expect, it } from 'vitest';
import { ERRNO, isErrnoName } from '../../../libcap/index.ts';
import type { FsPromisesApi } from '../../../clients/fs/index.ts';
import { uvMessage } from '../../../clients/fs/index.ts';

/** One fresh instance of an implementation, for one case. */
export interface FsInstance {
  /** The fs.promises-like object under test. */
  readonly fs: FsPromisesApi;
  /** The node:fs-like object over the same files (callback forms, streams, classes). */
  readonly nodeFs: typeof NodeFs;
  /** The case's working directory: absolute, existing, empty, owned by the user. */
  readonly root: string;
  /** The identity calls are made with. */
  readonly uid: number;
  readonly gid: number;
  /** The umask applied to created files. */
  readonly umask: number;
  /** Tear down (servers, temporary directories). */
  cleanup(): Promise<void>;
}

/** An implementation: how to make instances, and what it cannot do or does differently. */
export interface FsImplementation {
  readonly name: string;
  create(): Promise<FsInstance>;
  /**
   * Permission checks apply to the user (false when it runs as uid 0, for whom Linux
   * bypasses them): cases tagged 'permissions' are skipped with `noPermissionsReason`.
   */
  readonly permissions: boolean;
  readonly noPermissionsReason?: string;
  /** Cases not run here, by id, with the reason. */
  readonly skips?: Readonly<Record<string, string>>;
  /** Cases known to behave differently from Node here, by id, with what differs: run, expected to fail. */
  readonly deviations?: Readonly<Record<string, string>>;
}

/** What a case gets. */
export interface CaseContext extends FsInstance {
  /** `root` + '/' + rel. */
  p(rel: string): string;
}

export type CaseFn = (c: CaseContext) => Promise<void>;

export interface CaseOptions {
  /** Needs permission checks (runs as a non-root user). */
  readonly permissions?: boolean;
}

/** Registers the cases of one group ("stat", "readFile" ...). */
export interface Cases {
  (name: string, fn: CaseFn, opts?: CaseOptions): void;
}

/** The id of a case: "group: name". */
export function caseId(group: string, name: string): string {
  return `${group}: ${name}`;
}

/** Register `fn` under `id` for `impl`: run, skipped with a reason, or run expecting a deviation. */
export function registerCase(impl: FsImplementation, id: string, name: string, fn: CaseFn, opts: CaseOptions, used: Set<string>): void {
  used.add(id);
  const run = async (): Promise<void> => {
    const inst = await impl.create();
    try {
      await fn({ ...inst, p: (rel: string) => (rel === '' ? inst.root : `${inst.root}/${rel}`) });
    } finally {
      await inst.cleanup();
    }
  };
  const skip = impl.skips?.[id];
  if (skip !== undefined) {
    it.skip(`${name} [skipped: ${skip}]`, run);
    return;
  }
  if (opts.permissions === true && !impl.permissions) {
    it.skip(`${name} [skipped: ${impl.noPermissionsReason ?? 'no permission checks'}]`, run);
    return;
  }
  const dev = impl.deviations?.[id];
  if (dev !== undefined) {
    it.fails(`${name} [known deviation from Node: ${dev}]`, run);
    return;
  }
  it(name, run);
}

/** Expected parts of a Node error. */
export interface ExpectedError {
  readonly code: string;
  readonly syscall?: string;
  /** The path the error names; null: it names none. */
  readonly path?: string | null;
  readonly dest?: string;
}

/**
 * `p` rejects (never a synchronous throw: callers pass the promise) with Node's error:
 * the code; for system errors the negative errno; the syscall; path and dest; and the
 * message "CODE: description, syscall 'path' -> 'dest'".
 */
export async function rejectsWith(p: Promise<unknown>, want: ExpectedError): Promise<Error & Record<string, unknown>> {
  let err: unknown = undefined;
  let settled = false;
  try {
    await p;
  } catch (e) {
    err = e;
    settled = true;
  }
  if (!settled) throw new Error(`expected a rejection with ${want.code}, but it resolved`);
  expect(err).toBeInstanceOf(Error);
  const e = err as Error & Record<string, unknown>;
  expect({ code: e.code }).toEqual({ code: want.code });
  if (want.syscall !== undefined) expect({ syscall: e.syscall }).toEqual({ syscall: want.syscall });
  if (want.path !== undefined) expect({ path: e.path }).toEqual({ path: want.path ?? undefined });
  if (want.dest !== undefined) expect({ dest: e.dest }).toEqual({ dest: want.dest });
  if (isErrnoName(want.code) && want.syscall !== undefined) {
    expect({ errno: e.errno }).toEqual({ errno: -ERRNO[want.code] });
    let msg = `${want.code}: ${uvMessage(want.code)}, ${want.syscall}`;
    if (want.path !== undefined && want.path !== null) msg += ` '${want.path}'`;
    if (want.dest !== undefined) msg += ` -> '${want.dest}'`;
    expect(e.message).toBe(msg);
  }
  return e;
}

/** Call `f`: it must not throw synchronously, and must answer a promise that rejects with `code`. */
export async function rejectsAsync(f: () => unknown, code: string): Promise<void> {
  let p: unknown;
  expect(() => {
    p = f();
  }).not.toThrow();
  expect(p).toBeInstanceOf(Promise);
  await rejectsWith(p as Promise<unknown>, { code });
}

/** Names in a directory, sorted. */
export async function names(fs: FsPromisesApi, path: string): Promise<string[]> {
  return (await fs.readdir(path)).sort();
}

/** The permission bits of a mode. */
export function perm(mode: number): number {
  return mode & 0o7777;
}

/** `n` bytes of a repeating pattern (to check large transfers byte for byte). */
export function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
