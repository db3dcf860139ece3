// The entry of an isolated task's worker: load the module that exports the first
// thread's body and drive the task's threads (worker-sys.ts) until none is left.

import { workerData } from 'node:worker_threads';
import type { WorkerInit } from './ring.ts';
import { IsolatedWorker, type BodyFn } from './worker-sys.ts';

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const mod = (await import(init.module)) as Record<string, unknown>;
  const exp = mod[init.exportName];
  if (typeof exp !== 'function') throw new TypeError(`${init.module} has no function export '${init.exportName}'`);
  // A body factory (declared with `isolatedBody.factory = true`) is called with the
  // argument first and returns the body; otherwise the export is the body.
  const body = ((exp as { factory?: boolean }).factory === true ? (exp as (a: unknown) => BodyFn)(init.arg) : exp) as BodyFn;
  const w = new IsolatedWorker(init);
  w.first(body);
  await w.run();
}

await main();
