// Marshalling between typed values and a UTCB: words go straight into message
// registers, strings and byte buffers into typed items, caps into cap items, and arrays
// into one byte item with a compact binary encoding. No JSON anywhere on the RPC path.
// Decoding validates everything (types, ranges, lengths, counts) and reports the first
// problem as a value; it never throws at a caller.

import type { Utcb } from '../core/index.ts';
import type { AnyType, Fields } from './types.ts';

/** Positions in the UTCB: next word, next item, next cap. */
export interface Cursor {
  w: number;
  i: number;
  c: number;
}

/** Where a received cap item landed: a slot in the receiver's space, or -1 when absent. */
export type CapSource = (capIndex: number) => number;

/** A compiled field list. */
export interface FieldsCodec {
  readonly names: readonly string[];
  readonly maxWords: number;
  readonly maxItems: number;
  readonly maxCaps: number;
  /** No fields: encode writes nothing, decode answers NO_FIELDS when no word is left over. */
  readonly empty: boolean;
  /** Write `values` at the cursor; returns null, or what is wrong with a value. */
  encode(u: Utcb, values: Readonly<Record<string, unknown>>, cur: Cursor): string | null;
  /** Read and validate; returns the values, or a string saying what is malformed. */
  decode(u: Utcb, cur: Cursor, capIn: CapSource): Record<string, unknown> | string;
  /** Decode words and items only, for tracing (caps shown by position). */
  peek(words: readonly number[], items: readonly unknown[]): Record<string, unknown> | string;
}

/** The decoded value of an empty field list (shared, frozen). */
export const NO_FIELDS: Record<string, unknown> = Object.freeze({});

// Scratch views to split doubles into two words.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

class Malformed extends Error {}

interface Step {
  readonly name: string;
  enc(u: Utcb, v: unknown, cur: Cursor): string | null;
  dec(u: Utcb, cur: Cursor, capIn: CapSource): unknown;
}

/** Compile a field list into an encoder/decoder pair, checking the declaration. */
export function compileFields(fields: Fields, where: string): FieldsCodec {
  const steps: Step[] = [];
  const budget = { w: 0, i: 0, c: 0 };
  for (const [name, ty] of Object.entries(fields)) steps.push(compileStep(name, ty, budget, where));
  const names = steps.map((s) => s.name);
  return {
    names,
    maxWords: budget.w,
    maxItems: budget.i,
    maxCaps: budget.c,
    empty: steps.length === 0,
    encode(u, values, cur) {
      for (let k = 0; k < steps.length; k++) {
        const s = steps[k]!;
        const err = s.enc(u, values[s.name], cur);
        if (err !== null) return `${s.name}: ${err}`;
      }
      return null;
    },
    decode(u, cur, capIn) {
      if (steps.length === 0) return NO_FIELDS;
      const out: Record<string, unknown> = {};
      try {
        for (let k = 0; k < steps.length; k++) {
          const s = steps[k]!;
          const v = s.dec(u, cur, capIn);
          if (v !== undefined) out[s.name] = v;
        }
      } catch (e) {
        if (e instanceof Malformed) return e.message;
        throw e;
      }
      return out;
    },
    peek(words, items) {
      const u = fakeUtcb(words, items);
      // Caps are not in a trace event: every cap field decodes as a placeholder slot.
      return this.decode(u, { w: 0, i: 0, c: 0 }, (i) => i + 1);
    },
  };
}

function fakeUtcb(words: readonly number[], items: readonly unknown[]): Utcb {
  const mr = new Float64Array(64);
  words.forEach((w, i) => (mr[i] = w));
  return { mr, length: words.length, itemsIn: items, itemCount: items.length, capCount: 3 } as unknown as Utcb;
}

function bad(msg: string): never {
  throw new Malformed(msg);
}

function word(u: Utcb, cur: Cursor): number {
  if (cur.w >= u.length) bad(`missing word ${cur.w}`);
  return u.mr[cur.w++]!;
}

