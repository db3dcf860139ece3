// netmsg: caps across kernels through a NATS server (the bridge, its wire format, and a
// nats-server launcher for tests, examples and benchmarks).

export { Netmsg, inboxPrefix, nodePermissions, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_WORKERS, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MAX_TOKENS_PER_NODE } from './netmsg.ts';
export type { NetmsgOptions, NetmsgStats } from './netmsg.ts';
export { encodeFrame, decodeFrame, FrameKind, isNodeName, isToken } from './wire.ts';
export type { CapRef, Frame } from './wire.ts';
export { startNatsServer, findNatsServer, natsServerMissing } from './nats-server.ts';
export type { NatsServer, NatsUser } from './nats-server.ts';
