// Marshalling: every type (u32, i32, f64, bool, enum, string, bytes, caps by map and
// grant, records, arrays including arrays of records, optional) round-trips through a
// real RPC, and the client refuses values that do not match the declaration.

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Kind, Utcb } from '../../core/index.ts';
import { connect, defineClass, defineInterface, t } from '../../libcap/index.ts';
import { wellFormed } from '../../libcap/codec.ts';
import { capCount, mustCreate, ops, settle, world } from './harness.ts';

const Colour = t.enum('red', 'green', 'blue');
const Row = t.record({ n: t.i32, s: t.string(12), b: t.bool, f: t.f64, e: Colour, by: t.bytes(6), o: t.optional(t.u32) });

const Echo = defineInterface('echo', {
  scalars: {
    op: 1,
    args: { u: t.u32, i: t.i32, f: t.f64, b: t.bool, e: Colour },
    reply: { u: t.u32, i: t.i32, f: t.f64, b: t.bool, e: Colour },
  },
  texts: { op: 2, args: { s: t.string(8), by: t.bytes(8) }, reply: { s: t.string(8), by: t.bytes(8) } },
  opts: {
    op: 3,
    args: { o: t.optional(t.u32), os: t.optional(t.string(4)), or: t.optional(t.record({ a: t.u32, s: t.string() })) },
    reply: { o: t.optional(t.u32), os: t.optional(t.string(4)), or: t.optional(t.record({ a: t.u32, s: t.string() })) },
  },
  nested: {
    op: 4,
    args: { r: t.record({ id: t.u32, inner: t.record({ x: t.f64, e: Colour, name: t.string() }), flag: t.bool }) },
    reply: { r: t.record({ id: t.u32, inner: t.record({ x: t.f64, e: Colour, name: t.string() }), flag: t.bool }) },
  },
  arrays: {
    op: 5,
    args: { a: t.array(t.u32, 16), rows: t.array(Row, 8), aa: t.array(t.array(t.string(5), 4), 4) },
    reply: { a: t.array(t.u32, 16), rows: t.array(Row, 8), aa: t.array(t.array(t.string(5), 4), 4) },
  },
  caps: { op: 6, args: { m: t.cap(), g: t.cap('grant') }, reply: { mObj: t.u32, gObj: t.u32, mKind: t.u32 } },
  mint: { op: 7, reply: { ep: t.cap('grant'), note: t.optional(t.cap()) } },
});

function setup() {
  const w = world();
  const seen: { m: number; g: number }[] = [];
  const cls = defineClass({
    name: 'echo',
    interface: Echo,
    init: () => null,
    handlers: {
      scalars: (_c, a) => a,
      texts: (_c, a) => a,
      opts: (_c, a) => a,
      nested: (_c, a) => a,
      arrays: (_c, a) => a,
      caps(_c, { m, g }) {
        seen.push({ m, g });
        const o = w.bucket.ops;
        return { mObj: o.identify(m)!.object, gObj: o.identify(g)!.object, mKind: o.identify(m)!.kind };
      },
      mint() {
        // A fresh endpoint cap, moved to the client (grant): the server keeps nothing.
        const slot = w.k.createEndpoint(w.srv);
        return { ep: slot };
      },
    },
  });
  const task = w.k.createTask('echo-client');
  const obj = mustCreate(w.bucket, cls);
  const slot = w.bucket.install(obj, task);
  obj.unref();
  return { w, task, c: connect(Echo, w.k, task, slot), seen };
}

