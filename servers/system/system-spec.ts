// How a system is described in code: a tree of children, each a server (a factory), a
// program (a thread body) or a group of children whose names are local to it, each with
// the services it uses under the names it will see. Only data and types live here.

import { CAP_FIRST_FREE, type ThreadBody } from '../../core/index.ts';
import type { ServerBody, ServerFactory } from '../../libcap/server.ts';

/**
 * Well-known slot of every child's namespace view (seed 001: the parent hands each child
 * its name space at startup). Programs find their names through it; servers also get it
 * as `env.namespace`.
 */
export const CAP_NAMESPACE = CAP_FIRST_FREE;

/**
 * A service a child uses. A string names the service; the object form adds per-client
 * params for the server's install (for auth: `{ uid, gid }`) and the most rights the
 * child's cap gets. The service is a sibling server, or a name the enclosing group was
 * given by its parent (then the group's params apply and rights can only narrow).
 */
export type UseSpec =
  | string
  | {
      readonly service: string;
      readonly params?: unknown;
      /** Most rights of the child's cap (default: the server's client rights). */
      readonly rights?: number;
    };

/** Services a child uses, by the name the child sees them under. */
export type Uses = Readonly<Record<string, UseSpec>>;

interface ChildBase {
  readonly uses?: Uses;
  /** The child's view may register (and unregister) names (default false: read-only). */
  readonly register?: boolean;
  /** Quota of the child task's factory (default 10,000 for servers, 1,000 for programs). */
  readonly quota?: number;
  /**
   * Bytes of dataspaces the child task's factory may create (default 64 MiB for servers,
   * 0 for programs): a server's transfer buffers (the filesystem's io.mapBuffer) come
   * out of it, and past it they answer ENOMEM.
   */
  readonly memQuota?: number;
  /** Size of the child task's cap space (default 65,536 for servers, 4,096 for programs). */
  readonly slots?: number;
  /** Start at boot (default true); otherwise `System.start(path)` starts it. */
  readonly autostart?: boolean;
}

/** A server child: `server(env)` starts it in its task (libcap/server.ts). */
export interface ServerChild extends ChildBase {
  readonly server: ServerFactory;
  /**
   * Run the server in its own isolated task (a worker thread, docs/isolation.md): `true`
   * uses the body module its factory names (`server.body`), an object names one. Clients
   * see no difference. Default false: in-process.
   */
  readonly isolate?: boolean | ServerBody;
}

/** The body module a server child runs isolated with, or null when it runs in-process. */
export function isolatedBody(c: ServerChild): ServerBody | null {
  if (c.isolate === undefined || c.isolate === false) return null;
  if (c.isolate === true) return c.server.body ?? null;
  return c.isolate;
}

/** A program child: a thread body started in its task, its namespace in CAP_NAMESPACE. */
export interface ProgramChild extends ChildBase {
  readonly program: ThreadBody;
  /** Priority of the program's thread (default: the kernel's default). */
  readonly priority?: number;
}

/** A subtree: its children see each other by their local names, and the names in `uses`. */
export interface GroupChild {
  readonly children: SystemSpec;
  /** Services of the enclosing scope the group's children may use, by local name. */
  readonly uses?: Uses;
}

/** One child of a system: a server, a program or a group. */
export type ChildSpec = ServerChild | ProgramChild | GroupChild;

/** A system: children by name. Names are path components ('a-z', digits, '-', '_', '.'). */
export type SystemSpec = Readonly<Record<string, ChildSpec>>;

/** True for a server child. */
export function isServer(c: ChildSpec): c is ServerChild {
  return 'server' in c;
}
/** True for a program child. */
export function isProgram(c: ChildSpec): c is ProgramChild {
  return 'program' in c;
}
/** True for a group of children. */
export function isGroup(c: ChildSpec): c is GroupChild {
  return 'children' in c;
}
