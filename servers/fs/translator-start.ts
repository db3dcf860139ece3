// Starting a node's passive translator, as the Hurd's fshelp_start_translator: the
// factory the registry names runs in a new task (named after the server, the translator
// and its attach point, with its own factory quota, tethered to the server's task so it
// ends when the server does: translator-tether.ts) as the node's owner: an auth handle made with
// makeauth from the server's auth cap, the ids, and a protid on the node itself (the
// Hurd's realnode). One start at a time per node: later lookups join it. The start is
// bounded by the translator timeout; a start that fails or times out deletes the task.

import type { Task } from '../../core/index.ts';
import { invokeFromHost, type ErrnoName } from '../../libcap/index.ts';
import { Auth, type Ids } from '../../protocol/auth.ts';
import { clearActive, controlSerial, destroyTask } from './active-translator.ts';
import type { Filesystem } from './filesystem.ts';
import { ACCESS, O } from '../../protocol/fs.ts';
import { NodeStore, type MLink } from './node-store.ts';
import { PerOpen } from './peropen.ts';
import type { ActiveTranslator, TransBox } from './trans-box.ts';
import type { TranslatorEnv, TranslatorInstance } from './translator.ts';
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
    // run a translator factory of the main heap: that needs a launcher (not built yet).
    box.startError = `${fs.settings.name}: cannot start translator ${JSON.stringify(argv[0]!)}: an isolated filesystem does not start passive translators yet`;
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
    // Named after the server, the translator and where it is attached, so that ps tells
    // two of them apart ("fs:hello /hello").
    task = kernel.createTask(`${fs.settings.name}:${argv[0]!} ${link.getPath()}`, {
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
  if (fs.authSlot !== 0) {
    const r = await invokeFromHost(fs.bucket.host, fs.authSlot, Auth.methods.makeauth, { ...ids }, { timeout });
    if (!r.ok) {
      destroyTask(fs, task);
      return r.error === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EACCES';
    }
    const handle = (r.value as { handle: number }).handle;
    caps.set('auth', kernel.grant(fsTask, handle, task));
    fs.ops.delete(handle);
  }
  if (fs.notifySlot !== 0) caps.set('notify', kernel.grant(fsTask, fs.notifySlot, task));

  // The node itself, as the translator's owner may open it (the Hurd's realnode).
  const owner = new User(ids);
  const may = owner.allowed(node.mode, node.uid, node.gid);
  const flags =
    (may & ACCESS.W_OK) !== 0 && !fs.readonly && (may & ACCESS.R_OK) !== 0 && !NodeStore.isDir(node)
      ? O.RDWR
      : (may & ACCESS.R_OK) !== 0
        ? O.RDONLY
        : O.PATH;
  const realnode = fs.newProtid(new PerOpen(fs.store, link, node, flags, null), owner, true);
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
    // The translator's own words reach the user, as its stderr does on the Hurd.
    // Prefixed with its name unless it already says it ("hello: bad arguments").
    const said = e instanceof Error ? e.message : String(e);
    const name = argv[0]!;
    const short = name.slice(name.lastIndexOf('/') + 1);
    box.startError = said.startsWith(`${name}:`) || said.startsWith(`${short}:`) ? said : `${name}: ${said}`;
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

