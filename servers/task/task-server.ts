// The task server: creates tasks with its own factory (the caller gets a task cap with
// Read and Write and populates it with its own factory), kills them, lists them, gives a
// ps listing from the kernel's introspection snapshot, and posts "exit" events to
// subscribers when a task it knows dies.
//
// Each client gets its own object (install), so the server knows which subscriptions to
// drop when a client goes (no-senders), and whether the client is an admin (sees and may
// kill every task the server knows) or not (its own task and the tasks it created).
// Death: the kernel signals one notification for every watched task; a thread of the
// server reaps the dead and queues the events on a Poster (servers/notify), whose own
// thread sends them with a timeout, so a subscriber's sender that never answers cannot
// block the server (Hurd on L4's trust rule: never block on a client's capability).
//
// Limits. A non-admin client may hold at most `taskQuota` live tasks created through the
// server (default 64; install params may set it per client), and non-admin clients
// together at most `userTasks` (default 1024), so neither one client nor many can spend
// the server's factory quota and root (an admin) keeps working; beyond either, create
// answers EAGAIN. Subscriptions per client are bounded (EDQUOT), and when the server was
// given the system's notify service (`uses: { notify }`) a subscription's sender must be
// a cap of that service (EINVAL otherwise). Task names and notes must be well-formed
// UTF-16 (EINVAL); names the server did not take at its door (the composer's) are made
// well-formed in listings.
//
// Users. Every record carries the uid the task runs for (its creator's, from install
// params; 0 for the composer's tasks; the one an admin names when it adopts a task made
// elsewhere, as a filesystem does for each translator it starts as its node's owner) and
// a note its creator may set (Tasks.note): ps shows both.

import { CAP_FACTORY, grantHost, Kind, MAX_SNAPSHOT_LENGTH, Rights, SnapshotScope, Status, type Snapshot, type Sys, type SysGen, type Task } from '../../core/index.ts';
import {
  Bucket,
  defineClass,
  keptCap,
  RpcFailure,
  stillKept,
  type BucketOptions,
  type CapObject,
  type Client,
  type KeptCap,
} from '../../libcap/index.ts';
import { Poster } from '../notify/poster.ts';
import { jsonOnly, shutdownNamed, type HeldNote, type ServerBody, type ServerEnv, type ServerFactory, type ServerInstance } from '../../libcap/server.ts';
import { isWellFormed, toWellFormed } from '../../libcap/strings.ts';
import { psRows, type TaskAbout } from './ps.ts';
import { MAX_ROWS, MAX_TASK_NAME, MAX_TASK_NOTE, Tasks, type TaskRow, type ThreadRow } from '../../protocol/task.ts';
import { TaskTable, type TaskRecord } from './task-table.ts';

/**
 * Per-client settings for install(): an admin sees and may kill every task the server
 * knows; `uid` is the user the tasks the client creates run for (default 0 for an admin,
 * 65534 'nobody' otherwise); `taskQuota` overrides the server's per-client task quota.
 */
export interface TaskParams {
  readonly admin?: boolean;
  readonly uid?: number;
  readonly taskQuota?: number;
}

/** Default live tasks one non-admin client may have created through the server. */
export const DEFAULT_TASK_QUOTA = 64;
/** Default live tasks all non-admin clients together may have created through the server. */
export const DEFAULT_USER_TASKS = 1024;
/** The uid of a non-admin client installed without one. */
export const NOBODY_UID = 65534;

/** Options of a task server: its bucket's, plus posting, subscription and task bounds. */
export interface TaskServerOptions extends BucketOptions {
  /** Kernel ms a post to a subscriber may take before it counts as lost (default 1000). */
  postTimeout?: number;
  /** Subscriptions one client may hold (default 64). */
  maxSubscriptions?: number;
  /** Live tasks one non-admin client may have created (default 64; EAGAIN). */
  taskQuota?: number;
  /** Live tasks all non-admin clients together may have created (default 1024; EAGAIN). */
  userTasks?: number;
  /** Sender caps the server keeps for all subscriptions together (default 4096; subscribe answers EAGAIN). */
  maxSenders?: number;
}