const u32 = fc.nat({ max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const f64 = fc.double();
const colour = fc.constantFrom('red' as const, 'green' as const, 'blue' as const);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
/** Strings mixing ASCII, NUL, BMP and astral characters and a lone surrogate, up to max UTF-16 units. */
const text = (max: number, lone = true) =>
  fc
    .array(fc.constantFrom('a', 'Z', ' ', '\u0000', 'é', '€', '😀', ...(lone ? ['\ud800'] : [])), { maxLength: max })
    .map((a) => a.join(''))
    .filter((s) => s.length <= max);
const row = fc.record(
  {
    n: i32,
    s: text(12, false),
    b: fc.boolean(),
    f: f64,
    e: colour,
    by: bytes(6),
    o: fc.option(u32, { nil: undefined }),
  },
  { requiredKeys: ['n', 's', 'b', 'f', 'e', 'by'] },
);

describe('codec: every type round-trips through an RPC', () => {
  it('u32, i32, f64 (incl. NaN, infinities, -0), bool and enum', async () => {
    const { w, c } = setup();
    await fc.assert(
      fc.asyncProperty(u32, i32, f64, fc.boolean(), colour, async (u, i, f, b, e) => {
        const r = await c.scalars({ u, i, f, b, e });
        expect(r).toEqual({ u, i, f, b, e });
        expect(Object.is(r.f, f)).toBe(true);
      }),
      { seed: 101, numRuns: 60 },
    );
    const edge = await c.scalars({ u: 0xffffffff, i: -0x80000000, f: Number.NaN, b: false, e: 'blue' });
    expect(edge.f).toBeNaN();
    expect(edge.u).toBe(0xffffffff);
    expect(edge.i).toBe(-0x80000000);
    expect(Object.is((await c.scalars({ u: 0, i: 0, f: -0, b: true, e: 'red' })).f, -0)).toBe(true);
    await settle(w.k);
  });

  it('strings (unicode, up to max) and bytes (up to max)', async () => {
    const { w, c } = setup();
    await fc.assert(
      fc.asyncProperty(text(8), bytes(8), async (s, by) => {
        if (!wellFormed(s)) {
          expect(await c.attempt.texts({ s, by })).toMatchObject({ ok: false, error: 'EINVAL' });
          return;
        }
        const r = await c.texts({ s, by });
        expect(r.s).toBe(s);
        expect(Array.from(r.by)).toEqual(Array.from(by));
        expect(r.by).toBeInstanceOf(Uint8Array);
      }),
      { seed: 102, numRuns: 60 },
    );
    expect(await c.texts({ s: '', by: new Uint8Array() })).toEqual({ s: '', by: new Uint8Array() });
    // One rule for every string (issue 9, item 4): top-level strings used to be copied as
    // they were, lone surrogates included, which a server could store and then fail to
    // encode in a packed list. Now they are refused at the door like packed ones.
    expect((await c.texts({ s: 'a\ud83d\ude00b', by: new Uint8Array() })).s).toBe('a\ud83d\ude00b');
    expect(await c.attempt.texts({ s: 'a\udc00b', by: new Uint8Array() })).toMatchObject({
      ok: false,
      error: 'EINVAL',
      message: expect.stringMatching(/s: string has a lone surrogate/),
    });
    await settle(w.k);
  });

  it('optional values, present and absent, including optional records', async () => {
    const { w, c } = setup();
    expect(await c.opts({})).toEqual({});
    expect(await c.opts({ o: 0, os: '', or: { a: 1, s: 'x' } })).toEqual({ o: 0, os: '', or: { a: 1, s: 'x' } });
    const r = await c.opts({ os: 'abcd' });
    expect(r).toEqual({ os: 'abcd' });
    expect('o' in r).toBe(false);
    await settle(w.k);
  });

  it('nested records', async () => {
    const { w, c } = setup();
    const r = { id: 7, inner: { x: -1.5, e: 'green' as const, name: 'nested' }, flag: true };
    expect(await c.nested({ r })).toEqual({ r });
    await settle(w.k);
  });

  it('arrays of words, arrays of records (every field type inside), arrays of arrays', async () => {
    const { w, c } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.array(u32, { maxLength: 16 }),
        fc.array(row, { maxLength: 8 }),
        fc.array(fc.array(text(5, false), { maxLength: 4 }), { maxLength: 4 }),
        async (a, rows, aa) => {
          const r = await c.arrays({ a, rows, aa });
          expect(r.a).toEqual(a);
          expect(r.aa).toEqual(aa);
          expect(r.rows.length).toBe(rows.length);
          rows.forEach((x, i) => {
            const y = r.rows[i]!;
            expect({ ...y, by: Array.from(y.by) }).toEqual({ ...x, by: Array.from(x.by) });
            expect(Object.is(y.f, x.f)).toBe(true);
          });
        },
      ),
      { seed: 103, numRuns: 50 },
    );
    await settle(w.k);
  });

  it('caps: map leaves the sender its copy, grant moves it; the server sees the same objects', async () => {
    const { w, task, c, seen } = setup();
    const ep1 = w.k.createEndpoint(task);
    const ep2 = w.k.createEndpoint(task);
    const cli = ops(w.k, task);
    const id1 = cli.identify(ep1)!.object;
    const id2 = cli.identify(ep2)!.object;
    const before = capCount(w.srv);
    const r = await c.caps({ m: ep1, g: ep2 });
    expect(r).toEqual({ mObj: id1, gObj: id2, mKind: Kind.Endpoint });
    expect(cli.identify(ep1)?.object).toBe(id1); // mapped: still there
    expect(cli.identify(ep2)).toBeNull(); // granted: gone from the sender
    // The server did not keep the caps: its space is back where it was.
    await settle(w.k);
    expect(capCount(w.srv)).toBe(before);
    expect(seen.length).toBe(1);
  });

  it('caps in replies: a granted cap leaves the server, an absent optional cap stays absent', async () => {
    const { w, task, c } = setup();
    const before = capCount(w.srv);
    const r = await c.mint();
    expect(r.note).toBeUndefined();
    expect(ops(w.k, task).identify(r.ep)?.kind).toBe(Kind.Endpoint);
    await settle(w.k);
    expect(capCount(w.srv)).toBe(before);
  });
});

