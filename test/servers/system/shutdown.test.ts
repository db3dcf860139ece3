// System.shutdown: programs first, then servers in reverse start order (the name server
// last), every task deleted; the report lists caps still held, threads left running and
// tasks still alive. A server that fails to start makes boot fail without leaving tasks.

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen } from '../../../core/index.ts';
import { connect } from '../../../libcap/index.ts';
import { boot, formatReport } from '../../../servers/system/index.ts';
import { kernel, settle } from './harness.ts';
import { Probe, ProbeLog, probeServer } from './probe.ts';

describe('System.shutdown', () => {
  it('stops servers in reverse dependency order and leaves nothing behind', async () => {
    const k = kernel();
    const log = new ProbeLog();
    const sys = await boot(k, {
      top: { server: probeServer('top', log), uses: { mid: 'mid' } },
      mid: { server: probeServer('mid', log), uses: { base: 'base' } },
      base: { server: probeServer('base', log) },
    });
    expect(log.started).toEqual(['base', 'mid', 'top']);
    const report = await sys.shutdown();
    expect(log.stopped).toEqual(['top', 'mid', 'base']);
    expect(report).toEqual({ held: [], threads: [], tasks: [], errors: [], clean: true });
    expect(formatReport(report)).toEqual(['shutdown: clean (nothing held, no thread left, no task alive)']);
    for (const p of ['names', 'top', 'mid', 'base']) expect(sys.task(p).alive).toBe(false);
    expect(k.tasks.size).toBe(0);
  });

  it('reports caps held from outside the system and threads still running', async () => {
    const k = kernel();
    const log = new ProbeLog();
    function* forever(sys: Sys): SysGen<void> {
      yield sys.sleep(Number.POSITIVE_INFINITY);
    }
    const sys = await boot(k, {
      svc: { server: probeServer('svc', log) },
      daemon: { program: forever },
    });
    const outsider = k.createTask('outsider');
    const slot = sys.instance('svc').install!(outsider, 'x');
    expect((await connect(Probe, k, outsider, slot).who()).task).toBe(outsider.id);
    await settle(k);
    const report = await sys.shutdown();
    expect(report.clean).toBe(false);
    expect(report.held).toEqual([{ server: 'svc', what: 'svc: 1 capabilities held by 1 clients' }]);
    expect(report.threads).toEqual([{ task: 'daemon', thread: 'daemon', state: 'sleeping', blockedOn: 'sleep' }]);
    expect(report.tasks).toEqual([]);
    const text = formatReport(report).join('\n');
    expect(text).toContain('held: svc: svc: 1 capabilities held by 1 clients');
    expect(text).toContain('thread left: daemon: daemon sleeping on sleep');
    // The outsider's cap was revoked when svc ended.
    expect(outsider.cspace.get(slot)).toBeNull();
  });

  it('is idempotent: a second call answers the same report', async () => {
    const k = kernel();
    const sys = await boot(k, { svc: { server: probeServer('svc', new ProbeLog()) } });
    const first = sys.shutdown();
    expect(sys.shutdown()).toBe(first);
    expect((await first).clean).toBe(true);
  });

  it('fails boot cleanly when a server cannot start: what started is stopped, no task stays', async () => {
    const k = kernel();
    const log = new ProbeLog();
    await expect(
      boot(k, {
        ok: { server: probeServer('ok', log) },
        bad: { server: probeServer('bad', log, { failStart: true }), uses: { ok: 'ok' } },
      }),
    ).rejects.toThrow(/bad: refusing to start/);
    expect(log.stopped).toEqual(['ok']);
    expect(k.tasks.size).toBe(0);
  });

  it('shuts down a server whose task already died without failing', async () => {
    const k = kernel();
    const sys = await boot(k, {
      svc: { server: probeServer('svc', new ProbeLog()) },
      user: { server: probeServer('user', new ProbeLog()), uses: { svc: 'svc' } },
    });
    k.deleteTask(sys.task('svc'));
    await settle(k);
    const report = await sys.shutdown();
    expect(report.held).toEqual([{ server: 'svc', what: 'its task had died before shutdown' }]);
    expect(report.errors).toEqual([]);
    expect(report.tasks).toEqual([]);
  });
});