/** One death subscription: where to post, for which pid (0: every visible task). */
interface Subscription {
  readonly id: number;
  readonly pid: number;
  readonly holder: ClientView;
  /** Notify sender cap in the server's space (held by the poster). */
  readonly slot: number;
  /** That cap's serial: its client may revoke it, and the slot be refilled (KeptCap). */
  readonly kept: KeptCap;
  /** The libcap client it is charged to (one 'kept' cap). */
  readonly client: Client;
}

/** The data of a client's object. */
export interface ClientView {
  admin: boolean;
  /** Task id of the client the object was installed for (-1: host). */
  taskId: number;
  /** The uid its tasks run for. */
  uid: number;
  /** Live tasks it may have created. */
  quota: number;
  readonly subs: Map<number, Subscription>;
}

/** A running task server, with the composer's host-side API. */
export interface TaskInstance extends ServerInstance {
  /**
   * Know `task` (created elsewhere, e.g. by the composer) so admins can list, watch and
   * kill it; `about` gives the uid it runs for (default 0) and its note.
   */
  adopt(task: Task, owner?: Task, about?: Partial<TaskAbout>): void;
  /** The uid and note of a task the server knows (host side: the shell's ps). */
  about(pid: number): TaskAbout | undefined;
  /** Set the note of a task the server knows (host side); false when it does not know it. */
  setNote(pid: number, note: string): boolean;
  /** Pids of the tasks the server holds caps to. */
  known(): number[];
  /** Live subscriptions (introspection). */
  subscriptions(): number;
  install(task: Task, params?: unknown, slot?: number): number;
}

const DEFAULT_SLOTS = 4096;
const MAX_SLOTS = 1 << 16;

/** The bounds of a task service (TaskServerOptions without the bucket's). */
type TaskLimits = Pick<TaskServerOptions, 'postTimeout' | 'maxSubscriptions' | 'taskQuota' | 'userTasks' | 'maxSenders'>;

/** Where the service finds what it was given in its task. */
interface TaskSlots {
  /** A host cap with Read (core/host-info.ts): list and ps read the kernel's snapshot through it. */
  readonly host: number;
  /** The notify service's endpoint, when the server was given one: senders must be its caps. */
  readonly notify?: number | undefined;
}

/** The task service on a bucket, the same in-process and in an isolated task (task-body.ts). */
export interface TaskService {
  readonly root: CapObject<ClientView>;
  readonly table: TaskTable;
  /** A client's object for its install params (checked: RangeError), for the task `taskId`. */
  viewFor(params: unknown, taskId: number): CapObject<ClientView>;
  about(pid: number): TaskAbout | undefined;
  setNote(pid: number, note: string): boolean;
  subscriptions(): number;
  /** Kill the tasks created through the server, end the bucket, the reaper and the poster. */
  shutdown(force: boolean): Promise<HeldNote[]>;
}

/**
 * Serve the Tasks interface on `bucket`. Everything goes through the bucket's host and
 * its threads' syscalls (no Kernel object): tasks are created by the task's factory and
 * killed through the task caps the server holds, the reaper thread and the poster are
 * started on the host, and list/ps read the kernel's snapshot through the host cap.
 */
