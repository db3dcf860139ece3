// Composing a server tree in code: the default system (names, auth, notify, task) plus a
// small greeter server and an "office" group whose clerk program sees only the names its
// parent gave it, each cap installed for it alone (its own identity at every server).
// The clerk uses them; then the system prints ps, shuts down in order and reports.
// Run it: npx tsx examples/compose-tree.ts

import { Kernel, VirtualClock, type Sys, type SysGen } from '../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, stub, t } from '../libcap/index.ts';
import { Auth } from '../servers/auth/index.ts';
import { Namespace } from '../servers/names/index.ts';
import { boot, CAP_NAMESPACE, defaultSystem, formatReport, shutdownBuckets, type ServerFactory, type ServerInstance } from '../servers/system/index.ts';
import { formatPs, Tasks } from '../servers/task/index.ts';
import { isMain } from './is-main.ts';

/** The greeter's interface: one method that says who called. */
export const Greeter = defineInterface('greeter', {
  hello: { op: 1, args: { name: t.string(64) }, reply: { text: t.string(256) } },
});

/** A one-object server: every client gets the same greeter, under its own identity. */
function greeterServer(): ServerFactory {
  return (env) => {
    const bucket = Bucket.start(env.kernel, env.task, { name: 'greeter' });
    const cls = defineClass({
      name: 'greeter',
      interface: Greeter,
      init: () => ({}),
      handlers: {
        hello: (ctx, { name }) => ({ text: `hello ${name}, you are client task ${ctx.client.taskId} here` }),
      },
    });
    const root = bucket.create(cls, undefined);
    if (root instanceof RpcFailure) throw new Error('greeter: cannot create its object');
    const inst: ServerInstance = { name: 'greeter', bucket, buckets: [bucket], root, shutdown: (force) => shutdownBuckets(inst, force) };
    return inst;
  };
}

/** The clerk: everything it knows comes through its namespace (CAP_NAMESPACE). */
function clerk(out: (line: string) => void, done: () => void) {
  return function* body(sys: Sys): SysGen<void> {
    const ns = stub(Namespace, sys, CAP_NAMESPACE);
    const list = yield* ns.list();
    if (list.ok) out(`clerk: my namespace holds ${list.value.entries.map((e) => `${e.name} (${e.kind})`).join(', ')}`);
    const hidden = yield* ns.query({ path: 'task', wait: 0 });
    out(`clerk: query 'task' -> ${hidden.ok ? 'a cap' : hidden.error} (my parent did not give it to me)`);

    const a = yield* ns.query({ path: 'auth', wait: 0 });
    if (a.ok) {
      const ids = yield* stub(Auth, sys, a.value.cap).getids();
      if (ids.ok) out(`clerk: auth says my uids are [${ids.value.euids.join(', ')}], gids [${ids.value.egids.join(', ')}]`);
      sys.delete(a.value.cap);
    }
    const g = yield* ns.query({ path: 'greeter', wait: 0 });
    if (g.ok) {
      const r = yield* stub(Greeter, sys, g.value.cap).hello({ name: 'clerk' });
      if (r.ok) out(`clerk: greeter says "${r.value.text}"`);
      sys.delete(g.value.cap);
    }
    out(`clerk: I am task ${sys.taskId}`);
    done();
  };
}

/** Boot the tree, let the clerk work, print ps, shut down and print the report. */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  let finished: () => void = () => {};
  const clerkDone = new Promise<void>((resolve) => (finished = resolve));

  out('booting names, auth, notify, task, greeter and office/clerk');
  const sys = await boot(
    kernel,
    defaultSystem({
      extra: {
        greeter: { server: greeterServer(), uses: { auth: 'auth' } },
        office: {
          // What the office's members may use, and as whom: the parent decides.
          uses: { auth: { service: 'auth', params: { uid: 1000, gid: 100 } }, greeter: 'greeter', log: 'notify' },
          children: {
            clerk: { program: clerk(out, finished), uses: { auth: 'auth', greeter: 'greeter' } },
          },
        },
      },
    }),
  );
  out(`booted: ${['names', ...sys.paths].join(', ')}`);
  out(`clerk's task is ${sys.task('office/clerk').id}`);
  await clerkDone;

  // The composer's own view: ps of the system over the task server (an admin cap).
  const admin = kernel.createTask('admin');
  const tasks = sys.instance('task');
  const ts = connect(Tasks, kernel, admin, tasks.install!(admin, { admin: true }));
  const listed = await ts.list();
  out(`task server lists ${listed.tasks.length} tasks`);
  for (const line of formatPs(sys.ps())) out(`  ${line}`);
  kernel.deleteTask(admin);

  const report = await sys.shutdown();
  for (const line of formatReport(report)) out(line);
}

if (isMain(import.meta.url)) await main();
