// The zero device, as the Hurd's /dev/zero: a character device node whose reads answer
// as many zero bytes as asked (up to one message, IO_MAX) without end, and which
// swallows every write whole. Takes no options.

import type { TranslatorFactory } from '../fs/translator.ts';
import { failWith } from '../fs/fail-with.ts';
import { IO_MAX } from '../../protocol/fs.ts';
import { trivfs } from '../fs/trivfs.ts';
import { canRead, canWrite } from '../fs/open-flags.ts';

/** Start the zero device: argv is ['zero']; any option fails the start. */
export const devZero: TranslatorFactory = (env) => {
  if (env.argv.length > 1) throw new TypeError(`zero: takes no arguments, got ${JSON.stringify(env.argv.slice(1))}`);
  return trivfs(env, {
    name: 'zero',
    type: 'chr',
    mode: 0o666,
    uid: 0,
    gid: 0,
    allowWrite: true,
    handlers: {
      read: (ctx, { amount }) => (canRead(ctx.data.po!.flags) ? { data: new Uint8Array(Math.min(amount, IO_MAX)) } : failWith('EBADF')),
      write: (ctx, { data }) => (canWrite(ctx.data.po!.flags) ? { amount: data.length } : failWith('EBADF')),
      truncate: () => ({}),
    },
  });
};
