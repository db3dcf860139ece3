// Who a protid speaks for: the ids a server learnt from auth (never from the client),
// and the Unix permission checks made with them, as the Hurd's iouser and
// fshelp_access / fshelp_isowner. Root (uid 0 among the effective uids) bypasses the
// permission bits, as Unix does; search on directories is always allowed to root, and
// execute on files only when some execute bit is set.

import type { Ids } from '../../protocol/auth.ts';
import { ACCESS } from '../../protocol/fs.ts';

/** The effective ids of a protid's user. Immutable: reauthentication makes a new one. */
export class User {
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
  /** True when uid 0 is among the effective uids. */
  readonly root: boolean;

  constructor(readonly ids: Ids) {
    this.uids = new Set(ids.euids);
    this.gids = new Set(ids.egids);
    this.root = this.uids.has(0);
  }

  /** The uid new nodes get (the first effective uid), or undefined for an unauthenticated user. */
  get uid(): number | undefined {
    return this.ids.euids[0];
  }

  /** The gid new nodes get when the directory does not impose one. */
  get gid(): number | undefined {
    return this.ids.egids[0];
  }

  /** True when the user owns a node with owner `uid` (or is root), as fshelp_isowner. */
  owns(uid: number): boolean {
    return this.root || this.uids.has(uid);
  }

  /**
   * Which of R_OK, W_OK, X_OK the user has on a node with this owner, group and mode
   * (as a bit set of ACCESS values).
   */
  allowed(mode: number, uid: number, gid: number): number {
    const isDir = (mode & 0o170000) === 0o040000;
    if (this.root) {
      const x = isDir || (mode & 0o111) !== 0 ? ACCESS.X_OK : 0;
      return ACCESS.R_OK | ACCESS.W_OK | x;
    }
    let bits: number;
    if (this.uids.has(uid)) bits = (mode >> 6) & 7;
    else if (this.gids.has(gid)) bits = (mode >> 3) & 7;
    else bits = mode & 7;
    return bits;
  }

  /** True when every bit of `want` (ACCESS values) is allowed. */
  may(want: number, mode: number, uid: number, gid: number): boolean {
    return (this.allowed(mode, uid, gid) & want) === want;
  }

  /** True when the user is in group `gid`. */
  inGroup(gid: number): boolean {
    return this.gids.has(gid);
  }

  /**
   * A user holding only the given ids among this one's (io_restrict_auth); root may keep
   * any ids it names.
   */
  restrict(uids: readonly number[], gids: readonly number[]): User {
    const keepU = uids.filter((u) => this.root || this.uids.has(u) || this.ids.auids.includes(u));
    const keepG = gids.filter((g) => this.root || this.gids.has(g) || this.ids.agids.includes(g));
    return new User({
      euids: keepU.filter((u) => this.root || this.uids.has(u)),
      auids: keepU,
      egids: keepG.filter((g) => this.root || this.gids.has(g)),
      agids: keepG,
    });
  }
}

/** An unauthenticated user (no ids): only the "other" permission bits apply. */
export const NOBODY = new User({ euids: [], auids: [], egids: [], agids: [] });

/** Copy an Ids record (the codec's arrays may be reused). */
export function copyIds(ids: Ids): Ids {
  return { euids: [...ids.euids], auids: [...ids.auids], egids: [...ids.egids], agids: [...ids.agids] };
}

/**
 * The user a system description names for a client: auth Ids, or { uid, gid, groups? };
 * root when nothing is named.
 */
export function idsOf(params: unknown): Ids {
  if (params === undefined || params === null) return { euids: [0], auids: [0], egids: [0], agids: [0] };
  const p = params as Partial<Ids> & { uid?: unknown; gid?: unknown; groups?: unknown };
  if (Array.isArray(p.euids)) return { euids: [...p.euids], auids: [...(p.auids ?? [])], egids: [...(p.egids ?? [])], agids: [...(p.agids ?? [])] };
  if (typeof p.uid === 'number') {
    const gid = typeof p.gid === 'number' ? p.gid : p.uid;
    const groups = Array.isArray(p.groups) ? (p.groups as number[]).filter((g) => g !== gid) : [];
    return { euids: [p.uid], auids: [p.uid], egids: [gid, ...groups], agids: [gid, ...groups] };
  }
  throw new TypeError('client params must be ids or { uid, gid, groups }');
}
