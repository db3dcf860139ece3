// fs.promises.watch over the Hurd's change notification: a mailbox at the notify
// service, one sender cap per watched node handed to the filesystem with
// dir.noticeDirChanges (a directory: entries added, removed, replaced) or
// file.noticeFileChanges (a file: content or attributes), and the mailbox's events as
// Node's { eventType, filename }. `recursive` registers every directory below (and
// those made later) with a sender each. The signal cancels the pending wait and ends
// the iteration with Node's AbortError; leaving the loop deletes the mailbox, which
// revokes the senders (the servers drop them at their next post).

import { Buffer } from 'node:buffer';
import { posix } from 'node:path';
import { connect, type AsyncClient, type SpecsOf } from '../../libcap/index.ts';
import { O, Protid, S } from '../../protocol/fs.ts';
import { Mailbox, Notify, type NotifyEvent } from '../../protocol/notify.ts';
import { readdirPath } from './dir-ops.ts';
import { abortError, FsError, invalidArgType } from './fs-error.ts';
import { lookupPath } from './resolve.ts';
import type { Runner } from './runner.ts';
import { Failure } from './session.ts';

const M = Protid.methods;

/** Events the mailbox of a watch holds before the oldest are dropped (default). */
export const DEFAULT_WATCH_QUEUE = 128;

/** A change, as Node's fs.promises.watch yields it. */
export interface WatchEvent<F extends string | Buffer = string> {
  eventType: 'rename' | 'change';
  filename: F;
}

/** watch's options. */
export interface WatchOptions {
  /** Accepted for Node's sake; a watch never keeps anything alive but its own loop. */
  persistent?: boolean;
  /** Every directory below too. */
  recursive?: boolean;
  encoding?: BufferEncoding | 'buffer';
  signal?: AbortSignal;
  /** Mailbox capacity (default 128; charged to the client's notify quota). */
  maxQueue?: number;
  /** When events were lost: 'ignore' (default) or 'throw' (ERR_FS_WATCH_QUEUE_OVERFLOW). */
  overflow?: 'ignore' | 'throw';
}

/** Node's error for a watch that cannot start: `filename` as well as `path`. */
function watchError(code: Failure['code'], path: string): FsError {
  return Object.assign(new FsError(code, 'watch', path), { filename: path });
}

/**
 * Watch `path` through the notify service whose root cap is in slot `notify` of the
 * runner's task (null: no service, ENOSYS). Errors starting it (ENOENT, EACCES, ENOTDIR
 * ..., EDQUOT from the service, ENOSPC when a recursive watch needs more senders than
 * one mailbox may allow) are Node's, named 'watch'.
 */
