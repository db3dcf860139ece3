// Auth server rows: Auth.getids from a generator thread with the in-thread stub (four id
// vectors in the reply, each a packed array item). The row checks every answer.

import { Kernel, VirtualClock, type Sys, type SysGen } from '../../core/index.ts';
import { stub } from '../../libcap/index.ts';
import { Auth, authServer, type AuthInstance } from '../../servers/auth/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

/** Time `n` getids calls on a handle for uid 1000 with three groups; ns per call. */
async function getidsLoop(n: number): Promise<number> {
  const k = new Kernel({ clock: new VirtualClock() });
  const authTask = k.createTask('auth', { quota: 10_000, slots: 1 << 16 });
  const auth = (await authServer()({ kernel: k, task: authTask, caps: new Map() })) as AuthInstance;
  const user = k.createTask('user');
  const cap = auth.install!(user, { uid: 1000, gid: 100, groups: [10, 20] });
  k.run();
  const outcome = { done: 0, failure: '' };
  k.spawn(user, function* loop(sys: Sys): SysGen<void> {
    const a = stub(Auth, sys, cap);
    for (let i = 0; i < n; i++) {
      const r = yield* a.getids();
      if (!r.ok || r.value.euids[0] !== 1000 || r.value.egids.length !== 3) {
        outcome.failure = r.ok ? `wrong ids ${JSON.stringify(r.value)}` : r.error;
        return;
      }
      outcome.done++;
    }
  });
  const t0 = performance.now();
  k.run();
  const ms = performance.now() - t0;
  if (outcome.failure !== '') throw new Error(`auth.getids: ${outcome.failure}`);
  if (outcome.done !== n) throw new Error(`auth.getids: ${outcome.done} of ${n} calls answered`);
  return nsPer(ms, n);
}

export const group: RowGroup = {
  name: 'auth',
  rank: 30,
  rows: [
    {
      name: 'auth.getids',
      what: 'Auth.getids round trip (4 id vectors: 1 uid, 3 gids), generator client with the in-thread stub',
      iterations: 30_000,
      run: getidsLoop,
    },
  ],
};
