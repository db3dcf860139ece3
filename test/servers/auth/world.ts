// Helpers for the auth tests: a kernel on virtual time with the auth server in its own
// task, user tasks holding handles with given ids, and ways to let the kernel settle.
// Nothing here is a test.

import { Kernel, VirtualClock, type Task } from '../../../core/index.ts';
import { connect, type AsyncClient, type SpecsOf } from '../../../libcap/index.ts';
import { Auth, authServer, type AuthInstance, type AuthOptions, type AuthParams } from '../../../servers/auth/index.ts';
import { settle } from '../../world-helpers.ts';
export { settle, track, deleteCap } from '../../world-helpers.ts';

export type AuthClient = AsyncClient<SpecsOf<typeof Auth>>;

export interface AuthWorld {
  readonly k: Kernel;
  readonly auth: AuthInstance;
  readonly authTask: Task;
  /** A task holding an auth handle with `params` (default root). */
  user(name: string, params?: AuthParams): { task: Task; cap: number; auth: AuthClient };
}

export async function authWorld(opts: AuthOptions = {}): Promise<AuthWorld> {
  const k = new Kernel({ clock: new VirtualClock() });
  const authTask = k.createTask('auth', { quota: 10_000, slots: 1 << 16 });
  const auth = (await authServer(opts)({ kernel: k, task: authTask, caps: new Map() })) as AuthInstance;
  return {
    k,
    auth,
    authTask,
    user(name, params) {
      const task = k.createTask(name);
      const cap = auth.install!(task, params);
      return { task, cap, auth: connect(Auth, k, task, cap) };
    },
  };
}

/** Slots of `task` holding a cap to the same kernel object as `task2[slot2]`. */
export function copiesOf(task: Task, of: Task, slot: number): number[] {
  const obj = of.cspace.get(slot)?.obj;
  if (obj === undefined) return [];
  const out: number[] = [];
  for (const [s, c] of task.cspace.entries()) if (c.obj === obj) out.push(s);
  return out;
}
