// planSystem: a description is validated whole (every problem listed at once), names
// resolve to siblings first and then to what the enclosing group was given, and servers
// are ordered providers first, cycles broken by declaration order.

import { describe, expect, it } from 'vitest';
import { Rights } from '../../../core/index.ts';
import { planSystem, type SystemSpec } from '../../../servers/system/index.ts';
import { ProbeLog, probeServer } from './probe.ts';

const log = new ProbeLog();
const srv = () => probeServer('x', log);
function* prog(): Generator<never, void, number> {}

describe('planSystem', () => {
  it('orders servers after the servers they use, whatever the declaration order', () => {
    const plan = planSystem({
      app: { program: prog, uses: { a: 'a' } },
      a: { server: srv(), uses: { b: 'b', c: 'c' } },
      c: { server: srv() },
      b: { server: srv(), uses: { c: 'c' } },
    });
    expect(plan.serverOrder).toEqual(['c', 'b', 'a']);
    expect(plan.children.map((c) => `${c.path}:${c.kind}`)).toEqual(['app:program', 'a:server', 'c:server', 'b:server']);
  });

  it('tolerates cycles (declaration order decides who starts first)', () => {
    const plan = planSystem({
      a: { server: srv(), uses: { b: 'b' } },
      b: { server: srv(), uses: { a: 'a' } },
    });
    expect(plan.serverOrder).toEqual(['b', 'a']);
  });

  it('resolves group members to siblings first, then to the group\'s uses, narrowing rights', () => {
    const plan = planSystem({
      svc: { server: srv() },
      grp: {
        uses: { s: { service: 'svc', params: 'p', rights: Rights.CallGrant } },
        children: {
          db: { server: srv() },
          app: { program: prog, uses: { data: 'db', svc: { service: 's', rights: Rights.Call } } },
        },
      },
    });
    const app = plan.children.find((c) => c.path === 'grp/app')!;
    expect(app.uses).toEqual([
      { alias: 'data', provider: 'grp/db', params: undefined, rights: undefined },
      { alias: 'svc', provider: 'svc', params: 'p', rights: Rights.Call & Rights.CallGrant },
    ]);
  });

  it('lists every problem at once', () => {
    const spec = {
      'bad name': { server: srv() },
      app: { program: prog, uses: { x: 'missing', 'a/b': 'svc', p: 'other' } },
      other: { program: prog },
      svc: { server: srv() },
      grp: { children: {} },
      grp2: { children: { inner: { program: prog, uses: { s: 'svc' } } } },
      odd: {},
    } as unknown as SystemSpec;
    let message = '';
    try {
      planSystem(spec);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("bad name: a child name must be");
    expect(message).toContain("app: uses unknown service 'missing'");
    expect(message).toContain("app: 'a/b' is not a valid name (EINVAL)");
    expect(message).toContain("app: uses 'other' (other), which is not a server");
    expect(message).toContain('grp: a group needs children');
    // Group members see only what the group was given: 'svc' is outside.
    expect(message).toContain("grp2/inner: uses unknown service 'svc'");
    expect(message).toContain('odd: a child needs one of server, program or children');
  });

  it('knows implicit servers (the name server) by name', () => {
    const plan = planSystem({ app: { program: prog, uses: { root: 'names' } } }, ['names']);
    expect(plan.children[0]!.uses[0]!.provider).toBe('names');
    expect(plan.serverOrder).toEqual([]);
  });
});
