// The filesystem server: a memfs volume served through protids (io, file and dir on one
// cap) and a control port (fsys), with Hurd translators on its nodes. It follows the
// server convention (libcap/server.ts) and is itself a translator factory: a
// fresh instance mounted on a node is tmpfs.
//
// Object model, as libdiskfs: a protid (one client cap, one user's ids, learnt from
// auth) -> a per-open (offset, open modes; shared by duplicate, reauthenticate and
// restrictAuth) -> a node (a memfs i-node, with the server's NodeState: opens,
// translator box, watchers). See node-store.ts for lifetimes, peropen.ts, user.ts.
//
// Where things are: dir-lookup.ts (the walk), fetch-root.ts / translator-start.ts /
// active-translator.ts (entering, starting and stopping translators), io-rpcs.ts,
// file-rpcs.ts, file-translator-rpcs.ts, dir-rpcs.ts, fsys-rpcs.ts (the calls),
// reauthenticate.ts, change-notifier.ts, open-node.ts and new-node.ts (checks shared by
// several calls), filesystem.ts (one instance's state).

import { Volume } from 'memfs';
import type { Task } from '../../core/index.ts';
import { Bucket, defineClass, RpcFailure, type BucketOptions, type CapObject } from '../../libcap/index.ts';
import { jsonOnly, shutdownBuckets, type HeldNote, type ServerBody, type ServerEnv, type ServerFactory } from '../../libcap/server.ts';
import type { Ids } from '../../protocol/auth.ts';
import { dirHandlers } from './dir-rpcs.ts';
import { lookupHandler } from './dir-lookup.ts';
import { clearActive } from './active-translator.ts';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from './client-limits.ts';
import { fileHandlers } from './file-rpcs.ts';
import { fileTranslatorHandlers } from './file-translator-rpcs.ts';
import { Filesystem, type ControlData, type ProtidArg, type ProtidData } from './filesystem.ts';
import { Fsys, FSYS_GOAWAY, O, Protid } from '../../protocol/fs.ts';
import { protidHandlers } from './handler-set.ts';
import { ioBufferHandlers, releaseBuffer } from './io-buffer.ts';
import { dismissChildren, fsysHandlers } from './fsys-rpcs.ts';
import { ioHandlers } from './io-rpcs.ts';
import { NodeStore } from './node-store.ts';
import { PerOpen } from './peropen.ts';
import { allocDev } from './stat-record.ts';
import { TranslatorRegistry, type TranslatorEnv, type TranslatorInstance } from './translator.ts';
import { idsOf, NOBODY, User } from './user.ts';

/** Default volume quota: 256 MiB. */
export const DEFAULT_VOLUME_QUOTA = 256 * 1024 * 1024;
/** Default largest file: 256 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024;
/** Default bound on i-nodes. */
export const DEFAULT_MAX_INODES = 65_536;

export interface FsServerOptions {
  /** Name of the bucket, classes and translator tasks (default 'fs'). */
  readonly name?: string;
  /** The volume to serve (default: a fresh one). Never pass memfs's shared `vol`. */
  readonly volume?: Volume;
  /**
   * Attributes of the root directory. Defaults for a fresh volume: mode 0o755, owned by
   * root, or by the translator's owner when started as a translator; a given volume keeps
   * its root's attributes unless named here.
   */
  readonly root?: { readonly mode?: number; readonly uid?: number; readonly gid?: number };
  /** Start read-only (fsysopts --readonly / --writable change it). */
  readonly readonly?: boolean;
  /** Translators passive settings may name (default: an empty registry). */
  readonly registry?: TranslatorRegistry;
  /** Bound on starting a translator and on each call to one, ms of kernel time (default 5000). */
  readonly translatorTimeout?: number;
  /** Factory quota of each translator task (default 100,000 objects). */
  readonly translatorQuota?: number;
  /** Cap space size of each translator task (default 16384). */
  readonly translatorSlots?: number;
  /** How long the server half of a reauthentication waits for the user, ms (default 10,000). */
  readonly reauthTimeout?: number;
  /** Largest file size, bytes (default 256 MiB): writes and truncations beyond answer EFBIG. */
  readonly maxFileSize?: number;
  /**
   * Volume quota: bytes all files together may hold (default 256 MiB, DEFAULT_VOLUME_QUOTA);
   * a write or truncation beyond answers ENOSPC before anything is allocated.
   */
  readonly quota?: number;
  /** Most i-nodes the volume holds (default 65,536); creating one more answers ENOSPC. */
  readonly maxInodes?: number;
  /**
   * Per-client bounds (defaults DEFAULT_CLIENT_LIMITS): caps of this server one client
   * holds (1024, EMFILE), watchers it registers (64, EAGAIN), and the cap slots the server
   * keeps for itself (256; past that a new open or watcher answers ENOMEM).
   */
  readonly clientLimits?: Partial<ClientLimits>;
  /** Options of the server's bucket. */
  readonly bucket?: BucketOptions;
  /**
   * Files of a fresh volume, by absolute path (memfs's fromJSON: a string is a file's
   * contents, null an empty directory); ignored when `volume` is given. JSON, so a server
   * given it can still run isolated.
   */
  readonly files?: Readonly<Record<string, string | null>>;
}

