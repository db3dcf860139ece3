// A library for translators that serve a tree of virtual nodes, in the spirit of the
// Hurd's libnetfs (proc, json, ftpfs): the translator describes nodes (type, mode,
// content, entries, symlink target), and the library serves them. trivfs.ts is the
// one-node case built on it.
//
// What the library does: the control port (getroot with the open checks, goaway with
// EBUSY while in use unless forced, fsysopts through two hooks); lookups walked by the
// library through the nodes' lookup() (search permission on every directory, "." and
// "..", relative symlinks spliced, absolute ones answered MAGICAL, ".." at the root
// answered REAUTH with the parent the root was entered from); per-open records with the
// offset and open modes (seek, readable, duplicate, open modes); stat and access
// synthesized from the node; reads served from content(), writes and truncation through
// setContent(); readdir from list(); identity, restrictAuth, reauthentication.
// Everything else answers "not supported" (EOPNOTSUPP; ENOTDIR for directory calls on a
// node that is not one) until the translator overrides it in `handlers`.
//
// Node callbacks may answer promises (a proc translator asking another server): the
// call they serve then answers later, from a helper, never blocking a worker.

import { dotdotsHeld } from './dotdot.ts';
import { admitCap, DEFAULT_CLIENT_LIMITS, type ClientLimits } from './client-limits.ts';
import type { Task } from '../../core/index.ts';
import {
  Bucket,
  defineClass,
  RpcFailure,
  type BucketOptions,
  type CapClass,
  type CapObject,
  type ErrnoName,
  type Rpc,
  type SpecsOf,
} from '../../libcap/index.ts';
import type { Ids } from '../../protocol/auth.ts';
import { shutdownBuckets, type HeldNote, type ServerEnv } from '../../libcap/server.ts';
import { readFrom, resized, writeInto } from './bytes-io.ts';
import { DotDot } from './dotdot.ts';
import { failWith } from './fail-with.ts';
import { protidHandlers, type HandlerSet, type ProtidHandlerSet } from './handler-set.ts';
import { ACCESS, Fsys, FSYS_GOAWAY, O, PATH_MAX, Protid, type DirEntry, type NodeType, type Retry, type StatRecord } from '../../protocol/fs.ts';
import { accessWanted, badOpenFlags, canWrite, KEPT_MODES, SETTABLE_MODES } from './open-flags.ts';
import { followSymlink, joinRest, splitPath } from './path-name.ts';
import { reauthenticate } from './reauthenticate.ts';
import { allocDev, modeOfType, statRecord } from './stat-record.ts';
import type { TranslatorEnv, TranslatorInstance } from './translator.ts';
import { copyIds, idsOf, NOBODY, User } from './user.ts';

/** Something a node callback answers now or later. */
export type MaybePromise<T> = T | Promise<T>;

/** One node of a virtual tree, as the translator describes it. */
export interface NetfsNode {
  /** Its i-node number: unique in the tree, stable while the node exists. */
  readonly ino: number;
  readonly type: NodeType;
  /** Permission bits (default: files 0o444, or 0o644 when writable; directories 0o555; symlinks 0o777). */
  readonly mode?: number;
  /** Owner and group (default: the identity the translator runs as). */
  readonly uid?: number;
  readonly gid?: number;
  /** Modification time for stat, ms since the epoch (default: when the translator started). */
  readonly mtimeMs?: number;
  /** Size for stat, seek from the end and readable (default: the content's length when content() answers at once). */
  size?(): number;
  /** A file's bytes (a string is UTF-8); read at each io.read. Absent: reads answer EOPNOTSUPP. */
  content?(): MaybePromise<Uint8Array | string>;
  /** Replace a file's bytes after a write or truncation; an errno refuses it. Absent: the file is read-only. */
  setContent?(data: Uint8Array): MaybePromise<ErrnoName | null>;
  /** Opens for writing allowed (default: when setContent is given); otherwise EROFS. */
  readonly writable?: boolean;
  /** A directory's entry `name` (never "." or ".."), or undefined. */
  lookup?(name: string): MaybePromise<NetfsNode | undefined>;
  /** A directory's entry names, in readdir order. */
  list?(): MaybePromise<readonly string[]>;
  /** A symlink's target. */
  readonly target?: string;
}

