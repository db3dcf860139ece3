// Large data through shared memory (as the Hurd's io_read answers large data out of
// line): io.mapBuffer gives a protid a transfer dataspace, mapped read-write in the
// server and handed to the client as a cap it maps; io.readBuffer and io.writeBuffer
// then move up to the buffer's size per RPC through it, after the same checks as
// io.read and io.write (io-rpcs.ts). Each client's transfer memory is bounded
// (ClientLimits.maxTransferBytes, ENOBUFS beyond) and charged to the server task's
// memory quota (ENOMEM when spent). Released buffers are kept, zeroed, for reuse up to
// TRANSFER_POOL_BYTES.
//
// The server holds the dataspace's only original cap; the client's cap is minted from
// it with the open's rights (Read for an open that may not write, Read and Write
// otherwise; never Grant), so a read-only open's client maps the buffer read-only.
// When the protid goes (closed, or its client died), the server revokes that cap,
// which takes the client's cap and every mapping made through it, then keeps the
// buffer (zeroed) or deletes its own cap, which frees the memory and refunds the
// quota. Nothing the client does to its side (unmap, delete, revoke, hand on the cap)
// reaches the server's mapping, so a hostile client cannot make the server fault;
// lengths and offsets are checked before any byte moves.

import { CAP_FACTORY, PAGE_SIZE, Rights, Status, type Kernel, type MemView } from '../../core/index.ts';
import type { Client, SpecsOf } from '../../libcap/index.ts';
import { admitRoot } from './client-limits.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { IO_BUFFER_MAX, O, type Io } from '../../protocol/fs.ts';
import type { HandlerSet } from './handler-set.ts';
import { readPosition, writeAt, writePosition } from './io-rpcs.ts';
import { canWrite } from './open-flags.ts';

/** A protid's transfer buffer, as the server holds it. */
export interface IoBuffer {
  /** Slot, in the server's task, of the dataspace cap the client's cap derives from. */
  readonly slot: number;
  /** Slot of the cap minted from it with the open's rights, which io.mapBuffer hands out. */
  readonly clientSlot: number;
  /** The server's read-write view of the whole buffer. */
  readonly view: MemView;
  /** Bytes (whole pages). */
  readonly size: number;
  /** Whose transfer memory it is charged to. */
  readonly client: Client;
}

type BufferMethods = Pick<SpecsOf<typeof Io>, 'mapBuffer' | 'readBuffer' | 'writeBuffer'>;

/** Transfer memory charged to each client, per filesystem. */
const charged = new WeakMap<Filesystem, Map<Client, number>>();

function chargesOf(fs: Filesystem): Map<Client, number> {
  let m = charged.get(fs);
  if (m === undefined) charged.set(fs, (m = new Map()));
  return m;
}

/** Bytes of transfer buffers `client` holds on `fs`. */
export function transferBytesOf(fs: Filesystem, client: Client): number {
  return charged.get(fs)?.get(client) ?? 0;
}

/** Bytes of transfer buffers all clients hold on `fs`. */
export function transferTotal(fs: Filesystem): number {
  let n = 0;
  for (const b of charged.get(fs)?.values() ?? []) n += b;
  return n;
}

/**
 * Bytes of released buffers a filesystem keeps, zeroed, for the next io.mapBuffer of the
 * same size (4 MiB): a file read or written whole opens, maps and releases a buffer
 * each time, and fresh memory costs more than clearing kept memory. Kept buffers stay
 * charged to the server's memory quota and are freed first when it is spent.
 */
export const TRANSFER_POOL_BYTES = 4 << 20;

/** A released buffer kept for reuse: no cap but the server's, zeroed. */
interface Kept {
  readonly slot: number;
  readonly view: MemView;
  readonly size: number;
}

const pools = new WeakMap<Filesystem, Kept[]>();
/**
 * The filesystems of each kernel that keep buffers (for forgetTransferPools); only those
 * in the kernel's heap (an isolated filesystem's pool lives in its worker).
 */
const pooling = new WeakMap<Kernel, Set<Filesystem>>();

function poolOf(fs: Filesystem): Kept[] {
  let p = pools.get(fs);
  if (p === undefined) pools.set(fs, (p = []));
  if (fs.kernel === null) return p;
  let set = pooling.get(fs.kernel);
  if (set === undefined) pooling.set(fs.kernel, (set = new Set()));
  set.add(fs);
  return p;
}

/**
 * Free every released buffer the filesystems on `kernel` keep for reuse; answers how
 * many. For leak checks (tools/fuzz): with the pools empty, what a client left behind
 * shows.
 */
export function forgetTransferPools(kernel: Kernel): number {
  let n = 0;
  for (const fs of [...(pooling.get(kernel) ?? [])]) {
    n += poolOf(fs).length;
    drainPool(fs, fs.ops);
    pooling.get(kernel)!.delete(fs);
  }
  return n;
}

/** Bytes of released buffers `fs` keeps for reuse. */
export function transferPooled(fs: Filesystem): number {
  let n = 0;
  for (const k of pools.get(fs) ?? []) n += k.size;
  return n;
}

/** Free every kept buffer of `fs` (the memory goes back to the server's quota). */
function drainPool(fs: Filesystem, sys: { delete(slot: number): number }): void {
  for (const k of poolOf(fs).splice(0)) sys.delete(k.slot);
}

