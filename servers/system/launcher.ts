// The composer's translator launcher: what a filesystem in an isolated task uses to start
// a passive translator, as the Hurd's filesystems use the exec server. Its worker holds no
// Kernel object and cannot run a translator factory (a function of this heap), so boot
// serves it a `Launcher` cap (protocol/startup.ts) from a bucket of its composer task.
// `start` does here what translator-start.ts does in-process: a new task with the quota and
// slots asked for, tethered to the filesystem's task (translator-tether.ts), the caps the
// filesystem handed over (its realnode protid, the translator's auth handle, notify)
// moved into it, the registry's factory run with a TranslatorEnv, bounded by the timeout
// asked for; it answers the translator's control cap and a task cap (Read, Write) the
// filesystem ends it with. The registry is the one the fs factory was built with.

import { CAP_SELF, HostSys, Rights, type Kernel, type Task } from '../../core/index.ts';
import { after, Bucket, defineClass, RpcFailure, withTimeout, type Deferred, type Rpc, type SpecOf } from '../../libcap/index.ts';
import { shutdownNamed } from '../../libcap/server.ts';
import type { Ids } from '../../protocol/auth.ts';
import { Launcher, LAUNCH_MESSAGE_MAX, type LaunchSpec } from '../../protocol/startup.ts';
import { tether } from '../fs/translator-tether.ts';
import { TranslatorRegistry, type TranslatorEnv, type TranslatorInstance } from '../fs/translator.ts';

/** Default bound on the translator tasks one filesystem's launcher keeps alive (EAGAIN beyond). */
export const DEFAULT_MAX_LAUNCHED = 1024;

interface LauncherData {
  /** The task of the filesystem it serves (its translators are tethered to it). */
  server: Task | null;
  registry: TranslatorRegistry | null;
  /** The tasks it started that may still live (pruned of dead ones at each start). */
  readonly live: Set<Task>;
}

type StartSpec = SpecOf<typeof Launcher.methods.start>;

/** The launcher boot serves its isolated filesystems (one bucket in the composer task). */
export class TranslatorLauncher {
  private readonly bucket: Bucket;
  private readonly cls;

  constructor(
    private readonly kernel: Kernel,
    private readonly composer: Task,
    /** Translator tasks one filesystem may have alive at once (default DEFAULT_MAX_LAUNCHED). */
    private readonly maxLaunched = DEFAULT_MAX_LAUNCHED,
  ) {
    this.bucket = Bucket.start(kernel, composer, { name: `${composer.name}.launcher` });
    this.cls = defineClass({
      name: 'launcher',
      interface: Launcher,
      init: (): LauncherData => ({ server: null, registry: null, live: new Set() }),
      alloc: (d: LauncherData, a: { server: Task; registry: TranslatorRegistry }) => {
        d.server = a.server;
        d.registry = a.registry;
        d.live.clear();
      },
      handlers: {
        start: (ctx, a) => {
          const d = ctx.defer();
          void this.start(ctx, d, a);
          return d;
        },
      },
    });
  }

  /** Give `server` (a task) a launcher cap for `registry`; answers its slot in that task. */
  give(server: Task, registry: TranslatorRegistry): number {
    const obj = this.bucket.create(this.cls, { server, registry });
    if (obj instanceof RpcFailure) throw new Error(`launcher: cannot create a launcher object: ${obj.error}`);
    const slot = this.bucket.install(obj, server);
    obj.unref();
    return slot;
  }

  /** End the launcher's bucket (the composer task goes after). */
  async shutdown(): Promise<void> {
    await shutdownNamed('launcher', [this.bucket], true);
  }