/** One open of a node: offset, open modes, and the directories above it (for ".."). */
export class NetfsOpen {
  offset = 0;
  private refs = 1;
  constructor(
    readonly node: NetfsNode,
    /** The directories from the root down to the node's parent (empty for the root). */
    readonly parents: readonly NetfsNode[],
    public flags: number,
    /** Where ".." at the root leads (the parent's port), shared by lookups; null at the top. */
    readonly dotdot: DotDot | null,
  ) {}
  ref(): this {
    this.refs++;
    return this;
  }
  unref(): void {
    if (this.refs <= 0) throw new Error('netfs: per-open released twice');
    if (--this.refs === 0) this.dotdot?.unref();
  }
}

/** What a netfs protid's handlers see as ctx.data. */
export interface NetfsProtid {
  po: NetfsOpen | null;
  user: User;
}

/** The control port's data. */
export interface NetfsControl {
  readonly name: string;
}

/** What a multi-node translator provides. */
export interface NetfsSpec {
  /** Name of the bucket and classes. */
  readonly name: string;
  /** The root node (a directory for a tree; any type for a one-node translator). */
  readonly root: NetfsNode;
  /** Refuse an open after the library's checks (as libtrivfs's check_open_hook). */
  checkOpen?(node: NetfsNode, user: User, flags: number): ErrnoName | null;
  /** Calls the translator serves itself, overriding the library's. */
  readonly handlers?: Partial<ProtidHandlerSet<NetfsProtid>>;
  /** Control calls overriding the library's (a firmlink answers getroot itself). */
  readonly fsys?: Partial<HandlerSet<SpecsOf<typeof Fsys>, NetfsControl>>;
  /** fsysopts: the current options (default none). */
  getOptions?(): string[];
  /** fsysopts: apply options (default: only an empty list is accepted); an errno refuses them all. */
  setOptions?(options: readonly string[]): ErrnoName | null;
  /** goaway was accepted: last words before the translator exits. */
  onGoaway?(): void;
  /** Options of the bucket. */
  readonly bucket?: BucketOptions;
  /** Per-client bounds (DEFAULT_CLIENT_LIMITS: 1024 caps per client, EMFILE; 256 slots kept, ENOMEM; a translator's roots all go to its parent, so for most translators the reserve is what bounds them). */
  readonly clientLimits?: Partial<ClientLimits>;
}

/** A running tree translator. */
export interface Netfs extends TranslatorInstance {
  readonly protidClass: CapClass<SpecsOf<typeof Protid>, NetfsProtid, NetfsArg>;
  /** The stat clients see for a node. */
  statOf(node: NetfsNode): StatRecord;
  /** Protids held by clients. */
  inUse(): number;
  /** Give `task` a protid on the root for the user `params` names (auth Ids or { uid, gid }). */
  install(task: Task, params: unknown, slot?: number): number;
  shutdown(force: boolean): Promise<HeldNote[]>;
}

interface NetfsArg {
  readonly po: NetfsOpen;
  readonly user: User;
}

/** Symlinks one lookup follows (as Linux). */
const MAX_SYMLINKS = 40;
/** Flags a lookup does not keep in the open it makes. */
const LOOKUP_ONLY = O.CREAT | O.EXCL | O.NOTRANS | O.NOLINK | O.NOFOLLOW;

type Walked =
  | { readonly kind: 'open'; readonly node: NetfsNode; readonly parents: readonly NetfsNode[]; readonly mustBeDir: boolean }
  | { readonly kind: 'retry'; readonly retry: Retry; readonly retryName: string; readonly port: number | undefined };

function isPromise<T>(x: MaybePromise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

function bytesOf(c: Uint8Array | string): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
}

