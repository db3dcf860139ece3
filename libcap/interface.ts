// Interfaces declared once, as data: a name and methods, each with a stable opcode,
// argument and reply fields, and the errors it may return. Client stubs, server
// handler types, the demuxer, validation, trace names and docs all derive from this.

import { MAX_CAPS, MAX_ITEMS, MR_COUNT } from '../core/index.ts';
import { compileFields, type FieldsCodec } from './codec.ts';
import { isErrnoName, type ErrnoName } from './errno.ts';
import type { Fields, InferFields } from './types.ts';

/** Words every request carries before its arguments: the cancel key and the sequence. */
export const HEADER_WORDS = 2;
/** Opcodes 1..0xFFFF belong to interfaces; labels above are the library's own. */
export const MAX_OPCODE = 0xffff;
/** Library labels (never an interface opcode). */
export const LABEL_CANCEL = 0x10001;
export const LABEL_KICK = 0x10002;

/** Errors any method may answer, whatever it declares. */
export const LIBRARY_ERRORS = [
  'EINVAL', // a malformed request (validation)
  'EINTR', // the client cancelled the call
  'ECANCELED', // the server ended while the call waited
  'ENOSYS', // unknown opcode
  'EOPNOTSUPP', // declared but not implemented by this server
  'EBADF', // the capability was revoked meanwhile
  'EBUSY', // the client thread already has an RPC in flight
  'EIO', // the handler failed (a server bug)
  'EAGAIN', // the client reached a limit on RPCs in flight or deferred (limits.ts)
  'EMFILE', // the client reached its limit on capabilities given (limits.ts)
  'ENOMEM', // the server's own cap space is full
] as const satisfies readonly ErrnoName[];
export type LibraryError = (typeof LIBRARY_ERRORS)[number];

/** How a method is declared. */
export interface MethodSpec {
  /** Stable opcode, 1..0xFFFF; methods are appended with new opcodes, never renumbered. */
  readonly op: number;
  readonly args?: Fields;
  readonly reply?: Fields;
  /** Errors this method may return besides the library's. */
  readonly errors?: readonly ErrnoName[];
  /** A one-way message: sent, never answered (rpctrace marks it). */
  readonly oneway?: boolean;
  readonly doc?: string;
}
export type MethodSpecs = { readonly [name: string]: MethodSpec };

type FieldsOf<F> = F extends Fields ? F : Record<never, never>;
/** Argument object type of a method spec. */
export type ArgsOf<S extends MethodSpec> = InferFields<FieldsOf<S['args']>>;
/** Reply object type of a method spec. */
export type ReplyOf<S extends MethodSpec> = InferFields<FieldsOf<S['reply']>>;
/** Errors a handler of this method may answer. */
export type ErrorsOf<S extends MethodSpec> =
  | (S['errors'] extends readonly (infer E extends ErrnoName)[] ? E : never)
  | LibraryError;

/** The method specs of an interface, e.g. SpecsOf<typeof Auth>. */
export type SpecsOf<I> = I extends Interface<infer M> ? M : never;

/** The spec of a compiled method, e.g. SpecOf<typeof Auth.methods.getids>. */
export type SpecOf<D> = D extends MethodDef<infer S> ? S : never;

/** A method, compiled: its spec plus codecs for arguments and reply. */
export interface MethodDef<S extends MethodSpec = MethodSpec> {
  readonly name: string;
  /** "interface.method", for traces. */
  readonly fullName: string;
  readonly op: number;
  readonly args: Fields;
  readonly reply: Fields;
  readonly errors: readonly ErrnoName[];
  readonly oneway: boolean;
  readonly doc: string;
  readonly argsCodec: FieldsCodec;
  readonly replyCodec: FieldsCodec;
  readonly interfaceName: string;
  /** Phantom: the spec, for type inference only. */
  readonly __spec?: S;
}

/** An interface: named methods and the opcode table. */
export interface Interface<M extends MethodSpecs = MethodSpecs> {
  readonly name: string;
  readonly doc: string;
  readonly methods: { readonly [K in keyof M]: MethodDef<M[K]> };
  readonly byOp: ReadonlyMap<number, MethodDef>;
  /**
   * The demuxer's table: the method of each opcode below its length (undefined where
   * none). Opcodes at or past its length are looked up in byOp.
   */
  readonly table: readonly (MethodDef | undefined)[];
  readonly list: readonly MethodDef[];
}

/** The demuxer's dense table covers opcodes below this (larger ones go through byOp). */
const TABLE_LIMIT = 4096;

