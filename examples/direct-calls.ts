// Direct calls between isolated tasks: an echo server and a client, each in its own
// worker thread. The server serves its endpoint directly (sys.serveDirect), so after the
// client's first call has gone through the kernel in the main thread, its calls go worker
// to worker through a link the kernel made; the kernel's switch counter shows it. Then
// the kernel revokes the client's cap, and the next call is the kernel's again: it
// answers InvalidCapability.
// Run it: npx tsx examples/direct-calls.ts

import { Kernel, Status, statusName, type Sys } from '../core/index.ts';
import { createIsolatedTask } from '../core/isolate/index.ts';
import { isMainThread } from 'node:worker_threads';
import { isMain } from './is-main.ts';

/** The server's body (runs in its worker): echo MR0 + 1 and the caller's badge. */
export function* echoServer(sys: Sys): Generator<unknown, void, number> {
  const u = sys.utcb;
  const ep = 3;
  const serving = sys.serveDirect(ep);
  if (serving !== Status.Ok) throw new Error(`serveDirect: ${statusName(serving)}`);
  let st: number = yield sys.recv(ep);
  for (;;) {
    if (st !== Status.Ok) {
      st = yield sys.recv(ep);
      continue;
    }
    u.mr[0] = (u.mr[0]! + 1) >>> 0;
    u.mr[1] = u.badge;
    st = yield sys.replyRecv(ep, 0, 2);
  }
}

/**
 * The client's body (runs in its worker), a factory given how many calls to make: one
 * call, a report (label 1), `n` calls timed and a report (label 2), then after a signal
 * on its notification one more call, whose status it reports (label 3).
 */
export const client = ({ n }: { n: number }) =>
  function* (sys: Sys): Generator<unknown, void, number> {
    const u = sys.utcb;
    const [ep, report, go] = [3, 4, 5];
    u.mr[0] = 0;
    let st: number = yield sys.call(ep, 1, 1);
    u.items[0] = JSON.stringify({ status: st, answer: u.mr[0], badge: u.mr[1] });
    yield sys.send(report, 1, 0, 0, 1);
    let ok = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      u.mr[0] = i;
      st = yield sys.call(ep, 1, 1);
      if (st === Status.Ok && u.mr[0] === i + 1) ok++;
    }
    const us = ((performance.now() - t0) * 1000) / n;
    u.items[0] = JSON.stringify({ ok, us });
    yield sys.send(report, 2, 0, 0, 1);
    yield sys.wait(go);
    st = yield sys.call(ep, 1, 1);
    u.items[0] = JSON.stringify({ status: st });
    yield sys.send(report, 3, 0, 0, 1);
  };
client.factory = true;

export async function main(out: (line: string) => void = console.log, n = 100_000): Promise<void> {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const go = k.createNotification(home);
  const module = new URL(import.meta.url);
  const srv = createIsolatedTask(k, 'echo', { module, export: 'echoServer' });
  k.grant(home, ep, srv.task, { slot: 3 });
  const cli = createIsolatedTask(k, 'client', { module, export: 'client', arg: { n } });
  k.grant(home, ep, cli.task, { slot: 3, badge: 7 });
  k.grant(home, report, cli.task, { slot: 4 });
  k.grant(home, go, cli.task, { slot: 5 });
  const next = (): Promise<Record<string, number>> =>
    k.exec(home, function* (sys) {
      yield sys.recv(report);
      return JSON.parse(String(sys.utcb.itemsIn[0])) as Record<string, number>;
    });
  try {
    const first = await next();
    out(`first call, through the kernel: ${statusName(first.status!)}, answer ${first.answer}, badge ${first.badge}`);
    const before = k.counters.switches;
    const timed = await next();
    const switches = k.counters.switches - before;
    out(`${n} calls, worker to worker: ${timed.ok} answered, ${timed.us!.toFixed(2)} us a call, ${switches} kernel switches in all`);
    // The kernel takes the cap away: the link goes with it.
    await k.exec(home, function* (sys) {
      sys.revoke(ep);
      yield sys.signal(go);
    });
    const last = await next();
    out(`after the kernel revoked the client's cap: ${statusName(last.status!)}`);
  } finally {
    await Promise.all([cli.kill(), srv.kill()]);
  }
}

// (The workers load this module for the bodies; only the program itself runs main.)
if (isMainThread && isMain(import.meta.url)) await main();
