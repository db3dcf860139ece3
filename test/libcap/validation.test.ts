// Validation of every incoming message before a handler runs (Bucket.accept and the
// codec's decoder), with messages crafted by raw kernel calls that bypass the client
// encoder: each malformed request answers EINVAL (unknown opcode ENOSYS, a declared but
// unimplemented method EOPNOTSUPP, a throwing handler EIO), the handler is not called,
// nothing the request carried stays in the server, and the server keeps serving.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Status, type Sys, type SysGen } from '../../core/index.ts';
import { connect, defineClass, defineInterface, ERRNO, t } from '../../libcap/index.ts';
import { capCount, collectBugs, header, mustCreate, rawCall, settle, world, type RawAnswer, type RawMessage } from './harness.ts';

const V = defineInterface('v', {
  ok: { op: 1, args: { x: t.u32, y: t.i32 }, reply: { sum: t.i32 } },
  str: { op: 2, args: { s: t.string(8) } },
  en: { op: 3, args: { e: t.enum('a', 'b') } },
  bo: { op: 4, args: { b: t.bool } },
  arr: { op: 5, args: { a: t.array(t.record({ n: t.u32, s: t.string(4), e: t.enum('p', 'q') }), 3) } },
  cap: { op: 6, args: { c: t.cap() } },
  opt: { op: 7, args: { o: t.optional(t.u32) } },
  by: { op: 8, args: { b: t.bytes(4) } },
  note: { op: 9, args: { n: t.u32 }, oneway: true },
  unimpl: { op: 10 },
  boom: { op: 11, reply: { n: t.u32 } },
  badReply: { op: 12, reply: { n: t.u32 } },
});

let bugs: ReturnType<typeof collectBugs>;
beforeEach(() => {
  bugs = collectBugs();
});
afterEach(() => bugs.restore());

function setup() {
  const w = world();
  const calls: string[] = [];
  const cls = defineClass({
    name: 'v',
    interface: V,
    init: () => null,
    handlers: {
      ok: (_c, { x, y }) => (calls.push('ok'), { sum: (x + y) | 0 }),
      str: () => void calls.push('str'),
      en: () => void calls.push('en'),
      bo: () => void calls.push('bo'),
      arr: () => void calls.push('arr'),
      cap: () => void calls.push('cap'),
      opt: () => void calls.push('opt'),
      by: () => void calls.push('by'),
      note: () => void calls.push('note'),
      boom: () => {
        calls.push('boom');
        throw new TypeError('kaboom');
      },
      badReply: () => (calls.push('badReply'), { n: -1 }),
    },
  });
  const task = w.k.createTask('v-client');
  const obj = mustCreate(w.bucket, cls);
  const slot = w.bucket.install(obj, task);
  obj.unref();
  /** Send raw messages from one client thread, one after the other. */
  const raw = (...ms: RawMessage[]): Promise<RawAnswer[]> =>
    w.k.exec(task, function* (sys: Sys): SysGen<RawAnswer[]> {
      const out: RawAnswer[] = [];
      for (const m of ms) out.push(yield* rawCall(sys, slot, m));
      return out;
    });
  const good = { label: V.methods.ok.op, words: [...header(1, 1), 2, 5] };
  return { w, task, slot, calls, raw, good, c: connect(V, w.k, task, slot) };
}

const h = header(7, 1);
const pack = (...parts: number[][]): Uint8Array => {
  const bytes: number[] = [];
  for (const p of parts) bytes.push(...p);
  return new Uint8Array(bytes);
};
const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
/** A well-formed packed array of one record { n: 1, s: 'ab', e: 'q' }. */
const oneRow = pack(le32(1), le32(1), le32(2), [0x61, 0x62], le32(1));