function item(u: Utcb, cur: Cursor): unknown {
  if (cur.i >= u.itemCount) bad(`missing item ${cur.i}`);
  return u.itemsIn[cur.i++];
}

function compileStep(name: string, ty: AnyType, b: { w: number; i: number; c: number }, where: string): Step {
  switch (ty.kind) {
    case 'u32':
      b.w++;
      return {
        name,
        enc: (u, v, cur) => (typeof v === 'number' && v >>> 0 === v ? ((u.mr[cur.w++] = v), null) : 'expected a u32'),
        dec: (u, cur) => word(u, cur),
      };
    case 'i32':
      b.w++;
      return {
        name,
        enc: (u, v, cur) => (typeof v === 'number' && (v | 0) === v ? ((u.mr[cur.w++] = v >>> 0), null) : 'expected an i32'),
        dec: (u, cur) => word(u, cur) | 0,
      };
    case 'f64':
      b.w += 2;
      return {
        name,
        enc: (u, v, cur) => {
          if (typeof v !== 'number') return 'expected a number';
          f64[0] = v;
          u.mr[cur.w++] = u32[0]!;
          u.mr[cur.w++] = u32[1]!;
          return null;
        },
        dec: (u, cur) => {
          u32[0] = word(u, cur);
          u32[1] = word(u, cur);
          return f64[0]!;
        },
      };
    case 'bool':
      b.w++;
      return {
        name,
        enc: (u, v, cur) => (typeof v === 'boolean' ? ((u.mr[cur.w++] = v ? 1 : 0), null) : 'expected a boolean'),
        dec: (u, cur) => {
          const w = word(u, cur);
          return w === 1 ? true : w === 0 ? false : bad(`${name}: not a boolean`);
        },
      };
    case 'enum': {
      b.w++;
      const values = ty.values;
      const index = new Map(values.map((v, i) => [v, i]));
      return {
        name,
        enc: (u, v, cur) => {
          const i = index.get(v as string);
          if (i === undefined) return `expected one of ${values.join(', ')}`;
          u.mr[cur.w++] = i;
          return null;
        },
        dec: (u, cur) => {
          const w = word(u, cur);
          return w < values.length ? values[w] : bad(`${name}: enum index ${w} out of range`);
        },
      };
    }
    case 'string': {
      b.i++;
      const max = ty.max;
      return {
        name,
        enc: (u, v, cur) => {
          if (typeof v !== 'string') return 'expected a string';
          if (v.length > max) return `string longer than ${max}`;
          if (!wellFormed(v)) return NOT_WELL_FORMED;
          u.items[cur.i++] = v;
          return null;
        },
        dec: (u, cur) => {
          const it = item(u, cur);
          if (typeof it !== 'string') bad(`${name}: expected a string item`);
          if (it.length > max || (u.truncated & (1 << (cur.i - 1))) !== 0) bad(`${name}: string longer than ${max}`);
          if (!wellFormed(it)) bad(`${name}: ${NOT_WELL_FORMED}`);
          return it;
        },
      };
    }
    case 'bytes': {
      b.i++;
      const max = ty.max;
      return {
        name,
        enc: (u, v, cur) => {
          if (!(v instanceof Uint8Array)) return 'expected a Uint8Array';
          if (v.length > max) return `bytes longer than ${max}`;
          u.items[cur.i++] = v;
          return null;
        },
        dec: (u, cur) => {
          const it = item(u, cur);
          if (!(it instanceof Uint8Array)) bad(`${name}: expected a byte item`);
          if (it.length > max || (u.truncated & (1 << (cur.i - 1))) !== 0) bad(`${name}: bytes longer than ${max}`);
          return it;
        },
      };
    }
    case 'cap': {
      b.c++;
      const grant = ty.mode === 'grant';
      return {
        name,
        enc: (u, v, cur) => {
          if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return 'expected a cap slot';
          u.caps[cur.c] = v;
          if (grant) u.grantMask |= 1 << cur.c;
          else u.grantMask &= ~(1 << cur.c);
          cur.c++;
          return null;
        },
        dec: (u, cur, capIn) => {
          if (cur.c >= u.capCount) bad(`${name}: missing capability`);
          const slot = capIn(cur.c++);
          return slot > 0 ? slot : bad(`${name}: capability not received`);
        },
      };
    }
    case 'record': {
      const inner = Object.entries(ty.fields).map(([k, v]) => compileStep(k, v, b, where));
      return {
        name,
        enc: (u, v, cur) => {
          if (typeof v !== 'object' || v === null) return 'expected an object';
          const rec = v as Record<string, unknown>;
          for (const s of inner) {
            const e = s.enc(u, rec[s.name], cur);
            if (e !== null) return `${s.name}: ${e}`;
          }
          return null;
        },
        dec: (u, cur, capIn) => {
          const out: Record<string, unknown> = {};
          for (const s of inner) {
            const x = s.dec(u, cur, capIn);
            if (x !== undefined) out[s.name] = x;
          }
          return out;
        },
      };
    }
    case 'optional': {
      // A presence word, then the value when present (caps and items are consumed only then).
      b.w++;
      const inner = compileStep(name, ty.of, b, where);
      return {
        name,
        enc: (u, v, cur) => {
          if (v === undefined) {
            u.mr[cur.w++] = 0;
            return null;
          }
          u.mr[cur.w++] = 1;
          return inner.enc(u, v, cur);
        },
        dec: (u, cur, capIn) => {
          const w = word(u, cur);
          if (w === 0) return undefined;
          if (w !== 1) bad(`${name}: bad presence word`);
          return inner.dec(u, cur, capIn);
        },
      };
    }
    case 'array': {
      b.i++;
      const el = ty.of;
      const max = ty.max;
      return {
        name,
        enc: (u, v, cur) => {
          if (!Array.isArray(v)) return 'expected an array';
          if (v.length > max) return `more than ${max} elements`;
          const w = sharedWriter.reset();
          try {
            w.u32(v.length);
            for (const x of v) pack(el, x, w);
          } catch (e) {
            if (e instanceof Malformed) return e.message;
            throw e;
          }
          u.items[cur.i++] = w.finish();
          return null;
        },
        dec: (u, cur) => {
          const it = item(u, cur);
          if (!(it instanceof Uint8Array)) bad(`${name}: expected a packed array item`);
          if ((u.truncated & (1 << (cur.i - 1))) !== 0) bad(`${name}: array item truncated`);
          const r = new Reader(it);
          const n = r.u32();
          if (n > max) bad(`${name}: more than ${max} elements`);
          const out: unknown[] = [];
          for (let i = 0; i < n; i++) out.push(unpack(el, r));
          if (!r.done) bad(`${name}: trailing bytes`);
          return out;
        },
      };
    }
  }
}

