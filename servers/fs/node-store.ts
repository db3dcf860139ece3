// The filesystem's nodes, kept in one memfs volume (its Superblock of links and
// i-nodes): mechanism only, no protocol and no permission checks (the RPC files do
// those first, then call here, so a change never fails halfway).
//
// Object model. A memfs Node is the i-node (mode, owner, times, data, nlink); a memfs
// Link is one name of it in a directory. A directory has exactly one Link, so for
// directories the Link is the identity (its children map holds the entries, plus "."
// and ".." which are never listed). Per node the server keeps a NodeState: how many
// per-opens hold it, its translator box, and its change watchers.
//
// Lifetime, as POSIX: removing a name drops nlink; an i-node whose nlink is 0 is freed
// (memfs deleteNode, which also recycles its number) only when no per-open holds it,
// so an unlinked file stays readable and writable through its open protids and keeps
// its own i-node number. A removed directory keeps its Link, detached and empty, and
// refuses new entries (ENOENT) until its last open goes.

import type { Volume } from 'memfs';
import { S } from '../../protocol/fs.ts';
import type { ChangeWatchers } from './change-notifier.ts';
import type { TransBox } from './trans-box.ts';
import { VolumeSpace, type SpaceLimits } from './volume-space.ts';

/** memfs's superblock, link and i-node types (not re-exported by memfs by name). */
export type Superblock = Volume['_core'];
export type MLink = Superblock['root'];
export type MNode = MLink['node'];

/** What the server keeps per i-node besides memfs's own fields. */
export interface NodeState {
  /** Per-opens holding the node. */
  opens: number;
  /** Translator settings (passive, active, a start in progress); null when none. */
  trans: TransBox | null;
  fileWatchers: ChangeWatchers | null;
  dirWatchers: ChangeWatchers | null;
}

/** Attributes of the root directory of a new store. */
export interface RootAttrs {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export class NodeStore {
  readonly core: Superblock;
  readonly root: MLink;
  /** The volume's quota, largest file and i-node bound, and what is used of them. */
  readonly space: VolumeSpace;
  private readonly states = new Map<MNode, NodeState>();
  /** Called when a node is freed (its translator and watchers are released there). */
  onFree: (node: MNode, state: NodeState | undefined) => void = () => {};

  constructor(
    readonly volume: Volume,
    rootAttrs: RootAttrs | null,
    limits: SpaceLimits,
  ) {
    this.core = volume._core;
    this.root = this.core.root;
    this.space = new VolumeSpace(limits);
    for (const node of Object.values(this.core.inodes)) this.space.adopt(node);
    if (rootAttrs !== null) {
      const n = this.root.node;
      n.mode = S.IFDIR | (rootAttrs.mode & 0o7777);
      n.uid = rootAttrs.uid;
      n.gid = rootAttrs.gid;
    }
  }

  // ------------------------------------------------------------------ state and lifetime

  /** The node's state, created on first use. */
  stateOf(node: MNode): NodeState {
    let s = this.states.get(node);
    if (s === undefined) {
      s = { opens: 0, trans: null, fileWatchers: null, dirWatchers: null };
      this.states.set(node, s);
    }
    return s;
  }

  /** The node's state if it has one. */
  peek(node: MNode): NodeState | undefined {
    return this.states.get(node);
  }

  /** A per-open now holds the node. */
  opened(node: MNode): void {
    this.stateOf(node).opens++;
  }

  /** A per-open let go of the node; frees it if it has no name left. */
  closed(node: MNode): void {
    const s = this.states.get(node);
    if (s === undefined || s.opens <= 0) throw new Error(`node ${node.ino}: closed more often than opened`);
    s.opens--;
    this.maybeFree(node);
  }

  /** Number of per-opens holding the node. */
  opens(node: MNode): number {
    return this.states.get(node)?.opens ?? 0;
  }