export function serveTasks(bucket: Bucket, slots: TaskSlots, limits: TaskLimits = {}): TaskService {
  const { postTimeout = 1000, maxSubscriptions = 64, taskQuota = DEFAULT_TASK_QUOTA, userTasks = DEFAULT_USER_TASKS, maxSenders } = limits;
  const host = bucket.host;
  const ops = bucket.ops;
  const deathNotif = host.createNotification();
  const deathCap = bucket.allocSlot();
  if (ops.mint(deathNotif, deathCap, Rights.Write, 1) !== Status.Ok) throw new Error('task server: cannot mint the death notification');
  const table = new TaskTable(ops, deathCap);
  const notifySlot = slots.notify;
  /** Tasks created by admins (not counted against the users' share). */
  const adminCreated = new Set<number>();
  const subs = new Set<Subscription>();
  let nextSub = 1;
  let stopped = false;

  function visible(v: ClientView, pid: number, rec: TaskRecord | undefined): boolean {
    if (v.admin) return true;
    return pid === v.taskId || (rec !== undefined && rec.owner === v.taskId && v.taskId > 0);
  }

  const bySlot = new Map<number, Subscription>();
  const poster = Poster.onHost(host, {
    name: 'task.poster',
    timeout: postTimeout,
    ...(notifySlot === undefined ? {} : { service: notifySlot }),
    ...(maxSenders === undefined ? {} : { maxSenders }),
    // The subscriber's mailbox is gone or revoked its sender: forget the subscription.
    onDrop: (slot) => forget(bySlot.get(slot)),
  });

  function forget(s: Subscription | undefined): void {
    if (s === undefined || !subs.delete(s)) return;
    s.client.release('kept');
    s.holder.subs.delete(s.id);
    bySlot.delete(s.slot);
  }

  function dropSub(s: Subscription): void {
    if (!subs.has(s)) return;
    forget(s);
    poster.release(s.slot);
  }

  /** Queue one exit event; a one-shot subscription ends once it has been sent. */
  function post(s: Subscription, rec: TaskRecord): void {
    poster.post(s.slot, 'exit', `${rec.pid} ${rec.name}`);
    if (s.pid === 0) return;
    forget(s);
    // By then the sender may have been revoked and its slot refilled by another
    // subscription's sender (which the poster now holds there): leave that one alone.
    void poster.flushed().then(() => {
      if (stillKept(ops, s.kept)) poster.release(s.slot);
    });
  }

  function isAlive(rec: TaskRecord): boolean {
    const info = ops.taskInfo(rec.slot);
    return info.ok && info.value.alive;
  }

  /** End the tasks created through this server that `which` picks (soon: not inside a kernel step). */
  function endOrphans(which: (r: TaskRecord) => boolean): void {
    const orphans = table.values().filter((r) => !r.adopted && r.owner > 0 && which(r));
    if (orphans.length === 0) return;
    queueMicrotask(() => {
      for (const r of orphans) if (table.get(r.pid) === r && isAlive(r)) ops.killTask(r.slot);
    });
  }

  /** Collect dead tasks and tell their subscribers. */
  function reap(): void {
    for (const rec of table.reap()) {
      adminCreated.delete(rec.pid);
      for (const s of [...subs]) {
        if (s.pid === rec.pid || (s.pid === 0 && visible(s.holder, rec.pid, rec))) post(s, rec);
      }
    }
  }

  /** The kernel's snapshot through the host cap, or why not (answered as EIO). */
  function readSnapshot(sys: Sys): Snapshot | string {
    // Tasks and threads only: the size does not grow with the caps anyone holds.
    const r = sys.kernelSnapshot(slots.host, MAX_SNAPSHOT_LENGTH, SnapshotScope.Threads);
    if (!r.ok) return `the kernel's snapshot: ${r.detail.message}`;
    return JSON.parse(r.value) as Snapshot;
  }

  // The reaper: woken by the kernel whenever a watched task dies.
  host.spawn(
    function* reaper(sys: Sys): SysGen<void> {
      for (;;) {
        const st: number = yield sys.wait(deathNotif);
        if (stopped || st !== Status.Ok) break;
        reap();
      }
      sys.delete(deathCap);
      sys.delete(deathNotif);
    },
    'task.reaper',
    bucket.priority,
  );

  const viewClass = defineClass({
    name: 'task',
    interface: Tasks,
    init: (): ClientView => ({ admin: false, taskId: -1, uid: NOBODY_UID, quota: taskQuota, subs: new Map() }),
    alloc: (d, a: { admin: boolean; taskId: number; uid: number; quota: number }) => {
      d.admin = a.admin;
      d.taskId = a.taskId;
      d.uid = a.uid;
      d.quota = a.quota;
    },
    reinit: (d) => {
      for (const s of [...d.subs.values()]) dropSub(s);
      d.admin = false;
      d.taskId = -1;
      d.uid = NOBODY_UID;
      d.quota = taskQuota;
    },
    noSenders: (obj) => {
      for (const s of [...obj.data.subs.values()]) dropSub(s);
      // The tasks a client created end with it (its last cap to this server went, as
      // when it died): orphans would hold the users' shared task budget for good.
      const owner = obj.data.taskId;
      if (!obj.data.admin && owner > 0) endOrphans((r) => r.owner === owner);
    },
    handlers: {
      create(ctx, { name, slots: size0 }) {
        if (name === '' || name.length > MAX_TASK_NAME) return ctx.fail('EINVAL', 'a task needs a name');
        if (!isWellFormed(name)) return ctx.fail('EINVAL', 'a task name must be well-formed UTF-16');
        const size = size0 === 0 ? DEFAULT_SLOTS : size0;
        if (size < 8 || size > MAX_SLOTS) return ctx.fail('EINVAL', `slots must be 0 or 8..${MAX_SLOTS}`);
        const v = ctx.data;
        const owner = Math.max(0, v.taskId);
        if (!v.admin) {
          if (table.createdBy(owner) >= v.quota) return ctx.fail('EAGAIN', `at most ${v.quota} live tasks per client`);
          if (table.createdTotal - adminCreated.size >= userTasks) return ctx.fail('EAGAIN', `users hold their share of ${userTasks} tasks`);
        }
        const slot = bucket.allocSlot();
        const st = ctx.sys!.createTask(CAP_FACTORY, slot, name, size);
        if (st !== Status.Ok) ops.delete(slot);
        if (st === Status.NotEnoughMemory) return ctx.fail('EAGAIN', 'the task server\'s quota is spent');
        if (st !== Status.Ok) return ctx.fail('EIO', `createTask: status ${st}`);
        const rec = table.add(slot, owner, false, v.uid);
        if (rec === null) return ctx.fail('EIO');
        if (v.admin) adminCreated.add(rec.pid);
        const given = bucket.allocSlot();
        if (ops.mint(slot, given, Rights.Read | Rights.Write) !== Status.Ok) return ctx.fail('EIO');
        return { task: given, pid: rec.pid };
      },
      kill(ctx, { pid }) {
        const rec = table.get(pid);
        if (rec === undefined) return ctx.fail('ESRCH');
        if (!ctx.data.admin && rec.owner !== ctx.data.taskId) return ctx.fail('EPERM', 'not a task this client created');
        ctx.sys!.killTask(rec.slot);
        reap();
        return {};
      },
      list(ctx) {
        const v = ctx.data;
        const snap = readSnapshot(ctx.sys!);
        if (typeof snap === 'string') return ctx.fail('EIO', snap);
        const rows: TaskRow[] = [];
        for (const t of snap.tasks) {
          const rec = table.get(t.id);
          if (!visible(v, t.id, rec)) continue;
          rows.push({
            pid: t.id,
            name: toWellFormed(t.name.slice(0, MAX_TASK_NAME)),
            threads: t.threads.filter(alive).length,
            owner: rec?.owner ?? 0,
            uid: rec?.uid ?? 0,
            note: rec?.note ?? '',
          });
          if (rows.length >= MAX_ROWS) break;
        }
        return { tasks: rows };
      },
      ps(ctx) {
        const v = ctx.data;
        const snap = readSnapshot(ctx.sys!);
        if (typeof snap === 'string') return ctx.fail('EIO', snap);
        const rows: ThreadRow[] = psRows(snap, (t) => visible(v, t.id, table.get(t.id)), about)
          .slice(0, MAX_ROWS)
          .map((r) => ({
            ...r,
            task: toWellFormed(r.task.slice(0, MAX_TASK_NAME)),
            thread: toWellFormed(r.thread.slice(0, MAX_TASK_NAME)),
            state: r.state.slice(0, 64),
            blockedOn: r.blockedOn.slice(0, 64),
          }));
        return { threads: rows };
      },
      subscribe(ctx, { pid, sender }) {
        const v = ctx.data;
        if (pid !== 0) {
          const rec = table.get(pid);
          if (rec === undefined) return ctx.fail('ESRCH');
          if (!visible(v, pid, rec)) return ctx.fail('EPERM');
        }
        if (v.subs.size >= maxSubscriptions) return ctx.fail('EDQUOT');
        // Only a cap that can post (of the system's notify service, when the server has
        // one) is kept, never any cap a client sends; and the poster holds a bounded number.
        const why = poster.check(sender);
        if (why === 'EINVAL') return ctx.fail('EINVAL', notifySlot === undefined ? 'the sender must be an endpoint cap that can call' : 'the sender must be a cap of the notify service');
        if (why === 'EAGAIN') return ctx.fail('EAGAIN', 'the server holds the most senders it may');
        // Kept with its serial (check() saw a cap there, so there is one).
        const kept = keptCap(ops, sender);
        if (kept === null) return ctx.fail('EINVAL', 'no sender received');
        // The kept cap is charged to the client in libcap's accounting too (EMFILE at its limit).
        const charged = ctx.charge('kept');
        if (charged !== null) return ctx.fail(charged, 'the client has the most kept caps it may');
        ctx.keep(sender);
        poster.adopt(sender);
        const s: Subscription = { id: nextSub++, pid, holder: v, slot: sender, kept, client: ctx.client };
        subs.add(s);
        bySlot.set(sender, s);
        v.subs.set(s.id, s);
        // A task that died before its death was reaped is reported now.
        reap();
        return { id: s.id };
      },
      unsubscribe(ctx, { id }) {
        const s = ctx.data.subs.get(id);
        if (s === undefined) return ctx.fail('ENOENT');
        dropSub(s);
        return {};
      },
      note(ctx, { pid, note }) {
        const rec = table.get(pid);
        if (rec === undefined) return ctx.fail('ESRCH');
        if (!ctx.data.admin && (rec.owner !== ctx.data.taskId || rec.adopted)) return ctx.fail('EPERM', 'not a task this client created');
        if (!isWellFormed(note) || note.length > MAX_TASK_NOTE) return ctx.fail('EINVAL', 'a note must be well-formed UTF-16');
        rec.note = note;
        return {};
      },
      adopt(ctx, { task, uid }) {
        const v = ctx.data;
        if (!v.admin) return ctx.fail('EPERM', 'only an admin may say whom a task runs for');
        const id = ops.identify(task);
        const both = Rights.Read | Rights.Write;
        if (id === null || id.kind !== Kind.Task || (id.rights & both) !== both) return ctx.fail('EINVAL', 'task must be a task cap with Read and Write');
        const info = ops.taskInfo(task);
        if (!info.ok || !info.value.alive) return ctx.fail('ESRCH', 'the task is dead');
        if (table.get(info.value.id) !== undefined) return ctx.fail('EEXIST', `the server knows task ${info.value.id} already`);
        // The received copy becomes the record's cap (table.add watches its death).
        ctx.keep(task);
        const rec = table.add(task, Math.max(0, v.taskId), true, uid);
        if (rec === null) {
          ops.delete(task);
          return ctx.fail('EIO');
        }
        return { pid: rec.pid };
      },
    },
  });

  function about(pid: number): TaskAbout | undefined {
    const rec = table.get(pid);
    return rec === undefined ? undefined : { uid: rec.uid, note: rec.note };
  }

  function makeView(admin: boolean, taskId: number, uid = admin ? 0 : NOBODY_UID, quota = taskQuota): CapObject<ClientView> {
    const o = bucket.create(viewClass, { admin, taskId, uid, quota });
    if (o instanceof RpcFailure) throw new Error(`task server: cannot create an object: ${o.error}`);
    return o;
  }

  const root = makeView(true, -1);

  return {
    root,
    table,
    viewFor(params, taskId) {
      const p = (params ?? {}) as TaskParams;
      const admin = p.admin === true;
      const uid = p.uid ?? (admin ? 0 : NOBODY_UID);
      const quota = p.taskQuota ?? taskQuota;
      if (!Number.isInteger(uid) || uid < 0 || uid > 0xffffffff) throw new RangeError('task server: uid must be a u32');
      if (!Number.isInteger(quota) || quota < 0) throw new RangeError('task server: taskQuota must be a non-negative integer');
      return makeView(admin, taskId, uid, quota);
    },
    about,
    setNote(pid, note) {
      const rec = table.get(pid);
      if (rec === undefined) return false;
      rec.note = toWellFormed(note.slice(0, MAX_TASK_NOTE));
      return true;
    },
    subscriptions: () => subs.size,
    async shutdown(force) {
      const notes: HeldNote[] = [];
      // Orphans whose creator's death was just processed (an isolated server takes the
      // deaths in its shutdown) are being killed in a microtask: let that run first, so
      // both kinds of server report the same tasks.
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      // Tasks created through the server are its children: they go with it.
      for (const rec of table.values()) {
        if (rec.adopted || !isAlive(rec)) continue;
        notes.push({ server: 'task', what: `task ${rec.pid} (${rec.name}) created through the server was still alive: killed` });
        ops.killTask(rec.slot);
      }
      reap();
      notes.push(...(await shutdownNamed('task', [bucket], force)));
      stopped = true;
      ops.signal(deathCap);
      for (const s of [...subs]) dropSub(s);
      await poster.close();
      table.clear();
      root.unref();
      return notes;
    },
  };
}

