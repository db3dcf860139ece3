// The message kernel's public API: the kernel, its objects' host handles, the syscall
// interface threads use, statuses, rights, limits, tracing and introspection.

// Kernel and running it
export { Kernel, ThreadKilledError, kernelObservers } from './kernel.ts';
export type { Counters, KernelOptions, SpawnOptions, TaskOptions } from './kernel.ts';
export { RealClock, VirtualClock } from './clock.ts';
export type { Clock } from './clock.ts';

// Threads and syscalls
export { Sys } from './syscalls.ts';
export { HostSys } from './host-sys.ts';
export type { CapOps } from './host-sys.ts';
export type { SysGen } from './syscalls.ts';
export { FaultKind, FaultReply, ThreadState, THREAD_STATE_NAMES, isSyscall } from './thread.ts';
export type { Continuation, Syscall, Thread, ThreadBody } from './thread.ts';
export type { Task } from './task.ts';
export { Utcb } from './utcb.ts';
export type { Item } from './utcb.ts';
export { FAULT_WORDS } from './fault.ts';
export type { CapIdentity, Result, TaskInfo, ThreadParams } from './invocations.ts';

// Memory: dataspaces, mappings, views (DS1-DS7)
export { MemView, PageFault, PAGE_SIZE, MAX_DATASPACE_BYTES, ADDRESS_SPACE_BYTES, MAX_MAPPINGS } from './dataspace.ts';
export type { MapOptions, MappingInfo } from './dataspace-ops.ts';
export type { MemAccess } from './dataspace.ts';
export { MAP_ITEM } from './utcb.ts';
export type { MapItem } from './utcb.ts';

// Statuses, rights, limits
export { Status, RECV_PHASE, CODE_MASK, statusCode, statusName, isError, isRecvPhase } from './errors.ts';
export type { ErrorDetail, StatusCode } from './errors.ts';
export { Rights, rightsString } from './rights.ts';
export { Kind, KIND_NAMES } from './kobject.ts';
export * from './limits.ts';

// Tracing and introspection
export { RecordingTracer } from './trace.ts';
export type {
  BlockEvent,
  CapEvent,
  FaultEvent,
  IpcEvent,
  MemEvent,
  SignalEvent,
  ThreadEvent,
  TraceEvent,
  Tracer,
  WakeEvent,
} from './trace.ts';
export { snapshot, taskSnapshot, threadInfo, endpointInfo } from './introspect.ts';
export { grantHost, hostObject, HostObject, MAX_SNAPSHOT_LENGTH, SnapshotScope } from './host-info.ts';
export type {
  CapInfo,
  DataspaceInfo,
  EndpointInfo,
  FactoryInfo,
  MappingSnapshot,
  MemoryQuotaInfo,
  NotificationInfo,
  Snapshot,
  TaskSnapshot,
  ThreadInfo,
} from './introspect.ts';
