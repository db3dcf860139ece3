// Starting a node's passive translator, as the Hurd's fshelp_start_translator: the
// factory the registry names runs in a new task (named after the server, the translator
// and its attach point, with its own factory quota, tethered to the server's task so it
// ends when the server does: translator-tether.ts) as the node's owner: an auth handle made with
// makeauth from the server's auth cap, the ids, and a protid on the node itself (the
// Hurd's realnode). The system's task server, when the fs was given one, adopts the task
// as the owner's (translator-owner.ts). One start at a time per node: later lookups join
// it. The start is bounded by the translator timeout; a start that fails or times out
// deletes the task.

import type { Task } from '../../core/index.ts';
import { Status } from '../../core/index.ts';
import { invokeFromHost, RpcFailure, type CapObject, type ErrnoName } from '../../libcap/index.ts';
import { Launcher, type LaunchSpec } from '../../protocol/startup.ts';
import { Auth, type Ids } from '../../protocol/auth.ts';
import { clearActive, controlSerial, destroyTask } from './active-translator.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { ACCESS, O } from '../../protocol/fs.ts';
import { NodeStore, type MLink } from './node-store.ts';
import { PerOpen } from './peropen.ts';
import type { ActiveTranslator, TransBox } from './trans-box.ts';
import type { TranslatorEnv, TranslatorInstance } from './translator.ts';
import { recordOwner } from './translator-owner.ts';
import { tether } from './translator-tether.ts';
import { User } from './user.ts';

/** The ids of a node's owner, as the translator on it runs. */
export function ownerIds(uid: number, gid: number): Ids {
  return { euids: [uid], auids: [uid], egids: [gid], agids: [gid] };
}

/** Start the passive translator of `box` (or join the start in progress). */
export function startPassive(fs: Filesystem, link: MLink, box: TransBox): Promise<ActiveTranslator | ErrnoName> {
  if (box.starting !== null) return box.starting;
  const p: Promise<ActiveTranslator | ErrnoName> = doStart(fs, link, box).finally(() => {
    if (box.starting === p) box.starting = null;
  });
  box.starting = p;
  return p;
}

