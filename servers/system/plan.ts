// Turning a system description into a boot plan: flatten the tree into children with
// paths ('sub/db'), resolve every used name to the server that provides it (a sibling,
// or through the enclosing groups' own uses), and order the servers so that each starts
// after the servers it uses where possible. A cycle or a forward reference is fine: the
// name stays pending in the child's namespace until its server starts.
// Planning validates the whole description first and throws once, listing every problem.

import { checkName } from '../names/path.ts';
import { isGroup, isProgram, isServer, type ProgramChild, type ServerChild, type SystemSpec, type Uses } from './system-spec.ts';

/** A resolved use: the child sees server `provider` under `alias`. */
export interface PlannedUse {
  readonly alias: string;
  /** Path of the server child providing it. */
  readonly provider: string;
  readonly params: unknown;
  /** Most rights (undefined: the server's client rights). */
  readonly rights: number | undefined;
}

/** A child that runs in a task. */
export interface PlannedChild {
  readonly path: string;
  readonly kind: 'server' | 'program';
  readonly spec: ServerChild | ProgramChild;
  readonly uses: readonly PlannedUse[];
}

/** A validated description: the children to give tasks to and the order servers start in. */
export interface Plan {
  /** Every child with a task, in declaration order (depth first). */
  readonly children: readonly PlannedChild[];
  /** Server paths in start order: providers before their users, cycles broken by declaration order. */
  readonly serverOrder: readonly string[];
}

/** What a name means in one scope: a server child, or a use inherited from the group. */
type ScopeEntry = { readonly kind: 'server'; readonly path: string } | { readonly kind: 'other'; readonly path: string } | { readonly kind: 'inherited'; readonly use: PlannedUse };

/** The services a scope offers: names resolve to children first, then inherited uses. */
class Scope {
  constructor(
    readonly local: ReadonlyMap<string, ScopeEntry>,
    readonly inherited: ReadonlyMap<string, PlannedUse>,
  ) {}
}

const CHILD_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Plan a system. `implicit` names extra root-level servers the description does not
 * declare (the name server boot adds). Throws an Error listing every problem: bad
 * names, unknown services, uses of something that is not a server, empty groups.
 */
export function planSystem(spec: SystemSpec, implicit: readonly string[] = []): Plan {
  const problems: string[] = [];
  const children: PlannedChild[] = [];

  function resolveUses(where: string, uses: Uses | undefined, scope: Scope): PlannedUse[] {
    const out: PlannedUse[] = [];
    for (const [alias, u] of Object.entries(uses ?? {})) {
      const bad = checkName(alias);
      if (bad !== null) {
        problems.push(`${where}: '${alias}' is not a valid name (${bad})`);
        continue;
      }
      const service = typeof u === 'string' ? u : u.service;
      const rights = typeof u === 'string' ? undefined : u.rights;
      const params = typeof u === 'string' ? undefined : u.params;
      const e = scope.local.get(service);
      if (e !== undefined) {
        if (e.kind === 'server') out.push({ alias, provider: e.path, params, rights });
        else if (e.kind === 'other') problems.push(`${where}: uses '${service}' (${e.path}), which is not a server`);
        continue;
      }
      const inh = scope.inherited.get(service);
      if (inh === undefined) {
        problems.push(`${where}: uses unknown service '${service}'`);
        continue;
      }
      const r = rights === undefined ? inh.rights : inh.rights === undefined ? rights : rights & inh.rights;
      out.push({ alias, provider: inh.provider, params: inh.params, rights: r });
    }
    return out;
  }

  function walk(level: SystemSpec, prefix: string, inherited: ReadonlyMap<string, PlannedUse>, extra: readonly string[]): void {
    const local = new Map<string, ScopeEntry>();
    for (const name of extra) local.set(name, { kind: 'server', path: prefix + name });
    for (const [name, c] of Object.entries(level)) {
      if (!CHILD_NAME.test(name) || name === '.' || name === '..') {
        problems.push(`${prefix}${name}: a child name must be letters, digits, '.', '-' or '_'`);
        continue;
      }
      local.set(name, isServer(c) ? { kind: 'server', path: prefix + name } : { kind: 'other', path: prefix + name });
    }
    const scope = new Scope(local, inherited);
    for (const [name, c] of Object.entries(level)) {
      if (!local.has(name)) continue;
      const path = prefix + name;
      if (isGroup(c)) {
        const groupUses = resolveUses(path, c.uses, scope);
        if (Object.keys(c.children).length === 0) problems.push(`${path}: a group needs children`);
        walk(c.children, `${path}/`, new Map(groupUses.map((u) => [u.alias, u])), []);
      } else if (isServer(c) || isProgram(c)) {
        if (typeof (isServer(c) ? c.server : c.program) !== 'function') problems.push(`${path}: server/program must be a function`);
        else if (isServer(c) && c.isolate === true && c.server.body === undefined) {
          problems.push(`${path}: isolate: true needs a server with a body module (${c.server.inProcessOnly ?? 'this one has none'})`);
        }
        children.push({ path, kind: isServer(c) ? 'server' : 'program', spec: c, uses: resolveUses(path, c.uses, scope) });
      } else {
        problems.push(`${path}: a child needs one of server, program or children`);
      }
    }
  }

  walk(spec, '', new Map(), implicit.filter((n) => !(n in spec)));
  if (problems.length > 0) throw new Error(`invalid system description:\n  ${problems.join('\n  ')}`);
  return { children, serverOrder: orderServers(children) };
}

/** Depth-first topological order over "uses" edges; an edge back into the stack is a cycle, skipped. */
function orderServers(children: readonly PlannedChild[]): string[] {
  const servers = new Map(children.filter((c) => c.kind === 'server').map((c) => [c.path, c]));
  const done = new Set<string>();
  const onStack = new Set<string>();
  const order: string[] = [];
  const visit = (path: string): void => {
    if (done.has(path) || onStack.has(path)) return;
    onStack.add(path);
    for (const u of servers.get(path)?.uses ?? []) if (servers.has(u.provider)) visit(u.provider);
    onStack.delete(path);
    done.add(path);
    order.push(path);
  };
  for (const path of servers.keys()) visit(path);
  return order;
}
