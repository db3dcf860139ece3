// hurdle's front door: what a program needs to compose a system, boot it and talk to it.
// Each layer also has an entry of its own, and everything public is there:
// hurdle/core, hurdle/libcap, hurdle/servers/<name>, hurdle/tools/<name>.

export * from './servers/system/index.ts';
export { Kernel, RealClock, VirtualClock } from './core/index.ts';
export type { Clock, KernelOptions, Sys, SysGen, Task } from './core/index.ts';
export { Bucket, connect, defineClass, defineInterface, RpcFailure, stub, t } from './libcap/index.ts';
export { createFsClient } from './clients/fs/index.ts';
export type { FsClient } from './clients/fs/index.ts';
export { defaultRegistry } from './servers/translators/index.ts';
