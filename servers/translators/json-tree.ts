// The mapping between a JSON document and a tree of names, for the json translator.
// Pure functions over parsed values; nothing here talks to a server.
//
// Objects and arrays are directories, everything else a file. An object's entries are
// its keys in document order; an array's are "0", "1", ... A key is its own name except
// that "%" is written "%25", "/" "%2F" and NUL "%00", and the keys "", "." and ".." are
// written "%", "%2E" and "%2E%2E"; only that spelling finds the key (so "01" is not
// element 1), and keys longer than NAME_MAX bytes once spelt are not shown.
//
// A leaf's text: a string raw (no quotes, no newline added), a number as JSON writes it,
// true / false / null as those words. Text written to a leaf keeps the leaf's type when
// it parses as that type (surrounding whitespace, a trailing newline say, ignored):
// a JSON number for a number, true or false for a boolean, null for null; otherwise the
// leaf becomes a string holding the text exactly. A string leaf takes the text exactly.

import { NAME_MAX } from '../../protocol/fs.ts';

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** What a value is: a container or one of the leaf types. */
export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
/** The leaf types. */
export type LeafKind = Exclude<JsonKind, 'object' | 'array'>;

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The kind of a value. */
export function kindOf(v: JsonValue): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

/** True for objects and arrays. */
export function isContainer(v: JsonValue | undefined): v is JsonValue[] | { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null;
}

/** The name a key is shown as, or null when it cannot be one (too long). */
export function nameOfKey(key: string): string | null {
  let name: string;
  if (key === '') name = '%';
  else if (key === '.') name = '%2E';
  else if (key === '..') name = '%2E%2E';
  else name = key.replace(/[%/\0]/g, (c) => (c === '%' ? '%25' : c === '/' ? '%2F' : '%00'));
  return Buffer.byteLength(name, 'utf8') > NAME_MAX ? null : name;
}

/** The key a name spells, or null when it is not how any key is spelt. */
export function keyOfName(name: string): string | null {
  const key = name === '%' ? '' : name.replace(/%(25|2F|00|2E)/g, (_m, hex: string) => (hex === '25' ? '%' : hex === '2F' ? '/' : hex === '00' ? '\0' : '.'));
  return nameOfKey(key) === name ? key : null;
}

/** A container's keys, in order ("0", "1", ... for an array). */
export function keysOf(v: JsonValue | undefined): string[] {
  if (Array.isArray(v)) return v.map((_x, i) => String(i));
  if (isContainer(v)) return Object.keys(v);
  return [];
}

/** A container's child by key (own keys only), or undefined. */
export function childOf(v: JsonValue | undefined, key: string): JsonValue | undefined {
  if (Array.isArray(v)) return ARRAY_INDEX.test(key) ? v[Number(key)] : undefined;
  if (isContainer(v)) return Object.hasOwn(v, key) ? v[key] : undefined;
  return undefined;
}

/** The value at `path` (keys from the top), or undefined when it is not there. */
export function valueAt(doc: JsonValue, path: readonly string[]): JsonValue | undefined {
  let v: JsonValue | undefined = doc;
  for (const key of path) v = childOf(v, key);
  return v;
}

/**
 * A new document with the value at `path` replaced (containers on the way copied, the
 * rest shared; keys keep their order), or undefined when `path` is not there.
 */
export function setAt(doc: JsonValue, path: readonly string[], value: JsonValue): JsonValue | undefined {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string, ...string[]];
  const child = childOf(doc, key);
  if (child === undefined) return undefined;
  const next = setAt(child, rest, value);
  if (next === undefined) return undefined;
  if (Array.isArray(doc)) {
    const copy = doc.slice();
    copy[Number(key)] = next;
    return copy;
  }
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(doc as { [key: string]: JsonValue }).map(([k, v]) => [k, k === key ? next : v]));
}

/** A leaf's text (see the module comment). */
export function leafText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** What text written to a leaf of `kind` becomes (see the module comment). */
export function leafValue(kind: LeafKind, text: string): JsonValue {
  const t = text.trim();
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      if (!JSON_NUMBER.test(t)) return text;
      const n = Number(t);
      return Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : text;
    case 'null':
      return t === 'null' ? null : text;
  }
}

/** How a document was laid out, to write it back alike. */
export interface JsonLayout {
  /** Spaces (or a tab) per level; "" for one line. */
  readonly indent: string;
  /** The text ended with a newline. */
  readonly finalNewline: boolean;
}

/** The layout of a JSON text: the first indented line's indentation, if any line is. */
export function layoutOf(text: string): JsonLayout {
  const m = /\n([ \t]+)\S/.exec(text);
  return { indent: m === null ? '' : m[1]!, finalNewline: text.endsWith('\n') };
}

/** A document as text in `layout`. */
export function serialize(doc: JsonValue, layout: JsonLayout): string {
  const body = layout.indent === '' ? JSON.stringify(doc) : JSON.stringify(doc, null, layout.indent);
  return layout.finalNewline ? `${body}\n` : body;
}

/** Parse a JSON text: the document, or the parser's complaint. */
export function parseJson(text: string): { doc: JsonValue } | { error: string } {
  try {
    return { doc: JSON.parse(text) as JsonValue };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
