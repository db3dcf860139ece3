// Isolated tasks: a task whose threads run in a Node worker thread, its own heap, with
// the kernel in the main thread as the one authority. See docs/isolation.md.

export { createIsolatedTask, DEFAULT_WATCHDOG_MS, DEFAULT_WORKER_SPIN_NS, DEFAULT_KERNEL_SPIN_NS } from './worker-host.ts';
export type { IsolatedTask, IsolatedTaskOptions, IsolatedExit } from './worker-host.ts';
export type { WorkerSys, IsolatedWorker, BodyFn, ThreadParams } from './worker-sys.ts';
export { RING_BYTES } from './ring.ts';
export { DEFAULT_DIRECT_LINKS, DEFAULT_DIRECT_LINKS_PER_CLIENT, DEFAULT_DIRECT_SPIN_NS } from './direct.ts';