/** A running filesystem server. */
export interface FsInstance extends TranslatorInstance {
  /** The memfs volume it serves. */
  readonly volume: Volume;
  readonly registry: TranslatorRegistry;
  /** Its state (for tools and tests: the node store, options, translators). */
  readonly fs: Filesystem;
  /**
   * Give `task` a protid on the root directory (opened O_RDONLY) for the user `params`
   * names: auth Ids, or { uid, gid, groups? } (default root).
   */
  install(task: Task, params: unknown, slot?: number): number;
  /** Give `task` this filesystem's control port (fsys): whoever holds it is trusted. */
  installControl(task: Task, slot?: number): number;
  shutdown(force: boolean): Promise<HeldNote[]>;
}

/** A filesystem's service as a bucket serves it, in-process or in an isolated task. */
export interface FsService {
  readonly fs: Filesystem;
  readonly volume: Volume;
  readonly registry: TranslatorRegistry;
  readonly control: CapObject<ControlData>;
  /** A protid on the root directory (opened O_RDONLY) for the user `params` names (one reference, the caller's). */
  rootProtid(params: unknown): CapObject<ProtidData>;
  /** Ask its translators to go away, stop posting change events; what refused (before its buckets end). */
  stop(force: boolean): Promise<HeldNote[]>;
}

/** What serveFs needs from where the server runs. */
export interface FsServeEnv {
  readonly caps: ReadonlyMap<string, number>;
  /** Slots of the server task's cap space. */
  readonly capSpaceSize: number;
  /** The identity it runs as, when started as a translator. */
  readonly ids?: Ids;
  /** How it ends, when started as a translator. */
  readonly exit?: () => void;
}

/** Serve a memfs filesystem on `bucket` (started by the caller, on either kind of host). */
export function serveFs(bucket: Bucket, opts: FsServerOptions, env: FsServeEnv): FsService {
  const name = opts.name ?? 'fs';
  const fresh = opts.volume === undefined;
  const volume = opts.volume ?? (opts.files === undefined ? new Volume() : Volume.fromJSON({ ...opts.files }, '/'));
  const owner = env.ids;
  const rootOpts = opts.root ?? {};
  const rootAttrs =
    fresh || opts.root !== undefined
      ? {
          mode: rootOpts.mode ?? (fresh ? 0o755 : volume._core.root.node.mode),
          uid: rootOpts.uid ?? (fresh ? (owner?.euids[0] ?? 0) : volume._core.root.node.uid),
          gid: rootOpts.gid ?? (fresh ? (owner?.egids[0] ?? 0) : volume._core.root.node.gid),
        }
      : null;
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const store = new NodeStore(volume, rootAttrs, {
    quota: opts.quota ?? DEFAULT_VOLUME_QUOTA,
    maxFileSize,
    maxInodes: opts.maxInodes ?? DEFAULT_MAX_INODES,
  });
  const registry = opts.registry ?? new TranslatorRegistry();
  const fs = new Filesystem(
    bucket,
    store,
    registry,
    {
      name,
      translatorTimeout: opts.translatorTimeout ?? 5000,
      translatorQuota: opts.translatorQuota ?? 100_000,
      translatorSlots: opts.translatorSlots ?? 1 << 14,
      reauthTimeout: opts.reauthTimeout ?? 10_000,
      limits: { ...DEFAULT_CLIENT_LIMITS, ...opts.clientLimits },
      maxFileSize,
    },
    env.caps,
    allocDev(),
    env.capSpaceSize,
  );
  fs.readonly = opts.readonly === true;
  fs.exit = env.exit ?? null;
  fs.ids = owner ?? null;

  fs.protidClass = defineClass({
    name: `${name}.protid`,
    interface: Protid,
    init: (): ProtidData => ({ po: null, user: NOBODY, internal: false, buffer: null }),
    alloc: (d: ProtidData, a: ProtidArg) => {
      d.po = a.po;
      d.user = a.user;
      d.internal = a.internal ?? false;
    },
    reinit: (d) => {
      releaseBuffer(fs, d);
      const po = d.po;
      d.po = null;
      d.user = NOBODY;
      d.internal = false;
      po?.unref();
    },
    handlers: protidHandlers({
      ...ioHandlers(fs),
      ...ioBufferHandlers(fs),
      ...fileHandlers(fs),
      ...fileTranslatorHandlers(fs),
      lookup: lookupHandler(fs),
      ...dirHandlers(fs),
    }),
  });
  fs.controlClass = defineClass({
    name: `${name}.control`,
    interface: Fsys,
    init: (): ControlData => ({ fs: null }),
    alloc: (d: ControlData, f: Filesystem) => {
      (d as { fs: Filesystem | null }).fs = f;
    },
    handlers: fsysHandlers(fs),
  });

  // A node freed for good takes its watchers and translator with it.
  store.onFree = (_node, state) => {
    state?.fileWatchers?.clear();
    state?.dirWatchers?.clear();
    if (state?.trans != null) clearActive(fs, state.trans);
  };

  const control = bucket.create(fs.controlClass, fs);
  if (control instanceof RpcFailure) throw new Error(`fs ${name}: cannot create the control port`);
  fs.control = control;
  return {
    fs,
    volume,
    registry,
    control,
    rootProtid(params: unknown): CapObject<ProtidData> {
      const user = new User(idsOf(params));
      const po = new PerOpen(store, store.root, store.root.node, O.RDONLY, null);
      return fs.newProtid(po, user);
    },
    async stop(force: boolean): Promise<HeldNote[]> {
      const notes: HeldNote[] = [];
      const refused = await dismissChildren(fs, force ? FSYS_GOAWAY.FORCE : 0);
      if (refused !== null) notes.push({ server: name, what: `a translator refused to go away: ${refused}` });
      fs.gone = true;
      await fs.closePoster();
      return notes;
    },
  };
}