/**
 * Let a protid's buffer go: revoke the client's cap (its mappings go with it, and any
 * raw array it took is cut), then keep the buffer zeroed for reuse while the pool has
 * room (TRANSFER_POOL_BYTES), else delete the server's cap (the memory is freed and the
 * quota refunded); uncharge the client. Called when the protid object is released;
 * safe on a protid without a buffer.
 */
export function releaseBuffer(fs: Filesystem, d: { buffer?: IoBuffer | null }): void {
  const b = d.buffer;
  if (b === null || b === undefined) return;
  d.buffer = null;
  // The minted cap in clientSlot is one of the revoked descendants: its slot is empty after.
  fs.ops.revoke(b.slot);
  if (b.view.live && transferPooled(fs) + b.size <= TRANSFER_POOL_BYTES) {
    // Cleared now: the next open to get it, maybe another client's, sees none of these bytes.
    b.view.raw().fill(0);
    poolOf(fs).push({ slot: b.slot, view: b.view, size: b.size });
  } else fs.ops.delete(b.slot);
  const m = chargesOf(fs);
  const left = (m.get(b.client) ?? 0) - b.size;
  if (left > 0) m.set(b.client, left);
  else m.delete(b.client);
}

/** Handlers for io.mapBuffer, io.readBuffer and io.writeBuffer of the memfs server. */
export function ioBufferHandlers(fs: Filesystem): HandlerSet<BufferMethods, ProtidData> {
  return {
    mapBuffer(ctx, { size }) {
      const d = ctx.data;
      const po = d.po!;
      if ((po.flags & O.PATH) !== 0) return ctx.fail('EBADF');
      const have = d.buffer;
      if (have !== null && have !== undefined) return { buffer: have.clientSlot, size: have.size };
      if (size === 0 || size > IO_BUFFER_MAX) return ctx.fail('EINVAL', `size must be 1..${IO_BUFFER_MAX}`);
      const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
      const m = chargesOf(fs);
      const held = m.get(ctx.client) ?? 0;
      if (held + bytes > fs.limits.maxTransferBytes) return ctx.fail('ENOBUFS', `transfer memory bound ${fs.limits.maxTransferBytes} bytes`);
      if (admitRoot(fs) !== null) return ctx.fail('ENOMEM', 'server cap space');
      const sys = ctx.sys!;
      const rights = canWrite(po.flags) ? Rights.Read | Rights.Write : Rights.Read;
      const pool = poolOf(fs);
      const i = pool.findIndex((k) => k.size === bytes);
      if (i >= 0) {
        const k = pool[i]!;
        const clientSlot = sys.allocSlot();
        if (clientSlot === 0 || sys.mint(k.slot, clientSlot, rights) !== Status.Ok) return ctx.fail('ENOMEM', 'server cap space');
        pool.splice(i, 1);
        m.set(ctx.client, held + bytes);
        d.buffer = { slot: k.slot, clientSlot, view: k.view, size: bytes, client: ctx.client };
        return { buffer: clientSlot, size: bytes };
      }
      const slot = sys.allocSlot();
      if (slot === 0) return ctx.fail('ENOMEM', 'server cap space');
      let st = sys.createDataspace(CAP_FACTORY, slot, bytes);
      if (st === Status.NotEnoughMemory && pool.length > 0) {
        // Kept buffers give way to a buffer in use.
        drainPool(fs, sys);
        st = sys.createDataspace(CAP_FACTORY, slot, bytes);
      }
      if (st !== Status.Ok) return ctx.fail('ENOMEM', 'server memory quota');
      const v = sys.map(slot, { rights: Rights.Read | Rights.Write });
      const clientSlot = v.ok ? sys.allocSlot() : 0;
      if (!v.ok || clientSlot === 0 || sys.mint(slot, clientSlot, rights) !== Status.Ok) {
        sys.delete(slot);
        return ctx.fail('ENOMEM', v.ok ? 'server cap space' : 'server address space');
      }
      m.set(ctx.client, held + bytes);
      d.buffer = { slot, clientSlot, view: v.value, size: bytes, client: ctx.client };
      return { buffer: clientSlot, size: bytes };
    },

    readBuffer(ctx, { amount, offset }) {
      const d = ctx.data;
      const po = d.po!;
      const at = readPosition(po, offset);
      if (typeof at === 'string') return ctx.fail(at);
      const b = d.buffer;
      if (b === null || b === undefined) return ctx.fail('EINVAL', 'no transfer buffer (io.mapBuffer first)');
      const n = Math.max(0, Math.min(amount, b.size, po.node.getSize() - at));
      if (n > 0) {
        // The server's own root mapping: nothing a client does can take it away.
        const raw = b.view.raw();
        po.node.read(Buffer.from(raw.buffer, raw.byteOffset, n), 0, n, at);
      }
      if (offset === undefined) po.offset = at + n;
      return { amount: n };
    },

    writeBuffer(ctx, { amount, offset }) {
      const d = ctx.data;
      const po = d.po!;
      const at = writePosition(fs, po, offset);
      if (typeof at === 'string') return ctx.fail(at);
      const b = d.buffer;
      if (b === null || b === undefined) return ctx.fail('EINVAL', 'no transfer buffer (io.mapBuffer first)');
      if (amount > b.size) return ctx.fail('EINVAL', `amount past the buffer (${b.size} bytes)`);
      const raw = b.view.raw();
      const no = writeAt(fs, po, at, raw.subarray(0, amount));
      if (no !== null) return ctx.fail(no);
      if (offset === undefined) po.offset = at + amount;
      return { amount };
    },
  };
}
