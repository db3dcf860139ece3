// The filter translator: a transformed view of another file, or of a whole tree.
// `settrans node filter --upper SOURCE` (or --lower, --rot13). On a file node the view
// is one file: the source file through the transformation. On a directory node it is
// the source directory's tree (netfs): directories, files and symlinks as the source has
// them, owners and permission bits mirrored, every file transformed.
//
// The source is read through the parent filesystem as the translator's owner, at every
// call (live: a change to the source shows at the next read). A relative SOURCE is
// taken from the directory holding the node, an absolute one from the root (both found
// by a PathResolver from the first getroot). A tree view holds its source directory
// (like a bind mount: it follows that directory through renames); a file view looks
// the source name up at every call. The transformations are byte-wise and keep
// lengths (filter-modes.ts), so sizes and offsets are the source's.
//
// Writes: --rot13 writes through (each write is rot13'd back into the source, at the
// same offset; truncation too); --upper and --lower answer EROFS. fsysopts changes the
// mode or the source. A source leading back into this filter is refused rather than
// followed: reads of a file view answer ELOOP, a tree view shows nothing. Lookups in a
// tree view answer ENOENT for any source entry they cannot reach (netfs's lookup has no
// way to answer another errno), and a listing the source refuses is empty.

import { HostSys, type SysGen } from '../../core/index.ts';
import { connect, type ErrnoName } from '../../libcap/index.ts';
import { failWith } from '../fs/fail-with.ts';
import { O, Protid, S, type StatRecord } from '../../protocol/fs.ts';
import { netfs, type Netfs, type NetfsNode } from '../fs/netfs.ts';
import { canRead, canWrite } from '../fs/open-flags.ts';
import { nodeTypeOf } from '../fs/stat-record.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { Failure, lookupAt, lookupPath, type Session } from '../../clients/fs/index.ts';
import { parseFilterArgs } from './filter-args.ts';
import { invertible, transformBytes, untransformBytes } from './filter-modes.ts';
import { withGetrootHook } from './getroot-hook.ts';
import { PathResolver } from './path-resolver.ts';

const M = Protid.methods;

/** Where a node of the view is in the source, and its size as last seen. */
interface Place {
  /** The path below the source ("" for the source itself). */
  readonly rel: string;
  size: number;
}

