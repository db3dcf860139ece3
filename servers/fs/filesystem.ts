// One filesystem server instance's state, shared by its RPC files: the node store over
// its memfs volume, its bucket and classes, its options, the caps it was given (auth,
// notify, launcher, task), the translators it started, and small helpers every handler
// uses (making protids, posting change events). Not the protocol: that is in the *-rpcs
// files.

import type { Kernel, Task } from '../../core/index.ts';
import { after, RpcFailure, withTimeout, type Bucket, type CapClass, type CapObject, type Client, type Rpc, type SpecsOf } from '../../libcap/index.ts';
import type { Ids } from '../../protocol/auth.ts';
import { Poster } from '../notify/poster.ts';
import { ChangeWatchers, type PostRoute } from './change-notifier.ts';
import type { ClientLimits } from './client-limits.ts';
import type { IoBuffer } from './io-buffer.ts';
import type { Fsys, Protid } from '../../protocol/fs.ts';
import { NodeStore, type MNode } from './node-store.ts';
import { canWrite } from './open-flags.ts';
import type { PerOpen } from './peropen.ts';
import type { ActiveTranslator, TransBox } from './trans-box.ts';
import type { TranslatorRegistry } from './translator.ts';
import type { User } from './user.ts';

/** A protid's data: the per-open it names and the user it speaks for. */
export interface ProtidData {
  /** Null only while the object sits in the class cache. */
  po: PerOpen | null;
  user: User;
  /** Held by this server's own machinery (translator plumbing), not counted as "in use". */
  internal: boolean;
  /** The protid's transfer buffer (io.mapBuffer), released with the protid. */
  buffer: IoBuffer | null;
}

/** What creating a protid takes. */
export interface ProtidArg {
  readonly po: PerOpen;
  readonly user: User;
  readonly internal?: boolean;
}

/** The control port's data. */
export interface ControlData {
  readonly fs: Filesystem | null;
}

export type ProtidClass = CapClass<SpecsOf<typeof Protid>, ProtidData, ProtidArg>;
export type ControlClass = CapClass<SpecsOf<typeof Fsys>, ControlData, Filesystem>;

/** Settings resolved from FsServerOptions. */
export interface FsSettings {
  readonly name: string;
  readonly translatorTimeout: number;
  readonly translatorQuota: number;
  readonly translatorSlots: number;
  readonly reauthTimeout: number;
  readonly maxFileSize: number;
  /** Per-client bounds: opens, watchers, the server's slot reserve. */
  readonly limits: ClientLimits;
}

export class Filesystem {
  readonly dev: number;
  readonly authSlot: number;
  readonly notifySlot: number;
  /** The launcher its composer serves it (an isolated filesystem's exec server); 0 when none. */
  readonly launcherSlot: number;
  /** An admin cap to the system's task server, told whom each translator runs for; 0 when none. */
  readonly taskSlot: number;
  /** True while mounted read-only (--readonly). */
  readonly = false;
  /** Active translators on this server's nodes, with their boxes (asked to go away when it goes). */
  readonly children = new Map<ActiveTranslator, TransBox>();
  /** Set by the server wiring once the classes exist. */
  protidClass!: ProtidClass;
  controlClass!: ControlClass;
  /** The control port object (file.getControl gives it). */
  control: CapObject<ControlData> | null = null;
  /** How this server ends when it is a translator (from its TranslatorEnv); null at the top. */
  exit: (() => void) | null = null;
  /** The identity this server runs as, when started as a translator. */
  ids: Ids | null = null;
  /** True once goaway succeeded. */
  gone = false;
  /** Where change events go out (the poster starts with the first watcher). */
  readonly route: PostRoute;
  private posterInstance: Poster | null = null;
  /**
   * The kernel and the server's task, when the server shares their heap; null in an
   * isolated task (a worker), where everything goes through the bucket's host.
   */
  readonly kernel: Kernel | null;
  readonly task: Task | null;

