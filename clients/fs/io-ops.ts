// Data operations, as kernel-thread generators: reads and writes of TRANSFER_THRESHOLD
// bytes or more through the open's transfer buffer when the server gives one
// (io-buffer.ts), others split into messages of at most IO_MAX bytes; whole-file reads
// and writes, and copyFile (as libuv's: open the source, open the destination with the
// source's mode, same-file check, truncate, copy, chmod). The caller owns the ports it passes; these delete only what they open.

import { Buffer } from 'node:buffer';
import type { SysGen } from '../../core/index.ts';
import { IO_MAX, O, Protid, S } from '../../protocol/fs.ts';
import { readViaBuffer, TRANSFER_THRESHOLD, writeViaBuffer } from './io-buffer.ts';
import { lookupPath } from './resolve.ts';
import { fail, Failure, type Session } from './session.ts';

const M = Protid.methods;

/** COPYFILE_* bits of copyFile's mode. */
export const COPYFILE = { EXCL: 1, FICLONE: 2, FICLONE_FORCE: 4 } as const;

/**
 * Read up to `length` bytes at `position` (or at the open's offset when undefined),
 * into `into` at `offset` when given; through the open's transfer buffer from
 * TRANSFER_THRESHOLD bytes on, else in messages of at most IO_MAX bytes; stopping at
 * a short read. Answers the bytes read (a view of `into`, or fresh bytes).
 */
export function* readSome(s: Session, port: number, length: number, position: number | undefined, into?: Uint8Array, offset = 0): SysGen<Uint8Array> {
  if (length >= TRANSFER_THRESHOLD) {
    const out = into ?? new Uint8Array(length);
    const base = into === undefined ? 0 : offset;
    const got = yield* readViaBuffer(s, port, length, position, out, base);
    if (got !== null) return out.subarray(base, base + got);
  }
  if (length <= IO_MAX) {
    const { data } = yield* s.call(port, M.read, position === undefined ? { amount: length } : { amount: length, offset: position });
    if (data.length > length) fail('EIO', `io.read answered ${data.length} bytes for ${length}`);
    if (into === undefined) return data;
    into.set(data, offset);
    return into.subarray(offset, offset + data.length);
  }
  const out = into ?? new Uint8Array(length);
  const base = into === undefined ? 0 : offset;
  let got = 0;
  while (got < length) {
    const amount = Math.min(IO_MAX, length - got);
    const args = position === undefined ? { amount } : { amount, offset: position + got };
    const { data } = yield* s.call(port, M.read, args);
    if (data.length > amount) fail('EIO', `io.read answered ${data.length} bytes for ${amount}`);
    out.set(data, base + got);
    got += data.length;
    if (data.length < amount) break;
  }
  return out.subarray(base, base + got);
}

/**
 * Write all of `data` at `position` (or at the open's offset / the end with O_APPEND
 * when undefined), through the transfer buffer from TRANSFER_THRESHOLD bytes on, else
 * in messages of at most IO_MAX bytes; short writes continue where they stopped. Answers the bytes written.
 */
export function* writeAll(s: Session, port: number, data: Uint8Array, position: number | undefined): SysGen<number> {
  if (data.length >= TRANSFER_THRESHOLD) {
    const n = yield* writeViaBuffer(s, port, data, position);
    if (n !== null) return n;
  }
  let done = 0;
  while (done < data.length) {
    const chunk = data.subarray(done, Math.min(data.length, done + IO_MAX));
    const { amount } = yield* s.call(port, M.write, position === undefined ? { data: chunk } : { data: chunk, offset: position + done });
    if (amount === 0 || amount > chunk.length) fail('EIO', `io.write answered ${amount} for ${chunk.length} bytes`);
    done += amount;
  }
  return done;
}

/**
 * Read from the open's offset to the end of file. A first io.read of up to
 * TRANSFER_THRESHOLD bytes answers a small file in one RPC; past that, the result is
 * sized from io.stat and the rest read straight into it (through the transfer buffer
 * when the server gives one: the bytes are copied once on each side), growing if the
 * file grew meanwhile.
 */
export function* readToEnd(s: Session, port: number): SysGen<Buffer> {
  const first = (yield* s.call(port, M.read, { amount: TRANSFER_THRESHOLD })).data;
  if (first.length > TRANSFER_THRESHOLD) fail('EIO', `io.read answered ${first.length} bytes for ${TRANSFER_THRESHOLD}`);
  if (first.length < TRANSFER_THRESHOLD) return Buffer.from(first.buffer, first.byteOffset, first.byteLength);
  const { size } = (yield* s.call(port, M.stat, {})).stat;
  const chunks: Buffer[] = [];
  let total = 0;
  // One byte more than the file holds: a read that fills it exactly ends short, no extra RPC.
  let cur = Buffer.allocUnsafeSlow(Math.max(size, 2 * TRANSFER_THRESHOLD) + 1);
  cur.set(first);
  let used = first.length;
  for (;;) {
    if (used === cur.length) {
      chunks.push(cur);
      total += used;
      cur = Buffer.allocUnsafeSlow(IO_MAX);
      used = 0;
    }
    const want = cur.length - used;
    const got = (yield* readSome(s, port, want, undefined, cur, used)).length;
    used += got;
    if (got < want) break;
  }
  if (chunks.length === 0) return cur.subarray(0, used);
  chunks.push(cur.subarray(0, used));
  return Buffer.concat(chunks, total + used);
}

/** Open `path` for the data calls, applying the umask to the creation mode. */
export function* openPath(s: Session, path: string, flags: number, mode: number): SysGen<number> {
  return yield* lookupPath(s, path, flags, mode & ~s.state.umask & 0o7777);
}

/**
 * copyFile, as libuv's uv_fs_copyfile: the destination is created with the source's
 * mode (EEXIST with COPYFILE_EXCL), left alone when it is the source itself, truncated,
 * filled, then given the source's mode. COPYFILE_FICLONE_FORCE: ENOSYS (no clones).
 */
export function* copyPath(s: Session, src: string, dest: string, mode: number): SysGen<void> {
  if ((mode & COPYFILE.FICLONE_FORCE) !== 0) fail('ENOSYS');
  const from = yield* lookupPath(s, src, O.RDONLY, 0);
  try {
    const st = (yield* s.call(from, M.stat, {})).stat;
    if ((st.mode & S.IFMT) === S.IFDIR) fail('EISDIR');
    const perm = st.mode & 0o7777;
    const excl = (mode & COPYFILE.EXCL) !== 0;
    const to = yield* lookupPath(s, dest, O.WRONLY | O.CREAT | (excl ? O.EXCL : 0), perm);
    try {
      if (!excl) {
        const other = (yield* s.call(to, M.stat, {})).stat;
        if (other.dev === st.dev && other.ino === st.ino) return;
      }
      yield* s.call(to, M.truncate, { size: 0 });
      // Chunks of the file's size up to IO_MAX: a large file moves through both opens'
      // transfer buffers (readSome, writeAll), a small one in typed items.
      const scratch = new Uint8Array(Math.min(IO_MAX, Math.max(st.size, 4096)));
      for (;;) {
        const data = yield* readSome(s, from, scratch.length, undefined, scratch, 0);
        if (data.length === 0) break;
        yield* writeAll(s, to, data, undefined);
      }
      const r = yield* s.attempt(to, M.chmod, { mode: perm });
      // libuv ignores EPERM here (a file of someone else's it may write to).
      if (!r.ok && r.error !== 'EPERM') throw new Failure(r.error, r.message);
    } finally {
      s.drop(to);
    }
  } finally {
    s.drop(from);
  }
}
