// libcap's public API: interfaces declared once, client stubs, and the server side
// (buckets, classes, objects, clients, inhibition, cancellation, deferred replies).

// Interfaces and types
export { defineInterface, combineInterfaces, methodOf, LIBRARY_ERRORS, HEADER_WORDS, MAX_OPCODE } from './interface.ts';
export type { Interface, MethodDef, MethodSpec, MethodSpecs, MethodsOf, SpecOf, SpecsOf, ArgsOf, ReplyOf, ErrorsOf, LibraryError } from './interface.ts';
export { t, typeName } from './types.ts';
export type { AnyType, CapSlot, Fields, Infer, InferFields } from './types.ts';
export { ERRNO, errnoName, errnoMessage, isErrnoName } from './errno.ts';
export type { ErrnoName } from './errno.ts';
export { interfaceDocs } from './docs.ts';

// Clients
export { stub, connect, invoke, hostInvoke, kernelErrno, RpcError } from './client.ts';
export type { AsyncClient, ThreadClient, RpcResult, CallOptions, CallId } from './client.ts';
export { RpcThread, rpcThread } from './rpc-thread.ts';
export { openSession, sessionStub, isSession, Session, DEFAULT_SESSION_REQUESTS } from './session.ts';
export type { SessionOpenOptions } from './session.ts';
export { SESSION_OPEN, DEFAULT_SESSION_ANSWERS, DEFAULT_SESSION_WINDOW, DEFAULT_SESSION_SPINS } from './session-server.ts';
export type { SessionOptions } from './session-server.ts';
export type { ContClient, Then } from './rpc-thread.ts';

// Servers
export { Bucket, bugReports } from './bucket.ts';
export type { BucketOptions, BucketStats } from './bucket.ts';
export { kernelHost, type BucketHost, type BucketOps } from './bucket-host.ts';
export { isolatedHost, isIsolatedSys } from './isolated-host.ts';
export { CapClass, defineClass } from './cap-class.ts';
export type { ClassSpec, AnyClass, DataOf, AllocArgOf } from './cap-class.ts';
export { CapObject } from './cap-object.ts';
export { Client, Entry } from './client-table.ts';
export { Rpc, RpcFailure, Deferred, RpcState, fail } from './rpc.ts';
export type { Handler, Handlers, HandlerResult, Answer } from './rpc.ts';
export { InhibitState, Inhibitable } from './inhibit.ts';
export { bucketsOf, targetOf } from './registry.ts';
export { after, withTimeout } from './timers.ts';
export { invokeFromHost } from './host-invoke.ts';
export { keptCap, stillKept, releaseKept } from './kept-cap.ts';
export type { KeptCap } from './kept-cap.ts';
export type { MessageTarget } from './registry.ts';

// Per-client limits (resource accounting)
export { DEFAULT_LIMITS, LIMIT_ERRNO, ResourceError, limitErrno } from './limits.ts';
export type { BuiltinLimit, ClientLimits, LimitErrno, LimitErrnoOf, LimitKind, ResolvedLimits } from './limits.ts';

// The server convention every server follows (a factory started in a task, an instance
// that hands out its root object and shuts down), below the servers that follow it; and
// the helpers servers share at their door.
export { installService, shutdownBuckets } from './server.ts';
export type { HeldNote, ServerEnv, ServerFactory, ServerInstance } from './server.ts';
export { callerGone, dropAbandoned } from './abandoned.ts';
export { isWellFormed, toWellFormed } from './strings.ts';
