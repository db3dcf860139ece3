// rpctrace shows memory: one line per map, grant, unmap (with its cause) and revoke of a
// dataspace, beside the RPC lines.

import { describe, expect, it } from 'vitest';
import { Kernel, Rights, VirtualClock, type Sys } from '../../core/index.ts';
import { Rpctrace } from '../../tools/rpctrace/index.ts';

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
});
