// Word expansion, in POSIX sh order: tilde, variables (unquoted results split on blanks),
// then pathname globbing (* ? [..]) against the file system, then quote removal. A glob
// that matches nothing stays as written, as bash does by default.

import { posix } from 'node:path';
import type { Word } from './parse.ts';

/** What expansion reads: variables, the home directory, the cwd and directory listings. */
export interface ExpandEnv {
  lookup(name: string): string;
  readonly home: string;
  readonly cwd: string;
  readdir(path: string): Promise<string[]>;
}

/** A field being built: its text, and the same text with glob characters escaped where they came from quotes. */
interface Field {
  text: string;
  pattern: string;
  glob: boolean;
}

const GLOB = /[*?[]/;

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** Expand one word into zero or more fields. */
export async function expandWord(word: Word, env: ExpandEnv, opts: { glob?: boolean } = {}): Promise<string[]> {
  const fields: Field[] = [];
  let cur: Field | null = null;
  const ensure = (): Field => (cur ??= { text: '', pattern: '', glob: false });
  for (const [i, p] of word.entries()) {
    if (p.kind === 'text') {
      let text = p.text;
      if (i === 0 && !p.quoted && (text === '~' || text.startsWith('~/'))) text = env.home + text.slice(1);
      const f = ensure();
      f.text += text;
      if (p.quoted) f.pattern += escapeGlob(text);
      else {
        f.pattern += text;
        if (GLOB.test(text)) f.glob = true;
      }
      continue;
    }
    const value = env.lookup(p.name);
    if (p.quoted) {
      const f = ensure();
      f.text += value;
      f.pattern += escapeGlob(value);
      continue;
    }
    // Unquoted: split on blanks; the first piece joins the current field, the last starts the next.
    const pieces = value.split(/[ \t\n]+/);
    for (const [j, piece] of pieces.entries()) {
      const open = cur as Field | null;
      if (j > 0 && open !== null) {
        if (open.text !== '') fields.push(open);
        cur = null;
      }
      if (piece === '') continue;
      const f = ensure();
      f.text += piece;
      f.pattern += escapeGlob(piece);
    }
  }
  const last = cur as Field | null;
  if (last !== null) fields.push(last);
  // A word that was all quotes ("" or '') is one empty field; an unquoted empty $X is none.
  if (fields.length === 0 && word.some((p) => p.quoted)) return [''];
  const out: string[] = [];
  for (const f of fields) {
    if (f.glob && opts.glob !== false) {
      const hits = await glob(f.pattern, env);
      if (hits.length > 0) {
        out.push(...hits);
        continue;
      }
    }
    out.push(f.text);
  }
  return out;
}

/** Compile one path segment's pattern to a RegExp (backslash escapes a character). */
export function globRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      re += `[${neg ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = close;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function hasMeta(seg: string): boolean {
  for (let i = 0; i < seg.length; i++) {
    if (seg[i] === '\\') i++;
    else if ('*?['.includes(seg[i]!)) return true;
  }
  return false;
}

function unescape(seg: string): string {
  return seg.replace(/\\(.)/g, '$1');
}

/** Paths matching `pattern` (relative to the cwd unless absolute), sorted; hidden names only when the segment starts with '.'. */
async function glob(pattern: string, env: ExpandEnv): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let bases: string[] = [absolute ? '/' : ''];
  let globbed = false;
  for (const [i, seg] of segs.entries()) {
    if (i === 0 && absolute) continue;
    const next: string[] = [];
    if (!hasMeta(seg)) {
      const name = unescape(seg);
      for (const b of bases) {
        // After a glob, keep only the matches where this name exists.
        if (globbed && !(await env.readdir(posix.resolve(env.cwd, b)).then((ns) => ns.includes(name), () => false))) continue;
        next.push(b === '' ? name : posix.join(b, name));
      }
    } else {
      globbed = true;
      const re = globRegExp(seg);
      for (const b of bases) {
        let names: string[];
        try {
          names = await env.readdir(posix.resolve(env.cwd, b === '' ? '.' : b));
        } catch {
          continue;
        }
        for (const n of [...names].sort()) {
          if (n.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(n)) next.push(b === '' ? n : posix.join(b, n));
        }
      }
    }
    bases = next;
    if (bases.length === 0) return [];
  }
  return bases;
}
