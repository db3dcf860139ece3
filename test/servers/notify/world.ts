// Helpers for the notify tests: a kernel on virtual time with the notification service
// started in its own task, client and server tasks holding its caps, and ways to let the
// kernel settle. Nothing here is a test.

import { Kernel, VirtualClock, type Task } from '../../../core/index.ts';
import { connect, type AsyncClient, type SpecsOf } from '../../../libcap/index.ts';
import { Mailbox, Notify, Sender, notifyServer, type NotifyInstance, type NotifyOptions, type NotifyParams } from '../../../servers/notify/index.ts';
import { settle } from '../../world-helpers.ts';
export { settle, track, capCount, deleteCap } from '../../world-helpers.ts';

export interface NotifyWorld {
  readonly k: Kernel;
  readonly inst: NotifyInstance;
  /** A client task with its own cap to the service. */
  client(name?: string, params?: NotifyParams): Promise<NotifyClient>;
  /** A server task (no cap of its own to the service). */
  server(name?: string): Task;
}

export interface NotifyClient {
  readonly task: Task;
  /** Slot of the service's root cap in the task. */
  readonly cap: number;
  readonly notify: AsyncClient<SpecsOf<typeof Notify>>;
  /** Subscribe a mailbox and connect to it. */
  mailbox(capacity: number): Promise<{ slot: number; box: AsyncClient<SpecsOf<typeof Mailbox>> }>;
  /** allow(source) on `box` and hand the sender cap to `server`: its client for posting. */
  allowTo(
    box: AsyncClient<SpecsOf<typeof Mailbox>>,
    source: string,
    server: Task,
  ): Promise<{ mine: number; theirs: number; sender: AsyncClient<SpecsOf<typeof Sender>> }>;
}

/** A kernel on virtual time (auto-advancing when idle) with the service started. */
export async function notifyWorld(opts: NotifyOptions = {}): Promise<NotifyWorld> {
  const k = new Kernel({ clock: new VirtualClock() });
  const task = k.createTask('notify', { quota: 10_000, slots: 1 << 16 });
  const inst = (await notifyServer(opts)({ kernel: k, task, caps: new Map() })) as NotifyInstance;
  let n = 0;
  return {
    k,
    inst,
    async client(name = `client${++n}`, params?: NotifyParams) {
      const t = k.createTask(name);
      const cap = inst.install!(t, params);
      const notify = connect(Notify, k, t, cap);
      return {
        task: t,
        cap,
        notify,
        async mailbox(capacity) {
          const { mailbox } = await notify.subscribe({ capacity });
          return { slot: mailbox, box: connect(Mailbox, k, t, mailbox) };
        },
        async allowTo(box, source, server) {
          const { sender } = await box.allow({ source });
          const theirs = k.grant(t, sender, server);
          return { mine: sender, theirs, sender: connect(Sender, k, server, theirs) };
        },
      };
    },
    server(name = `server${++n}`) {
      return k.createTask(name);
    },
  };
}