  private async start(
    ctx: Rpc<LauncherData, StartSpec>,
    d: Deferred<StartSpec>,
    a: { spec: string; quota: number; slots: number; timeout: number; realnode?: number | undefined; auth?: number | undefined; notify?: number | undefined },
  ): Promise<void> {
    const { kernel, composer } = this;
    const hs = new HostSys(kernel, composer);
    // The caps handed over are ours until moved into the translator's task (or dropped).
    const given = [a.realnode, a.auth, a.notify].filter((s): s is number => s !== undefined && s !== 0);
    for (const s of given) ctx.keep(s);
    const dropGiven = (): void => {
      for (const s of given) hs.delete(s);
    };
    const notStarted = (failed: 'ENOENT' | 'EIO' | 'ETIMEDOUT', message: string): void => {
      d.reply({ failed, message: message.slice(0, LAUNCH_MESSAGE_MAX) });
    };
    const { server, registry } = ctx.data;
    const spec = parseSpec(a.spec);
    if (server === null || registry === null || spec === null) {
      dropGiven();
      d.fail('EINVAL', 'spec must be JSON: { argv: [name, ...args], name, ids }');
      return;
    }
    const args = [...spec.argv];
    const factory = registry.get(args[0]!);
    if (factory === undefined) {
      dropGiven();
      notStarted('ENOENT', `translator ${JSON.stringify(args[0]!)} not found (registered: ${registry.names().join(', ') || 'none'})`);
      return;
    }
    const live = ctx.data.live;
    for (const t of live) if (!t.alive) live.delete(t);
    if (live.size >= this.maxLaunched) {
      dropGiven();
      d.fail('EAGAIN', `${live.size} translators alive (launcher bound ${this.maxLaunched})`);
      return;
    }
    let task: Task;
    try {
      task = kernel.createTask(spec.name, { quota: a.quota, slots: a.slots });
    } catch (e) {
      dropGiven();
      d.fail('ENOMEM', e instanceof Error ? e.message : String(e));
      return;
    }
    live.add(task);
    const end = (): void => {
      if (!task.alive) return;
      try {
        kernel.deleteTask(task);
      } catch {
        // Teardown of the translator's own objects failed halfway; the task is dead anyway.
      }
    };
    try {
      if (!server.alive) throw new Error('the filesystem has died');
      tether(kernel, new HostSys(kernel, server), server, task);
    } catch (e) {
      dropGiven();
      end();
      notStarted('EIO', `cannot tether the translator: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const move = (slot: number | undefined): number => {
      if (slot === undefined || slot === 0) return 0;
      const to = kernel.grant(composer, slot, task);
      hs.delete(slot);
      return to;
    };
    const underlying = move(a.realnode);
    const caps = new Map<string, number>();
    const auth = move(a.auth);
    if (auth !== 0) caps.set('auth', auth);
    const notify = move(a.notify);
    if (notify !== 0) caps.set('notify', notify);
    let exited = false;
    const env: TranslatorEnv = {
      kernel,
      task,
      caps,
      argv: args,
      ids: spec.ids,
      underlying,
      registry,
      // From the launcher's timer thread, once the translator's last answer has gone; the
      // filesystem sees its task gone (and its control cap dead) and clears it.
      exit: () => {
        if (exited) return;
        exited = true;
        after(this.bucket, 0, end);
      },
    };
    let inst: TranslatorInstance | null;
    try {
      inst = await withTimeout(this.bucket, Promise.resolve().then(() => factory(env)), a.timeout, null);
    } catch (e) {
      end();
      // The translator's own words reach the filesystem's user (its startError).
      notStarted('EIO', e instanceof Error ? e.message : String(e));
      return;
    }
    if (inst === null) {
      end();
      notStarted('ETIMEDOUT', `${args[0]!}: did not start within ${a.timeout} ms`);
      return;
    }
    if (!task.alive || exited) {
      notStarted('EIO', `${args[0]!}: ended as it started`);
      return;
    }
    let control: number;
    try {
      control = inst.bucket.install(inst.control, composer);
    } catch (e) {
      end();
      notStarted('EIO', e instanceof Error ? e.message : String(e));
      return;
    }
    const taskCap = kernel.grant(task, CAP_SELF, composer, { rights: Rights.Read | Rights.Write });
    // Both caps move to the filesystem with the answer (grant); an answer that cannot go
    // (the filesystem died meanwhile) leaves them here: drop them, the tether ends the task.
    if (!d.reply({ control, task: taskCap, failed: '', message: '' })) {
      hs.delete(control);
      hs.delete(taskCap);
      end();
    }
  }
}

/** The translator registry a server body carries for its launcher, or null. */
export function bodyRegistry(translators: unknown): TranslatorRegistry | null {
  return translators instanceof TranslatorRegistry ? translators : null;
}

/** A launch request's JSON part, checked (null: malformed). */
function parseSpec(text: string): LaunchSpec | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as Partial<LaunchSpec> | null;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((e) => typeof e === 'string');
  const ids = (x: unknown): x is number[] => Array.isArray(x) && x.length <= 256 && x.every((e) => Number.isInteger(e) && (e as number) >= 0 && (e as number) <= 0xffffffff);
  if (o === null || typeof o !== 'object' || !strings(o.argv) || o.argv.length === 0 || typeof o.name !== 'string') return null;
  const i = o.ids as Partial<Ids> | undefined;
  if (i === undefined || !ids(i.euids) || !ids(i.auids) || !ids(i.egids) || !ids(i.agids)) return null;
  return { argv: o.argv, name: o.name, ids: { euids: i.euids, auids: i.auids, egids: i.egids, agids: i.agids } };
}