describe('codec: the client refuses values that do not match (no message is sent)', () => {
  it('wrong types, out-of-range numbers, oversized strings and arrays, bad enums answer EINVAL', async () => {
    const { w, c } = setup();
    const bad = async (p: Promise<{ ok: boolean; error?: string; message?: string }>, what: RegExp) => {
      const r = await p;
      expect(r.ok).toBe(false);
      expect(r.error).toBe('EINVAL');
      expect(r.message).toMatch(what);
    };
    const base = { u: 1, i: 1, f: 1, b: true, e: 'red' as const };
    await bad(c.attempt.scalars({ ...base, u: -1 }), /u: expected a u32/);
    await bad(c.attempt.scalars({ ...base, u: 2 ** 32 }), /u: expected a u32/);
    await bad(c.attempt.scalars({ ...base, i: 2 ** 31 }), /i: expected an i32/);
    await bad(c.attempt.scalars({ ...base, i: 1.5 }), /i: expected an i32/);
    await bad(c.attempt.scalars({ ...base, f: '1' as unknown as number }), /f: expected a number/);
    await bad(c.attempt.scalars({ ...base, b: 1 as unknown as boolean }), /b: expected a boolean/);
    await bad(c.attempt.scalars({ ...base, e: 'pink' as 'red' }), /e: expected one of red, green, blue/);
    await bad(c.attempt.texts({ s: '123456789', by: new Uint8Array() }), /s: string longer than 8/);
    await bad(c.attempt.texts({ s: '', by: new Uint8Array(9) }), /by: bytes longer than 8/);
    await bad(c.attempt.texts({ s: '', by: [1] as unknown as Uint8Array }), /by: expected a Uint8Array/);
    await bad(c.attempt.arrays({ a: new Array<number>(17).fill(0), rows: [], aa: [] }), /a: more than 16 elements/);
    await bad(c.attempt.arrays({ a: [], rows: [{ n: 1 } as never], aa: [] }), /rows: expected a string/);
    await bad(c.attempt.arrays({ a: [], rows: [], aa: [['123456']] }), /aa: expected a string/);
    await bad(c.attempt.nested({ r: null as never }), /r: expected an object/);
    // Strings inside arrays travel as UTF-8: a lone surrogate is refused, never altered.
    await bad(c.attempt.arrays({ a: [], rows: [], aa: [['\ud800']] }), /aa: string has a lone surrogate/);
    await bad(c.attempt.texts({ s: '\ud800', by: new Uint8Array() }), /s: string has a lone surrogate/);
    await bad(c.attempt.nested({ r: { id: 1, inner: { x: 0, e: 'red', name: 'x\udfff' }, flag: true } }), /name: string has a lone surrogate/);
    await bad(c.attempt.caps({ m: 0, g: 1 }), /m: expected a cap slot/);
    expect(w.log.calls).toEqual([]);
    await settle(w.k);
  });

  it('no JSON on the RPC path: a round of calls of every kind never touches JSON', async () => {
    const { w, c } = setup();
    const stringify = vi.spyOn(JSON, 'stringify');
    const parse = vi.spyOn(JSON, 'parse');
    try {
      await c.scalars({ u: 1, i: -1, f: 0.5, b: true, e: 'red' });
      await c.texts({ s: 'abc', by: new Uint8Array([1]) });
      await c.opts({ o: 1, or: { a: 1, s: 's' } });
      await c.nested({ r: { id: 1, inner: { x: 1, e: 'blue', name: 'n' }, flag: false } });
      await c.arrays({ a: [1, 2], rows: [{ n: 1, s: 's', b: true, f: 1, e: 'green', by: new Uint8Array(2) }], aa: [['a']] });
      expect(stringify).not.toHaveBeenCalled();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
      parse.mockRestore();
    }
    await settle(w.k);
  });

  it('the codec writes words to message registers and strings as items (no JSON on the path)', () => {
    const u = new Utcb();
    const cur = { w: 2, i: 0, c: 0 };
    const m = Echo.methods.texts;
    expect(m.argsCodec.encode(u, { s: 'héllo', by: new Uint8Array([1, 2]) }, cur)).toBeNull();
    expect(cur).toEqual({ w: 2, i: 2, c: 0 });
    expect(u.items[0]).toBe('héllo');
    expect(u.items[1]).toEqual(new Uint8Array([1, 2]));
    const s = Echo.methods.scalars;
    const cur2 = { w: 0, i: 0, c: 0 };
    expect(s.argsCodec.encode(u, { u: 7, i: -1, f: 0.5, b: true, e: 'blue' }, cur2)).toBeNull();
    expect(Array.from(u.mr.subarray(0, cur2.w))).toEqual([7, 0xffffffff, 0, 0x3fe00000, 1, 2]);
  });
});

describe('strings: a server cannot answer what it could not have been sent', () => {
  it('a handler replying a string with a lone surrogate answers EIO (a server bug), and the server goes on', async () => {
    const w = world();
    const S = defineInterface('s', { say: { op: 1, args: { half: t.bool }, reply: { s: t.string() } } });
    const bugs: string[] = [];
    const { bugReports } = await import('../../libcap/index.ts');
    const prev = bugReports.sink;
    bugReports.sink = (where, msg) => bugs.push(`${where}: ${msg}`);
    try {
      const cls = defineClass({
        name: 's',
        interface: S,
        init: () => null,
        handlers: { say: (_c, { half }) => ({ s: half ? 'x\ud800' : 'x😀' }) },
      });
      const task = w.k.createTask('s-client');
      const obj = mustCreate(w.bucket, cls);
      const c = connect(S, w.k, task, w.bucket.install(obj, task));
      expect(await c.attempt.say({ half: true })).toMatchObject({ ok: false, error: 'EIO' });
      expect(bugs).toEqual([expect.stringMatching(/s\.say: reply does not match the interface: s: string has a lone surrogate/)]);
      expect(await c.say({ half: false })).toEqual({ s: 'x😀' });
    } finally {
      bugReports.sink = prev;
    }
  });
});
