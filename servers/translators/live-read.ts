// io.read for netfs nodes that can vanish while open (a proc file of a task that has
// ended, a json leaf whose key is gone): the errno the translator names once the node is
// gone, else the node's content() through readFrom with the per-open offset, as netfs's
// own read does.

import type { ErrnoName } from '../../libcap/index.ts';
import { readFrom } from '../fs/bytes-io.ts';
import { failWith } from '../fs/fail-with.ts';
import type { ProtidHandlerSet } from '../fs/handler-set.ts';
import type { NetfsNode, NetfsProtid } from '../fs/netfs.ts';

/** What a node's content() answered, as bytes. */
function bytesOf(c: Uint8Array | string): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
}

/**
 * An io.read handler for a netfs tree whose nodes may vanish: `vanished(node)` answers
 * the errno to fail with (ENOENT, say) or null while the node is there.
 */
export function liveRead(vanished: (node: NetfsNode) => ErrnoName | null): ProtidHandlerSet<NetfsProtid>['read'] {
  return (ctx, args) => {
    const node = ctx.data.po!.node;
    if (node.type === 'dir') return ctx.fail('EISDIR');
    if (node.type !== 'file') return ctx.fail('EINVAL');
    const err = vanished(node);
    if (err !== null) return failWith(err);
    if (node.content === undefined) return failWith('EOPNOTSUPP');
    const c = node.content();
    if (typeof c === 'string' || c instanceof Uint8Array) return readFrom(ctx, bytesOf(c), args);
    return c.then((v) => readFrom(ctx, bytesOf(v), args));
  };
}
