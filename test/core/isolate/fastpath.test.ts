// The kernel's fast/slow-path equivalence with one side isolated (a subset of
// test/core/fastpath.test.ts): register-sized calls (0..4 words, then 6: slow), a
// continuation server, and a call with a receive timeout (slow call, fast reply), each
// with the server or the client in a worker. Each must see exactly what the in-process
// run sees, with the same fast-path and message counts, fast path on and off. A test
// gate lets each call go only once the server waits in recv, so the order in which the
// kernel meets the two sides is the same in every run. Real time; waits are bounded.

import { afterEach, describe, expect, it } from 'vitest';
import { HostSys, Kernel, Rights, Status, ThreadState, type Thread } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import * as bodies from './fixtures/fastpath-bodies.ts';
import type { Step } from './fixtures/fastpath-bodies.ts';

const BODIES = new URL('./fixtures/fastpath-bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

type Where = 'in-process' | 'isolated';
interface Scenario {
  name: string;
  server: 'echoServer' | 'contServer';
  steps: Step[];
}

const scenarios: Scenario[] = [
  { name: 'register-sized calls, then a 6-word one (slow)', server: 'echoServer', steps: [0, 1, 2, 3, 4, 6].map((len) => ({ label: len, len })) },
  { name: 'a continuation server', server: 'contServer', steps: [1, 2, 3].map((label) => ({ label, len: 1 })) },
  { name: 'a call with a receive timeout (slow call, fast reply)', server: 'echoServer', steps: [{ label: 1, len: 2 }, { label: 2, len: 0, timeout: 5000 }, { label: 3, len: 4 }] },
];

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Run a scenario with each side where asked; returns what both sides saw and the counters. */
async function run(s: Scenario, fastpath: boolean, server: Where, client: Where) {
  const k = new Kernel({ fastpath });
  const home = k.createTask('home');
  const report = k.createEndpoint(home);
  const gate = k.createNotification(home);
  const srvT = k.createTask('srv');
  const ep = k.createEndpoint(srvT);
  const srvArg = { ep: 3, report: 4 };
  let srvThread: Thread;
  if (server === 'isolated') {
    const it = createIsolatedTask(k, 'isrv', { module: BODIES, export: s.server, arg: srvArg });
    live.push(it);
    k.grant(srvT, ep, it.task, { slot: 3 });
    k.grant(home, report, it.task, { slot: 4 });
    srvThread = it.thread;
  } else {
    const t = k.createTask('psrv');
    k.grant(srvT, ep, t, { slot: 3 });
    k.grant(home, report, t, { slot: 4 });
    srvThread = k.spawn(t, bodies[s.server](srvArg) as never);
  }
  const cliArg = { ep: 3, gate: 5, report: 4, steps: s.steps };
  let cliThread: Thread;
  const cliTask = client === 'isolated' ? (live.push(createIsolatedTask(k, 'icli', { module: BODIES, export: 'stepClient', arg: cliArg })), live.at(-1)!) : null;
  const ct = cliTask !== null ? cliTask.task : k.createTask('pcli');
  k.grant(srvT, ep, ct, { slot: 3, rights: Rights.CallGrant, badge: 7 });
  k.grant(home, report, ct, { slot: 4 });
  k.grant(home, gate, ct, { slot: 5, rights: Rights.Read });
  if (cliTask !== null) cliThread = cliTask.thread;
  else cliThread = k.spawn(ct, bodies.stepClient(cliArg) as never);

  const reports = k.exec(home, function* (sys) {
    const got: Record<number, unknown> = {};
    while (got[8] === undefined || got[9] === undefined) {
      const st: number = yield sys.recv(report);
      if (st !== Status.Ok) throw new Error(`report: ${st}`);
      got[sys.utcb.label] = JSON.parse(sys.utcb.itemsIn[0] as string);
    }
    return got;
  });
  const ops = new HostSys(k, home);
  for (let i = 0; i <= s.steps.length; i++) {
    await until(`step ${i}: server in recv, client at the gate`, () => srvThread.state === ThreadState.BlockedRecv && cliThread.state === ThreadState.BlockedNotification);
    ops.signal(gate);
    if (i === s.steps.length) break;
    // The call and its reply are done once the server waits again and the client is at the gate.
    await until(`step ${i} answered`, () => srvThread.state === ThreadState.BlockedRecv && cliThread.state === ThreadState.BlockedNotification);
  }
  const got = await reports;
  return { server: got[8], client: got[9], fastpath: k.counters.fastpath, messages: k.counters.messages };
}

describe('fast path with one side isolated', () => {
  for (const s of scenarios) {
    it(`equivalence: ${s.name}`, async () => {
      for (const fastpath of [false, true]) {
        const ref = await run(s, fastpath, 'in-process', 'in-process');
        if (fastpath) expect(ref.fastpath).toBeGreaterThan(0);
        else expect(ref.fastpath).toBe(0);
        expect(await run(s, fastpath, 'isolated', 'in-process')).toEqual(ref);
        expect(await run(s, fastpath, 'in-process', 'isolated')).toEqual(ref);
      }
    }, 60_000);
  }
});
