// Waiting for a service that starts later. The parent binds the name 'clock' in each
// child's namespace before the clock server exists (a pending name): one client queries
// it without waiting (EAGAIN), then with a wait (a deferred answer); another watches its
// namespace (a sync event, then 'attached'). When the parent starts the clock, both learn
// of it, whatever the start order; the waiting query answers with a cap to the clock.
// Run it: npx tsx examples/wait-for-service.ts

import { Kernel, VirtualClock, type Sys, type SysGen } from '../core/index.ts';
import { Bucket, defineClass, defineInterface, RpcFailure, stub, t } from '../libcap/index.ts';
import { Namespace, Watcher } from '../servers/names/index.ts';
import { boot, CAP_NAMESPACE, formatReport, shutdownBuckets, type ServerFactory, type ServerInstance } from '../servers/system/index.ts';
import { isMain } from './is-main.ts';

/** The clock's interface: kernel time in ms. */
export const Clock = defineInterface('clock', { now: { op: 1, reply: { ms: t.f64 } } });

function clockServer(): ServerFactory {
  return (env) => {
    const bucket = Bucket.start(env.kernel, env.task, { name: 'clock' });
    const cls = defineClass({ name: 'clock', interface: Clock, init: () => ({}), handlers: { now: () => ({ ms: env.kernel.now() }) } });
    const root = bucket.create(cls, undefined);
    if (root instanceof RpcFailure) throw new Error('clock: cannot create its object');
    const inst: ServerInstance = { name: 'clock', bucket, buckets: [bucket], root, shutdown: (force) => shutdownBuckets(inst, force) };
    return inst;
  };
}

/** Queries 'clock' at once (EAGAIN), then waits up to a minute for it. */
function waiter(out: (line: string) => void, done: () => void) {
  return function* body(sys: Sys): SysGen<void> {
    const ns = stub(Namespace, sys, CAP_NAMESPACE);
    const now = yield* ns.query({ path: 'clock', wait: 0 });
    out(`waiter: query 'clock' without waiting -> ${now.ok ? 'a cap' : now.error}`);
    out(`waiter: query 'clock', waiting up to 60 s...`);
    const later = yield* ns.query({ path: 'clock', wait: 60_000 });
    if (!later.ok) {
      out(`waiter: gave up: ${later.error}`);
      done();
      return;
    }
    const r = yield* stub(Clock, sys, later.value.cap).now();
    out(`waiter: got the clock; it says ${r.ok ? `${r.value.ms} ms` : r.error}`);
    sys.delete(later.value.cap);
    done();
  };
}

/** Watches its namespace: the sync event, then whatever changes. */
function watcher(out: (line: string) => void, done: () => void) {
  return function* body(sys: Sys): SysGen<void> {
    const ns = stub(Namespace, sys, CAP_NAMESPACE);
    const w = yield* ns.watch();
    if (!w.ok) return;
    const events = stub(Watcher, sys, w.value.watcher);
    for (;;) {
      const e = yield* events.next({ timeout: 0 });
      if (!e.ok) break;
      const { tick, kind, name } = e.value.event;
      out(`watcher: event ${kind}${name === '' ? '' : ` '${name}'`} (tick ${tick})`);
      if (kind === 'attached') break;
    }
    sys.delete(w.value.watcher);
    done();
  };
}

/** Boot with the clock not started, show both clients waiting, start it, shut down. */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock(false) });
  let waited: () => void = () => {};
  let watched: () => void = () => {};
  const both = Promise.all([new Promise<void>((r) => (waited = r)), new Promise<void>((r) => (watched = r))]);

  const sys = await boot(kernel, {
    // Clients first: they start before the server they need, on purpose.
    waiter: { program: waiter(out, () => waited()), uses: { clock: 'clock' } },
    watcher: { program: watcher(out, () => watched()), uses: { clock: 'clock' } },
    clock: { server: clockServer(), autostart: false },
  });
  await kernel.settle();
  for (const e of sys.namespace('waiter').list()) out(`parent: the waiter's '${e.name}' is ${e.kind}`);
  const blocked = sys.ps().filter((r) => r.task === 'waiter' || r.task === 'watcher');
  for (const r of blocked) out(`parent: ${r.task} is ${r.state}`);

  kernel.advance(1500); // time passes; the clock starts late
  out('parent: starting the clock');
  await sys.start('clock');
  await both;
  for (const e of sys.namespace('waiter').list()) out(`parent: the waiter's '${e.name}' is ${e.kind}`);

  for (const line of formatReport(await sys.shutdown())) out(line);
}

if (isMain(import.meta.url)) await main();