  private maybeFree(node: MNode): void {
    if (node.nlink > 0 || node === this.root.node) return;
    const s = this.states.get(node);
    if (s !== undefined && s.opens > 0) return;
    this.states.delete(node);
    this.core.deleteNode(node);
    this.space.freed(node);
    this.onFree(node, s);
  }

  // ------------------------------------------------------------------ reading the tree

  static isDir(node: MNode): boolean {
    return (node.mode & S.IFMT) === S.IFDIR;
  }

  /** The entry `name` of directory `dir` ("." and ".." are not entries). */
  child(dir: MLink, name: string): MLink | undefined {
    if (name === '.' || name === '..') return undefined;
    return dir.children.get(name);
  }

  /** The parent of a directory (the root's is itself); undefined once it was removed. */
  parent(dir: MLink): MLink | undefined {
    if (dir === this.root) return dir;
    return dir.children.get('..');
  }

  /** True for a directory that was removed (its open protids still name it). */
  static removed(dir: MLink): boolean {
    return dir.node.nlink === 0;
  }

  /** Entry names of a directory, sorted (memfs's readdir order). */
  names(dir: MLink): string[] {
    const out: string[] = [];
    for (const [name, l] of dir.children) if (l !== undefined && name !== '.' && name !== '..') out.push(name);
    return out.sort();
  }

  /** True when a directory has no entries. */
  isEmpty(dir: MLink): boolean {
    for (const name of dir.children.keys()) if (name !== '.' && name !== '..') return false;
    return true;
  }

  /** True when `dir` is `ancestor` or lies below it. */
  within(ancestor: MLink, dir: MLink): boolean {
    for (let d: MLink | undefined = dir; d !== undefined; ) {
      if (d === ancestor) return true;
      if (d === this.root) return false;
      d = d.children.get('..');
    }
    return false;
  }

  // ------------------------------------------------------------------ changing the tree

  private newNode(mode: number, uid: number, gid: number): MNode {
    const node = this.core.createNode(mode);
    this.space.created();
    node.mode = mode;
    node.uid = uid;
    node.gid = gid;
    return node;
  }

  /** Create a regular file entry. */
  createFile(dir: MLink, name: string, perm: number, uid: number, gid: number): MLink {
    return dir.createChild(name, this.newNode(S.IFREG | (perm & 0o7777), uid, gid));
  }

  /** Create a directory entry (nlink 2: its name and its "."). */
  createDir(dir: MLink, name: string, perm: number, uid: number, gid: number): MLink {
    return dir.createChild(name, this.newNode(S.IFDIR | (perm & 0o7777), uid, gid));
  }

  /** Create a symlink entry (mode 0o777 | S_IFLNK, as Linux; memfs's own symlinks say 0o666). */
  createSymlink(dir: MLink, name: string, target: string, uid: number, gid: number): MLink {
    const node = this.newNode(S.IFLNK | 0o777, uid, gid);
    node.symlink = target;
    return dir.createChild(name, node);
  }

  /** Add another name for a non-directory node. */
  addLink(dir: MLink, name: string, node: MNode): MLink {
    node.nlink++;
    return dir.createChild(name, node);
  }

  /** Remove an entry (a file's name, an empty directory); frees the node when nothing holds it. */
  removeEntry(dir: MLink, link: MLink): void {
    const node = link.node;
    dir.deleteChild(link);
    if (NodeStore.isDir(node)) {
      // Its own "." went with it; the parent's link count dropped in deleteChild.
      link.children.delete('.');
      node.nlink = 0;
    } else {
      node.nlink--;
    }
    this.maybeFree(node);
  }

  /**
   * Move entry `link` from `from` to `to` under `name`, replacing `replaced` (already
   * checked compatible and, for a directory, empty) when given.
   */
  move(from: MLink, link: MLink, to: MLink, name: string, replaced: MLink | undefined): void {
    if (replaced !== undefined) this.removeEntry(to, replaced);
    from.deleteChild(link);
    link.name = name;
    to.setChild(name, link);
    // Recomputes the path of the link and, recursively, of everything below it.
    link.syncSteps();
    link.node.ctime = new Date();
  }
}