/** Start a tree translator in `env.task`. */
export function netfs(env: ServerEnv & Partial<Pick<TranslatorEnv, 'exit' | 'ids' | 'argv'>>, spec: NetfsSpec): Netfs {
  const bucket = Bucket.start(env.kernel, env.task, { name: spec.name, ...spec.bucket });
  const owner: Ids | undefined = env.ids;
  const defaultUid = owner?.euids[0] ?? 0;
  const defaultGid = owner?.egids[0] ?? 0;
  const dev = allocDev();
  const born = Date.now();
  const authSlot = env.caps.get('auth') ?? 0;
  let gone = false;

  // ------------------------------------------------------------------ nodes

  const writable = (n: NetfsNode): boolean => n.writable ?? n.setContent !== undefined;
  function permOf(n: NetfsNode): number {
    if (n.mode !== undefined) return n.mode & 0o7777;
    if (n.type === 'dir') return 0o555;
    if (n.type === 'symlink') return 0o777;
    return writable(n) ? 0o644 : 0o444;
  }
  const modeOf = (n: NetfsNode): number => modeOfType(n.type) | permOf(n);
  const uidOf = (n: NetfsNode): number => n.uid ?? defaultUid;
  const gidOf = (n: NetfsNode): number => n.gid ?? defaultGid;

  function sizeOf(n: NetfsNode): number {
    if (n.size !== undefined) return n.size();
    if (n.type === 'symlink') return Buffer.byteLength(n.target ?? '', 'utf8');
    if (n.content !== undefined && n.type === 'file') {
      const c = n.content();
      if (!isPromise(c)) return bytesOf(c).length;
    }
    return 0;
  }

  function statOf(n: NetfsNode): StatRecord {
    const s = statRecord({ dev, ino: n.ino, mode: modeOf(n), uid: uidOf(n), gid: gidOf(n), size: sizeOf(n) }, born);
    if (n.mtimeMs !== undefined) s.mtimeMs = s.ctimeMs = n.mtimeMs;
    return s;
  }

  const may = (user: User, n: NetfsNode, want: number): boolean => user.may(want, modeOf(n), uidOf(n), gidOf(n));

  /** Why `user` may not open `node` with `flags` (null: may). */
  function openError(node: NetfsNode, user: User, flags: number, mustBeDir: boolean): ErrnoName | null {
    const bad = badOpenFlags(flags);
    if (bad !== null) return bad;
    const isDir = node.type === 'dir';
    if ((mustBeDir || (flags & O.DIRECTORY) !== 0) && !isDir) return 'ENOTDIR';
    const writes = canWrite(flags) || ((flags & O.TRUNC) !== 0 && (flags & O.PATH) === 0);
    if (isDir && (writes || (flags & O.CREAT) !== 0)) return 'EISDIR';
    if (node.type === 'symlink' && writes) return 'ELOOP';
    const want = accessWanted(flags) | (writes ? ACCESS.W_OK : 0);
    if (want !== 0 && !may(user, node, want)) return 'EACCES';
    if (writes && !writable(node)) return 'EROFS';
    return spec.checkOpen?.(node, user, flags) ?? null;
  }

  // ------------------------------------------------------------------ protids

  function newProtid(po: NetfsOpen, user: User): CapObject<NetfsProtid> {
    const o = bucket.create(protidClass, { po, user });
    if (o instanceof RpcFailure) throw new Error(`netfs ${spec.name}: cannot create a protid`);
    return o;
  }
  const limits: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...spec.clientLimits };
  /** EMFILE / ENOMEM before a new protid for the caller of `ctx` (null: the trusted parent's getroot). */
  function admit(ctx: Rpc, trusted = false): 'EMFILE' | 'ENOMEM' | null {
    return admitCap(bucket, trusted ? null : ctx.client, limits, dotdotsHeld(bucket.ops));
  }
  function give(ctx: Rpc, po: NetfsOpen, user: User): number {
    const o = newProtid(po, user);
    const s = ctx.give(o);
    o.unref();
    return s;
  }

  /** Open `node` as the walk found it: checks, O_TRUNC, the per-open. */
  async function openNode(ctx: Rpc<NetfsProtid>, w: Extract<Walked, { kind: 'open' }>, flags: number): Promise<number | ErrnoName> {
    const user = ctx.data.user;
    const err = openError(w.node, user, flags, w.mustBeDir) ?? admit(ctx);
    if (err !== null) return err;
    if ((flags & O.TRUNC) !== 0 && (flags & O.PATH) === 0 && w.node.type === 'file' && w.node.setContent !== undefined) {
      const e = await w.node.setContent(new Uint8Array(0));
      if (e !== null) return e;
    }
    if (ctx.cancelled) return 'EINTR';
    return give(ctx, new NetfsOpen(w.node, w.parents, flags & ~LOOKUP_ONLY & KEPT_MODES, ctx.data.po!.dotdot?.ref() ?? null), user);
  }

  /** Walk `path` from the open's node (see the module comment). */
  async function walk(start: NetfsOpen, user: User, path: string, flags: number): Promise<Walked | ErrnoName> {
    const split = splitPath(path);
    if (typeof split === 'string') return split;
    if (start.node.type !== 'dir') return 'ENOTDIR';
    let parts = split.parts;
    let trailing = split.trailingSlash;
    const parents = [...start.parents];
    let dir = start.node;
    let links = 0;
    for (let i = 0; i < parts.length; ) {
      const last = i === parts.length - 1;
      const comp = parts[i]!;
      if (!may(user, dir, ACCESS.X_OK)) return 'EACCES';
      if (comp === '.') {
        i++;
        continue;
      }
      if (comp === '..') {
        const up = parents.pop();
        if (up === undefined && start.dotdot !== null) {
          const port = start.dotdot.copy();
          if (port === 0) return 'EIO';
          return { kind: 'retry', retry: 'reauth', retryName: joinRest(parts, i + 1, trailing), port };
        }
        if (up !== undefined) dir = up;
        i++;
        continue;
      }
      const child = dir.lookup === undefined ? undefined : await dir.lookup(comp);
      if (child === undefined) return last && (flags & O.CREAT) !== 0 ? 'EROFS' : 'ENOENT';
      if (last && (flags & (O.CREAT | O.EXCL)) === (O.CREAT | O.EXCL)) return 'EEXIST';
      if (child.type === 'symlink') {
        if (last && !trailing) {
          if ((flags & O.NOLINK) !== 0) return { kind: 'open', node: child, parents: [...parents, dir], mustBeDir: false };
          if ((flags & O.NOFOLLOW) !== 0) return 'ELOOP';
        }
        if (++links > MAX_SYMLINKS) return 'ELOOP';
        const step = followSymlink(child.target ?? '', parts.slice(i + 1), trailing);
        if (typeof step === 'string') return step;
        if (step.kind === 'magical') return { kind: 'retry', retry: 'magical', retryName: step.retryName, port: undefined };
        parts = step.parts;
        trailing = step.trailing;
        i = 0;
        continue;
      }
      if (child.type === 'dir') {
        parents.push(dir);
        dir = child;
        i++;
        continue;
      }
      if (!last || trailing) return 'ENOTDIR';
      return { kind: 'open', node: child, parents: [...parents, dir], mustBeDir: false };
    }
    return { kind: 'open', node: dir, parents, mustBeDir: trailing };
  }

  const notDir = (ctx: Rpc<NetfsProtid>): RpcFailure<never> => failWith(ctx.data.po!.node.type === 'dir' ? 'EOPNOTSUPP' : 'ENOTDIR');

  const defaults: ProtidHandlerSet<NetfsProtid> = {
    // io
    read(ctx, args) {
      const node = ctx.data.po!.node;
      if (node.type === 'dir') return ctx.fail('EISDIR');
      if (node.type !== 'file') return ctx.fail('EINVAL');
      if (node.content === undefined) return failWith('EOPNOTSUPP');
      const c = node.content();
      return isPromise(c) ? c.then((v) => readFrom(ctx, bytesOf(v), args)) : readFrom(ctx, bytesOf(c), args);
    },
    write(ctx, args) {
      const node = ctx.data.po!.node;
      if (node.type === 'dir') return ctx.fail('EISDIR');
      if (node.type !== 'file') return ctx.fail('EINVAL');
      if (node.setContent === undefined || node.content === undefined) return failWith('EOPNOTSUPP');
      const setContent = node.setContent.bind(node);
      const content = node.content.bind(node);
      return (async () => {
        const r = writeInto(ctx, bytesOf(await content()), args);
        if (r instanceof RpcFailure) return r;
        const err = await setContent(r.content);
        return err === null ? { amount: r.amount } : failWith(err);
      })();
    },
    seek(ctx, { offset, whence }) {
      const po = ctx.data.po!;
      const base = whence === 'set' ? 0 : whence === 'cur' ? po.offset : sizeOf(po.node);
      const to = base + offset;
      if (!Number.isSafeInteger(to) || to < 0) return ctx.fail('EINVAL');
      po.offset = to;
      return { offset: to };
    },
    readable: (ctx) => ({ amount: Math.max(0, sizeOf(ctx.data.po!.node) - ctx.data.po!.offset) }),
    stat: (ctx) => ({ stat: statOf(ctx.data.po!.node) }),
    reauthenticate(ctx, { rendezvous }) {
      reauthenticate(ctx, rendezvous, {
        authSlot,
        timeout: 10_000,
        bucket,
        make: () => newProtid(ctx.data.po!.ref(), ctx.data.user),
      });
    },
    duplicate: (ctx) => {
      const no = admit(ctx);
      return no !== null ? ctx.fail(no) : { port: give(ctx, ctx.data.po!.ref(), ctx.data.user) };
    },
    getOpenModes: (ctx) => ({ flags: ctx.data.po!.flags & KEPT_MODES }),
    setOpenModes(ctx, { flags }) {
      if ((flags & ~(SETTABLE_MODES | O.ACCMODE | O.PATH)) !== 0) return ctx.fail('EINVAL');
      const po = ctx.data.po!;
      po.flags = (po.flags & ~SETTABLE_MODES) | (flags & SETTABLE_MODES);
      return {};
    },
    identity: (ctx) => ({ dev, ino: ctx.data.po!.node.ino }),
    restrictAuth: (ctx, { uids, gids }) => {
      const no = admit(ctx);
      return no !== null ? ctx.fail(no) : { port: give(ctx, ctx.data.po!.ref(), ctx.data.user.restrict(uids, gids)) };
    },
    // No transfer buffers here: clients fall back to io.read / io.write.
    mapBuffer: () => failWith('EOPNOTSUPP'),
    readBuffer: () => failWith('EOPNOTSUPP'),
    writeBuffer: () => failWith('EOPNOTSUPP'),
    // file
    chmod: () => failWith('EOPNOTSUPP'),
    chown: () => failWith('EOPNOTSUPP'),
    utimes: () => failWith('EOPNOTSUPP'),
    truncate(ctx, { size }) {
      const po = ctx.data.po!;
      const node = po.node;
      if (node.type === 'dir') return ctx.fail('EISDIR');
      if (node.type !== 'file' || !Number.isSafeInteger(size) || size < 0) return ctx.fail('EINVAL');
      if (!canWrite(po.flags)) return ctx.fail('EINVAL');
      if (node.setContent === undefined || node.content === undefined) return failWith('EOPNOTSUPP');
      const setContent = node.setContent.bind(node);
      const content = node.content.bind(node);
      return (async () => {
        const err = await setContent(resized(bytesOf(await content()), size));
        return err === null ? {} : failWith(err);
      })();
    },
    sync: () => ({}),
    readlink(ctx) {
      const node = ctx.data.po!.node;
      return node.type === 'symlink' ? { target: node.target ?? '' } : ctx.fail('EINVAL');
    },
    checkAccess: (ctx) => {
      const n = ctx.data.po!.node;
      return { allowed: ctx.data.user.allowed(modeOf(n), uidOf(n), gidOf(n)) };
    },
    getTranslator: (ctx) => ctx.fail('EINVAL'),
    setTranslator: () => failWith('EOPNOTSUPP'),
    getTranslatorCntl: (ctx) => ctx.fail('ENXIO'),
    noticeFileChanges: () => failWith('EOPNOTSUPP'),
    // A translator that keeps figures answers them through its own handler (as libtrivfs).
    statfs: () => failWith('EOPNOTSUPP'),
    getControl(ctx) {
      const user = ctx.data.user;
      if (!user.root && !user.owns(defaultUid)) return ctx.fail('EPERM');
      return { control: ctx.give(control as CapObject) };
    },
    translatorError: () => ({ message: '' }),
    // dir
    lookup(ctx, { name, flags }) {
      const bad = badOpenFlags(flags);
      if (bad !== null) return failWith(bad);
      return walk(ctx.data.po!, ctx.data.user, name, flags).then(async (w) => {
        if (typeof w === 'string') return failWith(w);
        if (w.kind === 'retry') return w.port === undefined ? { retry: w.retry, retryName: w.retryName } : { retry: w.retry, retryName: w.retryName, port: w.port };
        const port = await openNode(ctx, w, flags);
        return typeof port === 'string' ? failWith(port) : { retry: 'normal' as const, retryName: '', port };
      });
    },
    readdir(ctx, { offset, max }) {
      const node = ctx.data.po!.node;
      if (node.type !== 'dir') return ctx.fail('ENOTDIR');
      if ((ctx.data.po!.flags & O.PATH) !== 0) return ctx.fail('EBADF');
      const n = Math.min(max === 0 ? 1024 : max, 1024);
      return (async () => {
        const names = node.list === undefined ? [] : await node.list();
        const entries: DirEntry[] = [];
        for (let i = offset; i < names.length && entries.length < n; i++) {
          const child = node.lookup === undefined ? undefined : await node.lookup(names[i]!);
          if (child !== undefined) entries.push({ name: names[i]!, ino: child.ino, type: child.type });
        }
        const next = Math.min(names.length, offset + entries.length);
        return { entries, next, eof: next >= names.length };
      })();
    },
    mkdir: (ctx) => notDir(ctx),
    rmdir: (ctx) => notDir(ctx),
    unlink: (ctx) => notDir(ctx),
    rename: (ctx) => notDir(ctx),
    link: (ctx) => notDir(ctx),
    symlink: (ctx) => notDir(ctx),
    noticeDirChanges: (ctx) => notDir(ctx),
  };

  const protidClass = defineClass({
    name: `${spec.name}.protid`,
    interface: Protid,
    init: (): NetfsProtid => ({ po: null, user: NOBODY }),
    alloc: (d: NetfsProtid, a: NetfsArg) => {
      d.po = a.po;
      d.user = a.user;
    },
    reinit: (d) => {
      const po = d.po;
      d.po = null;
      d.user = NOBODY;
      po?.unref();
    },
    handlers: protidHandlers({ ...defaults, ...spec.handlers } as ProtidHandlerSet<NetfsProtid>),
  });

  function inUse(): number {
    let n = 0;
    for (const o of protidClass.objects) if (o.entries.size > 0) n++;
    return n;
  }

  /** End after the goaway answer went: end the bucket, then exit (the parent deletes the task). */
  function leave(): void {
    gone = true;
    spec.onGoaway?.();
    void bucket.end(true).then(() => env.exit?.());
  }

  const fsysDefaults: HandlerSet<SpecsOf<typeof Fsys>, NetfsControl> = {
    getroot(ctx, { dotdot, ids, flags }) {
      if (gone) return ctx.fail('EIO');
      const user = new User(copyIds(ids));
      const err = openError(spec.root, user, flags, false) ?? admit(ctx, true);
      if (err !== null) return failWith(err);
      let dd: DotDot | null = null;
      if (dotdot !== undefined) {
        ctx.keep(dotdot);
        dd = new DotDot(bucket.ops, dotdot);
      }
      const port = give(ctx, new NetfsOpen(spec.root, [], flags & KEPT_MODES, dd), user);
      return { retry: 'normal', retryName: '', root: port };
    },
    goaway(ctx, { flags }) {
      if ((flags & FSYS_GOAWAY.FORCE) === 0 && inUse() > 0) return ctx.fail('EBUSY');
      // The answer goes back as this handler returns, before host code runs again.
      void Promise.resolve().then(leave);
      return {};
    },
    getOptions: () => ({ options: spec.getOptions?.() ?? [], program: env.argv?.[0] ?? spec.name }),
    setOptions(ctx, { options }) {
      if (spec.setOptions === undefined) return options.length === 0 ? {} : ctx.fail('EINVAL');
      const err = spec.setOptions(options);
      return err === null ? {} : failWith(err);
    },
    syncfs: () => ({}),
  };

  const controlClass = defineClass({
    name: `${spec.name}.control`,
    interface: Fsys,
    init: (): NetfsControl => ({ name: spec.name }),
    handlers: { ...fsysDefaults, ...spec.fsys },
  });
  const control = bucket.create(controlClass, undefined);
  if (control instanceof RpcFailure) throw new Error(`netfs ${spec.name}: cannot create the control port`);

  const inst: Netfs = {
    name: spec.name,
    bucket,
    buckets: [bucket],
    root: control,
    control,
    protidClass,
    statOf,
    inUse,
    install(task: Task, params: unknown, slot?: number): number {
      const o = newProtid(new NetfsOpen(spec.root, [], O.RDONLY, null), new User(idsOf(params)));
      const s = bucket.install(o, task, slot === undefined ? {} : { slot });
      o.unref();
      return s;
    },
    shutdown: (force) => shutdownBuckets(inst, force),
  };
  return inst;
}