describe('validation: malformed requests answer EINVAL and never reach the handler', () => {
  const cases: [string, RawMessage][] = [
    ['fewer words than the header', { label: 1, words: [7] }],
    ['wrong arity: a missing argument word', { label: 1, words: [...h, 2] }],
    ['wrong arity: an extra argument word', { label: 1, words: [...h, 2, 5, 9] }],
    ['wrong arity: an extra item', { label: 1, words: [...h, 2, 5], items: ['x'] }],
    ['wrong type: a byte item where a string is declared', { label: 2, words: h, items: [new Uint8Array([65])] }],
    ['wrong type: a word where a string item is declared', { label: 2, words: [...h, 65] }],
    ['oversized string', { label: 2, words: h, items: ['123456789'] }],
    ['a string with a lone high surrogate', { label: 2, words: h, items: ['ab\ud800'] }],
    ['a string with a lone low surrogate', { label: 2, words: h, items: ['\udc00ab'] }],
    ['oversized bytes', { label: 8, words: h, items: [new Uint8Array(5)] }],
    ['wrong type: a string where bytes are declared', { label: 8, words: h, items: ['abc'] }],
    ['bad enum index', { label: 3, words: [...h, 2] }],
    ['bad bool', { label: 4, words: [...h, 2] }],
    ['bad optional presence word', { label: 7, words: [...h, 2, 1] }],
    ['optional present but its value missing', { label: 7, words: [...h, 1] }],
    ['missing cap', { label: 6, words: h }],
    ['packed array: truncated', { label: 5, words: h, items: [oneRow.slice(0, oneRow.length - 2)] }],
    ['packed array: trailing garbage', { label: 5, words: h, items: [pack([...oneRow], [0xff])] }],
    ['packed array: more elements than declared', { label: 5, words: h, items: [pack(le32(4))] }],
    ['packed array: count far beyond the buffer', { label: 5, words: h, items: [pack(le32(0xffffffff))] }],
    ['packed array: bad enum inside a record', { label: 5, words: h, items: [pack(le32(1), le32(1), le32(0), le32(9))] }],
    ['packed array: invalid UTF-8 in a string', { label: 5, words: h, items: [pack(le32(1), le32(1), le32(2), [0xc3, 0x28], le32(0))] }],
    ['packed array: string longer than declared', { label: 5, words: h, items: [pack(le32(1), le32(1), le32(5), [97, 97, 97, 97, 97], le32(0))] }],
    ['packed array: a string item instead of bytes', { label: 5, words: h, items: ['garbage'] }],
    ['packed array: empty item', { label: 5, words: h, items: [new Uint8Array()] }],
  ];

  it.each(cases)('%s', async (_what, m) => {
    const { w, raw, good, calls } = setup();
    const [bad, after] = await raw(m, good);
    expect(bad!.status).toBe(Status.Ok);
    expect(bad!.label).toBe(ERRNO.EINVAL);
    expect(after!.label).toBe(0);
    expect(after!.words).toEqual([7]);
    expect(calls).toEqual(['ok']);
    expect(w.bucket.stats().inflight).toBe(0);
    await settle(w.k);
  });

  it('a well-formed packed array is accepted (the crafted encoding above is the real one)', async () => {
    const { w, raw, calls } = setup();
    const [r] = await raw({ label: 5, words: h, items: [oneRow] });
    expect(r!.label).toBe(0);
    expect(calls).toEqual(['arr']);
    await settle(w.k);
  });

  it('a call to a one-way method answers EINVAL; the same message sent one-way is served', async () => {
    const { w, task, slot, calls, raw } = setup();
    const [r] = await raw({ label: 9, words: [...h, 3] });
    expect(r!.label).toBe(ERRNO.EINVAL);
    await w.k.exec(task, function* (sys: Sys): SysGen<void> {
      sys.utcb.mr.set([...h, 3]);
      yield sys.send(slot, 9, 3);
    });
    await settle(w.k);
    expect(calls).toEqual(['note']);
  });

  it('many bad requests in a row: every one answered, the server still serves', async () => {
    const { w, raw, good, calls } = setup();
    const bads = cases.map(([, m]) => m);
    const res = await raw(...bads, ...bads, good);
    expect(res.slice(0, -1).every((r) => r.label === ERRNO.EINVAL)).toBe(true);
    expect(res.at(-1)!.words).toEqual([7]);
    expect(calls).toEqual(['ok']);
    await settle(w.k);
  });
});

describe('validation: the demuxer', () => {
  it('an unknown opcode answers ENOSYS; a library label (above MAX_OPCODE) too', async () => {
    const { w, raw, good, calls } = setup();
    const [a, b, c] = await raw({ label: 99, words: h }, { label: 0x10005, words: h }, good);
    expect(a!.label).toBe(ERRNO.ENOSYS);
    expect(b!.label).toBe(ERRNO.ENOSYS);
    expect(c!.words).toEqual([7]);
    expect(calls).toEqual(['ok']);
    await settle(w.k);
  });

  it('a declared method without a handler answers EOPNOTSUPP', async () => {
    const { w, c } = setup();
    expect(await c.attempt.unimpl()).toEqual({ ok: false, error: 'EOPNOTSUPP', message: 'v.unimpl' });
    expect(await c.ok({ x: 1, y: -3 })).toEqual({ sum: -2 });
    await settle(w.k);
  });

  it('a handler that throws answers EIO, reports the bug, and the server keeps serving', async () => {
    const { w, c, calls } = setup();
    expect((await c.attempt.boom()).ok).toBe(false);
    expect(await c.attempt.boom()).toMatchObject({ error: 'EIO' });
    expect(bugs.list).toEqual(['v.boom: TypeError: kaboom', 'v.boom: TypeError: kaboom']);
    expect(await c.ok({ x: 1, y: 1 })).toEqual({ sum: 2 });
    expect(calls).toEqual(['boom', 'boom', 'ok']);
    await settle(w.k);
  });

  it('a reply that does not match the interface answers EIO and reports the bug', async () => {
    const { w, c } = setup();
    expect(await c.attempt.badReply()).toMatchObject({ ok: false, error: 'EIO' });
    expect(bugs.list).toEqual(['v.badReply: reply does not match the interface: n: expected a u32']);
    await settle(w.k);
  });
});

describe('validation: rejected requests leave nothing behind in the server', () => {
  const withCap = (m: RawMessage, cap: number): RawMessage => ({ ...m, caps: [...(m.caps ?? []), cap] });

  it.each([
    ['ENOSYS', { label: 99, words: h }],
    ['EINVAL (an extra cap)', { label: 1, words: [...h, 1, 1] }],
    ['EINVAL (bad arguments)', { label: 3, words: [...h, 5] }],
    ['EINVAL (call to one-way)', { label: 9, words: [...h, 5] }],
  ] as [string, RawMessage][])('caps carried by a request refused with %s are deleted', async (errno, m) => {
    const { w, task, raw } = setup();
    const ep = w.k.createEndpoint(task);
    await settle(w.k);
    const before = capCount(w.srv);
    const [r] = await raw(withCap(m, ep));
    expect(r!.label).toBe(ERRNO[errno.split(' ')[0] as 'EINVAL']);
    await settle(w.k);
    expect(capCount(w.srv)).toBe(before);
  });

  it('a cap argument the handler does not keep is deleted after the RPC', async () => {
    const { w, task, raw, calls } = setup();
    const ep = w.k.createEndpoint(task);
    await settle(w.k);
    const before = capCount(w.srv);
    const [r] = await raw({ label: 6, words: h, caps: [ep] });
    expect(r!.label).toBe(0);
    expect(calls).toEqual(['cap']);
    await settle(w.k);
    expect(capCount(w.srv)).toBe(before);
  });
});
