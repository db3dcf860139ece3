// The composer side of a server that runs in its own isolated task (a worker thread):
// boot() creates the task with createIsolatedTask, grants it a bootstrap endpoint in
// STARTUP_SLOT, answers its first call with its environment, takes its readiness (a cap
// to its Startup control object) and wraps the protocol (protocol/startup.ts) into what
// the rest of boot and shutdown use: install(task) answers a slot in the client's task
// holding a cap minted for that client, shutdown(force) inhibits and ends the server's
// buckets and then ends its worker.

import { CAP_SELF, grantHost, HostSys, Rights, Status, type Kernel, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../core/isolate/index.ts';
import { connect } from '../../libcap/index.ts';
import type { HeldNote, ServerBody } from '../../libcap/server.ts';
import { Startup } from '../../protocol/startup.ts';
import { bodyRegistry, type TranslatorLauncher } from './launcher.ts';
import { HOST_SLOT, LABEL_STARTUP_ENV, LABEL_STARTUP_READY, STARTUP_SLOT, type StartupEnv } from './startup.ts';

/** How long a server body may take to ask for its environment and to report ready (ms). */
export const DEFAULT_STARTUP_MS = 30_000;
/** How long a shutdown request to a server body may take before its worker is ended anyway (ms). */
export const DEFAULT_SHUTDOWN_MS = 10_000;

/** A running server in an isolated task, as boot sees it. */
export interface IsolatedInstance {
  readonly name: string;
  /** The worker and its kernel task. */
  readonly isolated: IsolatedTask;
  /** Give `task` its own cap to the service (a free slot unless named); rejects with the errno. */
  install(task: Task, params: unknown, slot?: number): Promise<number>;
  /** Inhibit and end the server's buckets, then end its worker; what was still held. */
  shutdown(force: boolean): Promise<HeldNote[]>;
  /**
   * A cap (a slot of the composer task, the caller's to delete) to the server's composer
   * interface (Startup.composer: the name server's NamesComposer); rejects with the errno.
   */
  composer(): Promise<number>;
}

/** A server body's task, created but not yet started (its worker loads the module meanwhile). */
export interface IsolatedChild {
  readonly task: Task;
  readonly isolated: IsolatedTask;
  /** Hand the body its environment and wait for its readiness (bounded). */
  start(caps: ReadonlyMap<string, number>, namespace: number): Promise<IsolatedInstance>;
}

/** True for an instance of a server that runs isolated. */
export function isIsolatedInstance(x: unknown): x is IsolatedInstance {
  return typeof x === 'object' && x !== null && 'isolated' in x;
}

/**
 * Create the isolated task of server `name` (its worker starts loading `body.module`).
 * `composer` is the task that holds the bootstrap endpoint and calls the control object.
 */
export function createServerTask(
  kernel: Kernel,
  composer: Task,
  name: string,
  body: ServerBody,
  opts: { quota: number; slots: number; memQuota?: number; startupMs?: number; shutdownMs?: number; launcher?: TranslatorLauncher },
): IsolatedChild {
  const hs = new HostSys(kernel, composer);
  const ep = kernel.createEndpoint(composer);
  const it = createIsolatedTask(kernel, name, {
    module: body.module,
    export: body.export,
    quota: opts.quota,
    slots: opts.slots,
    // Dataspaces it creates (an fs's transfer buffers) are charged to it, as in-process.
    ...(opts.memQuota === undefined ? {} : { memQuota: opts.memQuota }),
  });
  kernel.grant(composer, ep, it.task, { slot: STARTUP_SLOT }); // same turn: there before the body's first syscall
  // A body that reads the kernel's snapshot (the task server) gets the host cap, Read only.
  if (body.host === true) grantHost(kernel, it.task, { slot: HOST_SLOT });
  const startupMs = opts.startupMs ?? DEFAULT_STARTUP_MS;
  const shutdownMs = opts.shutdownMs ?? DEFAULT_SHUTDOWN_MS;

  async function start(caps: ReadonlyMap<string, number>, namespace: number): Promise<IsolatedInstance> {
    // A body that carries a translator registry gets a launcher for it (its exec server), as `launcher`.
    const registry = bodyRegistry(body.translators);
    const all = Object.fromEntries(caps);
    if (registry !== null && opts.launcher !== undefined) all.launcher = opts.launcher.give(it.task, registry);
    const env: StartupEnv = { caps: all, namespace, options: body.options ?? null, slots: opts.slots, ...(body.host === true ? { host: HOST_SLOT } : {}) };
    const ctl = await handshake(kernel, composer, ep, JSON.stringify(env), startupMs, it).finally(() => {
      if (composer.alive) hs.delete(ep);
    });
    const control = connect(Startup, kernel, composer, ctl);
    const inst: IsolatedInstance = {
      name,
      isolated: it,
      async install(task, params, slot) {
        if (!it.task.alive) throw new Error(`${name}: its task has died`);
        return installFor(kernel, composer, task, slot, async (taskCap) => {
          const r = await control.attempt.install({ task: taskCap, params: params === undefined ? '' : JSON.stringify(params) });
          if (!r.ok) throw new Error(`${name}: install for ${task.name}: ${r.error}${r.message ? ` (${r.message})` : ''}`);
          return r.value.cap;
        });
      },
      async composer() {
        const r = await control.attempt.composer({}, { timeout: startupMs });
        if (!r.ok) throw new Error(`${name}: composer: ${r.error}${r.message ? ` (${r.message})` : ''}`);
        return r.value.cap;
      },
      async shutdown(force) {
        const notes: HeldNote[] = [];
        if (it.task.alive) {
          const r = await control.attempt.shutdown({ force }, { timeout: shutdownMs });
          if (r.ok) for (const what of r.value.held) notes.push({ server: name, what });
          else notes.push({ server: name, what: `shutdown answered ${r.error}` });
        }
        await it.kill();
        if (composer.alive) hs.delete(ctl);
        return notes;
      },
    };
    return inst;
  }
  return { task: it.task, isolated: it, start };
}

/**
 * Give `task` a cap a server mints for that task's own client identity: `ask` sends the
 * server a task cap (Read, in `composer`) and answers the slot of the cap it got back;
 * that cap goes into `task` (a free slot unless named). The composer's copies are deleted
 * either way. Answers the slot in `task`.
 */
export async function installFor(kernel: Kernel, composer: Task, task: Task, slot: number | undefined, ask: (taskCap: number) => Promise<number>): Promise<number> {
  const hs = new HostSys(kernel, composer);
  const taskCap = kernel.grant(task, CAP_SELF, composer, { rights: Rights.Read });
  let got: number;
  try {
    got = await ask(taskCap);
  } finally {
    hs.delete(taskCap);
  }
  try {
    return kernel.grant(composer, got, task, slot === undefined ? {} : { slot });
  } finally {
    hs.delete(got);
  }
}

/**
 * Answer the body's first call with `env` and take its readiness cap; rejects when the
 * worker ends first or either step takes longer than `ms`.
 */
function handshake(kernel: Kernel, composer: Task, ep: number, env: string, ms: number, it: IsolatedTask): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const t = kernel.spawn(
      composer,
      function* startup(sys: Sys): SysGen<number> {
        let st: number = yield sys.recv(ep, ms);
        if (st !== Status.Ok || sys.utcb.label !== LABEL_STARTUP_ENV) throw new Error(`${it.task.name}: no startup call (status ${st}, label ${sys.utcb.label})`);
        sys.utcb.items[0] = env;
        st = yield sys.reply(0, 0, 0, 1);
        const slot = sys.allocSlot();
        sys.utcb.recvSlots[0] = slot;
        st = yield sys.recv(ep, ms);
        if (st !== Status.Ok || (sys.utcb.label as number) !== LABEL_STARTUP_READY || sys.utcb.capCount !== 1) {
          throw new Error(`${it.task.name}: not ready (status ${st}, label ${sys.utcb.label})`);
        }
        return slot;
      },
      { name: `${composer.name}.startup` },
    );
    t.onExit = (value, error, failed) => {
      if (settled) return;
      settled = true;
      if (failed) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(value as number);
    };
    void it.done.then((why) => {
      if (settled) return;
      settled = true;
      kernel.killThread(t);
      const error = 'error' in why ? (why as { error: unknown }).error : undefined;
      const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
      reject(new Error(`${it.task.name}: its worker ended before it was ready (${why.reason}${detail})`));
    });
  });
}
