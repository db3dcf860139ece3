// A hook on fsys.getroot for translators built on netfs or trivfs that still want the
// library's getroot (its open checks, its ".." handling): the hook sees every getroot's
// arguments first (the dotdot a PathResolver learns from, a moment to reload a file)
// and may refuse it with an errno. The library has no such hook and an fsys override
// replaces its getroot, so this puts a second control object in front, in the same
// bucket, whose getroot runs the hook and then the library's own handler.

import { defineClass, RpcFailure, type ArgsOf, type CapObject, type ErrnoName, type SpecOf, type SpecsOf } from '../../libcap/index.ts';
import { failWith } from '../fs/fail-with.ts';
import { Fsys } from '../../protocol/fs.ts';
import type { HandlerSet } from '../fs/handler-set.ts';
import type { MaybePromise, Netfs, NetfsControl } from '../fs/netfs.ts';

/** What fsys.getroot is called with. */
export type GetrootArgs = ArgsOf<SpecOf<typeof Fsys.methods.getroot>>;

/** Runs before the library's getroot; an errno fails the getroot with it. */
export type GetrootHook = (args: GetrootArgs) => MaybePromise<ErrnoName | null>;

type FsysHandlers = HandlerSet<SpecsOf<typeof Fsys>, NetfsControl>;
type GetrootAnswer = { retry: 'normal' | 'reauth' | 'magical'; retryName: string; root: number } | RpcFailure<never>;

function isPromise<T>(x: MaybePromise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

/**
 * The instance `inst` with a control port whose getroot runs `hook` first. The parent
 * holds the new control object; every other fsys call is the library's. Precondition:
 * `inst` was made by netfs() or trivfs() without its own getroot override (the
 * library's getroot answers at once).
 */
export function withGetrootHook<I extends Netfs>(inst: I, hook: GetrootHook): I {
  const lib = inst.control.cls.spec.handlers as unknown as FsysHandlers;
  const libGetroot = (ctx: Parameters<FsysHandlers['getroot']>[0], args: GetrootArgs): GetrootAnswer => {
    const r = lib.getroot(ctx, args);
    if (r instanceof RpcFailure || (typeof r === 'object' && r !== null && 'root' in r)) return r as GetrootAnswer;
    throw new Error(`${inst.name}: the library's getroot did not answer at once`);
  };
  const cls = defineClass({
    name: `${inst.name}.control`,
    interface: Fsys,
    init: (): NetfsControl => ({ name: inst.name }),
    handlers: {
      ...lib,
      getroot(ctx, args) {
        const before = hook(args);
        if (!isPromise(before)) return before === null ? libGetroot(ctx, args) : failWith(before);
        return before.then((err) => (err === null ? libGetroot(ctx, args) : failWith(err)));
      },
    } satisfies FsysHandlers,
  });
  const control: CapObject | RpcFailure = inst.bucket.create(cls, undefined);
  if (control instanceof RpcFailure) throw new Error(`${inst.name}: cannot create the control port`);
  return { ...inst, root: control, control };
}
