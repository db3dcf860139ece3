// The firmlink translator, as the Hurd's firmlink: `settrans node firmlink TARGET`. A
// lookup that reaches the node continues at TARGET, like a symlink, but resolved by the
// translator in its fsys.getroot rather than by the client: a relative TARGET is taken
// from the directory holding the node (the Hurd's file_name_lookup_under dotdot), an
// absolute one from the root the translator found above it (path-resolver.ts), never
// from the client's root.
//
// getroot looks up the directory part of TARGET as the translator's owner (O_PATH) and
// answers REAUTH with that directory and the last component as the name to continue
// with: the client reauthenticates the port with its own ids, so it opens the target
// itself with its own permissions and flags (a file target works too, and a symlink or
// translator there is followed by the client's lookup as usual). Only the search
// through the directories above the target is done with the owner's authority.
//
// The quirk, kept from the Hurd's: the port the client continues with is an ordinary
// port of the target's filesystem, so ".." from inside the target leads to the
// target's parent, not back to the directory holding the firmlink ("node/.." is the
// target's parent). The node is never opened as itself: stat and readlink show the
// target. fsysopts reads and changes TARGET. A target that leads back through the
// firmlink itself nests getroots: more than MAX_NESTING of them in flight answer ELOOP
// (the parent serves each getroot on one of its workers while the firmlink looks the
// target up through it, so the bound also keeps a firmlink from tying up the parent's
// pool; concurrent lookups beyond the bound get ELOOP too).
//
// Unlike the Hurd's: the parent's bucket names a port's client by the badge it was
// first given under, and reauthentication and lookups keep that client, so every port
// a client obtains through a firmlink counts as the firmlink task's and ends when the
// firmlink goes away (or is restarted).

import { HostSys } from '../../core/index.ts';
import { O } from '../../protocol/fs.ts';
import { failWith } from '../fs/fail-with.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { trivfs } from '../fs/trivfs.ts';
import { lookupPath } from '../../clients/fs/index.ts';
import { PathResolver } from './path-resolver.ts';

/** getroots of one firmlink in flight at once before the next answers ELOOP (see the module comment). */
export const MAX_NESTING = 4;

/** The usage line bad arguments are reported with. */
export const FIRMLINK_USAGE = 'usage: firmlink TARGET';

/** The target `args` name (exactly one non-empty argument), or what is wrong as a message. */
export function parseFirmlinkArgs(args: readonly string[]): { target: string } | string {
  if (args.length !== 1) return `expected one TARGET, got ${args.length} arguments; ${FIRMLINK_USAGE}`;
  const target = args[0]!;
  if (target === '') return `an empty TARGET; ${FIRMLINK_USAGE}`;
  return { target };
}

/**
 * Where getroot sends the client: the directory to open (as the translator) and the name
 * to continue with there (a trailing slash kept, or added when a directory is wanted).
 */
export function splitTarget(target: string, wantDir: boolean): { dir: string; name: string } {
  const abs = target.startsWith('/');
  const parts = target.split('/').filter((p) => p !== '');
  const last = parts[parts.length - 1];
  if (last === undefined || last === '.' || last === '..') return { dir: target, name: '' };
  const above = parts.slice(0, -1).join('/');
  const dir = abs ? `/${above}` : above === '' ? '.' : above;
  return { dir, name: wantDir || target.endsWith('/') ? `${last}/` : last };
}

/** Start firmlink: argv is ['firmlink', TARGET]. Bad arguments fail the start. */
export const firmlink: TranslatorFactory = (env) => {
  const parsed = parseFirmlinkArgs(env.argv.slice(1));
  if (typeof parsed === 'string') throw new TypeError(`firmlink: ${parsed}`);
  let target = parsed.target;
  const resolver = new PathResolver(env);
  const ops = new HostSys(env.kernel, env.task);
  let nesting = 0;

  return trivfs(env, {
    name: 'firmlink',
    fsys: {
      getroot(ctx, { dotdot, flags }) {
        resolver.learn(dotdot);
        if (nesting >= MAX_NESTING) return failWith('ELOOP', `${target} leads back through this firmlink`);
        const { dir, name } = splitTarget(target, (flags & O.DIRECTORY) !== 0);
        nesting++;
        return resolver
          .run((s) => lookupPath(s, dir, O.PATH | O.DIRECTORY, 0))
          .finally(() => nesting--)
          .then((port) => {
            if (typeof port === 'string') return failWith(port);
            if (ctx.cancelled) {
              // Nobody takes the port: do not leave it in our space.
              ops.delete(port);
              return failWith('EINTR');
            }
            return { retry: 'reauth' as const, retryName: name, root: port };
          });
      },
    },
    getOptions: () => [target],
    setOptions(options) {
      if (options.length === 0) return null;
      const p = parseFirmlinkArgs(options);
      if (typeof p === 'string') return 'EINVAL';
      target = p.target;
      return null;
    },
    onGoaway: () => resolver.close(),
  });
};