// ------------------------------------------------------------------ strings

/**
 * One rule for every string, single or packed, argument or reply, in both directions:
 * well-formed UTF-16 (no lone surrogate) or EINVAL at the door. A string a server
 * accepted can therefore always be encoded again (in a packed list reply, as UTF-8).
 */
export const NOT_WELL_FORMED = 'string has a lone surrogate (not well-formed UTF-16)';
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/** True when `s` is well-formed UTF-16 (no lone surrogate). */
export function wellFormed(s: string): boolean {
  return isWellFormed.call(s);
}

// ------------------------------------------------------------------ packed values

const encoder = new TextEncoder();
// Little-endian scratch for doubles in packed values (the platforms Node runs on are little-endian).
const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);
const decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private n = 0;
  /** Start a new value (the buffer is reused: encoding runs to completion synchronously). */
  reset(): this {
    this.n = 0;
    return this;
  }
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u8(x: number): void {
    this.room(1);
    this.buf[this.n++] = x;
  }
  u32(x: number): void {
    this.room(4);
    this.view.setUint32(this.n, x, true);
    this.n += 4;
  }
  f64(x: number): void {
    this.room(8);
    this.view.setFloat64(this.n, x, true);
    this.n += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  /** A copy of what was written (the message keeps it until it is delivered). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

const sharedWriter = new Writer();

class Reader {
  private n = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.n === this.buf.length;
  }
  private need(k: number): void {
    if (this.n + k > this.buf.length) bad('packed value cut short');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.n++]!;
  }
  /** Little-endian, by hand: a DataView per decode costs more than the decode. */
  u32(): number {
    this.need(4);
    const b = this.buf;
    const i = this.n;
    this.n = i + 4;
    return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  }
  f64(): number {
    this.need(8);
    f64Bytes.set(this.buf.subarray(this.n, this.n + 8));
    this.n += 8;
    return f64Scratch[0]!;
  }
  bytes(max: number): Uint8Array {
    const len = this.u32();
    if (len > max) bad('packed bytes too long');
    this.need(len);
    const b = this.buf.slice(this.n, this.n + len);
    this.n += len;
    return b;
  }
}