/** The method an opcode (a message label) names in an interface, if any: the demuxer's lookup. */
export function methodOf(iface: Interface, op: number): MethodDef | undefined {
  const t = iface.table;
  return op < t.length ? t[op] : iface.byOp.get(op);
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The methods of every interface in a tuple, merged. */
export type MethodsOf<L extends readonly Interface[]> = UnionToIntersection<
  { [K in keyof L]: L[K] extends Interface<infer M> ? M : never }[number]
>;

/**
 * Declare an interface. Throws (a programming error, at startup) on a duplicate or
 * out-of-range opcode, an unknown error name, or a message that cannot fit a kernel
 * message (64 words with the 2-word header, 4 items, 3 caps).
 */
export function defineInterface<const M extends MethodSpecs>(
  name: string,
  methods: M,
  opts: { doc?: string } = {},
): Interface<M> {
  return build(name, methods, opts.doc ?? '', []);
}

/**
 * An interface made of others, as a Hurd port speaks several subsystems (io, file,
 * dir): their methods, each keeping its own interface name for traces, plus `methods`.
 * Opcodes must not collide.
 */
export function combineInterfaces<const L extends readonly Interface[], const M extends MethodSpecs = Record<never, never>>(
  name: string,
  parts: L,
  methods?: M,
  opts: { doc?: string } = {},
): Interface<MethodsOf<L> & M> {
  return build(name, (methods ?? {}) as MethodSpecs, opts.doc ?? '', parts) as unknown as Interface<MethodsOf<L> & M>;
}

function build<M extends MethodSpecs>(name: string, methods: M, doc: string, parts: readonly Interface[]): Interface<M> {
  const byOp = new Map<number, MethodDef>();
  const out: Record<string, MethodDef> = {};
  for (const p of parts) {
    for (const m of p.list) {
      if (byOp.has(m.op)) throw new RangeError(`${name}: opcode ${m.op} of ${m.fullName} collides with ${byOp.get(m.op)!.fullName}`);
      if (Object.prototype.hasOwnProperty.call(out, m.name)) throw new RangeError(`${name}: method name ${m.name} appears twice`);
      byOp.set(m.op, m);
      out[m.name] = m;
    }
  }
  for (const [mname, spec] of Object.entries(methods)) {
    const where = `${name}.${mname}`;
    if (!Number.isInteger(spec.op) || spec.op < 1 || spec.op > MAX_OPCODE) {
      throw new RangeError(`${where}: opcode must be an integer in 1..${MAX_OPCODE}`);
    }
    if (byOp.has(spec.op)) throw new RangeError(`${where}: opcode ${spec.op} already used by ${byOp.get(spec.op)!.fullName}`);
    if (Object.prototype.hasOwnProperty.call(out, mname)) throw new RangeError(`${where}: method name appears twice`);
    for (const e of spec.errors ?? []) if (!isErrnoName(e)) throw new TypeError(`${where}: unknown error ${String(e)}`);
    if (spec.oneway === true && spec.reply !== undefined && Object.keys(spec.reply).length > 0) {
      throw new TypeError(`${where}: a one-way method has no reply`);
    }
    const args = spec.args ?? {};
    const reply = spec.reply ?? {};
    const argsCodec = compileFields(args, `${where} args`);
    const replyCodec = compileFields(reply, `${where} reply`);
    checkBudget(where, 'arguments', argsCodec, HEADER_WORDS);
    checkBudget(where, 'reply', replyCodec, 0);
    const def: MethodDef = {
      name: mname,
      fullName: where,
      op: spec.op,
      args,
      reply,
      errors: spec.errors ?? [],
      oneway: spec.oneway === true,
      doc: spec.doc ?? '',
      argsCodec,
      replyCodec,
      interfaceName: name,
    };
    byOp.set(spec.op, def);
    out[mname] = def;
  }
  const list = [...byOp.values()].sort((a, b) => a.op - b.op);
  const size = Math.min(TABLE_LIMIT, list.reduce((n, m) => Math.max(n, m.op + 1), 0));
  const table = Array.from({ length: size }, (_, op) => byOp.get(op));
  return {
    name,
    doc,
    methods: out as { [K in keyof M]: MethodDef<M[K]> },
    byOp,
    table,
    list,
  };
}

function checkBudget(where: string, what: string, c: FieldsCodec, header: number): void {
  if (c.maxWords + header > MR_COUNT) throw new RangeError(`${where}: ${what} need ${c.maxWords} words, more than fit`);
  if (c.maxItems > MAX_ITEMS) throw new RangeError(`${where}: ${what} need ${c.maxItems} string/byte/array items (max ${MAX_ITEMS})`);
  if (c.maxCaps > MAX_CAPS) throw new RangeError(`${where}: ${what} need ${c.maxCaps} caps (max ${MAX_CAPS})`);
}