/** What fsServer answers: a server factory (and a translator factory) with the body that runs it isolated, or why not. */
export type FsFactory = ((env: ServerEnv & Partial<Pick<TranslatorEnv, 'exit' | 'ids'>>) => FsInstance) & Pick<ServerFactory, 'body' | 'inProcessOnly'>;

/** A filesystem server over memfs (see the module comment). Its `body` runs it isolated when its options are JSON. */
export function fsServer(opts: FsServerOptions = {}): FsFactory {
  const factory = (env: ServerEnv & Partial<Pick<TranslatorEnv, 'exit' | 'ids'>>): FsInstance => {
    const name = opts.name ?? 'fs';
    const bucket = Bucket.start(env.kernel, env.task, { name, ...opts.bucket });
    const svc = serveFs(bucket, opts, {
      caps: env.caps,
      capSpaceSize: env.task.cspace.size,
      ...(env.ids === undefined ? {} : { ids: env.ids }),
      ...(env.exit === undefined ? {} : { exit: env.exit }),
    });
    const { fs, control } = svc;
    const inst: FsInstance = {
      name,
      bucket,
      buckets: [bucket],
      root: control,
      control,
      volume: svc.volume,
      registry: svc.registry,
      fs,
      install(task: Task, params: unknown, slot?: number): number {
        const obj = svc.rootProtid(params);
        const s = bucket.install(obj, task, slot === undefined ? {} : { slot });
        obj.unref();
        return s;
      },
      installControl(task: Task, slot?: number): number {
        return bucket.install(control, task, slot === undefined ? {} : { slot });
      },
      async shutdown(force: boolean): Promise<HeldNote[]> {
        const notes = await svc.stop(force);
        notes.push(...(await shutdownBuckets(inst, force)));
        return notes;
      },
    };
    return inst;
  };
  if (opts.volume !== undefined) return Object.assign(factory, { inProcessOnly: 'serves a memfs volume object of this heap (give its files as JSON instead)' });
  // The registry stays here, with the composer's launcher that starts the body's translators.
  const body: ServerBody = {
    module: new URL(`./fs-body.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
    export: 'fsBody',
    options: bodyOptions(opts),
    translators: opts.registry ?? new TranslatorRegistry(),
  };
  return Object.assign(factory, { body });
}

/** The options an fs body takes: FsServerOptions without the objects of this heap, as JSON. */
export type FsBodyOptions = Omit<FsServerOptions, 'volume' | 'registry'>;

function bodyOptions(opts: FsServerOptions): FsBodyOptions {
  const { volume: _v, registry: _r, bucket, ...rest } = opts;
  const out: FsBodyOptions = JSON.parse(JSON.stringify(rest)) as FsBodyOptions;
  return bucket === undefined ? out : { ...out, bucket: jsonOnly(bucket) };
}
