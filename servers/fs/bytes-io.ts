// Answering io.read and io.write over a byte array through a per-open offset, for
// translators that keep their content in memory (trivfs and netfs nodes): at an explicit
// offset (pread / pwrite), else at the open's offset, which then advances; O_APPEND
// writes at the end. Checks the open mode (EBADF) and the offset (EINVAL).

import type { Rpc } from '../../libcap/index.ts';
import { failWith } from './fail-with.ts';
import { IO_MAX, O } from '../../protocol/fs.ts';
import { canRead, canWrite } from './open-flags.ts';

/** What these helpers need of a per-open. */
export interface OffsetOpen {
  offset: number;
  flags: number;
}

/** Largest content writeInto makes by default (16 MiB). */
export const DEFAULT_MAX_CONTENT = IO_MAX * 16;

/**
 * Answer io.read from `content`: at the explicit offset, or at the per-open offset
 * (advancing it). EBADF when the open may not read. Empty at and past the end.
 */
export function readFrom(
  ctx: Rpc<{ po: OffsetOpen | null }>,
  content: Uint8Array,
  args: { readonly amount: number; readonly offset?: number | undefined },
): { data: Uint8Array } | ReturnType<typeof failWith> {
  const po = ctx.data.po!;
  if (!canRead(po.flags)) return failWith('EBADF');
  const at = args.offset ?? po.offset;
  if (!Number.isSafeInteger(at) || at < 0) return failWith('EINVAL');
  const end = Math.min(content.length, at + Math.min(args.amount, IO_MAX));
  const data = at >= end ? new Uint8Array(0) : content.slice(at, end);
  if (args.offset === undefined) po.offset = at + data.length;
  return { data };
}

/**
 * Answer io.write into a copy of `content`: at the explicit offset, the per-open offset
 * (advancing it), or the end with O_APPEND; a gap is filled with zeros. Answers the new
 * content and the amount written, or EBADF (not open for writing), EINVAL, EFBIG.
 */
export function writeInto(
  ctx: Rpc<{ po: OffsetOpen | null }>,
  content: Uint8Array,
  args: { readonly data: Uint8Array; readonly offset?: number | undefined },
  maxSize = DEFAULT_MAX_CONTENT,
): { content: Uint8Array; amount: number } | ReturnType<typeof failWith> {
  const po = ctx.data.po!;
  if (!canWrite(po.flags)) return failWith('EBADF');
  const at = (po.flags & O.APPEND) !== 0 ? content.length : (args.offset ?? po.offset);
  if (!Number.isSafeInteger(at) || at < 0) return failWith('EINVAL');
  const end = at + args.data.length;
  if (end > maxSize) return failWith('EFBIG');
  const out = new Uint8Array(Math.max(content.length, end));
  out.set(content);
  out.set(args.data, at);
  if (args.offset === undefined) po.offset = end;
  return { content: out, amount: args.data.length };
}

/** `content` cut or zero-extended to `size` bytes (for file.truncate). */
export function resized(content: Uint8Array, size: number): Uint8Array {
  if (size === content.length) return content;
  const out = new Uint8Array(size);
  out.set(size < content.length ? content.subarray(0, size) : content);
  return out;
}