export async function* watchPath(
  runner: Runner,
  notify: number | null,
  path: string,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<string | Buffer>, undefined, undefined> {
  const signal = runner.signalFor(opts.signal);
  if (signal?.aborted === true) throw abortError(signal);
  if (notify === null) throw watchError('ENOSYS', path);
  const { kernel, task } = runner;
  const slots: number[] = [];
  const callOpts = signal === undefined ? {} : { signal };
  const fail = (r: { ok: false; error: Failure['code'] }): never => {
    if (signal?.aborted === true) throw abortError(signal);
    throw watchError(r.error, path);
  };
  try {
    const root = connect(Notify, kernel, task, notify);
    const sub = await root.attempt.subscribe({ capacity: opts.maxQueue ?? DEFAULT_WATCH_QUEUE }, callOpts);
    if (!sub.ok) fail(sub);
    const box: AsyncClient<SpecsOf<typeof Mailbox>> = connect(Mailbox, kernel, task, sub.ok ? sub.value.mailbox : 0);
    if (sub.ok) slots.push(sub.value.mailbox);
    /** Source name -> the directory's path relative to `path` ('' for itself), or null for a file. */
    const sources = new Map<string, string | null>();
    let isDir = false;

    /** Register the node at `rel` (below `path`) with a sender of its own. */
    const register = async (rel: string, dir: boolean): Promise<void> => {
      const source = `w${sources.size}`;
      const a = await box.attempt.allow({ source }, callOpts);
      if (!a.ok) fail(a.error === 'EDQUOT' ? { ok: false, error: 'ENOSPC' } : a);
      const sender = a.ok ? a.value.sender : 0;
      slots.push(sender);
      const full = rel === '' ? path : posix.join(path, rel);
      try {
        await runner.run(
          function* (s) {
            const port = yield* lookupPath(s, full, O.PATH, 0);
            try {
              if (dir) yield* s.call(port, M.noticeDirChanges, { sender });
              else yield* s.call(port, M.noticeFileChanges, { sender });
            } finally {
              s.drop(port);
            }
          },
          'watch',
          full,
          undefined,
          opts.signal,
        );
      } catch (e) {
        // A directory made and removed before we got to it is simply not watched.
        if (rel !== '' && (e as { code?: string }).code === 'ENOENT') return;
        throw e;
      }
      sources.set(source, dir ? rel : null);
    };

    const top = await runner
      .run(
        function* (s) {
          const port = yield* lookupPath(s, path, O.PATH, 0);
          try {
            return (yield* s.call(port, M.stat, {})).stat.mode;
          } finally {
            s.drop(port);
          }
        },
        'watch',
        path,
        undefined,
        opts.signal,
      )
      .catch((e: unknown) => {
        if (e instanceof FsError) throw Object.assign(e, { filename: path });
        throw e;
      });
    isDir = (top & S.IFMT) === S.IFDIR;
    await register('', isDir);
    if (isDir && opts.recursive === true) {
      const below = await runner.run((s) => readdirPath(s, path, true), 'watch', path, undefined, opts.signal);
      for (const e of below) if (e.type === 'dir') await register(e.relative, true);
    }

    const name = (rel: string): string | Buffer => {
      if (opts.encoding === 'buffer') return Buffer.from(rel);
      if (opts.encoding === undefined || opts.encoding === 'utf8' || opts.encoding === 'utf-8') return rel;
      return Buffer.from(rel).toString(opts.encoding);
    };
    let lastTick = 0;
    for (;;) {
      const r = await box.attempt.wait({ max: 64, timeout: 0 }, callOpts);
      if (!r.ok) fail(r);
      const events: readonly NotifyEvent[] = r.ok ? r.value.events : [];
      for (const ev of events) {
        if (ev.tick > lastTick + 1 && lastTick !== 0 && opts.overflow === 'throw') {
          throw Object.assign(new Error(`fs.watch maximum queue size of ${opts.maxQueue ?? DEFAULT_WATCH_QUEUE} exceeded`), {
            code: 'ERR_FS_WATCH_QUEUE_OVERFLOW',
          });
        }
        lastTick = ev.tick;
        if (ev.type === 'sync') continue;
        const dirRel = sources.get(ev.source);
        if (dirRel === undefined) continue;
        if (dirRel === null) {
          yield { eventType: 'change', filename: name(posix.basename(path)) };
          continue;
        }
        const rel = dirRel === '' ? ev.data : `${dirRel}/${ev.data}`;
        if (opts.recursive === true && ev.type === 'add') await registerIfDir(runner, path, rel, register);
        yield { eventType: 'rename', filename: name(rel) };
      }
    }
  } finally {
    for (const slot of slots) runner.ops.delete(slot);
  }
}

/** Register `rel` when it names a directory (a directory made inside a recursive watch). */
async function registerIfDir(runner: Runner, path: string, rel: string, register: (rel: string, dir: boolean) => Promise<void>): Promise<void> {
  const full = posix.join(path, rel);
  let mode: number;
  try {
    mode = await runner.run(
      function* (s) {
        const port = yield* lookupPath(s, full, O.PATH | O.NOLINK, 0);
        try {
          return (yield* s.call(port, M.stat, {})).stat.mode;
        } finally {
          s.drop(port);
        }
      },
      'watch',
      full,
    );
  } catch {
    return;
  }
  if ((mode & S.IFMT) === S.IFDIR) await register(rel, true);
}

/** Node's check of watch's arguments. */
export function checkWatchOptions(options: unknown): WatchOptions {
  if (options === undefined || options === null) return {};
  if (typeof options === 'string') return { encoding: options as BufferEncoding };
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = options as WatchOptions;
  for (const k of ['persistent', 'recursive'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalidArgType(`options.${k}`, 'of type boolean', o[k]);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', o.signal);
  return o;
}