  constructor(
    readonly bucket: Bucket,
    readonly store: NodeStore,
    readonly registry: TranslatorRegistry,
    readonly settings: FsSettings,
    caps: ReadonlyMap<string, number>,
    dev: number,
    /** Slots of the server task's cap space (what the per-client bounds keep a reserve of). */
    readonly capSpaceSize: number,
  ) {
    this.kernel = bucket.host.kernel;
    this.task = bucket.host.task;
    this.dev = dev;
    this.authSlot = caps.get('auth') ?? 0;
    this.notifySlot = caps.get('notify') ?? 0;
    this.launcherSlot = caps.get('launcher') ?? 0;
    this.taskSlot = caps.get('task') ?? 0;
    const bySlot = new Map<number, ChangeWatchers>();
    this.route = {
      bySlot,
      owners: new Map(),
      perClient: new Map(),
      poster: () =>
        (this.posterInstance ??= Poster.onHost(bucket.host, {
          name: `${settings.name}.poster`,
          // Only senders of the notify service this server was given (the handlers check first).
          ...(this.notifySlot === 0 ? {} : { service: this.notifySlot }),
          onDrop: (slot) => bySlot.get(slot)?.forget(slot),
        })),
    };
  }

  /** Stop posting change events (the server is going away). */
  closePoster(): Promise<void> {
    return this.posterInstance?.close() ?? Promise.resolve();
  }

  get ops() {
    return this.bucket.ops;
  }

  /** Per-client bounds. */
  get limits(): ClientLimits {
    return this.settings.limits;
  }

  /** Watchers `client` has registered on this server's nodes. */
  watchersOf(client: Client): number {
    return this.route.perClient.get(client) ?? 0;
  }

  /** Sender caps this server keeps for all clients. */
  watcherTotal(): number {
    return this.route.owners.size;
  }

  // ------------------------------------------------------------------ protids

  /** A new protid on `po` for `user` (the caller holds its one reference). Takes over `po`'s reference. */
  newProtid(po: PerOpen, user: User, internal = false): CapObject<ProtidData> {
    const obj = this.bucket.create(this.protidClass, { po, user, internal });
    if (obj instanceof RpcFailure) throw new Error(`fs ${this.settings.name}: cannot create a protid: ${obj.error}`);
    return obj;
  }

  /** Give the caller of `ctx` a new protid on `po` for `user`; answers the slot to reply with. */
  giveProtid(ctx: Rpc, po: PerOpen, user: User): number {
    const obj = this.newProtid(po, user);
    const slot = ctx.give(obj);
    obj.unref();
    return slot;
  }

  /** Protids held by clients (not by this server's own translator plumbing). */
  protidsInUse(): number {
    let n = 0;
    for (const o of this.protidClass.objects) if (!o.data.internal && o.entries.size > 0) n++;
    return n;
  }

  /** Per-opens open for writing (a switch to read-only waits for none). */
  writersOpen(): number {
    const seen = new Set<PerOpen>();
    for (const o of this.protidClass.objects) {
      const po = o.data.po;
      if (po !== null && canWrite(po.flags)) seen.add(po);
    }
    return seen.size;
  }

  // ------------------------------------------------------------------ change notification

  /** Watchers of changes to a node's content and attributes. */
  fileWatchers(node: MNode): ChangeWatchers {
    const s = this.store.stateOf(node);
    return (s.fileWatchers ??= new ChangeWatchers(this.route));
  }

  /** Watchers of a directory's entries. */
  dirWatchers(node: MNode): ChangeWatchers {
    const s = this.store.stateOf(node);
    return (s.dirWatchers ??= new ChangeWatchers(this.route));
  }

  /** A node's content or attributes changed. */
  fileChanged(node: MNode): void {
    const w = this.store.peek(node)?.fileWatchers;
    if (w != null && w.size > 0) w.post('change', '');
  }

  /** An entry of a directory was added, removed or replaced. */
  dirChanged(dir: MNode, type: 'add' | 'remove' | 'change', name: string): void {
    const w = this.store.peek(dir)?.dirWatchers;
    if (w != null && w.size > 0) w.post(type, name);
  }

  // ------------------------------------------------------------------ time

  /** Run `fn` after `ms` of kernel time, from this server's timer thread. Returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    return after(this.bucket, ms, fn);
  }

  /**
   * Resolve with `p`'s value, or with `onTimeout` after `ms` of kernel time (the kernel
   * clock: virtual time in tests). The caller cleans up after a late `p` itself.
   */
  withTimeout<T, U>(p: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
    return withTimeout(this.bucket, p, ms, onTimeout);
  }
}
