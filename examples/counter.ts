// The README's first example: an interface declared once, a class serving it, a bucket,
// and a typed client. Errors are values the declaration types; a method not written
// answers EOPNOTSUPP; a malformed message never reaches a handler.
// Run it: npx tsx examples/counter.ts

import { Kernel, VirtualClock } from '../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, interfaceDocs, RpcFailure, t } from '../libcap/index.ts';
import { isMain } from './is-main.ts';

export const Counter = defineInterface('counter', {
  inc: { op: 1, args: { by: t.u32 }, reply: { value: t.u32 }, errors: ['EOVERFLOW'] },
  name: { op: 2, args: { s: t.string(16) }, reply: { greeting: t.string() } },
});

export const counterClass = defineClass({
  name: 'counter',
  interface: Counter,
  init: () => ({ n: 0 }),
  handlers: {
    inc(ctx, { by }) {
      if (ctx.data.n + by > 1000) return ctx.fail('EOVERFLOW');
      ctx.data.n += by;
      return { value: ctx.data.n };
    },
    // `name` is not written: it answers EOPNOTSUPP.
  },
});

export async function main(out: (line: string) => void = console.log): Promise<void> {
  const k = new Kernel({ clock: new VirtualClock() });
  const server = k.createTask('counter', { quota: 1000, slots: 4096 });
  const client = k.createTask('client');
  const bucket = Bucket.start(k, server, { maxWorkers: 4 });
  const obj = bucket.create(counterClass, undefined);
  if (obj instanceof RpcFailure) throw new Error(obj.error);
  const counter = connect(Counter, k, client, bucket.install(obj, client));
  out(`inc by 5: ${JSON.stringify(await counter.inc({ by: 5 }))}`);
  out(`inc by 5000: ${JSON.stringify(await counter.attempt.inc({ by: 5000 }))}`);
  out(`name: ${JSON.stringify(await counter.attempt.name({ s: 'world' }))}`);
  out(`name with a 40-character string: ${JSON.stringify(await counter.attempt.name({ s: 'x'.repeat(40) }))}`);
  out(interfaceDocs(Counter).split('\n').slice(2, 6).join('\n'));
  await bucket.end(true);
}

if (isMain(import.meta.url)) await main();
