// Two (or more) kernels in one process joined through a real nats-server: each node a
// kernel with its own netmsg bridge and NATS connection. Skips (with how to install)
// when nats-server is missing; under CI=true a missing nats-server fails instead.

import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Kernel } from '../../../core/index.ts';
import { findNatsServer, inboxPrefix, natsServerMissing, Netmsg, startNatsServer, type NatsServer, type NetmsgOptions } from '../../../servers/netmsg/index.ts';

/** Whether the NATS tests run here; under CI a missing server is an error, not a skip. */
export function natsAvailable(): boolean {
  if (findNatsServer() !== null) return true;
  if (process.env['CI'] === 'true') throw new Error(`${natsServerMissing()} (CI=true: the multi-node tests must run)`);
  console.warn(`skipping the multi-node tests: ${natsServerMissing()}`);
  return false;
}

export interface Node {
  readonly name: string;
  readonly kernel: Kernel;
  readonly nc: NatsConnection;
  readonly bridge: Netmsg;
}

/** Connect as `node`'s NATS user. */
export async function connectAs(server: NatsServer, node: string): Promise<NatsConnection> {
  const u = server.users.get(node)!;
  return natsConnect({ servers: server.url, user: u.user, pass: u.pass, inboxPrefix: inboxPrefix(node), name: node });
}

/** A node: a kernel on real time, a NATS connection and a bridge. */
export async function startNode(server: NatsServer, name: string, opts: Partial<NetmsgOptions> = {}): Promise<Node> {
  const kernel = new Kernel();
  const nc = await connectAs(server, name);
  const bridge = await Netmsg.start(kernel, { nc, node: name, heartbeatMs: 200, ...opts });
  return { name, kernel, nc, bridge };
}

export async function stopNode(n: Node): Promise<void> {
  await n.bridge.stop();
  await n.nc.close();
}

export { startNatsServer };
