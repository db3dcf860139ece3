// rpctrace shows memory: one line per map, grant, unmap (with its cause) and revoke of a
// dataspace, beside the RPC lines, and an instant per event in the Perfetto export; the
// fs client's transfer buffer seen end to end (rpctrace and the kernel's snapshot).

import { describe, expect, it } from 'vitest';
import { Kernel, Rights, snapshot, VirtualClock, type Sys } from '../../core/index.ts';
import { Rpctrace, toChromeTrace } from '../../tools/rpctrace/index.ts';
import { serverWorld } from '../fs/server-world.ts';
import { settle } from '../world-helpers.ts';
import { checkChromeTrace } from './chrome-trace-check.ts';

describe('rpctrace: dataspaces', () => {
  it('prints maps (with the sender of a map item), revokes and the unmaps they cause', () => {
    const k = new Kernel({ clock: new VirtualClock() });
    const trace = new Rpctrace(k);
    trace.attach();
    const a = k.createTask('producer');
    const b = k.createTask('consumer');
    const ds = k.createDataspace(a, 8192);
    const va = k.map(a, ds);
    const ep = k.createEndpoint(b);
    const cep = k.grant(b, ep, a, { rights: Rights.Write | Rights.Grant });
    k.spawn(b, function* (sys: Sys) {
      sys.utcb.setMemWindow(0x100000, 0x10000);
      yield sys.recv(ep);
    });
    k.spawn(a, function* (sys: Sys) {
      sys.utcb.setMap(0, { vaddr: va.vaddr, length: 4096, rights: Rights.Read, grant: false });
      yield sys.send(cep, 5, 0, 0, 1);
      sys.revoke(ds);
    });
    k.run();
    expect(trace.lines.filter((l) => l.includes('[mem]'))).toEqual([
      '  [mem] producer: map dataspace#' + va.dataspace + '[0x0+0x2000] at 0x1000 RWG-',
      '  [mem] consumer: map dataspace#' + va.dataspace + '[0x0+0x1000] at 0x100000 R--- from producer',
      '  [mem] producer: revoke dataspace#' + va.dataspace + '[0x0+0x2000] at 0x1000 RWG-',
      '  [mem] consumer: unmap dataspace#' + va.dataspace + '[0x0+0x1000] at 0x100000 R--- (revoke)',
    ]);
  });

  it('exports every memory event as an instant on its task\'s track (Perfetto)', () => {
    const k = new Kernel({ clock: new VirtualClock() });
    const trace = new Rpctrace(k);
    trace.attach();
    const a = k.createTask('holder');
    const ds = k.createDataspace(a, 4096);
    const v = k.map(a, ds);
    v.raw();
    k.spawn(a, function* (sys: Sys) {
      sys.unmap(v.vaddr);
    });
    k.run();
    const j = toChromeTrace(trace);
    expect(checkChromeTrace(j)).toEqual([]);
    const marks = j.traceEvents.filter((e) => e.cat === 'mem').map((e) => [e.name, e.pid, e.s]);
    expect(marks).toEqual([
      [`map dataspace#${v.dataspace}`, a.id, 'p'],
      [`unmap dataspace#${v.dataspace}`, a.id, 'p'],
      [`migrate dataspace#${v.dataspace}`, 0, 'g'],
    ]);
    expect(j.traceEvents.some((e) => e.ph === 'M' && e.pid === a.id && e.args?.name === 'holder')).toBe(true);
  });

  it('the fs client\'s transfer buffer: mapped in server and client, revoked when the open goes, freed past the server\'s pool', async () => {
    const w = serverWorld({}, undefined, 64 << 20);
    const user = w.client('user', { uid: 0, gid: 0 });
    await user.fs.writeFile('/tmp-f', '');
    await settle(w.k);
    const trace = new Rpctrace(w.k, { tasks: (_id, name) => name === 'user' || name === 'fs' });
    trace.attach();
    // Five 1 MiB buffers at once: the server keeps four (TRANSFER_POOL_BYTES) when they go.
    const handles = [];
    for (let i = 0; i < 5; i++) {
      const h = await user.fs.open('/tmp-f', 'r+');
      await h.write(new Uint8Array(1 << 20), 0, 1 << 20, 0);
      handles.push(h);
    }
    const open = snapshot(w.k).dataspaces;
    expect(open.map((d) => [d.size, d.mappings])).toEqual(Array(5).fill([1 << 20, 2]));
    const ds = open[0]!.id; // closed last: the pool is full by then
    for (const h of handles.reverse()) await h.close();
    await settle(w.k);
    trace.detach();
    expect(snapshot(w.k).dataspaces.map((d) => [d.id, d.mappings])).toEqual(open.slice(1).map((d) => [d.id, 1]));
    const mem = trace.lines.filter((l) => l.includes(`dataspace#${ds}`)).map((l) => l.trim());
    expect(mem).toEqual([
      `[mem] fs: map dataspace#${ds}[0x0+0x100000] at 0x1000 RW--`,
      `[mem] user: map dataspace#${ds}[0x0+0x100000] at 0x1000 RW--`,
      `[mem] user: unmap dataspace#${ds}[0x0+0x100000] at 0x1000 RW-- (cap)`,
      `[mem] fs: revoke dataspace#${ds}[0x0+0x100000] at 0x1000 RW--`,
      `[mem] fs: unmap dataspace#${ds}[0x0+0x100000] at 0x1000 RW-- (cap)`,
      // The server's mapping gave out raw arrays (it reads and writes files through one).
      `[mem] dataspace#${ds} migrated (raw arrays cut)`,
    ]);
    const marks = toChromeTrace(trace).traceEvents.filter((e) => e.cat === 'mem' && (e.args?.dataspace === ds)).map((e) => `${trace.taskName(e.pid)} ${e.name}`);
    expect(marks).toEqual([
      `fs map dataspace#${ds}`,
      `user map dataspace#${ds}`,
      `user unmap dataspace#${ds}`,
      `fs revoke dataspace#${ds}`,
      `fs unmap dataspace#${ds}`,
      `${trace.taskName(0)} migrate dataspace#${ds}`,
    ]);
    expect(trace.lines.some((l) => l.includes('io.mapBuffer'))).toBe(true);
    expect(trace.lines.some((l) => l.includes('io.writeBuffer'))).toBe(true);
  });
});
