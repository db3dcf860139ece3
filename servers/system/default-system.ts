// The system hurdle boots by default: the name server, auth, the notification service
// and the task server. Extension points: `notify` (another factory, or false for none),
// and `extra` for more children, which is where the filesystem (servers/fs) and the
// shell join: e.g.
//   defaultSystem({ extra: {
//     fs:    { server: fsServer(), uses: { auth: 'auth' } },
//     shell: { program: shellBody, uses: { fs: 'fs', task: 'task',
//              auth: { service: 'auth', params: { uid: 1000, gid: 100 } } } } } })

import { authServer } from '../auth/auth-server.ts';
import { namesServer } from '../names/names-server.ts';
import { notifyServer } from '../notify/notify-server.ts';
import { taskServer } from '../task/task-server.ts';
import type { ServerFactory } from './server.ts';
import type { SystemSpec } from './system-spec.ts';

/** What the default system may be extended with. */
export interface DefaultSystemOptions {
  /** The notification service (default notifyServer() from servers/notify; false: none). */
  readonly notify?: ServerFactory | false;
  /** More children (the filesystem, the shell, programs...); a name here replaces a default one. */
  readonly extra?: SystemSpec;
}

/**
 * The default system description, to pass to boot(): `names`, `auth`, `notify` and
 * `task`. Children added through `extra` use these by name.
 */
export function defaultSystem(opts: DefaultSystemOptions = {}): SystemSpec {
  const notify = opts.notify ?? notifyServer();
  return {
    names: { server: namesServer() },
    auth: { server: authServer() },
    ...(notify === false ? {} : { notify: { server: notify } }),
    task: { server: taskServer() },
    ...opts.extra,
  };
}
