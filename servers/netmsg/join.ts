// Joining a multi-node system: connect to a NATS server as a node, start the bridge,
// and publish services of a booted system (the fs root, auth) or a standalone
// translator. What `npm start -- --nats URL --node NAME` and the multi-process tests use.

import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import type { Kernel, Task } from '../../core/index.ts';
import type { TranslatorFactory, TranslatorInstance } from '../fs/index.ts';
import { TranslatorRegistry } from '../fs/index.ts';
import type { System } from '../system/index.ts';
import { idsFor } from '../auth/index.ts';
import { inboxPrefix, Netmsg, type NetmsgOptions } from './netmsg.ts';

/** Where and as whom a node joins. */
export interface JoinOptions {
  /** nats://host:port */
  readonly url: string;
  readonly node: string;
  /** The node's NATS user and password (default: the node name, no password). */
  readonly user?: string;
  readonly pass?: string;
  /** Bridge settings (heartbeat, bounds). */
  readonly bridge?: Omit<NetmsgOptions, 'nc' | 'node'>;
}

/** A node on the network: its bridge and connection. */
export interface Joined {
  readonly bridge: Netmsg;
  readonly nc: NatsConnection;
  /** Stop the bridge and close the connection. */
  leave(): Promise<void>;
}

/** Connect to NATS as `opts.node` and start its bridge on `kernel`. */
export async function joinNats(kernel: Kernel, opts: JoinOptions): Promise<Joined> {
  const nc = await natsConnect({
    servers: opts.url,
    name: opts.node,
    inboxPrefix: inboxPrefix(opts.node),
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.pass !== undefined ? { pass: opts.pass } : {}),
  });
  const bridge = await Netmsg.start(kernel, { ...opts.bridge, nc, node: opts.node });
  return {
    bridge,
    nc,
    async leave() {
      await bridge.stop();
      await nc.close();
    },
  };
}

/**
 * Publish a booted system's services held by `holder` (a child path of `system`): each
 * name it was given (fs, auth, task, notify...) under the same name.
 */
export function publishSystem(j: Joined, system: System, holder: string): string[] {
  const task = system.task(holder);
  const names: string[] = [];
  for (const [name, slot] of system.caps(holder)) {
    j.bridge.publish(name, task, slot);
    names.push(name);
  }
  return names;
}

/**
 * Run a translator on its own, without a parent filesystem (it is attached from afar
 * with settrans `active`): its task, its instance, and its control cap held by a holder
 * task, published under `name`.
 */
export async function serveTranslator(
  kernel: Kernel,
  j: Joined,
  factory: TranslatorFactory,
  argv: readonly string[],
  name: string,
): Promise<{ instance: TranslatorInstance; task: Task }> {
  const task = kernel.createTask(`${argv[0] ?? 'translator'} (netmsg)`, { quota: 10_000, slots: 4096 });
  const instance = await factory({
    kernel,
    task,
    caps: new Map(),
    argv,
    ids: idsFor(0, 0),
    underlying: 0,
    registry: new TranslatorRegistry(),
    exit: () => kernel.deleteTask(task),
  });
  const holder = kernel.createTask(`${name} holder`, { slots: 64 });
  const slot = instance.bucket.install(instance.control, holder);
  j.bridge.publish(name, holder, slot);
  return { instance, task };
}
