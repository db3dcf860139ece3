// The volume's space accounting: a quota on the bytes its files hold (the capacity of
// their memfs buffers, what they really cost), a largest file size and a bound on
// i-nodes. Growing a file goes through reserve() before memfs writes: the new size is
// checked against both limits and the buffer allocated here, so a write that does not
// fit costs nothing, and a write far past the end allocates exactly what it needs
// (memfs alone doubles: a 1-byte write at 64 MiB would take 128 MiB).
//
// Not the protocol: the RPC files call reserve() and settle() around each change of a
// file's size, created() / freed() follow the node store's i-nodes.

import type { MNode } from './node-store.ts';

/** The volume's limits (see docs/limits-fs.md). */
export interface SpaceLimits {
  /** Bytes all files together may hold. */
  readonly quota: number;
  /** Largest size of one file, bytes. */
  readonly maxFileSize: number;
  /** Most i-nodes (files, directories, symlinks) the volume holds. */
  readonly maxInodes: number;
}

/** Smallest buffer a growing file gets (memfs's own minimum). */
const MIN_CAPACITY = 64;

/** memfs's Node keeps its buffer's size in a field its typings call private. */
interface Buffered {
  buf: Buffer;
  capacity: number;
  size: number;
}

function buffered(node: MNode): Buffered {
  return node as unknown as Buffered;
}

/** The bytes a node's buffer holds (0 for directories and symlinks). */
export function capacityOf(node: MNode): number {
  return buffered(node).capacity ?? 0;
}

export class VolumeSpace {
  /** Bytes charged: the sum of the files' buffer capacities. */
  private usedBytes = 0;
  /** I-nodes in the volume. */
  private inodeCount = 0;
  /** What each file with a buffer is charged now. */
  private readonly charged = new Map<MNode, number>();

  constructor(public limits: SpaceLimits) {}

  get used(): number {
    return this.usedBytes;
  }

  get inodes(): number {
    return this.inodeCount;
  }

  /** Count a node that was in the volume before the server started. */
  adopt(node: MNode): void {
    this.inodeCount++;
    this.charge(node);
  }

  /** ENOSPC when the volume holds its most i-nodes; null when one more fits. */
  canCreate(): 'ENOSPC' | null {
    return this.inodeCount >= this.limits.maxInodes ? 'ENOSPC' : null;
  }

  /** A node was created. */
  created(): void {
    this.inodeCount++;
  }

  /** A node was freed: its i-node and its bytes are given back. */
  freed(node: MNode): void {
    this.inodeCount--;
    this.usedBytes -= this.charged.get(node) ?? 0;
    this.charged.delete(node);
  }

  /**
   * Make room for `node` to hold `size` bytes, written from offset `at`: EFBIG beyond the
   * largest file size, ENOSPC beyond the quota. On success the node's buffer can hold
   * `size` bytes, so memfs writes or extends without allocating; nothing changes on an
   * error. Writes that extend the file from its end get some slack (a quarter of the
   * size, within the quota) so that appends stay linear; a jump past the end and a
   * truncation get exactly what they need.
   */
  reserve(node: MNode, size: number, at = size): 'EFBIG' | 'ENOSPC' | null {
    if (size > this.limits.maxFileSize) return 'EFBIG';
    const b = buffered(node);
    const cap = b.capacity ?? 0;
    if (size <= cap) return null;
    const mine = this.charged.get(node) ?? 0;
    // The most this node may hold: what it holds now plus what is left of the quota.
    const room = this.limits.quota - this.usedBytes + mine;
    if (size > room) return 'ENOSPC';
    const appending = at <= b.size;
    const wanted = appending ? Math.max(MIN_CAPACITY, size + Math.floor(size / 4)) : size;
    const target = Math.max(size, Math.min(wanted, room, this.limits.maxFileSize));
    const buf = Buffer.alloc(target);
    if (b.size > 0) b.buf.copy(buf, 0, 0, b.size);
    b.buf = buf;
    b.capacity = target;
    this.charge(node);
    return null;
  }

  /**
   * Count `node`'s buffer as it is now (after memfs changed it: a truncation). A buffer
   * much larger than the file after a shrink is cut down, so the bytes go back.
   */
  settle(node: MNode): void {
    const b = buffered(node);
    if ((b.capacity ?? 0) > 2 * b.size + 4096) {
      const buf = Buffer.alloc(b.size);
      b.buf.copy(buf, 0, 0, b.size);
      b.buf = buf;
      b.capacity = b.size;
    }
    this.charge(node);
  }

  /** Charge `node` what its buffer holds now. */
  private charge(node: MNode): void {
    const cap = buffered(node).capacity ?? 0;
    const before = this.charged.get(node) ?? 0;
    this.usedBytes += cap - before;
    if (cap > 0) this.charged.set(node, cap);
    else this.charged.delete(node);
  }
}
