// The system hurdle boots by default: the name server, auth, the notification service,
// the task server, and a filesystem on memfs that can start every stock translator (it
// uses a root auth handle to start translators as their nodes' owners, and an admin cap
// to the task server to say so, so ps shows their users; isolated, it starts them
// through boot's launcher, which holds the registry). Extension points: `notify` and
// `fs` (another factory, or false for none), and `extra` for more children, e.g. a shell
// or a program:
//   defaultSystem({ extra: {
//     shell: { program: shellBody, uses: { fs: { service: 'fs', params: { uid: 1000, gid: 100 } },
//              task: 'task', auth: { service: 'auth', params: { uid: 1000, gid: 100 } } } } } })
// With `isolate: true` every server that has a body module runs in its own worker
// (isolationOf says which do and why the others stay in-process).

import { authServer, ROOT_IDS } from '../auth/auth-server.ts';
import { fsServer } from '../fs/fs-server.ts';
import { defaultRegistry } from '../translators/index.ts';
import { namesServer } from '../names/names-server.ts';
import { notifyServer } from '../notify/notify-server.ts';
import { taskServer } from '../task/task-server.ts';
import type { ServerFactory } from '../../libcap/server.ts';
import { isGroup, isolatedBody, isServer, type ChildSpec, type SystemSpec } from './system-spec.ts';

/** What the default system may be extended with. */
export interface DefaultSystemOptions {
  /** The notification service (default notifyServer() from servers/notify; false: none). */
  readonly notify?: ServerFactory | false;
  /** The filesystem (default fsServer() with every stock translator; false: none). */
  readonly fs?: ServerFactory | false;
  /** More children (the filesystem, the shell, programs...); a name here replaces a default one. */
  readonly extra?: SystemSpec;
  /** Run every server that has a body module in its own isolated task (default false). */
  readonly isolate?: boolean;
}

/** Which servers of a description run isolated, and why the others stay in-process. */
export interface Isolation {
  readonly isolated: readonly string[];
  readonly inProcess: readonly { readonly path: string; readonly why: string }[];
}

/** Say which server children of `spec` (groups included) run isolated, and why the others do not. */
export function isolationOf(spec: SystemSpec, prefix = ''): Isolation {
  const isolated: string[] = [];
  const inProcess: { path: string; why: string }[] = [];
  for (const [name, c] of Object.entries(spec)) {
    const path = prefix + name;
    if (isGroup(c)) {
      const sub = isolationOf(c.children, `${path}/`);
      isolated.push(...sub.isolated);
      inProcess.push(...sub.inProcess);
    } else if (isServer(c)) {
      if (isolatedBody(c) !== null) isolated.push(path);
      else if (c.server.body !== undefined) inProcess.push({ path, why: 'not asked to (isolate is off)' });
      else inProcess.push({ path, why: c.server.inProcessOnly ?? 'no body module' });
    }
  }
  return { isolated, inProcess };
}

/** `spec` with `isolate: true` on every server child (groups included) whose factory has a body module. */
export function isolateWhereBodied(spec: SystemSpec): SystemSpec {
  const out: Record<string, ChildSpec> = {};
  for (const [name, c] of Object.entries(spec)) {
    if (isGroup(c)) out[name] = { ...c, children: isolateWhereBodied(c.children) };
    else if (isServer(c) && c.server.body !== undefined && c.isolate === undefined) out[name] = { ...c, isolate: true };
    else out[name] = c;
  }
  return out;
}

/**
 * The default system description, to pass to boot(): `names`, `auth`, `notify`, `task`
 * and `fs`. Children added through `extra` use these by name.
 */
export function defaultSystem(opts: DefaultSystemOptions = {}): SystemSpec {
  const notify = opts.notify ?? notifyServer();
  const fs = opts.fs ?? fsServer({ registry: defaultRegistry() });
  const fsUses = {
    auth: { service: 'auth', params: ROOT_IDS },
    // An admin cap: the fs tells the task server whom each translator it starts runs for.
    task: { service: 'task', params: { admin: true } },
    ...(notify === false ? {} : { notify: 'notify' }),
  };
  const spec: SystemSpec = {
    names: { server: namesServer() },
    auth: { server: authServer() },
    ...(notify === false ? {} : { notify: { server: notify } }),
    // The task server checks that subscribers' senders are caps of this notify service.
    task: { server: taskServer(), ...(notify === false ? {} : { uses: { notify: 'notify' } }) },
    ...(fs === false ? {} : { fs: { server: fs, uses: fsUses } }),
    ...opts.extra,
  };
  return opts.isolate === true ? isolateWhereBodied(spec) : spec;
}
