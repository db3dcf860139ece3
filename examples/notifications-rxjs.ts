// Notifications as rxjs streams: a build server posts progress events through a Poster
// (its handlers never do IPC, never wait for the client); a client subscribes to the
// notification service with `notifications()`, hands the sender cap to the build server,
// and consumes the events with rxjs operators. A burst larger than the mailbox shows up
// as a gap in the ticks; unsubscribing frees the mailbox. Uses only public APIs.
// Run it: npx tsx examples/notifications-rxjs.ts

import { filter, firstValueFrom, map, take, toArray } from 'rxjs';
import { Kernel, VirtualClock, type Task } from '../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, RpcFailure, t } from '../libcap/index.ts';
import { notifications, notifyServer, Poster, withGaps, type NotifyInstance } from '../servers/notify/index.ts';
import { isMain } from './is-main.ts';

/** The build server's interface: register a watcher, run a build of `steps` steps. */
export const Builder = defineInterface('builder', {
  watch: { op: 1, args: { sender: t.cap() }, doc: 'Post start / progress / done events to this notify sender.' },
  build: { op: 2, args: { target: t.string(64), steps: t.u32 }, reply: { watchers: t.u32 } },
});

/** Start the build server in its own task; returns a cap for `client`. */
function startBuilder(kernel: Kernel, client: Task, out: (line: string) => void): number {
  const task = kernel.createTask('builder', { quota: 100, slots: 1024 });
  const bucket = Bucket.start(kernel, task, { name: 'builder' });
  const watchers = new Set<number>();
  const poster = Poster.start(kernel, task, {
    onDrop: (slot, error) => {
      watchers.delete(slot);
      out(`builder: dropped a watcher (${error})`);
    },
  });
  const cls = defineClass({
    name: 'builder',
    interface: Builder,
    init: () => ({}),
    handlers: {
      watch(ctx, { sender }) {
        ctx.keep(sender);
        poster.adopt(sender);
        watchers.add(sender);
        return {};
      },
      build(_ctx, { target, steps }) {
        // Everything is queued in the poster; this handler answers at once.
        const post = (type: string, data: string) => {
          for (const w of watchers) poster.post(w, type, data);
        };
        post('start', target);
        for (let i = 1; i <= steps; i++) post('progress', `${target} ${i}/${steps}`);
        post('done', target);
        return { watchers: watchers.size };
      },
    },
  });
  const obj = bucket.create(cls, undefined);
  if (obj instanceof RpcFailure) throw new Error('builder: cannot create its object');
  return bucket.install(obj, client);
}

/** Run the scenario and narrate it. */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const notifyTask = kernel.createTask('notify', { quota: 1000, slots: 1 << 16 });
  const notify = (await notifyServer()({ kernel, task: notifyTask, caps: new Map() })) as NotifyInstance;

  const client = kernel.createTask('client');
  const builder = connect(Builder, kernel, client, startBuilder(kernel, client, out));

  // Subscribe: the mailbox holds 8 events; one sender, for the builder.
  const feed = notifications(kernel, client, notify.install!(client, undefined), { capacity: 8, sources: ['builder'] });
  const all = feed.events$.pipe(withGaps()).subscribe((n) => {
    const lost = n.gap > 0 ? `   <- ${n.gap} events lost before this one` : '';
    out(`client: #${n.tick} ${n.type}${n.data === '' ? '' : ` ${n.data}`}${lost}`);
  });
  const finished = firstValueFrom(
    feed.events$.pipe(
      filter((e) => e.type === 'done'),
      map((e) => e.data),
      take(2),
      toArray(),
    ),
  );
  const { builder: sender } = await feed.senders;
  await builder.watch({ sender });
  out(`client: subscribed; notify holds ${notify.stats().mailboxes} mailbox for me`);

  out('client: build "hello" (3 steps)');
  const hello = firstValueFrom(feed.events$.pipe(filter((e) => e.type === 'done' && e.data === 'hello')));
  await builder.build({ target: 'hello', steps: 3 });
  await hello;
  out('client: build "world" (30 steps), a burst larger than my mailbox');
  await builder.build({ target: 'world', steps: 30 });
  out(`client: builds finished: ${(await finished).join(', ')}`);
  const stats = await feed.stats();
  out(`client: mailbox stats: posted ${stats?.posted}, dropped ${stats?.dropped}`);

  // Unsubscribing cancels the pending wait; closing the feed deletes the caps: the service
  // frees the mailbox (until then it stays, so the sender the builder holds keeps working).
  all.unsubscribe();
  await feed.close();
  for (let i = 0; i < 3; i++) {
    await kernel.settle();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  out(`client: unsubscribed; notify holds ${notify.stats().mailboxes} mailboxes`);
}

if (isMain(import.meta.url)) await main();
