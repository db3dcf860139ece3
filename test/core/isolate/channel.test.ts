// The libmem channel between two isolated tasks, each in its own worker: calls through
// real shared memory, and a peer's death ending the other side's wait (real time, bounded waits).

import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, Status } from '../../../core/index.ts';
import { createIsolatedTask, type IsolatedTask } from '../../../core/isolate/index.ts';
import { ChannelStatus } from '../../../libmem/index.ts';
import { REPORT } from './fixtures/channel-bodies.ts';

const BODIES = new URL('./fixtures/channel-bodies.ts', import.meta.url);
const live: IsolatedTask[] = [];

afterEach(async () => {
  await Promise.all(live.splice(0).map((it) => it.kill()));
});

/** A server and a caller, each isolated, sharing an endpoint of `home`; reports come to `report`. */
function pair(serverArg: Record<string, unknown>, callerArg: Record<string, unknown>) {
  const k = new Kernel();
  const home = k.createTask('home');
  const ep = k.createEndpoint(home);
  const report = k.createEndpoint(home);
  const mem = { quota: 100, memQuota: 1 << 20 };
  const server = createIsolatedTask(k, 'server', { module: BODIES, export: 'channelServer', arg: { ep: 3, report: 4, ...serverArg }, ...mem });
  live.push(server);
  const caller = createIsolatedTask(k, 'caller', { module: BODIES, export: 'channelCaller', arg: { ep: 3, report: 4, ...callerArg }, ...mem });
  live.push(caller);
  for (const t of [server.task, caller.task]) {
    k.grant(home, ep, t, { slot: 3 });
    k.grant(home, report, t, { slot: 4 });
  }
  /** The next report: its label and two words. */
  const next = (): Promise<[number, number, number]> =>
    k.exec(home, function* (sys) {
      const st: number = yield sys.recv(report, 20_000);
      if (st !== Status.Ok) throw new Error(`no report (${st})`);
      return [sys.utcb.label, sys.utcb.mr[0]!, sys.utcb.mr[1]!] as [number, number, number];
    });
  return { k, server, caller, next };
}

describe('channel between isolated tasks', () => {
  for (const spins of [0, 5000]) {
    it(`every call gets its own answer through shared memory (spins ${spins}); the caller's death ends the server's wait with PeerGone`, async () => {
      const p = pair({ spins }, { n: 2000, spins });
      expect(await p.next()).toEqual([REPORT.called, 2000, ChannelStatus.Ok]);
      await p.caller.kill();
      expect(await p.next()).toEqual([REPORT.served, 2000, ChannelStatus.PeerGone]);
    }, 30_000);
  }

  it('a server that dies while the caller waits: the call answers PeerGone, the caller goes on', async () => {
    const p = pair({ mute: true }, { n: 5 });
    expect((await p.next())[0]).toBe(REPORT.took); // the server holds the first call
    await p.server.kill();
    expect(await p.next()).toEqual([REPORT.called, 0, ChannelStatus.PeerGone]);
  }, 30_000);
});
