// The log translator: an append-only file over the node it sits on. `settrans app.log
// log`: every write is appended to the file underneath, whatever the open's offset, each
// line stamped with the kernel time ("[12.500] " by default, seconds); reads, seek and
// stat show the file underneath as it grows. The log only grows: O_TRUNC and truncate
// answer EPERM (as an append-only file on Linux). Options: --stamp (default) or
// --no-stamp, also through fsysopts. The node must be a regular file its owner can
// write; otherwise the translator refuses to start.

import { connect, type ErrnoName } from '../../libcap/index.ts';
import { failWith } from '../fs/fail-with.ts';
import { O, Protid, S, type StatRecord } from '../../protocol/fs.ts';
import { canRead, canWrite } from '../fs/open-flags.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { trivfs, type Trivfs } from '../fs/trivfs.ts';

/** The usage line bad arguments are reported with. */
export const LOG_USAGE = 'usage: log [--stamp | --no-stamp]';

/** Whether lines are stamped, from `args` (`current` when not given); what is wrong as a message. */
export function parseLogArgs(args: readonly string[], current = true): { stamp: boolean } | string {
  let stamp = current;
  for (const a of args) {
    if (a === '--stamp') stamp = true;
    else if (a === '--no-stamp') stamp = false;
    else return `bad argument ${JSON.stringify(a)}; ${LOG_USAGE}`;
  }
  return { stamp };
}

/** The text appended for `data` written at `now` (ms), and whether it ends a line. */
export function stampLines(data: Uint8Array, now: number, atLineStart: boolean): { out: Uint8Array; endsLine: boolean } {
  const stamp = Buffer.from(`[${(now / 1000).toFixed(3)}] `, 'utf8');
  const parts: Uint8Array[] = [];
  let start = atLineStart;
  let from = 0;
  for (let i = 0; i < data.length; i++) {
    if (start) parts.push(stamp);
    start = false;
    if (data[i] === 0x0a) {
      parts.push(data.subarray(from, i + 1));
      from = i + 1;
      start = true;
    }
  }
  if (from < data.length) parts.push(data.subarray(from));
  return { out: Buffer.concat(parts), endsLine: data.length === 0 ? atLineStart : data[data.length - 1] === 0x0a };
}

/** Start log: argv is ['log', ...options]. Bad options or a node it cannot append to fail the start. */
export const log: TranslatorFactory = async (env) => {
  const parsed = parseLogArgs(env.argv.slice(1));
  if (typeof parsed === 'string') throw new TypeError(`log: ${parsed}`);
  let stamp = parsed.stamp;
  if (env.underlying === 0) throw new TypeError('log: no file under the node');
  const under = connect(Protid, env.kernel, env.task, env.underlying);
  const st = await under.attempt.stat();
  if (!st.ok || (st.value.stat.mode & S.IFMT) !== S.IFREG) throw new TypeError('log: the node is not a regular file');
  const modes = await under.attempt.getOpenModes();
  if (!modes.ok || !canWrite(modes.value.flags)) throw new TypeError('log: the node cannot be written by its owner');

  let size = st.value.stat.size;
  let atLineStart = size === 0;
  if (!atLineStart) {
    const last = await under.attempt.read({ amount: 1, offset: size - 1 });
    atLineStart = last.ok && last.value.data[0] === 0x0a;
  }

  // Appends one at a time, so stamps and line state follow the order of the writes.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  }

  /** The file underneath's stat, remembering its size; null when it cannot be had. */
  async function underStat(): Promise<StatRecord | null> {
    const r = await under.attempt.stat();
    if (!r.ok) return null;
    size = r.value.stat.size;
    return r.value.stat;
  }

  const inst: Trivfs = trivfs(env, {
    name: 'log',
    mode: st.value.stat.mode & 0o666,
    uid: st.value.stat.uid,
    gid: st.value.stat.gid,
    allowWrite: true,
    size: () => size,
    checkOpen: (_user, flags) => ((flags & O.TRUNC) !== 0 && (flags & O.PATH) === 0 ? 'EPERM' : null),
    handlers: {
      async read(ctx, { amount, offset }) {
        const po = ctx.data.po!;
        if (!canRead(po.flags)) return ctx.fail('EBADF');
        const at = offset ?? po.offset;
        const r = await under.attempt.read({ amount, offset: at });
        if (!r.ok) return ctx.fail('EIO', r.error);
        if (offset === undefined) po.offset = at + r.value.data.length;
        return { data: r.value.data };
      },
      write(ctx, { data, offset }) {
        const po = ctx.data.po!;
        if (!canWrite(po.flags)) return ctx.fail('EBADF');
        return serial(async (): Promise<{ amount: number } | ReturnType<typeof failWith>> => {
          const now = await underStat();
          if (now === null) return failWith('EIO');
          const { out, endsLine } = stamp
            ? stampLines(data, env.kernel.clock.now(), atLineStart)
            : { out: data, endsLine: data.length === 0 ? atLineStart : data[data.length - 1] === 0x0a };
          let written = 0;
          while (written < out.length) {
            const w = await under.attempt.write({ data: out.subarray(written), offset: size + written });
            if (!w.ok || w.value.amount === 0) return failWith(w.ok ? 'EIO' : (w.error as ErrnoName));
            written += w.value.amount;
          }
          size += written;
          atLineStart = endsLine;
          // Appends ignore the offset asked for; an open's own offset moves past its text.
          if (offset === undefined) po.offset = size;
          return { amount: data.length };
        });
      },
      truncate: () => failWith('EPERM', 'the log only grows'),
      async stat() {
        const mine = inst.stat();
        const u = await underStat();
        return { stat: u === null ? mine : { ...mine, size: u.size, blocks: u.blocks, mtimeMs: u.mtimeMs, ctimeMs: u.ctimeMs, atimeMs: u.atimeMs } };
      },
    },
    getOptions: () => [stamp ? '--stamp' : '--no-stamp'],
    setOptions(options) {
      const p = parseLogArgs(options, stamp);
      if (typeof p === 'string') return 'EINVAL';
      stamp = p.stamp;
      return null;
    },
  });
  return inst;
};
