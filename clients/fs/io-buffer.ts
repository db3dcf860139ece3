// The client side of the filesystem's transfer buffers (servers/fs/io-buffer.ts): reads
// and writes of at least TRANSFER_THRESHOLD bytes go through a dataspace the server
// gives per open (io.mapBuffer, mapped here once) with one io.readBuffer or
// io.writeBuffer per buffer's worth, instead of copying the bytes into typed items.
// Transparent: when the server has no buffer to give the callers use io.read /
// io.write as before. EOPNOTSUPP (translators, netfs) and EBADF (an O_PATH open) are
// remembered for the open; ENOBUFS (this client's transfer-memory bound), ENOMEM (the
// server's memory quota), EINTR and ETIMEDOUT are not, so the next large call asks
// again once buffers were let go.
//
// What is held: per client state, per port slot, the buffer's cap slot and view, with
// the serials of the port and buffer caps it was made for (a slot reused for another
// cap does not inherit it). One operation uses a buffer at a time: a second one on the
// same open while the first is in flight takes the typed-item path, so neither sees
// the other's bytes. Dropping the port forgets it first (the buffer cap is deleted,
// its mapping goes with it); the server revokes its side when the open goes anyway,
// and when the client task dies.

import { Kind, Rights, type MemView, type Sys, type SysGen } from '../../core/index.ts';
import { releaseKept } from '../../libcap/index.ts';
import { IO_BUFFER_MAX, Protid } from '../../protocol/fs.ts';
import { fail, type ClientState, type Session } from './session.ts';

const M = Protid.methods;

/**
 * Smallest read or write that goes through the transfer buffer (64 KiB). At 64 KiB the
 * buffer already pays on an open kept for several calls (pread on a loaded two-core VM,
 * best of 5 rounds: 11 us against 103 us in a typed item; 1 MiB: 79 against 370);
 * below it a call is one RPC either way with small copies, and a small file read or
 * written whole costs the server no dataspace.
 */
export const TRANSFER_THRESHOLD = 64 << 10;

/**
 * The buffer to ask for to move `want` bytes: a power of two from TRANSFER_THRESHOLD to
 * IO_BUFFER_MAX, so buffers the server kept from earlier opens fit later ones.
 */
function bufferSize(want: number): number {
  let n = TRANSFER_THRESHOLD;
  while (n < want && n < IO_BUFFER_MAX) n *= 2;
  return Math.min(n, IO_BUFFER_MAX);
}

/** A port's transfer buffer as the client holds it. */
interface Buffered {
  /** Serial of the port cap it was given for. */
  readonly port: number;
  readonly slot: number;
  /** Serial of the buffer cap in `slot`. */
  readonly serial: number;
  readonly view: MemView;
  /** An operation is using it. */
  busy: boolean;
}

/** None for this port (the server said EOPNOTSUPP or EBADF): typed items. */
interface Unbuffered {
  readonly port: number;
  readonly view: null;
}

type Held = Buffered | Unbuffered;

const held = new WeakMap<ClientState, Map<number, Held>>();

function tableOf(state: ClientState): Map<number, Held> {
  let m = held.get(state);
  if (m === undefined) held.set(state, (m = new Map()));
  return m;
}

/** Errors after which asking again later may succeed (the answer is not remembered). */
const TRANSIENT = new Set(['ENOBUFS', 'ENOMEM', 'EINTR', 'ETIMEDOUT']);

/** Let go of what is held for `port` (called before the port itself is deleted). */
export function forgetBuffer(state: ClientState, sys: Pick<Sys, 'identify' | 'delete'>, port: number): void {
  const m = held.get(state);
  const h = m?.get(port);
  if (h === undefined) return;
  m!.delete(port);
  dropHeld(sys, h);
}

function dropHeld(sys: Pick<Sys, 'identify' | 'delete'>, h: Held): void {
  if (h.view === null) return;
  // Only the very cap it was (the server may have revoked it and the slot been reused).
  releaseKept(sys, h);
}

