// A library for one-node translators, in the spirit of the Hurd's libtrivfs: a translator
// describes its node (type, permission bits, size) and overrides the calls it serves;
// every other call answers "not supported" (EOPNOTSUPP; ENOTDIR for the dir calls on a
// node that is not a directory). The library does the rest: the control port (getroot
// with the open checks, goaway with EBUSY while in use unless forced, fsysopts through
// two hooks), per-open records keeping the file offset (seek, readable, duplicate, open
// modes), a synthesized stat and access check, identity, restrictAuth, reauthentication,
// and ".." at a directory node's root (REAUTH to the parent).
//
// Handlers see `ctx.data` as a TrivfsProtid (the per-open and the user) and may be plain,
// generator or async functions, like any libcap handler (a filter reading its underlying
// node answers with a promise). readFrom / writeInto answer io.read and io.write over a
// byte array with the per-open offset. It is netfs (netfs.ts) with a one-node tree.

import type { BucketOptions, ErrnoName, SpecsOf } from '../../libcap/index.ts';
import type { ServerEnv } from '../../libcap/server.ts';
import type { HandlerSet, ProtidHandlerSet } from './handler-set.ts';
import type { Fsys, NodeType, StatRecord } from '../../protocol/fs.ts';
import { netfs, type Netfs, type NetfsControl, type NetfsNode, type NetfsOpen, type NetfsProtid, type NetfsSpec } from './netfs.ts';
import type { TranslatorEnv } from './translator.ts';
import type { User } from './user.ts';

export { readFrom, writeInto, resized } from './bytes-io.ts';

/** One open of the node: the offset and open modes shared by the protids made from it. */
export type TrivfsOpen = NetfsOpen;
/** What a trivfs protid's handlers see as ctx.data. */
export type TrivfsProtid = NetfsProtid;
/** The control port's data. */
export type TrivfsControl = NetfsControl;

/** What a one-node translator provides. */
export interface TrivfsSpec {
  /** Name of the bucket and classes. */
  readonly name: string;
  /** The node's type (default a regular file). */
  readonly type?: NodeType;
  /** Permission bits (default 0o444). */
  readonly mode?: number;
  /** Owner and group (default: the identity the translator runs as, else root). */
  readonly uid?: number;
  readonly gid?: number;
  /** The node's size for stat, seek from the end and readable (default 0). */
  size?(): number;
  /** Opens may ask for write access (default false: they answer EROFS once the permission bits allow them). */
  readonly allowWrite?: boolean;
  /** Refuse an open after the library's checks, as libtrivfs's check_open_hook. */
  checkOpen?(user: User, flags: number): ErrnoName | null;
  /** Calls the translator serves (io, file, dir), overriding the defaults. */
  readonly handlers?: Partial<ProtidHandlerSet<TrivfsProtid>>;
  /** Control calls overriding the library's (a firmlink answers getroot itself). */
  readonly fsys?: Partial<HandlerSet<SpecsOf<typeof Fsys>, TrivfsControl>>;
  /** fsysopts: the current options (default none). */
  getOptions?(): string[];
  /** fsysopts: apply options (default: only an empty list is accepted); an errno refuses them all. */
  setOptions?(options: readonly string[]): ErrnoName | null;
  /** goaway was accepted: last words before the translator exits. */
  onGoaway?(): void;
  /** Options of the bucket. */
  readonly bucket?: BucketOptions;
}

/** A running one-node translator. */
export interface Trivfs extends Netfs {
  /** The node's stat as clients see it. */
  stat(): StatRecord;
}

/** The inode number of a trivfs node. */
export const TRIVFS_INO = 1;

/** Start a one-node translator in `env.task`. */
export function trivfs(env: ServerEnv & Partial<Pick<TranslatorEnv, 'exit' | 'ids'>>, spec: TrivfsSpec): Trivfs {
  const sizeHook = spec.size;
  // No content, lookup or list: reads answer EOPNOTSUPP until overridden, a directory node is empty.
  const node: NetfsNode = {
    ino: TRIVFS_INO,
    type: spec.type ?? 'file',
    mode: spec.mode ?? 0o444,
    writable: spec.allowWrite === true,
    ...(spec.uid === undefined ? {} : { uid: spec.uid }),
    ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    size: () => sizeHook?.() ?? 0,
  };
  const check = spec.checkOpen;
  const n: NetfsSpec = {
    name: spec.name,
    root: node,
    ...(check === undefined ? {} : { checkOpen: (_node: NetfsNode, user: User, flags: number) => check(user, flags) }),
    ...(spec.handlers === undefined ? {} : { handlers: spec.handlers }),
    ...(spec.fsys === undefined ? {} : { fsys: spec.fsys }),
    ...(spec.getOptions === undefined ? {} : { getOptions: spec.getOptions }),
    ...(spec.setOptions === undefined ? {} : { setOptions: spec.setOptions }),
    ...(spec.onGoaway === undefined ? {} : { onGoaway: spec.onGoaway }),
    ...(spec.bucket === undefined ? {} : { bucket: spec.bucket }),
  };
  const inst = netfs(env, n);
  return { ...inst, stat: () => inst.statOf(node) };
}
