// Booting a system described in code (system-spec.ts) on a kernel, and the handle that
// inspects, extends and shuts it down.
//
// Seed 001's hierarchical naming: the parent (this composer) starts every child and
// builds each child's namespace itself. A child sees only the names its description
// lists in `uses`, each bound to a cap installed *for that child* (its own client
// identity at the server: installService), so no other task can register a name first
// (no registration race) or pose as the service (no impersonation).
//
// Order: the name server first; then each child gets its task, its namespace (every
// used name bound pending) and its view in CAP_NAMESPACE; then servers start in
// dependency order, each getting the caps of services already up in env.caps; when a
// server is up, every pending name that refers to it is attached (the same for servers
// started later with start()). Cycles and forward references therefore only delay a
// name: a child queries with `wait`, or watches, until it is attached. Programs start
// last. shutdown() stops everything in reverse order (shutdown.ts).
//
// A server child with `isolate` runs in its own isolated task (a worker thread): its
// task is created with createIsolatedTask and given a bootstrap endpoint; when its turn
// comes it is told its environment and reports ready, and installs and shutdown go
// through the composer protocol (isolated-server.ts). Clients see no difference.
//
// The name server may run isolated too: boot then builds the namespaces through its
// NamesComposer (names-link.ts), asynchronously; in-process it calls the name server's
// objects directly, synchronously, as always.

import { HostSys, Rights, snapshot, type Kernel, type Task } from '../../core/index.ts';
import { namesServer, type NamesInstance } from '../names/names-server.ts';
import { capIsLive } from '../names/live-cap.ts';
import type { NameSpace } from '../names/namespace.ts';
import { inOrder, inProcessNames, isolatedNames, type NameEntry, type NamesLink } from './names-link.ts';
import { psRows, type PsRow, type TaskAbout } from '../task/ps.ts';
import { planSystem, type PlannedChild, type PlannedUse } from './plan.ts';
import { installService, type ServerBody, type ServerFactory, type ServerInstance } from '../../libcap/server.ts';
import { settleKernel, stopSystem, type ShutdownReport, type StopTarget } from './shutdown.ts';
import { CAP_NAMESPACE, isolatedBody, isServer, type SystemSpec } from './system-spec.ts';
import { createServerTask, isIsolatedInstance, type IsolatedChild, type IsolatedInstance } from './isolated-server.ts';
import { bodyRegistry, TranslatorLauncher } from './launcher.ts';
import type { IsolatedTask } from '../../core/isolate/index.ts';

/** Path of the name server in every system. */
export const NAMES_PATH = 'names';

/** Options of boot(). */
export interface BootOptions {
  /** The name server when the description declares no root-level `names` server (default namesServer()). */
  readonly names?: ServerFactory;
}

/** A booted system. Paths are child names joined by '/' ('sub/db'); an unknown path throws. */
export interface System {
  readonly kernel: Kernel;
  /**
   * The name server (its composer API builds and inspects namespaces); throws when it
   * runs isolated (its objects live in its worker: use listNames).
   */
  readonly names: NamesInstance;
  /** Every child with a task, in declaration order. */
  readonly paths: readonly string[];
  /** The task of a child (or of 'names'). */
  task(path: string): Task;
  /**
   * A running server's instance; throws for programs, servers not started and servers
   * that run isolated (their objects live in their worker's heap).
   */
  instance<I extends ServerInstance = ServerInstance>(path: string): I;
  /** The worker of a server child that runs isolated (null: it runs in-process). */
  worker(path: string): IsolatedTask | null;
  /** The namespace a child sees through CAP_NAMESPACE; throws when the name server runs isolated. */
  namespace(path: string): NameSpace;
  /** The names of the namespace a child sees, sorted, and what each is bound to (the name server in-process or isolated). */
  listNames(path: string): Promise<NameEntry[]>;
  /** The caps a child was given so far, by the names it sees (slots in its task). */
  caps(path: string): ReadonlyMap<string, number>;
  /** Whether a child was started (servers: its instance is up). */
  started(path: string): boolean;
  /** Start a child declared with `autostart: false`; attaches its service where it is pending. */
  start(path: string): Promise<void>;
  /**
   * Start a server child again after its task died (or stop it first if alive): a new
   * task, namespace view and caps; its users' names fall back to pending meanwhile and
   * are attached to the new instance.
   */
  restart(path: string): Promise<void>;
  /**
   * ps of the system's tasks: threads, states, what they wait for, and (when a running
   * server of the system answers `about`, as the task server does) the uid and note of
   * each task it knows.
   */
  ps(): PsRow[];
  /** Problems met while attaching names (e.g. a child registered a name itself first). */
  readonly warnings: readonly string[];
  /** Orderly shutdown (reverse start order); resolves with what was still held. */
  shutdown(opts?: { force?: boolean }): Promise<ShutdownReport>;
}

