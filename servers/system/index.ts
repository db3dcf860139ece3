// The system composer's public API: describe a system in code (servers, programs,
// groups, the names each child sees), boot it, inspect it, shut it down; the server
// convention every server follows; the default system description.

export { boot, NAMES_PATH } from './boot.ts';
export type { BootOptions, System } from './boot.ts';
export { CAP_NAMESPACE, isGroup, isolatedBody, isProgram, isServer } from './system-spec.ts';
export type { ChildSpec, GroupChild, ProgramChild, ServerChild, SystemSpec, UseSpec, Uses } from './system-spec.ts';
export { planSystem } from './plan.ts';
export type { Plan, PlannedChild, PlannedUse } from './plan.ts';
export { formatReport, settleKernel } from './shutdown.ts';
export type { LeftThread, ShutdownReport } from './shutdown.ts';
export { installService, shutdownBuckets } from '../../libcap/server.ts';
export type { HeldNote, ServerBody, ServerEnv, ServerFactory, ServerInstance } from '../../libcap/server.ts';
export { defaultSystem, isolateWhereBodied, isolationOf } from './default-system.ts';
export type { Isolation } from './default-system.ts';
export { createServerTask, DEFAULT_SHUTDOWN_MS, DEFAULT_STARTUP_MS, isIsolatedInstance } from './isolated-server.ts';
export type { IsolatedChild, IsolatedInstance } from './isolated-server.ts';
export { serveStartup, startupEnv, STARTUP_SLOT } from './startup.ts';
export { DEFAULT_NAMES_CALL_MS, inProcessNames, isolatedNames } from './names-link.ts';
export type { NameEntry, NamesLink } from './names-link.ts';
export type { StartupEnv, StartupService } from './startup.ts';
export { formatPs } from '../task/ps.ts';
export type { PsRow } from '../task/ps.ts';
export type { DefaultSystemOptions } from './default-system.ts';
