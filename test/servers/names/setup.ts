// A name-server world for the names tests: a name server in its own task, an echo
// service (a libcap bucket that answers which client task called it) and helpers to
// make client tasks with a view. Nothing here is a test.

import { Rights, type Kernel, type Task } from '../../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, t, type AsyncClient, type CapObject, type SpecsOf } from '../../../libcap/index.ts';
import { Namespace, namesServer, type NamesInstance, type NameSpace, type NamesOptions } from '../../../servers/names/index.ts';
import { kernel, startServer } from '../system/harness.ts';

/** The echo service: says which client task is calling (its identity at the server). */
export const Echo = defineInterface('echo', { who: { op: 1, reply: { task: t.i32 } } });

export interface NamesWorld {
  k: Kernel;
  names: NamesInstance;
  namesTask: Task;
  echo: { task: Task; bucket: Bucket; obj: CapObject };
  /** A client task with a view of `space` (a fresh namespace unless given). */
  client(name: string, opts?: { space?: NameSpace; register?: boolean }): Client;
  /** Give `task` its own cap to the echo service (a slot in `task`). */
  echoFor(task: Task): number;
}

export interface Client {
  task: Task;
  space: NameSpace;
  slot: number;
  ns: AsyncClient<SpecsOf<typeof Namespace>>;
}

export async function namesWorld(opts: NamesOptions = {}): Promise<NamesWorld> {
  const k = kernel();
  const { inst: names, task: namesTask } = await startServer<NamesInstance>(k, 'names', namesServer({ watchCapacity: 4, ...opts }));
  const etask = k.createTask('echo', { quota: 1000, slots: 4096 });
  const bucket = Bucket.start(k, etask, { name: 'echo' });
  const cls = defineClass({ name: 'echo', interface: Echo, init: () => ({}), handlers: { who: (ctx) => ({ task: ctx.client.taskId }) } });
  const obj = bucket.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error('test bug: echo object');
  return {
    k,
    names,
    namesTask,
    echo: { task: etask, bucket, obj },
    client(name, opts = {}) {
      const task = k.createTask(name);
      const space = opts.space ?? names.createNamespace(name);
      const slot = names.installView(space, task, { register: opts.register === true });
      return { task, space, slot, ns: connect(Namespace, k, task, slot) };
    },
    echoFor(task) {
      return bucket.install(obj, task);
    },
  };
}

/** Rights of the cap in `slot` of `task` (or null when the slot is empty). */
export function rightsOf(task: Task, slot: number): number | null {
  return task.cspace.get(slot)?.rights ?? null;
}

export const CALL_ONLY = Rights.Call;
