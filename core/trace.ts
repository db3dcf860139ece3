// Trace events: what a tracer attached to the kernel sees. With no tracer attached the
// kernel builds none of these (one null check per event site).

import type { Item } from './utcb.ts';

/** A message transfer: send or call delivered to a receiver, or a reply to a caller. */
export interface IpcEvent {
  readonly type: 'ipc';
  readonly op: 'send' | 'call' | 'reply';
  readonly seq: number;
  readonly time: number;
  readonly sender: number;
  readonly senderTask: number;
  readonly receiver: number;
  readonly receiverTask: number;
  /** Endpoint the message went through; -1 for a reply. */
  readonly endpoint: number;
  readonly badge: number;
  readonly label: number;
  readonly words: readonly number[];
  readonly items: readonly Item[];
  /** Cap items processed (C3). */
  readonly caps: number;
  readonly unwrapped: number;
  /** The caller's call sequence number: pairs a call with its reply. */
  readonly callId: number;
}

/** A thread blocked in a syscall (the start of a wait). */
export interface BlockEvent {
  readonly type: 'block';
  readonly seq: number;
  readonly time: number;
  readonly thread: number;
  readonly task: number;
  readonly state: string;
  /** Endpoint or notification id, or -1. */
  readonly object: number;
  readonly label: number;
}

/** A blocked thread woken without a message: timeout, cancel, abort, dead partner. */
export interface WakeEvent {
  readonly type: 'wake';
  readonly seq: number;
  readonly time: number;
  readonly thread: number;
  readonly task: number;
  readonly status: number;
  readonly reason: 'timeout' | 'cancelled' | 'aborted' | 'dead-partner';
}

export interface SignalEvent {
  readonly type: 'signal';
  readonly seq: number;
  readonly time: number;
  readonly thread: number;
  readonly task: number;
  readonly notification: number;
  readonly badge: number;
  /** The thread the signal woke, or -1 when it stayed pending. */
  readonly woke: number;
}

export interface FaultEvent {
  readonly type: 'fault';
  readonly seq: number;
  readonly time: number;
  readonly thread: number;
  readonly task: number;
  readonly kind: number;
  readonly message: string;
  /** Fault endpoint id, or -1 when the thread has no handler and stops for good. */
  readonly handler: number;
}

export interface CapEvent {
  readonly type: 'cap';
  readonly seq: number;
  readonly time: number;
  readonly mode: 'map' | 'grant' | 'unwrap';
  readonly fromTask: number;
  readonly toTask: number;
  readonly object: number;
  readonly badge: number;
  /** Destination slot, or -1 for an unwrapped cap. */
  readonly slot: number;
}

export interface ThreadEvent {
  readonly type: 'thread';
  readonly seq: number;
  readonly time: number;
  readonly event: 'start' | 'exit' | 'kill' | 'suspend' | 'resume' | 'restart';
  readonly thread: number;
  readonly task: number;
  readonly name: string;
}

/**
 * Memory (DS1-DS6): a dataspace mapped into a task (by the task itself or by a map item
 * from `fromTask`), granted, unmapped (with why), a mapping revoked (its children go,
 * one unmap event each), or a dataspace migrated: to cut raw arrays (cause revoke) or into
 * shared memory for a task in a worker (cause share).
 */
export interface MemEvent {
  readonly type: 'mem';
  readonly op: 'map' | 'grant' | 'unmap' | 'revoke' | 'migrate';
  readonly seq: number;
  readonly time: number;
  /** Task holding the mapping (the receiver of a map or grant); -1 for migrate. */
  readonly task: number;
  /** Sender of a map or grant item; -1 otherwise. */
  readonly fromTask: number;
  readonly dataspace: number;
  readonly vaddr: number;
  /** Offset of the range in the dataspace. */
  readonly offset: number;
  readonly length: number;
  readonly rights: number;
  /** For unmap: unmap, revoke, cap (its cap was deleted), grant, task (died), dataspace (deleted). */
  readonly cause: 'map' | 'unmap' | 'revoke' | 'cap' | 'grant' | 'task' | 'dataspace' | 'share';
}

export type TraceEvent = IpcEvent | BlockEvent | WakeEvent | SignalEvent | FaultEvent | CapEvent | ThreadEvent | MemEvent;

/** Receives every event; attach with Kernel.setTracer. */
export interface Tracer {
  event(e: TraceEvent): void;
}

/** A tracer that keeps every event in an array (tests, small traces). */
export class RecordingTracer implements Tracer {
  readonly events: TraceEvent[] = [];
  event(e: TraceEvent): void {
    this.events.push(e);
  }
}
