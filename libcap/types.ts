// Type descriptors for interface declarations: data at run time (the codec walks them)
// and TypeScript types at compile time (`Infer<T>`), so one declaration drives stubs,
// handlers, validation and trace decoding.

/** A capability slot number in the receiving task's cap space. */
export type CapSlot = number;

interface Base<T> {
  readonly kind: string;
  /** Phantom: never present at run time; carries the TypeScript type. */
  readonly __type?: T;
}

export interface U32Type extends Base<number> {
  readonly kind: 'u32';
}
export interface I32Type extends Base<number> {
  readonly kind: 'i32';
}
export interface F64Type extends Base<number> {
  readonly kind: 'f64';
}
export interface BoolType extends Base<boolean> {
  readonly kind: 'bool';
}
export interface EnumType<V extends string> extends Base<V> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}
export interface StringType extends Base<string> {
  readonly kind: 'string';
  /** Longest accepted string, in UTF-16 units. */
  readonly max: number;
}
export interface BytesType extends Base<Uint8Array> {
  readonly kind: 'bytes';
  readonly max: number;
}
export interface CapType extends Base<CapSlot> {
  readonly kind: 'cap';
  /** map = the sender keeps its cap (copy); grant = it moves (C5). */
  readonly mode: 'map' | 'grant';
}
export interface RecordType<F extends Fields> extends Base<InferFields<F>> {
  readonly kind: 'record';
  readonly fields: F;
}
export interface ArrayType<E extends AnyType> extends Base<Infer<E>[]> {
  readonly kind: 'array';
  readonly of: E;
  readonly max: number;
}
export interface OptionalType<E extends AnyType> extends Base<Infer<E> | undefined> {
  readonly kind: 'optional';
  readonly of: E;
}

export type AnyType =
  | U32Type
  | I32Type
  | F64Type
  | BoolType
  | EnumType<string>
  | StringType
  | BytesType
  | CapType
  | RecordType<Fields>
  | ArrayType<AnyType>
  | OptionalType<AnyType>;

export type Fields = { readonly [name: string]: AnyType };

/** The TypeScript type a descriptor stands for. */
export type Infer<T> = T extends Base<infer V> ? V : never;

/** Keys whose type admits undefined become optional properties. */
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends OptionalType<AnyType> ? K : never }[keyof F];
type RequiredKeys<F extends Fields> = Exclude<keyof F, OptionalKeys<F>>;
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The object type of a field list (arguments or reply values). */
export type InferFields<F extends Fields> = Flatten<
  { [K in RequiredKeys<F>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> }
>;

/** Default limits for strings, byte buffers and arrays. */
export const DEFAULT_STRING_MAX = 4096;
export const DEFAULT_BYTES_MAX = 1 << 20;
export const DEFAULT_ARRAY_MAX = 4096;

const U32: U32Type = { kind: 'u32' };
const I32: I32Type = { kind: 'i32' };
const F64: F64Type = { kind: 'f64' };
const BOOL: BoolType = { kind: 'bool' };

/** Builders for type descriptors. */
export const t = {
  u32: U32,
  i32: I32,
  f64: F64,
  bool: BOOL,
  enum<const V extends string>(...values: V[]): EnumType<V> {
    if (values.length === 0) throw new TypeError('t.enum needs at least one value');
    return { kind: 'enum', values };
  },
  string(max = DEFAULT_STRING_MAX): StringType {
    return { kind: 'string', max };
  },
  bytes(max = DEFAULT_BYTES_MAX): BytesType {
    return { kind: 'bytes', max };
  },
  /** A capability, transferred as a cap item: map (copy, default) or grant (move). */
  cap(mode: 'map' | 'grant' = 'map'): CapType {
    return { kind: 'cap', mode };
  },
  record<const F extends Fields>(fields: F): RecordType<F> {
    return { kind: 'record', fields };
  },
  array<E extends AnyType>(of: E, max = DEFAULT_ARRAY_MAX): ArrayType<E> {
    if (containsCap(of)) throw new TypeError('arrays of capabilities are not supported');
    return { kind: 'array', of, max };
  },
  optional<E extends AnyType>(of: E): OptionalType<E> {
    return { kind: 'optional', of };
  },
} as const;

/** True when a descriptor contains a capability anywhere. */
export function containsCap(ty: AnyType): boolean {
  switch (ty.kind) {
    case 'cap':
      return true;
    case 'record':
      return Object.values(ty.fields).some(containsCap);
    case 'array':
    case 'optional':
      return containsCap(ty.of);
    default:
      return false;
  }
}

/** A short rendering for docs and traces: "u32", "string", "array<record{...}>". */
export function typeName(ty: AnyType): string {
  switch (ty.kind) {
    case 'enum':
      return ty.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'record':
      return `{ ${Object.entries(ty.fields)
        .map(([k, v]) => `${k}: ${typeName(v)}`)
        .join('; ')} }`;
    case 'array':
      return `${typeName(ty.of)}[]`;
    case 'optional':
      return `${typeName(ty.of)}?`;
    case 'cap':
      return ty.mode === 'grant' ? 'cap(grant)' : 'cap';
    default:
      return ty.kind;
  }
}
