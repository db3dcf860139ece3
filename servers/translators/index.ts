// The stock translators and the registry a filesystem server starts them from.

import { TranslatorRegistry } from '../fs/translator.ts';
import { hello } from './hello.ts';
import { tmpfs } from './tmpfs.ts';

export { hello, HELLO_TEXT, parseHelloOptions } from './hello.ts';
export { tmpfs, parseTmpfsOptions } from './tmpfs.ts';
export type { TmpfsOptions } from './tmpfs.ts';

/** A new registry holding the stock translators (hello, tmpfs); extend it with register(). */
export function defaultRegistry(): TranslatorRegistry {
  return new TranslatorRegistry([
    ['hello', hello],
    ['tmpfs', tmpfs],
  ]);
}
