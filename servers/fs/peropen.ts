// A per-open object, as libdiskfs's peropen: one open of a node (the file offset and
// the open modes) shared by every protid made from it (duplicate, reauthenticate,
// restrictAuth), whatever user each protid speaks for. While it lives, the node stays
// (even when unlinked); the last protid to go releases it.

import type { DotDot } from './dotdot.ts';
import { NodeStore, type MLink, type MNode } from './node-store.ts';

export class PerOpen {
  /** The file offset of io.read / io.write without an explicit offset. */
  offset = 0;
  private refs = 1;

  constructor(
    private readonly store: NodeStore,
    /** The name the node was opened through (for directories: the directory itself). */
    readonly link: MLink,
    readonly node: MNode,
    /** Open modes (access mode, O_PATH, O_APPEND, O_NONBLOCK). */
    public flags: number,
    /** Where ".." at this filesystem's root leads, inherited through lookups; null at the top. */
    readonly dotdot: DotDot | null,
  ) {
    store.opened(node);
  }

  get isDir(): boolean {
    return NodeStore.isDir(this.node);
  }

  /** Another protid shares this open. */
  ref(): this {
    if (this.refs <= 0) throw new Error('per-open used after release');
    this.refs++;
    return this;
  }

  /** A protid let go; the last one closes the open (and may free an unlinked node). */
  unref(): void {
    if (this.refs <= 0) throw new Error('per-open released twice');
    if (--this.refs > 0) return;
    this.store.closed(this.node);
    this.dotdot?.unref();
  }
}
