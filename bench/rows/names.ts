// Name server rows: a query resolving a 3-level path through nested namespaces, answered
// with a freshly minted cap the client then deletes, from a generator thread with the
// in-thread stub. The row checks every query succeeded and the server kept nothing.

import { Kernel, VirtualClock, type Sys, type SysGen } from '../../core/index.ts';
import { stub } from '../../libcap/index.ts';
import { Namespace, namesServer, type NamesInstance } from '../../servers/names/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

/** Time `n` queries of 'a/b/c' (two nested namespaces, then a cap); ns per query. */
async function queryLoop(n: number): Promise<number> {
  const k = new Kernel({ clock: new VirtualClock() });
  const namesTask = k.createTask('names', { quota: 10_000, slots: 1 << 16 });
  const names = (await namesServer()({ kernel: k, task: namesTask, caps: new Map() })) as NamesInstance;
  const client = k.createTask('client');
  const target = k.createEndpoint(client);
  const a = names.createNamespace('a');
  const b = names.createNamespace('b');
  const top = names.createNamespace('client');
  top.bindNamespace('a', a);
  a.bindNamespace('b', b);
  const bad = b.register('c', { task: client, slot: target });
  if (bad !== null) throw new Error(`name.query: register answered ${bad}`);
  const view = names.installView(top, client);
  k.run();
  const slotsBefore = [...namesTask.cspace.entries()].length;

  const outcome = { done: 0, failure: '' };
  k.spawn(client, function* loop(sys: Sys): SysGen<void> {
    const ns = stub(Namespace, sys, view);
    for (let i = 0; i < n; i++) {
      const r = yield* ns.query({ path: 'a/b/c', wait: 0 });
      if (!r.ok) {
        outcome.failure = r.error;
        return;
      }
      sys.delete(r.value.cap);
      outcome.done++;
    }
  });
  const t0 = performance.now();
  k.run();
  const ms = performance.now() - t0;
  if (outcome.failure !== '') throw new Error(`name.query: a query answered ${outcome.failure}`);
  if (outcome.done !== n) throw new Error(`name.query: ${outcome.done} of ${n} queries answered`);
  const slotsAfter = [...namesTask.cspace.entries()].length;
  if (slotsAfter !== slotsBefore) throw new Error(`name.query: the server holds ${slotsAfter - slotsBefore} more caps after the loop`);
  return nsPer(ms, n);
}

export const group: RowGroup = {
  name: 'names',
  rank: 30,
  rows: [
    {
      name: 'name.query',
      what: 'Namespace.query of a 3-level path (2 nested namespaces, then a cap), fresh cap granted and deleted by the client, generator client',
      iterations: 50_000,
      run: queryLoop,
    },
  ],
};
