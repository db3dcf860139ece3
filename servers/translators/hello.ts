// The hello translator, as the Hurd's hello.c: one read-only regular file (r--r--r--)
// holding "Hello, world!\n". `--contents TEXT` (or --contents=TEXT) sets the text at
// start, and later through fsysopts (fsys.setOptions); every open keeps its own offset;
// goaway ends it. A few dozen lines on trivfs.

import type { ErrnoName } from '../../libcap/index.ts';
import type { TranslatorFactory } from '../fs/translator.ts';
import { readFrom, trivfs } from '../fs/trivfs.ts';

/** What hello serves unless told otherwise. */
export const HELLO_TEXT = 'Hello, world!\n';

/** The contents `--contents TEXT` / `--contents=TEXT` names (undefined: unchanged), or EINVAL. */
export function parseHelloOptions(args: readonly string[]): { contents: string | undefined } | ErrnoName {
  let contents: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--contents=')) contents = a.slice('--contents='.length);
    else if (a === '--contents' || a === '-c') {
      const v = args[++i];
      if (v === undefined) return 'EINVAL';
      contents = v;
    } else return 'EINVAL';
  }
  return { contents };
}

/** Start hello: argv is ['hello', ...options]. Bad options fail the start. */
export const hello: TranslatorFactory = (env) => {
  const parsed = parseHelloOptions(env.argv.slice(1));
  if (typeof parsed === 'string') throw new TypeError(`hello: bad arguments ${JSON.stringify(env.argv.slice(1))}`);
  let text = parsed.contents ?? HELLO_TEXT;
  let bytes = Buffer.from(text, 'utf8');
  return trivfs(env, {
    name: 'hello',
    type: 'file',
    mode: 0o444,
    size: () => bytes.length,
    handlers: {
      read: (ctx, args) => readFrom(ctx, bytes, args),
    },
    getOptions: () => [`--contents=${text}`],
    setOptions(options) {
      const p = parseHelloOptions(options);
      if (typeof p === 'string') return p;
      if (p.contents !== undefined) {
        text = p.contents;
        bytes = Buffer.from(text, 'utf8');
      }
      return null;
    },
  });
};