/** One child with a task. */
interface Member {
  readonly planned: PlannedChild;
  task: Task;
  /** Attached uses: alias -> slot in the child's task. */
  readonly caps: Map<string, number>;
  /**
   * Slots whose cap died with its server (alias -> slot): the restarted server's cap goes
   * back into the same slot, so a running server's env.caps stay valid across the restart.
   */
  readonly freed: Map<string, number>;
  instance: ServerInstance | IsolatedInstance | null;
  /** An isolated server's task before it was started (its worker is loading). */
  child: IsolatedChild | null;
  /** Uses being installed by an isolated server (an asynchronous round trip). */
  readonly attaching: Set<string>;
  started: boolean;
}

const SERVER_DEFAULTS = { quota: 10_000, slots: 1 << 16, memQuota: 64 << 20 };
const PROGRAM_DEFAULTS = { quota: 1_000, slots: 4096, memQuota: 0 };

/**
 * Boot `spec` on `kernel`: start the name server, give every child its task and
 * namespace, start servers in dependency order and programs last. Throws (after
 * stopping what started) on an invalid description or a server that fails to start.
 */
export async function boot(kernel: Kernel, spec: SystemSpec, opts: BootOptions = {}): Promise<System> {
  const declared = spec[NAMES_PATH];
  if (declared !== undefined && (!isServer(declared) || (declared.uses !== undefined && Object.keys(declared.uses).length > 0))) {
    throw new Error(`invalid system description:\n  ${NAMES_PATH}: must be a server that uses nothing (it is the name server)`);
  }
  const plan = planSystem(spec, [NAMES_PATH]);

  /** The task that holds isolated servers' bootstrap endpoints and control caps (made on first use). */
  let composer: Task | null = null;
  /** The translator launcher of isolated filesystems (in the composer task, made on first use). */
  let launcher: TranslatorLauncher | null = null;

  const namesLimits = {
    quota: declared?.quota ?? SERVER_DEFAULTS.quota,
    slots: declared?.slots ?? SERVER_DEFAULTS.slots,
    memQuota: declared?.memQuota ?? SERVER_DEFAULTS.memQuota,
  };
  const namesBody = declared !== undefined && isServer(declared) ? isolatedBody(declared) : null;
  let link: NamesLink;
  if (namesBody === null) {
    const namesFactory = declared !== undefined && isServer(declared) ? declared.server : (opts.names ?? namesServer());
    const namesTask = kernel.createTask(NAMES_PATH, namesLimits);
    const namesInst = (await namesFactory({ kernel, task: namesTask, caps: new Map() })) as NamesInstance;
    if (typeof namesInst.createNamespace !== 'function') throw new Error(`${NAMES_PATH}: the factory did not start a name server`);
    link = inProcessNames(namesInst, namesTask);
  } else link = await startIsolatedNames(namesBody);

  /** The name server in its own task: started first, its composer cap taken; on failure nothing is left. */
  async function startIsolatedNames(body: ServerBody): Promise<NamesLink> {
    const boot = (composer = kernel.createTask('boot', { slots: 4096 }));
    const child = createServerTask(kernel, boot, NAMES_PATH, body, namesLimits);
    try {
      // It uses nothing and has no namespace view (0).
      const inst = await child.start(new Map(), 0);
      return isolatedNames(kernel, boot, inst, await inst.composer());
    } catch (e) {
      await child.isolated.kill();
      kernel.deleteTask(boot);
      throw e;
    }
  }

  const members = new Map<string, Member>();
  const startOrder: string[] = [];
  const warnings: string[] = [];
  let stopping: Promise<ShutdownReport> | null = null;

  function newTask(c: PlannedChild): { task: Task; child: IsolatedChild | null } {
    const d = c.kind === 'server' ? SERVER_DEFAULTS : PROGRAM_DEFAULTS;
    const quota = c.spec.quota ?? d.quota;
    const slots = c.spec.slots ?? d.slots;
    const memQuota = c.spec.memQuota ?? d.memQuota;
    const body = isServer(c.spec) ? isolatedBody(c.spec) : null;
    if (body !== null) {
      composer ??= kernel.createTask('boot', { slots: 4096 });
      if (bodyRegistry(body.translators) !== null) launcher ??= new TranslatorLauncher(kernel, composer);
      const child = createServerTask(kernel, composer, c.path, body, { quota, slots, memQuota, ...(launcher === null ? {} : { launcher }) });
      return { task: child.task, child };
    }
    return { task: kernel.createTask(c.path, { quota, slots, memQuota }), child: null };
  }

  /**
   * Give every child its namespace (every used name pending), its task and its view in
   * CAP_NAMESPACE. Synchronous with the name server in-process.
   */
  function buildNamespaces(): Promise<void> | undefined {
    return inOrder(
      plan.children
        .filter((c) => c.path !== NAMES_PATH)
        .flatMap((c) => [
          () => link.create(c.path, c.uses.map((u) => u.alias)),
          () => {
            const { task, child } = newTask(c);
            members.set(c.path, { planned: c, task, caps: new Map(), freed: new Map(), instance: null, child, attaching: new Set(), started: false });
            return link.installView(c.path, task, c.spec.register === true, CAP_NAMESPACE);
          },
        ]),
    );
  }

  function member(path: string): Member {
    const m = members.get(path);
    if (m === undefined) throw new Error(`no child ${path} in this system`);
    return m;
  }

  function providerOf(path: string): ServerInstance | IsolatedInstance | null {
    if (path === NAMES_PATH) return link.instance;
    const p = members.get(path);
    return p !== undefined && p.started && p.task.alive ? p.instance : null;
  }

  /**
   * Give `m` its own cap to the service behind `u` and attach the name, if the server is
   * up. Synchronous for an in-process server; a round trip to an isolated one.
   */
  function attachUse(m: Member, u: PlannedUse): Promise<void> | undefined {
    if (m.caps.has(u.alias) || m.attaching.has(u.alias) || !m.task.alive) return undefined;
    const inst = providerOf(u.provider);
    if (inst === null) return undefined;
    const again = m.freed.get(u.alias);
    m.freed.delete(u.alias);
    const reuse = again !== undefined && u.rights === undefined && m.task.cspace.get(again) === null;
    if (isIsolatedInstance(inst)) {
      m.attaching.add(u.alias);
      const task = m.task;
      return inst.install(task, u.params, reuse ? again : undefined).then(
        (slot) => {
          m.attaching.delete(u.alias);
          return m.task === task && task.alive ? bindUse(m, u, slot) : undefined;
        },
        (e: unknown) => {
          m.attaching.delete(u.alias);
          warnings.push(`${m.planned.path}: attaching '${u.alias}' (${u.provider}): ${e instanceof Error ? e.message : String(e)}`);
        },
      );
    }
    return bindUse(m, u, reuse ? installService(inst, m.task, u.params, again) : installService(inst, m.task, u.params));
  }

  /**
   * The child's cap to `u` is in `slot`: narrow it if asked, and attach the name
   * (synchronous with the name server in-process, a round trip to an isolated one).
   */
  function bindUse(m: Member, u: PlannedUse, installed: number): Promise<void> | undefined {
    let slot = installed;
    if (u.rights !== undefined) {
      // The child's own copy is narrowed too, not only what its namespace answers:
      // deleting the original re-parents the narrowed copy to the server's root, so the
      // server still counts it and revocation still reaches it.
      const narrowed = kernel.grant(m.task, slot, m.task, { rights: u.rights });
      new HostSys(kernel, m.task).delete(slot);
      slot = narrowed;
    }
    m.caps.set(u.alias, slot);
    const warn = (e: string | null): void => {
      if (e !== null) warnings.push(`${m.planned.path}: attaching '${u.alias}' (${u.provider}): ${e}`);
    };
    const e = link.attach(m.planned.path, u.alias, { task: m.task, slot }, u.rights ?? Rights.All);
    if (e instanceof Promise) return e.then(warn, (x: unknown) => warn(x instanceof Error ? x.message : String(x)));
    warn(e);
    return undefined;
  }

  /** Attach every pending use of `provider` in every member. */
  async function attachUsersOf(provider: string): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const m of members.values()) {
      for (const u of m.planned.uses) {
        if (u.provider !== provider) continue;
        const w = attachUse(m, u);
        if (w !== undefined) waits.push(w);
      }
    }
    await Promise.all(waits);
  }

  async function startMember(m: Member): Promise<void> {
    if (m.started) return;
    await Promise.all(m.planned.uses.map((u) => attachUse(m, u)));
    const c = m.planned;
    if (c.kind === 'server' && isServer(c.spec)) {
      if (m.child !== null) {
        const child = m.child;
        m.child = null;
        m.instance = await child.start(m.caps, CAP_NAMESPACE);
      } else m.instance = await c.spec.server({ kernel, task: m.task, caps: new Map(m.caps), namespace: CAP_NAMESPACE });
      m.started = true;
      if (!startOrder.includes(c.path)) startOrder.push(c.path);
      await attachUsersOf(c.path);
      return;
    }
    if (!isServer(c.spec)) {
      kernel.spawn(m.task, c.spec.program, { name: c.path, ...(c.spec.priority === undefined ? {} : { priority: c.spec.priority }) });
      m.started = true;
    }
  }

  const sys: System = {
    kernel,
    get names() {
      return link.names();
    },
    paths: plan.children.map((c) => c.path).filter((p) => p !== NAMES_PATH),
    warnings,
    task: (path) => (path === NAMES_PATH ? link.task : member(path).task),
    instance<I extends ServerInstance = ServerInstance>(path: string): I {
      if (path === NAMES_PATH) {
        if (link.worker !== null) throw new Error(`${path} runs isolated: its objects live in its worker`);
        return link.names() as unknown as I;
      }
      const m = member(path);
      if (m.instance === null) throw new Error(`${path} is not a running server`);
      if (isIsolatedInstance(m.instance)) throw new Error(`${path} runs isolated: its objects live in its worker`);
      return m.instance as I;
    },
    worker(path) {
      if (path === NAMES_PATH) return link.worker;
      const m = member(path);
      if (m.child !== null) return m.child.isolated;
      return isIsolatedInstance(m.instance) ? m.instance.isolated : null;
    },
    namespace: (path) => link.space(member(path).planned.path),
    listNames: async (path) => link.list(member(path).planned.path),
    caps: (path) => new Map(member(path).caps),
    started: (path) => path === NAMES_PATH || member(path).started,
    async start(path) {
      if (stopping !== null) throw new Error('the system is shutting down');
      await startMember(member(path));
    },
    async restart(path) {
      if (stopping !== null) throw new Error('the system is shutting down');
      const m = member(path);
      if (m.planned.kind !== 'server') throw new Error(`${path} is not a server`);
      if (m.task.alive) {
        if (m.instance !== null) {
          const inst = m.instance;
          await stopSystem(kernel, [], [{ path, task: m.task, instance: inst }], true);
        } else if (m.child !== null) await m.child.isolated.kill();
        else kernel.deleteTask(m.task);
      }
      await settleKernel(kernel);
      const fresh = newTask(m.planned);
      m.task = fresh.task;
      m.child = fresh.child;
      m.caps.clear();
      m.freed.clear();
      m.instance = null;
      m.started = false;
      const viewed = link.installView(path, m.task, m.planned.spec.register === true, CAP_NAMESPACE);
      if (viewed instanceof Promise) await viewed;
      // Drop the old task's names so they can be attached again.
      const drops: Promise<void>[] = [];
      const dropped = (d: Promise<void> | void): void => void (d instanceof Promise && drops.push(d));
      for (const u of m.planned.uses) dropped(link.drop(path, u.alias));
      for (const other of members.values()) other.caps.forEach((_, alias) => dropped(dropIfDead(other, alias)));
      if (drops.length > 0) await Promise.all(drops);
      await startMember(m);
    },
    ps() {
      const ids = new Set<number>([link.task.id, ...[...members.values()].map((m) => m.task.id)]);
      return psRows(snapshot(kernel), (t) => ids.has(t.id), aboutTask);
    },
    shutdown(o = {}) {
      stopping ??= (async () => {
        const all = [...members.values()];
        const others = all.filter((m) => m.instance === null).map(target);
        const servers = [...startOrder].reverse().map((p) => target(member(p)));
        servers.push({ path: NAMES_PATH, task: link.task, instance: link.instance });
        // Isolated servers never started: end their workers (deleting the task does too).
        for (const m of all) if (m.child !== null) void m.child.isolated.kill();
        const report = await stopSystem(kernel, others, servers, o.force === true);
        await launcher?.shutdown();
        if (composer?.alive === true) kernel.deleteTask(composer);
        return report;
      })();
      return stopping;
    },
  };

  /** What a running server that keeps task records (the task server) says about `pid`. */
  function aboutTask(pid: number): TaskAbout | undefined {
    for (const m of members.values()) {
      if (isIsolatedInstance(m.instance)) continue;
      const about = (m.instance as { about?: unknown } | null)?.about;
      if (m.started && m.task.alive && typeof about === 'function') return (about as (p: number) => TaskAbout | undefined)(pid);
    }
    return undefined;
  }

  /** Forget an attached cap that leads nowhere any more (its server ended or died). */
  function dropIfDead(m: Member, alias: string): Promise<void> | void {
    const slot = m.caps.get(alias);
    if (slot === undefined || !m.task.alive || capIsLive(kernel, m.task, slot)) return;
    new HostSys(kernel, m.task).delete(slot);
    m.caps.delete(alias);
    m.freed.set(alias, slot);
    return link.drop(m.planned.path, alias); // the name server's copy is as dead: the name goes pending
  }

  try {
    const built = buildNamespaces();
    if (built !== undefined) await built;
    for (const path of plan.serverOrder) {
      if (path === NAMES_PATH) continue;
      const m = member(path);
      if (m.planned.spec.autostart !== false) await startMember(m);
    }
    for (const m of members.values()) if (m.planned.kind === 'program' && m.planned.spec.autostart !== false) await startMember(m);
  } catch (e) {
    await sys.shutdown({ force: true });
    throw e;
  }
  return sys;
}

function target(m: Member): StopTarget {
  return { path: m.planned.path, task: m.task, instance: m.instance };
}
