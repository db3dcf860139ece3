// The system hurdle boots by default: the name server, auth, the notification service,
// the task server, and a filesystem on memfs that can start every stock translator (it
// uses a root auth handle to start translators as their nodes' owners). Extension
// points: `notify` and `fs` (another factory, or false for none), and `extra` for more
// children, e.g. a shell or a program:
//   defaultSystem({ extra: {
//     shell: { program: shellBody, uses: { fs: { service: 'fs', params: { uid: 1000, gid: 100 } },
//              task: 'task', auth: { service: 'auth', params: { uid: 1000, gid: 100 } } } } } })

import { authServer, ROOT_IDS } from '../auth/auth-server.ts';
import { fsServer } from '../fs/fs-server.ts';
import { defaultRegistry } from '../translators/index.ts';
import { namesServer } from '../names/names-server.ts';
import { notifyServer } from '../notify/notify-server.ts';
import { taskServer } from '../task/task-server.ts';
import type { ServerFactory } from '../../libcap/server.ts';
import type { SystemSpec } from './system-spec.ts';

/** What the default system may be extended with. */
export interface DefaultSystemOptions {
  /** The notification service (default notifyServer() from servers/notify; false: none). */
  readonly notify?: ServerFactory | false;
  /** The filesystem (default fsServer() with every stock translator; false: none). */
  readonly fs?: ServerFactory | false;
  /** More children (the filesystem, the shell, programs...); a name here replaces a default one. */
  readonly extra?: SystemSpec;
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
    ...(notify === false ? {} : { notify: 'notify' }),
  };
  return {
    names: { server: namesServer() },
    auth: { server: authServer() },
    ...(notify === false ? {} : { notify: { server: notify } }),
    // The task server checks that subscribers' senders are caps of this notify service.
    task: { server: taskServer(), ...(notify === false ? {} : { uses: { notify: 'notify' } }) },
    ...(fs === false ? {} : { fs: { server: fs, uses: fsUses } }),
    ...opts.extra,
  };
}
