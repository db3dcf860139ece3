// The fsys interface of a filesystem's control port (Hurd fsys.defs, as libdiskfs's
// fsys-*.c): the root for a user the parent vouches for (getroot), going away (asking
// the translators on its nodes first; EBUSY while in use unless forced), and the
// runtime options --readonly / --writable (fsysopts).

import type { Sys, SysGen } from '../../core/index.ts';
import { stub, type ErrnoName, type SpecsOf } from '../../libcap/index.ts';
import { DotDot } from './dotdot.ts';
import { failWith } from './fail-with.ts';
import type { HandlerSet } from './handler-set.ts';
import { clearActive, goawayActive, isDead, isGone } from './active-translator.ts';
import type { ControlData, Filesystem } from './filesystem.ts';
import { Fsys, FSYS_GOAWAY } from '../../protocol/fs.ts';
import { checkOpen, openChecked } from './open-node.ts';
import { admitRoot } from './client-limits.ts';
import { closeKeptRoots } from './root-cache.ts';
import { copyIds, User } from './user.ts';

/** Parse fsysopts options: the read-only setting they ask for (null: unchanged), or EINVAL. */
export function parseFsOptions(options: readonly string[]): { readonly: boolean | null } | 'EINVAL' {
  let readonly: boolean | null = null;
  for (const o of options) {
    switch (o) {
      case '--readonly':
      case '--rdonly':
      case '-r':
        readonly = true;
        break;
      case '--writable':
      case '--rw':
      case '-w':
        readonly = false;
        break;
      case '--update':
      case '-u':
        break;
      default:
        return 'EINVAL';
    }
  }
  return { readonly };
}

/**
 * Ask every translator on this server's nodes to go away with `flags`. EBUSY when one
 * refused (those that agreed are gone); null when all went.
 */
export async function dismissChildren(fs: Filesystem, flags: number): Promise<ErrnoName | null> {
  let refused: ErrnoName | null = null;
  for (const box of [...fs.children.values()]) {
    const err = await goawayActive(fs, box, flags);
    if (err !== null) refused = err;
  }
  return refused;
}

/** As dismissChildren, from a handler's thread (nested calls instead of helper threads). */
export function* dismissChildrenIn(fs: Filesystem, sys: Sys, flags: number): SysGen<ErrnoName | null> {
  let refused: ErrnoName | null = null;
  const forced = (flags & FSYS_GOAWAY.FORCE) !== 0;
  for (const [act, box] of [...fs.children]) {
    // The roots this server keeps of it are not users (root-cache.ts).
    if (isDead(fs, act)) {
      if (box.active === act) clearActive(fs, box);
      continue;
    }
    const reopen = closeKeptRoots(fs, act);
    const r = yield* stub(Fsys, sys, act.control).goaway({ flags }, { timeout: fs.settings.translatorTimeout });
    reopen();
    if (r.ok || isGone(r.error) || forced) {
      if (box.active === act) clearActive(fs, box);
    } else refused = 'EBUSY';
  }
  return refused;
}

/** End the server after its goaway was answered: end the bucket, then exit when a translator. */
export function endServer(fs: Filesystem): void {
  fs.gone = true;
  fs.after(0, () => {
    void fs.closePoster()
      .then(() => fs.bucket.end(true))
      .then(() => fs.exit?.());
  });
}

export function fsysHandlers(fs: Filesystem): HandlerSet<SpecsOf<typeof Fsys>, ControlData> {
  return {
    getroot(ctx, { dotdot, ids, flags }) {
      const no = admitRoot(fs);
      if (no !== null) return failWith(no);
      const user = new User(copyIds(ids));
      const root = fs.store.root;
      const err = checkOpen(fs, user, root.node, flags, false, false);
      if (err !== null) return failWith(err);
      let dd: DotDot | null = null;
      if (dotdot !== undefined) {
        ctx.keep(dotdot);
        dd = new DotDot(fs.ops, dotdot);
      }
      const po = openChecked(fs, root, root.node, flags, false, dd);
      dd?.unref();
      return { retry: 'normal', retryName: '', root: fs.giveProtid(ctx, po, user) };
    },

    // A generator handler: the answer goes back through this worker, and the RPC is
    // finished, before the end it schedules runs (a deferred answer still queued when
    // the bucket ends would be turned into EINTR).
    *goaway(ctx, { flags }) {
      const force = (flags & FSYS_GOAWAY.FORCE) !== 0;
      if (!force && fs.protidsInUse() > 0) return ctx.fail('EBUSY');
      const refused = yield* dismissChildrenIn(fs, ctx.sys!, flags);
      if (refused !== null && !force) return ctx.fail('EBUSY');
      endServer(fs);
      return {};
    },

    getOptions() {
      return { options: [fs.readonly ? '--readonly' : '--writable'], program: 'fs' };
    },

    setOptions(ctx, { options }) {
      const parsed = parseFsOptions(options);
      if (parsed === 'EINVAL') return ctx.fail('EINVAL');
      const ro = parsed.readonly;
      if (ro === true && !fs.readonly && fs.writersOpen() > 0) return ctx.fail('EBUSY');
      if (ro !== null) fs.readonly = ro;
      return {};
    },

    syncfs() {
      return {};
    },
  };
}