/**
 * The transfer buffer of `port`, mapped and marked busy (give it back with
 * `done`); null when there is none to use now (then use typed items).
 */
function* take(s: Session, port: number, want: number): SysGen<Buffered | null> {
  const id = s.sys.identify(port);
  if (id === null) return null;
  const m = tableOf(s.state);
  const h = m.get(port);
  if (h !== undefined) {
    if (h.port === id.serial && (h.view === null || h.view.live)) {
      if (h.view === null || h.busy) return null;
      h.busy = true;
      return h;
    }
    m.delete(port);
    dropHeld(s.sys, h);
  }
  const r = yield* s.attempt(port, M.mapBuffer, { size: bufferSize(want) });
  if (!r.ok) {
    if (!TRANSIENT.has(r.error)) m.set(port, { port: id.serial, view: null });
    return null;
  }
  const slot = r.value.buffer;
  const bid = s.sys.identify(slot);
  // The mapping has the cap's rights (read-only for an open that may not write).
  const v = bid !== null && bid.kind === Kind.Dataspace ? s.sys.map(slot, { rights: Rights.Read | Rights.Write }) : null;
  if (v === null || !v.ok) {
    s.sys.delete(slot);
    return null;
  }
  // Another operation on this port may have set one up meanwhile: keep the first.
  const other = m.get(port);
  if (other !== undefined && other.port === id.serial) {
    s.sys.delete(slot);
    return null;
  }
  const b: Buffered = { port: id.serial, slot, serial: bid!.serial, view: v.value, busy: true };
  m.set(port, b);
  return b;
}

/** The bytes of the buffer, or EIO when the mapping went away under the caller. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && e.name === 'PageFault') fail('EIO', `transfer buffer: ${e.message}`);
    throw e;
  }
}

/**
 * Read up to `length` bytes at `position` (or the open's offset) into `out` at `base`
 * through the transfer buffer, stopping at a short read. The bytes read, or null when
 * the port has no buffer to use (the caller uses io.read).
 */
export function* readViaBuffer(s: Session, port: number, length: number, position: number | undefined, out: Uint8Array, base: number): SysGen<number | null> {
  const b = yield* take(s, port, length);
  if (b === null) return null;
  const v = b.view;
  try {
    let got = 0;
    while (got < length) {
      const ask = Math.min(v.length, length - got);
      const { amount } = yield* s.call(port, M.readBuffer, position === undefined ? { amount: ask } : { amount: ask, offset: position + got });
      if (amount > ask) fail('EIO', `io.readBuffer answered ${amount} bytes for ${ask}`);
      guard(() => v.read(0, out, base + got, amount));
      got += amount;
      if (amount < ask) break;
    }
    return got;
  } finally {
    b.busy = false;
  }
}

/**
 * Write all of `data` at `position` (or the open's offset / the end with O_APPEND)
 * through the transfer buffer. The bytes written, or null when the port has no buffer
 * to use (the caller uses io.write). A read-only open's buffer is mapped read-only:
 * null, and io.write answers EBADF as it would anyway.
 */
export function* writeViaBuffer(s: Session, port: number, data: Uint8Array, position: number | undefined): SysGen<number | null> {
  const b = yield* take(s, port, data.length);
  if (b === null) return null;
  const v = b.view;
  try {
    if (!v.writable) return null;
    let done = 0;
    while (done < data.length) {
      const n = Math.min(v.length, data.length - done);
      guard(() => v.write(0, data.subarray(done, done + n)));
      const { amount } = yield* s.call(port, M.writeBuffer, position === undefined ? { amount: n } : { amount: n, offset: position + done });
      if (amount === 0 || amount > n) fail('EIO', `io.writeBuffer answered ${amount} for ${n} bytes`);
      done += amount;
    }
    return done;
  } finally {
    b.busy = false;
  }
}

/** How many ports of this client hold a mapped transfer buffer (for tests and tools). */
export function buffersHeld(state: ClientState): number {
  let n = 0;
  for (const h of held.get(state)?.values() ?? []) if (h.view !== null && h.view.live) n++;
  return n;
}