/** Start a task server. Its task needs a factory (tasks it creates are charged to it). Its `body` is the same server as a body module (boot's `isolate`). */
export function taskServer(opts: TaskServerOptions = {}): ServerFactory {
  const { postTimeout, maxSubscriptions, taskQuota, userTasks, maxSenders, ...bucketOpts } = opts;
  const limits: TaskLimits = jsonOnly({ postTimeout, maxSubscriptions, taskQuota, userTasks, maxSenders });
  const factory = (env: ServerEnv): TaskInstance => {
    const kernel = env.kernel;
    const bucket = Bucket.start(kernel, env.task, { name: 'task', ...bucketOpts });
    // The composer's power, as boot grants it to the body: list and ps read the kernel through it.
    const host = grantHost(kernel, env.task);
    const svc = serveTasks(bucket, { host, notify: env.caps.get('notify') }, limits);
    const inst: TaskInstance = {
      name: 'task',
      bucket,
      buckets: [bucket],
      root: svc.root,
      adopt(task, owner, a) {
        svc.table.adopt(kernel, task, env.task, owner?.id ?? 0, a?.uid ?? 0, toWellFormed(a?.note ?? ''));
      },
      about: svc.about,
      setNote: svc.setNote,
      known: () => svc.table.values().map((r) => r.pid),
      subscriptions: svc.subscriptions,
      install(task, params, slot) {
        const o = svc.viewFor(params, task.id);
        const s = bucket.install(o, task, slot === undefined ? {} : { slot });
        o.unref(); // the client's entry holds it
        return s;
      },
      shutdown: (force) => svc.shutdown(force),
    };
    return inst;
  };
  // The body takes its options as JSON: bucket options that are functions stay behind.
  const body: ServerBody = {
    module: new URL(`./task-body.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
    export: 'taskBody',
    options: { ...limits, bucket: jsonOnly(bucketOpts) },
    host: true,
  };
  return Object.assign(factory, { body });
}

function alive(t: { state: string }): boolean {
  return t.state !== 'exited' && t.state !== 'killed';
}