async function doStart(fs: Filesystem, link: MLink, box: TransBox): Promise<ActiveTranslator | ErrnoName> {
  // No new translators while the server is going away.
  if (fs.gone) return 'EIO';
  const argv = box.passive;
  if (argv === null || argv.length === 0) return 'ENXIO';
  const { kernel, task: fsTask } = fs;
  if (kernel === null || fsTask === null) {
    // An isolated filesystem (its worker holds no Kernel object) cannot create a task and
    // run a translator factory of the main heap: its composer's launcher does that.
    if (fs.launcherSlot !== 0) return launch(fs, link, box, argv);
    box.startError = `${fs.settings.name}: cannot start translator ${JSON.stringify(argv[0]!)}: an isolated filesystem starts translators through a launcher, and it was given none`;
    return 'EOPNOTSUPP';
  }
  const factory = fs.registry.get(argv[0]!);
  box.startError = '';
  if (factory === undefined) {
    // As exec of a missing program: ENOENT, naming what is missing.
    box.startError = `translator ${JSON.stringify(argv[0]!)} not found (registered: ${fs.registry.names().join(', ') || 'none'})`;
    return 'ENOENT';
  }
  const node = link.node;
  const ids = ownerIds(node.uid, node.gid);
  const timeout = fs.settings.translatorTimeout;
  let task: Task;
  try {
    task = kernel.createTask(translatorTaskName(fs, link, argv), {
      quota: fs.settings.translatorQuota,
      slots: fs.settings.translatorSlots,
    });
  } catch {
    return 'EIO';
  }
  try {
    tether(kernel, fs.ops, fsTask, task);
  } catch {
    destroyTask(fs, task);
    return 'EIO';
  }
  const caps = new Map<string, number>();
  // While auth makes the owner's handle, the task server learns whom the task runs for (ps's USER).
  const [handle] = await Promise.all([authHandle(fs, ids), recordOwner(fs, task, node.uid)]);
  if (typeof handle === 'string') {
    destroyTask(fs, task);
    return handle;
  }
  if (handle !== 0) {
    caps.set('auth', kernel.grant(fsTask, handle, task));
    fs.ops.delete(handle);
  }
  if (fs.notifySlot !== 0) caps.set('notify', kernel.grant(fsTask, fs.notifySlot, task));

  const realnode = realnodeOf(fs, link, ids);
  const underlying = fs.bucket.install(realnode, task);
  realnode.unref();

  let exited = false;
  let act: ActiveTranslator | null = null;
  const env: TranslatorEnv = {
    kernel,
    task,
    caps,
    argv: [...argv],
    ids,
    underlying,
    registry: fs.registry,
    exit: () => {
      if (exited) return;
      exited = true;
      // From our own timer thread, once the translator's last answer has gone.
      fs.after(0, () => {
        if (act !== null && box.active === act) clearActive(fs, box);
        destroyTask(fs, task);
      });
    },
  };
  let inst: TranslatorInstance | null;
  try {
    inst = await fs.withTimeout(Promise.resolve().then(() => factory(env)), timeout, null);
  } catch (e) {
    destroyTask(fs, task);
    box.startError = translatorSaid(argv[0]!, e instanceof Error ? e.message : String(e));
    return 'EIO';
  }
  if (inst === null) {
    destroyTask(fs, task);
    box.startError = `${argv[0]!}: did not start within ${timeout} ms`;
    return 'ETIMEDOUT';
  }
  if (!task.alive || exited) return 'EIO';
  let control: number;
  try {
    control = inst.bucket.install(inst.control, fsTask);
  } catch {
    destroyTask(fs, task);
    return 'EIO';
  }
  act = { control, serial: controlSerial(fs, control), task, instance: inst };
  box.active = act;
  fs.children.set(act, box);
  return act;
}


/**
 * The translator's own words, as they reach the user (its stderr on the Hurd): prefixed
 * with its name unless they already say it ("hello: bad arguments").
 */
function translatorSaid(name: string, said: string): string {
  const short = name.slice(name.lastIndexOf('/') + 1);
  return said.startsWith(`${name}:`) || said.startsWith(`${short}:`) ? said : `${name}: ${said}`;
}

/** Named after the server, the translator and where it is attached, so that ps tells two of them apart ("fs:hello /hello"). */
function translatorTaskName(fs: Filesystem, link: MLink, argv: readonly string[]): string {
  return `${fs.settings.name}:${argv[0]!} ${link.getPath()}`;
}

/** An auth handle for `ids` made from the server's auth cap (a slot of its task; 0: the server has no auth), or why not. */
async function authHandle(fs: Filesystem, ids: Ids): Promise<number | 'ETIMEDOUT' | 'EACCES'> {
  if (fs.authSlot === 0) return 0;
  const r = await invokeFromHost(fs.bucket.host, fs.authSlot, Auth.methods.makeauth, { ...ids }, { timeout: fs.settings.translatorTimeout });
  if (!r.ok) return r.error === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EACCES';
  return (r.value as { handle: number }).handle;
}

/** A protid on the node itself, as the translator's owner may open it (the Hurd's realnode); one reference, the caller's. */
function realnodeOf(fs: Filesystem, link: MLink, ids: Ids): CapObject<ProtidData> {
  const node = link.node;
  const owner = new User(ids);
  const may = owner.allowed(node.mode, node.uid, node.gid);
  const flags =
    (may & ACCESS.W_OK) !== 0 && !fs.readonly && (may & ACCESS.R_OK) !== 0 && !NodeStore.isDir(node)
      ? O.RDWR
      : (may & ACCESS.R_OK) !== 0
        ? O.RDONLY
        : O.PATH;
  return fs.newProtid(new PerOpen(fs.store, link, node, flags, null), owner, true);
}