function pack(ty: AnyType, v: unknown, w: Writer): void {
  switch (ty.kind) {
    case 'u32':
      if (typeof v !== 'number' || v >>> 0 !== v) bad('expected a u32');
      w.u32(v);
      return;
    case 'i32':
      if (typeof v !== 'number' || (v | 0) !== v) bad('expected an i32');
      w.u32(v >>> 0);
      return;
    case 'f64':
      if (typeof v !== 'number') bad('expected a number');
      w.f64(v);
      return;
    case 'bool':
      if (typeof v !== 'boolean') bad('expected a boolean');
      w.u8(v ? 1 : 0);
      return;
    case 'enum': {
      const i = ty.values.indexOf(v as string);
      if (i < 0) bad(`expected one of ${ty.values.join(', ')}`);
      w.u32(i);
      return;
    }
    case 'string':
      if (typeof v !== 'string' || v.length > ty.max) bad('expected a string');
      // Packed strings travel as UTF-8, which cannot carry a lone surrogate: refuse it
      // rather than let the encoder replace it silently (the same rule as single strings).
      if (!wellFormed(v)) bad(NOT_WELL_FORMED);
      w.bytes(encoder.encode(v));
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array) || v.length > ty.max) bad('expected a Uint8Array');
      w.bytes(v);
      return;
    case 'record': {
      if (typeof v !== 'object' || v === null) bad('expected an object');
      const rec = v as Record<string, unknown>;
      for (const [k, f] of Object.entries(ty.fields)) pack(f, rec[k], w);
      return;
    }
    case 'array':
      if (!Array.isArray(v) || v.length > ty.max) bad('expected an array');
      w.u32(v.length);
      for (const x of v) pack(ty.of, x, w);
      return;
    case 'optional':
      if (v === undefined) w.u8(0);
      else {
        w.u8(1);
        pack(ty.of, v, w);
      }
      return;
    case 'cap':
      bad('caps cannot be packed');
  }
}

function unpack(ty: AnyType, r: Reader): unknown {
  switch (ty.kind) {
    case 'u32':
      return r.u32();
    case 'i32':
      return r.u32() | 0;
    case 'f64':
      return r.f64();
    case 'bool': {
      const b = r.u8();
      return b === 1 ? true : b === 0 ? false : bad('not a boolean');
    }
    case 'enum': {
      const i = r.u32();
      return i < ty.values.length ? ty.values[i] : bad('enum index out of range');
    }
    case 'string': {
      const b = r.bytes(ty.max * 3);
      let s: string;
      try {
        s = decoder.decode(b);
      } catch {
        bad('invalid UTF-8');
      }
      return s.length > ty.max ? bad('string too long') : s;
    }
    case 'bytes':
      return r.bytes(ty.max);
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(ty.fields)) {
        const x = unpack(f, r);
        if (x !== undefined) out[k] = x;
      }
      return out;
    }
    case 'array': {
      const n = r.u32();
      if (n > ty.max) bad('too many elements');
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(unpack(ty.of, r));
      return out;
    }
    case 'optional': {
      const p = r.u8();
      if (p === 0) return undefined;
      if (p !== 1) bad('bad presence byte');
      return unpack(ty.of, r);
    }
    case 'cap':
      return bad('caps cannot be packed');
  }
}