/** Start filter: argv is ['filter', MODE, SOURCE]. Bad arguments fail the start. */
export const filter: TranslatorFactory = async (env) => {
  const parsed = parseFilterArgs(env.argv.slice(1));
  if (typeof parsed === 'string') throw new TypeError(`filter: ${parsed}`);
  let { mode, source } = parsed;

  // The node it sits on says which view: a directory shows a tree, anything else a file.
  const under = env.underlying === 0 ? null : await connect(Protid, env.kernel, env.task, env.underlying).attempt.stat();
  const nodeStat: StatRecord | null = under !== null && under.ok ? under.value.stat : null;
  const tree = nodeStat !== null && (nodeStat.mode & S.IFMT) === S.IFDIR;

  const resolver = new PathResolver(env);
  const places = new WeakMap<NetfsNode, Place>();
  const inos = new Map<string, number>();
  /** Tree view: the source directory, held once found (see the module comment). */
  let base: Promise<number | ErrnoName> | null = null;
  /** Every source directory port found (the current one and those of earlier settings), deleted at goaway. */
  const held = new Set<number>();

  const ourDev = (): number => inst.statOf(root).dev;

  /** The port leads back into this filter: refuse it (ELOOP) rather than recurse. */
  function* notOurs(s: Session, port: number): SysGen<number> {
    try {
      const id = yield* s.call(port, M.identity, {});
      if (id.dev === ourDev()) throw new Failure('ELOOP', 'the source is this filter');
      return port;
    } catch (e) {
      s.drop(port);
      throw e;
    }
  }

  function treeBase(): Promise<number | ErrnoName> {
    if (base !== null) return base;
    const from = source;
    const p: Promise<number | ErrnoName> = resolver
      .run(function* (s) {
        return yield* notOurs(s, yield* lookupPath(s, from, O.PATH | O.DIRECTORY, 0));
      })
      .then((r) => {
        // Not found (yet): forget the attempt, the next call looks again.
        if (typeof r !== 'string') held.add(r);
        else if (base === p) base = null;
        return r;
      });
    base = p;
    return p;
  }

  /** Run `body` on a port to the source of `place`, opened with `flags` (deleted after). */
  async function withSource<T>(place: Place, flags: number, body: (s: Session, port: number) => SysGen<T>): Promise<T | ErrnoName> {
    let dir = 0;
    if (tree) {
      const b = await treeBase();
      if (typeof b === 'string') return b;
      dir = b;
    }
    const from = source;
    return resolver.run(function* (s) {
      const port = dir !== 0 ? yield* lookupAt(s, dir, place.rel, flags, 0) : yield* notOurs(s, yield* lookupPath(s, from, flags, 0));
      try {
        return yield* body(s, port);
      } finally {
        s.drop(port);
      }
    });
  }

  /** A file node: writable while the mode is invertible; O_TRUNC at open goes to the source. */
  function fileNode(fields: Omit<NetfsNode, 'writable' | 'setContent'>, place: Place): NetfsNode {
    const node: NetfsNode = {
      ...fields,
      get writable() {
        return invertible(mode);
      },
      setContent: (data) => {
        if (!invertible(mode)) return 'EROFS';
        const bytes = untransformBytes(mode, data);
        return withSource(place, O.WRONLY | O.TRUNC, function* (s, port) {
          if (bytes.length > 0) yield* s.call(port, M.write, { data: bytes, offset: 0 });
        }).then((r) => (typeof r === 'string' ? r : ((place.size = bytes.length), null)));
      },
    };
    places.set(node, place);
    return node;
  }

  /** The node for a stat of the source (and a symlink's target). */
  function nodeFor(rel: string, st: StatRecord, target: string | undefined): NetfsNode {
    const key = `${st.dev}:${st.ino}`;
    let ino = inos.get(key);
    if (ino === undefined) {
      ino = inos.size + 2;
      inos.set(key, ino);
    }
    const place: Place = { rel, size: st.size };
    const type = nodeTypeOf(st.mode);
    const fields = { ino, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, size: () => place.size };
    if (type === 'file') return fileNode(fields, place);
    const node: NetfsNode =
      type === 'dir'
        ? { ...fields, lookup: (name) => describe(rel === '' ? name : `${rel}/${name}`), list: () => names(place) }
        : type === 'symlink'
          ? { ...fields, target: target ?? '' }
          : fields;
    places.set(node, place);
    return node;
  }

  /** Look `rel` up in the source (without following a last symlink): its node, or undefined. */
  async function describe(rel: string): Promise<NetfsNode | undefined> {
    const r = await withSource({ rel, size: 0 }, O.PATH | O.NOLINK, function* (s, port) {
      const { stat } = yield* s.call(port, M.stat, {});
      const target = (stat.mode & S.IFMT) === S.IFLNK ? (yield* s.call(port, M.readlink, {})).target : undefined;
      return { stat, target };
    });
    return typeof r === 'string' ? undefined : nodeFor(rel, r.stat, r.target);
  }

  /** A source directory's entry names ([] when it cannot be read). */
  async function names(place: Place): Promise<string[]> {
    const r = await withSource(place, O.RDONLY | O.DIRECTORY, function* (s, port) {
      const out: string[] = [];
      let offset = 0;
      for (;;) {
        const { entries, next, eof } = yield* s.call(port, M.readdir, { offset, max: 0 });
        for (const e of entries) if (e.name !== '.' && e.name !== '..') out.push(e.name);
        if (eof || next <= offset) return out;
        offset = next;
      }
    });
    return typeof r === 'string' ? [] : r;
  }

  /** The source's size now (remembered for stat's synchronous callers). */
  async function sourceSize(place: Place): Promise<number | ErrnoName> {
    const r = await withSource(place, O.PATH, function* (s, port) {
      return (yield* s.call(port, M.stat, {})).stat.size;
    });
    if (typeof r === 'number') place.size = r;
    return r;
  }

  const rootPlace: Place = { rel: '', size: 0 };
  const rootFields = {
    ino: 1,
    mode: (nodeStat?.mode ?? 0o444) & 0o7777,
    ...(nodeStat === null ? {} : { uid: nodeStat.uid, gid: nodeStat.gid }),
  };
  const root: NetfsNode = tree
    ? { ...rootFields, type: 'dir', lookup: (name) => describe(name), list: () => names(rootPlace) }
    : fileNode({ ...rootFields, type: 'file', size: () => rootPlace.size }, rootPlace);
  places.set(root, rootPlace);

  const inst: Netfs = netfs(env, {
    name: 'filter',
    root,
    handlers: {
      read(ctx, { amount, offset }) {
        const po = ctx.data.po!;
        const place = places.get(po.node);
        if (po.node.type === 'dir') return ctx.fail('EISDIR');
        if (po.node.type !== 'file' || place === undefined) return ctx.fail('EINVAL');
        if (!canRead(po.flags)) return ctx.fail('EBADF');
        const at = offset ?? po.offset;
        if (!Number.isSafeInteger(at) || at < 0) return ctx.fail('EINVAL');
        const m = mode;
        return withSource(place, O.RDONLY, function* (s, port) {
          return (yield* s.call(port, M.read, { amount, offset: at })).data;
        }).then((data) => {
          if (typeof data === 'string') return failWith(data);
          if (offset === undefined) po.offset = at + data.length;
          return { data: transformBytes(m, data) };
        });
      },
      write(ctx, { data, offset }) {
        const po = ctx.data.po!;
        const place = places.get(po.node);
        if (po.node.type === 'dir') return ctx.fail('EISDIR');
        if (po.node.type !== 'file' || place === undefined) return failWith('EINVAL');
        if (!canWrite(po.flags)) return ctx.fail('EBADF');
        if (!invertible(mode)) return ctx.fail('EROFS');
        const append = (po.flags & O.APPEND) !== 0;
        const at = append ? undefined : (offset ?? po.offset);
        if (at !== undefined && (!Number.isSafeInteger(at) || at < 0)) return failWith('EINVAL');
        const bytes = untransformBytes(mode, data);
        return withSource(place, O.WRONLY | (append ? O.APPEND : 0), function* (s, port) {
          const { amount } = yield* s.call(port, M.write, at === undefined ? { data: bytes } : { data: bytes, offset: at });
          const { stat } = yield* s.call(port, M.stat, {});
          return { amount, end: at === undefined ? stat.size : at + amount, size: stat.size };
        }).then((r) => {
          if (typeof r === 'string') return failWith(r);
          place.size = r.size;
          if (offset === undefined) po.offset = r.end;
          return { amount: r.amount };
        });
      },
      truncate(ctx, { size }) {
        const po = ctx.data.po!;
        const place = places.get(po.node);
        if (po.node.type === 'dir') return ctx.fail('EISDIR');
        if (po.node.type !== 'file' || place === undefined || !Number.isSafeInteger(size) || size < 0) return ctx.fail('EINVAL');
        if (!canWrite(po.flags)) return ctx.fail('EINVAL');
        if (!invertible(mode)) return ctx.fail('EROFS');
        return withSource(place, O.WRONLY, function* (s, port) {
          yield* s.call(port, M.truncate, { size });
        }).then((r) => {
          if (typeof r === 'string') return failWith(r);
          place.size = size;
          return {};
        });
      },
      seek(ctx, { offset, whence }) {
        const po = ctx.data.po!;
        const place = places.get(po.node);
        const settle = (size: number): { offset: number } | ReturnType<typeof failWith> => {
          const to = (whence === 'set' ? 0 : whence === 'cur' ? po.offset : size) + offset;
          if (!Number.isSafeInteger(to) || to < 0) return failWith('EINVAL');
          po.offset = to;
          return { offset: to };
        };
        // From the end: the source's size now, not the last one seen.
        if (whence !== 'end' || place === undefined || po.node.type !== 'file') return settle(place?.size ?? 0);
        return sourceSize(place).then((size) => (typeof size === 'string' ? failWith(size) : settle(size)));
      },
      readable(ctx) {
        const po = ctx.data.po!;
        const place = places.get(po.node);
        if (place === undefined || po.node.type !== 'file') return { amount: 0 };
        return sourceSize(place).then((size) => ({ amount: typeof size === 'string' ? 0 : Math.max(0, size - po.offset) }));
      },
      stat(ctx) {
        const node = ctx.data.po!.node;
        const mine = inst.statOf(node);
        const place = places.get(node);
        if (place === undefined || (node.type !== 'file' && node.type !== 'dir')) return { stat: mine };
        // The source's size and times; the view's own identity, owner and mode. A source
        // out of reach leaves the view's own record (reads then answer the error).
        return withSource(place, O.PATH, function* (s, port) {
          return (yield* s.call(port, M.stat, {})).stat;
        }).then((src) => {
          if (typeof src === 'string') return { stat: mine };
          if (node.type === 'file') place.size = src.size;
          return { stat: { ...mine, size: src.size, blocks: src.blocks, atimeMs: src.atimeMs, mtimeMs: src.mtimeMs, ctimeMs: src.ctimeMs } };
        });
      },
    },
    getOptions: () => [`--${mode}`, source],
    setOptions(options) {
      const p = parseFilterArgs(options, { mode, source });
      if (typeof p === 'string') return 'EINVAL';
      mode = p.mode;
      if (p.source !== source) {
        // Calls in flight keep the old directory; it is deleted at goaway with the rest.
        source = p.source;
        base = null;
      }
      return null;
    },
    onGoaway() {
      resolver.close();
      const ops = new HostSys(env.kernel, env.task);
      for (const slot of held) ops.delete(slot);
      held.clear();
    },
  });
  return withGetrootHook(inst, (args) => {
    resolver.learn(args.dotdot);
    return null;
  });
};
