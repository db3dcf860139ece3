// Interfaces declared once: declaration errors, the compiled method table, trace names
// (registry), and the types stubs and handlers derive from the one declaration.

import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Sys, SysGen } from '../../core/index.ts';
import {
  defineClass,
  defineInterface,
  LIBRARY_ERRORS,
  MAX_OPCODE,
  methodOf,
  stub,
  t,
  targetOf,
  type AsyncClient,
  type ArgsOf,
  type ErrorsOf,
  type ReplyOf,
  type RpcResult,
  connect,
} from '../../libcap/index.ts';
import { Ctl, settle, world } from './harness.ts';

describe('interfaces: declaration errors', () => {
  it('a duplicate opcode is refused, naming both methods', () => {
    expect(() => defineInterface('dup', { a: { op: 1 }, b: { op: 1 } })).toThrow(/dup\.b: opcode 1 already used by dup\.a/);
  });

  it('opcodes outside 1..MAX_OPCODE or not integers are refused', () => {
    expect(() => defineInterface('r', { a: { op: 0 } })).toThrow(RangeError);
    expect(() => defineInterface('r', { a: { op: MAX_OPCODE + 1 } })).toThrow(/r\.a: opcode must be an integer/);
    expect(() => defineInterface('r', { a: { op: 1.5 } })).toThrow(RangeError);
    expect(() => defineInterface('r', { a: { op: -3 } })).toThrow(RangeError);
    expect(defineInterface('r', { a: { op: MAX_OPCODE } }).byOp.get(MAX_OPCODE)?.name).toBe('a');
  });

  it('an unknown errno in a method error list is refused', () => {
    expect(() => defineInterface('e', { a: { op: 1, errors: ['ENOPE' as 'EIO'] } })).toThrow(/e\.a: unknown error ENOPE/);
  });

  it('a one-way method with a reply is refused', () => {
    expect(() => defineInterface('o', { a: { op: 1, oneway: true, reply: { x: t.u32 } } })).toThrow(/one-way method has no reply/);
    // An empty reply is no reply.
    expect(defineInterface('o', { a: { op: 1, oneway: true, reply: {} } }).methods.a.oneway).toBe(true);
  });

  it('arguments needing more words than fit beside the 2-word header are refused; 62 fit', () => {
    const words = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}`, t.u32]));
    expect(() => defineInterface('w', { a: { op: 1, args: words(62) } })).not.toThrow();
    expect(() => defineInterface('w', { a: { op: 1, args: words(63) } })).toThrow(/w\.a: arguments need 63 words/);
    // Replies have no header: 64 fit, 65 do not. f64 takes two words, optional one more.
    expect(() => defineInterface('w', { a: { op: 1, reply: words(64) } })).not.toThrow();
    expect(() => defineInterface('w', { a: { op: 1, reply: { ...words(63), x: t.f64 } } })).toThrow(/reply need 65 words/);
    expect(() => defineInterface('w', { a: { op: 1, args: { ...words(60), o: t.optional(t.f64) } } })).toThrow(/arguments need 63 words/);
    expect(() => defineInterface('w', { a: { op: 1, args: { ...words(59), o: t.optional(t.f64) } } })).not.toThrow();
  });

  it('more than 4 string/byte/array items or more than 3 caps are refused', () => {
    const items = { a: t.string(), b: t.bytes(), c: t.array(t.u32), d: t.string() };
    expect(() => defineInterface('i', { m: { op: 1, args: items } })).not.toThrow();
    expect(() => defineInterface('i', { m: { op: 1, args: { ...items, e: t.bytes() } } })).toThrow(/5 string\/byte\/array items \(max 4\)/);
    const caps = { a: t.cap(), b: t.cap('grant'), c: t.cap() };
    expect(() => defineInterface('c', { m: { op: 1, reply: caps } })).not.toThrow();
    expect(() => defineInterface('c', { m: { op: 1, reply: { ...caps, d: t.optional(t.cap()) } } })).toThrow(/4 caps \(max 3\)/);
    // Items and caps inside records count too.
    expect(() => defineInterface('c', { m: { op: 1, args: { r: t.record({ a: t.cap(), b: t.cap() }), s: t.record({ c: t.cap(), d: t.cap() }) } } })).toThrow(
      /caps/,
    );
  });

  it('arrays of caps and empty enums are refused when declared', () => {
    expect(() => t.array(t.cap())).toThrow(/arrays of capabilities/);
    expect(() => t.array(t.record({ c: t.optional(t.cap()) }))).toThrow(/arrays of capabilities/);
    expect(() => t.enum()).toThrow(/at least one value/);
  });
});

describe('interfaces: the compiled table', () => {
  it('methods are listed in opcode order with full names, and the library errors are known', () => {
    const I = defineInterface('fs', {
      write: { op: 3, args: { data: t.bytes() }, reply: { n: t.u32 }, errors: ['ENOSPC'] },
      read: { op: 1, args: { n: t.u32 }, reply: { data: t.bytes() } },
      sync: { op: 2, oneway: true, doc: 'flush everything' },
    });
    expect(I.list.map((m) => [m.op, m.name, m.fullName])).toEqual([
      [1, 'read', 'fs.read'],
      [2, 'sync', 'fs.sync'],
      [3, 'write', 'fs.write'],
    ]);
    expect(I.methods.write.errors).toEqual(['ENOSPC']);
    expect(I.methods.sync.oneway).toBe(true);
    expect(I.methods.sync.doc).toBe('flush everything');
    expect(I.methods.read.argsCodec.names).toEqual(['n']);
    expect(I.methods.write.replyCodec.maxWords).toBe(1);
    expect(I.methods.write.argsCodec.maxItems).toBe(1);
    expect([...LIBRARY_ERRORS].sort()).toEqual(['EAGAIN', 'EBADF', 'EBUSY', 'ECANCELED', 'EINTR', 'EINVAL', 'EIO', 'EMFILE', 'ENOMEM', 'ENOSYS', 'EOPNOTSUPP']);
  });

  it('appending a method keeps every existing opcode (old clients keep working)', async () => {
    const V1 = defineInterface('v', { get: { op: 1, reply: { x: t.u32 } } });
    const V2 = defineInterface('v', { get: { op: 1, reply: { x: t.u32 } }, set: { op: 2, args: { x: t.u32 } } });
    const w = world();
    let x = 7;
    const cls = defineClass({
      name: 'v',
      interface: V2,
      init: () => null,
      handlers: { get: () => ({ x }), set: (_c, a) => void (x = a.x) },
    });
    const obj = w.bucket.create(cls, undefined);
    if (!('refs' in obj)) throw new Error('create failed');
    const task = w.k.createTask('old');
    const slot = w.bucket.install(obj, task);
    const old = connect(V1, w.k, task, slot);
    const cur = connect(V2, w.k, task, slot);
    await cur.set({ x: 9 });
    expect(await old.get()).toEqual({ x: 9 });
    await settle(w.k);
  });

  it('a class handler for a method its interface lacks is refused', () => {
    expect(() =>
      defineClass({ name: 'bad', interface: Ctl, init: () => 0, handlers: { nope: () => ({}) } as never }),
    ).toThrow(/handler nope is not a method of ctl/);
  });

  it('trace names: targetOf resolves endpoint and badge to bucket, interface, class and object', async () => {
    const w = world();
    const c = w.client();
    const id = w.k.tasks.get(c.task.id)!.cspace.get(c.slot)!;
    const target = targetOf(w.k, id.obj.id, id.badge);
    expect(target?.bucket).toBe(w.bucket);
    expect(target?.iface.name).toBe('ctl');
    expect(target?.className).toBe('ctl');
    expect(target?.objectId).toBe(c.obj.id);
    expect(methodOf(Ctl, 2)?.fullName).toBe('ctl.add');
    expect(methodOf(Ctl, 2)?.argsCodec.names).toEqual(['by']);
    expect(methodOf(Ctl, 999)).toBeUndefined();
    expect(targetOf(w.k, id.obj.id, 0)).toBeNull();
    expect(targetOf(w.k, 987654, id.badge)).toBeNull();
    // The trace decoder reads words and items without caps.
    expect(Ctl.methods.add.argsCodec.peek([5], [])).toEqual({ by: 5 });
    expect(Ctl.methods.name.argsCodec.peek([], ['bob'])).toEqual({ s: 'bob' });
    expect(typeof Ctl.methods.add.argsCodec.peek([], [])).toBe('string');
    await settle(w.k);
  });
});

describe('interfaces: types derive from the declaration', () => {
  const I = defineInterface('typed', {
    f: {
      op: 1,
      args: { a: t.u32, s: t.string(), o: t.optional(t.bool), e: t.enum('x', 'y'), r: t.record({ n: t.i32 }), l: t.array(t.f64) },
      reply: { c: t.cap(), b: t.bytes() },
      errors: ['ENOENT', 'EPERM'],
    },
    g: { op: 2 },
  });
  type F = (typeof I.methods.f)['__spec'] & object;

  it('args and replies infer from the field types; optional fields are optional', () => {
    expectTypeOf<ArgsOf<F>>().toEqualTypeOf<{
      a: number;
      s: string;
      e: 'x' | 'y';
      r: { n: number };
      l: number[];
      o?: boolean | undefined;
    }>();
    expectTypeOf<ReplyOf<F>>().toEqualTypeOf<{ c: number; b: Uint8Array }>();
    expectTypeOf<ErrorsOf<F>>().toEqualTypeOf<'ENOENT' | 'EPERM' | (typeof LIBRARY_ERRORS)[number]>();
  });

  it('host clients are async functions; methods without args take none; attempt gives results', () => {
    type C = AsyncClient<typeof I extends { methods: infer M } ? { [K in keyof M]: M[K] extends { __spec?: infer S } ? NonNullable<S> : never } : never>;
    expectTypeOf<Parameters<C['g']>['length']>().toEqualTypeOf<0 | 1 | 2>();
    expectTypeOf<ReturnType<C['f']>>().toEqualTypeOf<Promise<{ c: number; b: Uint8Array }>>();
    expectTypeOf<ReturnType<C['attempt']['f']>>().toEqualTypeOf<Promise<RpcResult<{ c: number; b: Uint8Array }>>>();
  });

  it('in-thread stubs are generators answering results', () => {
    const body = function* (sys: Sys): SysGen<void> {
      const s = stub(I, sys, 3);
      expectTypeOf(s.f).returns.toEqualTypeOf<SysGen<RpcResult<{ c: number; b: Uint8Array }>>>();
      // @ts-expect-error: a missing argument is a type error
      yield* s.f({ a: 1 });
    };
    expect(typeof body).toBe('function');
  });

  it('handlers get typed args and may only fail with declared or library errors (each produced)', async () => {
    const w = world();
    const cls = defineClass({
      name: 'typed',
      interface: I,
      init: () => ({ k: 1 }),
      handlers: {
        f(ctx, args) {
          expectTypeOf(args.e).toEqualTypeOf<'x' | 'y'>();
          expectTypeOf(ctx.data).toEqualTypeOf<{ k: number }>();
          if (args.a === 0) return ctx.fail('ENOENT');
          if (args.a === 1) return ctx.fail('EPERM');
          if (args.a === 2) return ctx.fail('EINTR');
          // @ts-expect-error: EXDEV is not declared by f
          if (args.a === 3) return ctx.fail('EXDEV');
          return { c: 5, b: new Uint8Array() };
        },
      },
    });
    const o = w.bucket.create(cls, undefined);
    if (!('refs' in o)) throw new Error('create failed');
    const task = w.k.createTask('typed-client');
    const c = connect(I, w.k, task, w.bucket.install(o, task));
    const args = { s: '', e: 'x' as const, r: { n: 0 }, l: [] };
    const errs = await Promise.all([0, 1, 2].map(async (a) => (await c.attempt.f({ ...args, a })) as { error?: string }));
    expect(errs.map((e) => e.error)).toEqual(['ENOENT', 'EPERM', 'EINTR']);
    await settle(w.k);
  });
});
