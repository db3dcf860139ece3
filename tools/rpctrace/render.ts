// Rendering decoded RPC values for trace lines, in the spirit of the Hurd's rpctrace:
// arguments named, strings escaped and truncated, byte buffers shown by length and a
// short hex preview, capabilities shown as "cap".

import type { AnyType, Fields } from '../../libcap/index.ts';

/** Escape a string for a trace line, cut to `limit` characters (default 80). */
export function escapeString(s: string, limit = 80): string {
  let out = '';
  const n = Math.min(s.length, limit);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `"${out}"${s.length > limit ? '...' : ''}`;
}

function bytes(b: Uint8Array): string {
  const head = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join('');
  return `<${b.length} bytes${b.length > 0 ? ` ${head}${b.length > 8 ? '...' : ''}` : ''}>`;
}

/** Render one value of type `ty`. */
export function renderValue(ty: AnyType, v: unknown, limit: number): string {
  if (v === undefined) return 'none';
  switch (ty.kind) {
    case 'string':
      return escapeString(String(v), limit);
    case 'bytes':
      return v instanceof Uint8Array ? bytes(v) : '?';
    case 'cap':
      return 'cap';
    case 'enum':
      return String(v);
    case 'optional':
      return renderValue(ty.of, v, limit);
    case 'record':
      return `{${renderFields(ty.fields, v as Record<string, unknown>, limit, ': ')}}`;
    case 'array': {
      const a = v as unknown[];
      const shown = a.slice(0, 8).map((x) => renderValue(ty.of, x, limit));
      return `[${shown.join(', ')}${a.length > 8 ? `, ... ${a.length} in all` : ''}]`;
    }
    default:
      return String(v);
  }
}

/** Render named fields: "a=1, b=\"x\"". */
export function renderFields(fields: Fields, values: Record<string, unknown>, limit: number, sep = '='): string {
  const parts: string[] = [];
  for (const [name, ty] of Object.entries(fields)) {
    if (values[name] === undefined && ty.kind === 'optional') continue;
    parts.push(`${name}${sep}${renderValue(ty, values[name], limit)}`);
  }
  return parts.join(', ');
}
