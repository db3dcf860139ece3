// The name server's side of the NamesComposer protocol (protocol/startup.ts): what boot
// does to namespaces through the host-side NamesInstance and NameSpace objects when the
// name server shares its heap, served as RPCs when it runs in its own task (names-body.ts).
// Each request is checked whole before anything changes; errors are values.

import { Rights } from '../../core/index.ts';
import { defineClass, RpcFailure, type Bucket, type CapObject } from '../../libcap/index.ts';
import { NamesComposer } from '../../protocol/startup.ts';
import type { NamesService } from './names-server.ts';
import type { NameSpace } from './namespace.ts';
import { checkName } from './path.ts';

/**
 * The composer object of `svc`, in `control` (the body's startup control bucket: only its
 * composer holds a cap to it). Namespaces it creates are named by their ids.
 */
export function namesComposer(svc: NamesService, control: Bucket): CapObject {
  /** The namespaces this composer made, by number. */
  const made = new Map<number, NameSpace>();

  function spaceOf(id: number): NameSpace | null {
    const s = made.get(id);
    if (s === undefined) return null;
    if (!s.destroyed) return s;
    made.delete(id);
    return null;
  }
  const unknown = (id: number) => new RpcFailure('ENOENT', `no namespace ${id}`);

  const cls = defineClass({
    name: 'names.composer',
    interface: NamesComposer,
    init: () => null,
    handlers: {
      create(ctx, { label }) {
        if (svc.spaceCount() >= svc.maxNamespaces) return ctx.fail('EAGAIN', `at most ${svc.maxNamespaces} namespaces`);
        const s = svc.createNamespace(label);
        made.set(s.id, s);
        return { space: s.id };
      },
      bindPending(_ctx, { space, name }) {
        const s = spaceOf(space);
        if (s === null) return unknown(space);
        const e = s.bindPending(name);
        return e === null ? {} : new RpcFailure(e);
      },
      attach(ctx, { space, name, cap, rights }) {
        const s = spaceOf(space);
        if (s === null) return unknown(space);
        if ((rights & ~Rights.All) !== 0) return ctx.fail('EINVAL', 'unknown rights bits');
        ctx.keep(cap); // the namespace's from here, bound or deleted
        return { error: s.attachSlot(name, cap, rights) ?? '' };
      },
      lookup(ctx, { space, name }) {
        const s = spaceOf(space);
        if (s === null) return unknown(space);
        const bad = checkName(name);
        if (bad !== null) return ctx.fail(bad);
        return { kind: s.lookup(name)?.kind ?? '' };
      },
      installView(ctx, { space, task, register }) {
        const s = spaceOf(space);
        if (s === null) return unknown(space);
        ctx.keep(task); // clientForTaskCap owns it from here
        const client = svc.bucket.clientForTaskCap(task);
        if (client instanceof RpcFailure) return client;
        return { view: svc.bucket.give(client, svc.viewOf(s, register)) };
      },
      list(_ctx, { space }) {
        const s = spaceOf(space);
        if (s === null) return unknown(space);
        return { entries: s.list() };
      },
    },
  });
  const obj = control.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error(`names: cannot create the composer object (${obj.error})`);
  return obj;
}