/**
 * Start the passive translator of `box` through the launcher the composer served this
 * (isolated) filesystem: the same steps as in-process, with the task created, tethered
 * and the factory run on the composer's side. Copies of the auth handle and of the
 * realnode protid go to the launcher with the request; the answer brings the control cap and a task
 * cap. The launcher's errors are answered as in-process: ENOENT (unknown translator),
 * EIO (it failed; its words in startError), ETIMEDOUT.
 */
async function launch(fs: Filesystem, link: MLink, box: TransBox, argv: readonly string[]): Promise<ActiveTranslator | ErrnoName> {
  const node = link.node;
  const ids = ownerIds(node.uid, node.gid);
  const timeout = fs.settings.translatorTimeout;
  const handle = await authHandle(fs, ids);
  if (typeof handle === 'string') return handle;
  const realnode = realnodeOf(fs, link, ids);
  // Given to no client of ours yet: the translator's task does not exist. Its entry goes
  // when the translator's copy goes (no-senders), as any client's.
  const underlying = fs.bucket.give(fs.bucket.anonymousClient(), realnode);
  realnode.unref();
  const r = await invokeFromHost(
    fs.bucket.host,
    fs.launcherSlot,
    Launcher.methods.start,
    {
      spec: JSON.stringify({ argv, name: translatorTaskName(fs, link, argv), ids } satisfies LaunchSpec),
      quota: fs.settings.translatorQuota,
      slots: fs.settings.translatorSlots,
      timeout,
      realnode: underlying,
      ...(handle === 0 ? {} : { auth: handle }),
      ...(fs.notifySlot === 0 ? {} : { notify: fs.notifySlot }),
    },
    // The launcher bounds the start itself; this bounds the launcher.
    { timeout: timeout + LAUNCH_MARGIN_MS },
  );
  // Copies went with the request: the handle was only for it. (The realnode's slot is its
  // entry's root, the bucket's own: its entry goes when the translator's copy does.)
  if (handle !== 0) fs.ops.delete(handle);
  const v = r.ok ? (r.value as { control?: number; task?: number; failed: string; message: string }) : null;
  if (v === null || v.failed !== '' || v.control === undefined || v.task === undefined) {
    const name = argv[0]!;
    const failed = v === null ? (r as { error: ErrnoName }).error : v.failed;
    const message = v === null ? (r as { message: string }).message : v.message;
    for (const s of [v?.control, v?.task]) if (s !== undefined) fs.ops.delete(s);
    if (failed === 'ENOENT') {
      box.startError = message;
      return 'ENOENT';
    }
    if (failed === 'ETIMEDOUT') {
      box.startError = message.startsWith(`${name}:`) ? message : `${name}: did not start within ${timeout} ms`;
      return 'ETIMEDOUT';
    }
    box.startError = translatorSaid(name, message);
    return 'EIO';
  }
  const { control, task: taskCap } = v;
  // The task server learns whom the task runs for (ps's USER), before the checks below see
  // whether the fs or the translator went meanwhile.
  await recordOwner(fs, taskCap, node.uid);
  // Its task's client record: the ".." ports it is given are its own, and go when it does.
  // (clientForTaskCap owns the copy, and deletes it on failure.)
  const watch = fs.ops.allocSlot();
  const copied = watch !== 0 && fs.ops.copy(taskCap, watch) === Status.Ok;
  if (watch !== 0 && !copied) fs.ops.delete(watch);
  const client = copied ? fs.bucket.clientForTaskCap(watch) : null;
  if (fs.gone || client === null || client instanceof RpcFailure) {
    fs.ops.killTask(taskCap);
    fs.ops.delete(taskCap);
    fs.ops.delete(control);
    return 'EIO';
  }
  const act: ActiveTranslator = { control, serial: controlSerial(fs, control), task: null, instance: null, launched: { taskCap, client } };
  box.active = act;
  fs.children.set(act, box);
  return act;
}

/** How much longer than the translator timeout the fs waits for its launcher's answer (ms). */
const LAUNCH_MARGIN_MS = 1000;
