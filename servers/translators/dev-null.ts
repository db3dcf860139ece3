// The null device, as the Hurd's /hurd/null on /dev/null: a character device node that
// reads as empty (end of file at once) and swallows every write whole. Takes no options.

import type { TranslatorFactory } from '../fs/translator.ts';
import { failWith } from '../fs/fail-with.ts';
import { trivfs } from '../fs/trivfs.ts';
import { canRead, canWrite } from '../fs/open-flags.ts';

/** Start the null device: argv is ['null']; any option fails the start. */
export const devNull: TranslatorFactory = (env) => {
  if (env.argv.length > 1) throw new TypeError(`null: takes no arguments, got ${JSON.stringify(env.argv.slice(1))}`);
  return trivfs(env, {
    name: 'null',
    type: 'chr',
    mode: 0o666,
    uid: 0,
    gid: 0,
    allowWrite: true,
    handlers: {
      read: (ctx) => (canRead(ctx.data.po!.flags) ? { data: new Uint8Array(0) } : failWith('EBADF')),
      write: (ctx, { data }) => (canWrite(ctx.data.po!.flags) ? { amount: data.length } : failWith('EBADF')),
      truncate: () => ({}),
    },
  });
};
