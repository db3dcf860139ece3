// The translator calls of a filesystem's protids (Hurd file_set_translator,
// file_get_translator, file_get_translator_cntl), made on a node opened with O_NOTRANS:
// the passive setting (stored on the node, started on first access), attaching an
// active translator (its fsys control cap), and asking the active one to go away.
// Only the node's owner or root may change or reach a node's translator.

import { Kind } from '../../core/index.ts';
import type { ErrnoName, SpecsOf } from '../../libcap/index.ts';
import { clearActive, controlSerial, detachActive, dismissActive, goawayActive, isDead, releaseActive } from './active-translator.ts';
import { dropKeptRoots } from './root-cache.ts';
import { failDeferred, failWith } from './fail-with.ts';
import type { HandlerSet } from './handler-set.ts';
import type { Filesystem, ProtidData } from './filesystem.ts';
import { FS_TRANS, FSYS_GOAWAY, PATH_MAX, type File } from '../../protocol/fs.ts';
import type { MNode } from './node-store.ts';
import { TransBox } from './trans-box.ts';

type TranslatorMethods = Pick<SpecsOf<typeof File>, 'getTranslator' | 'setTranslator' | 'getTranslatorCntl' | 'getControl' | 'translatorError'>;

/** A passive setting a node may store: a non-empty name, no NUL bytes. */
function badArgv(argv: readonly string[]): ErrnoName | null {
  if (argv.length === 0) return null;
  if (argv[0] === '') return 'EINVAL';
  let total = 0;
  for (const a of argv) {
    if (a.includes('\0')) return 'EINVAL';
    total += a.length + 1;
  }
  return total > PATH_MAX ? 'EINVAL' : null;
}

/** Drop a node's translator box when it holds nothing any more. */
function tidy(fs: Filesystem, node: MNode): void {
  const s = fs.store.peek(node);
  if (s !== undefined && s.trans !== null && !s.trans.present) s.trans = null;
}

function setPassive(box: TransBox, passive: readonly string[] | undefined): void {
  if (passive === undefined) return;
  box.passive = passive.length === 0 ? null : [...passive];
}

export function fileTranslatorHandlers(fs: Filesystem): HandlerSet<TranslatorMethods, ProtidData> {
  return {
    getTranslator(ctx) {
      const passive = fs.store.peek(ctx.data.po!.node)?.trans?.passive ?? null;
      if (passive === null) return ctx.fail('EINVAL');
      return { argv: [...passive] };
    },

    setTranslator(ctx, { passive, active, flags }) {
      const node = ctx.data.po!.node;
      if (!ctx.data.user.owns(node.uid)) return ctx.fail('EPERM');
      if (passive !== undefined) {
        const bad = badArgv(passive);
        if (bad !== null) return failWith(bad);
        if (fs.readonly) return ctx.fail('EROFS');
      }
      if (active !== undefined && fs.ops.identify(active)?.kind !== Kind.Endpoint) return ctx.fail('EINVAL');
      const state = fs.store.stateOf(node);
      const box = (state.trans ??= new TransBox());
      const old = box.active;
      const goaway = (flags & FS_TRANS.SET_GOAWAY) !== 0;
      const goawayFlags = (flags & FS_TRANS.FORCE) !== 0 ? FSYS_GOAWAY.FORCE : 0;

      if (active !== undefined) {
        if (old !== null && ((flags & FS_TRANS.EXCL) !== 0 || (flags & FS_TRANS.FORCE) === 0)) return ctx.fail('EBUSY');
        ctx.keep(active);
        const replaced = detachActive(fs, box);
        if (replaced !== null) {
          if (goaway) void dismissActive(fs, replaced, goawayFlags);
          else releaseActive(fs, replaced);
        }
        const act = { control: active, serial: controlSerial(fs, active), task: null, instance: null };
        box.active = act;
        fs.children.set(act, box);
        setPassive(box, passive);
        tidy(fs, node);
        return {};
      }

      if (goaway && old !== null) {
        const d = ctx.defer();
        void goawayActive(fs, box, goawayFlags).then((err) => {
          if (err !== null) {
            failDeferred(d, err);
            return;
          }
          setPassive(box, passive);
          tidy(fs, node);
          d.reply({});
        });
        return d;
      }
      setPassive(box, passive);
      tidy(fs, node);
      return {};
    },

    getTranslatorCntl(ctx) {
      const node = ctx.data.po!.node;
      if (!ctx.data.user.owns(node.uid)) return ctx.fail('EPERM');
      const box = fs.store.peek(node)?.trans ?? null;
      if (box === null) return ctx.fail('ENXIO');
      if (box.active !== null && isDead(fs, box.active)) clearActive(fs, box);
      if (box.active === null) return ctx.fail('ENXIO');
      // Its holder may call fsys.goaway straight: the roots kept of it would count as users.
      dropKeptRoots(fs, box.active);
      return { control: box.active.control };
    },

    getControl(ctx) {
      // As the Hurd's file_getcontrol: root, or the user this filesystem runs as.
      const user = ctx.data.user;
      const runsAs = fs.ids?.euids[0];
      if (!user.root && !(runsAs !== undefined && user.owns(runsAs))) return ctx.fail('EPERM');
      return { control: ctx.give(fs.control!) };
    },

    translatorError(ctx) {
      return { message: fs.store.peek(ctx.data.po!.node)?.trans?.startError ?? '' };
    },
  };
}
