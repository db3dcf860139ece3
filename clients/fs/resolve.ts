// Path resolution as the Hurd's C library does it (hurd_file_name_lookup and
// __hurd_file_name_lookup_retry in glibc's hurd/lookup-retry.c), and reauthentication
// (glibc's reauthenticate). Not a path parser: the servers walk the components.
//
// The loop. Start at the root (absolute path, leading slashes stripped) or at the working
// directory (relative path) and call dir.lookup(rest, flags, mode). The answer says how
// to go on:
//   normal, empty retryName   the port is the opened node: done;
//   normal, retryName         a server handed over (a translator's root): look up the
//                             rest at the returned port;
//   reauth                    the port is unauthenticated (".." out of a translator, or
//                             a node of another server): reauthenticate it through auth,
//                             then look up retryName at the new port, even when empty,
//                             so the server behind it opens the node with our flags;
//   magical "/..."            an absolute symlink: restart at the client's root with the
//                             rest. Other magic (fd/N, machtype, tty) is not supported.
// Every hop counts; more than maxRetries answers ELOOP (loops of absolute symlinks,
// translators pointing at each other). Every RPC carries the client's timeout, so a
// translator that never answers gives ETIMEDOUT, never a hang. Each intermediate port
// is deleted once the next lookup has been made on it, and on every failure path.

import { NEVER, type SysGen } from '../../core/index.ts';
import { Auth } from '../../protocol/auth.ts';
import { PATH_MAX, Protid } from '../../protocol/fs.ts';
import { fail, type Session } from './session.ts';

const M = Protid.methods;

/** Bytes of a string in UTF-8 (what PATH_MAX and NAME_MAX count). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Open `path` with `flags` (O_* bits) and `mode` (for O_CREAT, umask not applied here):
 * from the root for an absolute path, from the working directory otherwise. Answers a
 * new port the caller owns. Fails with ENOENT for an empty path, ENAMETOOLONG for one of
 * PATH_MAX bytes or more, and with whatever the servers answer.
 */
export function* lookupPath(s: Session, path: string, flags: number, mode: number): SysGen<number> {
  if (path === '') fail('ENOENT');
  if (path.length >= PATH_MAX || utf8Length(path) >= PATH_MAX) fail('ENAMETOOLONG');
  if (path.charCodeAt(0) === 0x2f) return yield* lookupAt(s, s.root, stripSlashes(path), flags, mode);
  return yield* lookupAt(s, s.cwd, path, flags, mode);
}

/** `name` without its leading slashes. */
export function stripSlashes(name: string): string {
  let i = 0;
  while (name.charCodeAt(i) === 0x2f) i++;
  return i === 0 ? name : name.slice(i);
}

/**
 * The retry loop (glibc's lookup_retry): look `name` up starting at the port `start`
 * (not consumed) and follow the servers' retries. Answers a new port the caller owns.
 */
export function* lookupAt(s: Session, start: number, name: string, flags: number, mode: number): SysGen<number> {
  let dir = start;
  /** True when `dir` is a port of ours to delete (not the caller's start). */
  let owned = false;
  let hops = 0;
  try {
    for (;;) {
      const r = yield* s.call(dir, M.lookup, { name, flags, mode });
      if (owned) {
        s.drop(dir);
        owned = false;
      }
      // An absent cap decodes as undefined, one the kernel did not deliver as -1.
      let port = r.port !== undefined && r.port > 0 ? r.port : 0;
      switch (r.retry) {
        case 'normal':
          if (port === 0) fail('EIO', 'dir.lookup answered no port');
          if (r.retryName === '') return port;
          break;
        case 'reauth':
          if (port === 0) fail('EIO', 'dir.lookup answered reauth without a port');
          port = yield* reauthenticate(s, port);
          break;
        case 'magical':
          s.drop(port);
          port = 0;
          if (r.retryName.charCodeAt(0) !== 0x2f) fail('EINVAL', `unsupported magical retry "${r.retryName}"`);
          break;
      }
      if (++hops > s.state.maxRetries) {
        s.drop(port);
        fail('ELOOP', `more than ${s.state.maxRetries} lookup retries`);
      }
      if (port === 0) {
        dir = s.root;
        name = stripSlashes(r.retryName);
      } else {
        dir = port;
        owned = true;
        name = r.retryName;
      }
    }
  } finally {
    if (owned) s.drop(dir);
  }
}

/**
 * Reauthenticate `port` (consumed) as glibc's reauthenticate does: a fresh rendezvous
 * cap R from our auth server, io.reauthenticate(R) one-way to the port's server, then
 * auth.userAuthenticate(R), which answers the port the server made for our ids. Fails
 * with EACCES when the client has no auth handle; ETIMEDOUT when the server never comes.
 */
export function* reauthenticate(s: Session, port: number): SysGen<number> {
  try {
    const auth = s.state.auth;
    if (auth === null) fail('EACCES', 'no auth handle to reauthenticate with');
    const { rendezvous } = yield* s.call(auth, Auth.methods.rendezvous, {});
    try {
      yield* s.call(port, M.reauthenticate, { rendezvous });
      const timeout = s.state.timeout === NEVER ? 0 : Math.max(1, Math.ceil(s.state.timeout));
      const r = yield* s.call(auth, Auth.methods.userAuthenticate, { rendezvous, timeout });
      return r.port;
    } finally {
      s.drop(rendezvous);
    }
  } finally {
    s.drop(port);
  }
}
