// Notification service rows: one event from a server's post to the client's receipt
// (the client waiting in next, a deferred reply), and fan-out of events to 100
// subscribers. Kernel threads with in-thread stubs; each row checks every event arrived,
// in order, with nothing dropped.

import { Kernel, VirtualClock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { connect, stub } from '../../libcap/index.ts';
import { Mailbox, Notify, notifyServer, Sender, type NotifyInstance } from '../../servers/notify/index.ts';
import { nsPer, type RowGroup } from '../row.ts';

interface Setup {
  readonly k: Kernel;
  readonly inst: NotifyInstance;
}

async function start(quota: number): Promise<Setup> {
  const k = new Kernel({ clock: new VirtualClock() });
  const task = k.createTask('notify', { quota: 10_000, slots: 1 << 16 });
  const inst = (await notifyServer({ quota })({ kernel: k, task, caps: new Map() })) as NotifyInstance;
  return { k, inst };
}

/** A subscriber task with a mailbox of `capacity`, the sync event taken, and a sender copied into `server`. */
async function subscriber(s: Setup, name: string, capacity: number, server: Task): Promise<{ task: Task; mailbox: number; sender: number }> {
  const task = s.k.createTask(name);
  const notify = connect(Notify, s.k, task, s.inst.install!(task, undefined));
  const { mailbox } = await notify.subscribe({ capacity });
  const box = connect(Mailbox, s.k, task, mailbox);
  await box.take({ max: 1 });
  const { sender } = await box.allow({ source: 'bench' });
  return { task, mailbox, sender: s.k.grant(task, sender, server) };
}

interface Tally {
  received: number;
  failure: string;
}

function check(row: string, t: Tally, want: number): void {
  if (t.failure !== '') throw new Error(`${row}: ${t.failure}`);
  if (t.received !== want) throw new Error(`${row}: ${t.received} of ${want} events received`);
}

/**
 * Post to receipt: the client waits in next; the server posts one event, then waits for
 * the client's acknowledgement (a notification signal) before the next post.
 */
async function postLoop(n: number): Promise<number> {
  const s = await start(1024);
  const server = s.k.createTask('server');
  const sub = await subscriber(s, 'client', 16, server);
  const ack = s.k.createNotification(server);
  const ackInClient = s.k.grant(server, ack, sub.task);
  const tally: Tally = { received: 0, failure: '' };
  s.k.spawn(sub.task, function* client(sys: Sys): SysGen<void> {
    const box = stub(Mailbox, sys, sub.mailbox);
    for (let i = 1; i <= n; i++) {
      const r = yield* box.next({ timeout: 0 });
      if (!r.ok || r.value.event.tick !== i) {
        tally.failure = r.ok ? `tick ${r.value.event.tick}, expected ${i}` : `next answered ${r.error}`;
        return;
      }
      tally.received++;
      yield sys.signal(ackInClient);
    }
  });
  s.k.run(); // the client now waits in next
  s.k.spawn(server, function* poster(sys: Sys): SysGen<void> {
    const post = stub(Sender, sys, sub.sender);
    for (let i = 0; i < n; i++) {
      const r = yield* post.post({ type: 'change', data: 'x' });
      if (!r.ok) {
        tally.failure = `post answered ${r.error}`;
        return;
      }
      yield sys.wait(ack);
    }
  });
  const t0 = performance.now();
  s.k.run();
  const ms = performance.now() - t0;
  check('notify.post', tally, n);
  return nsPer(ms, n);
}

const SUBSCRIBERS = 100;

/**
 * Fan-out: 100 subscribers wait (next, or take when events are queued); one server posts
 * each event to all of them. The server runs below the service's manager, which sends the
 * deferred answers, so every event is delivered before the next post. ns per delivered event.
 */
async function fanoutLoop(events: number): Promise<number> {
  const s = await start(1024);
  const server = s.k.createTask('server');
  const subs: { task: Task; mailbox: number; sender: number }[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) subs.push(await subscriber(s, `sub${i}`, 16, server));
  const tally: Tally = { received: 0, failure: '' };
  for (const sub of subs) {
    s.k.spawn(sub.task, function* client(sys: Sys): SysGen<void> {
      const box = stub(Mailbox, sys, sub.mailbox);
      let expect = 1;
      while (expect <= events) {
        const r = yield* box.next({ timeout: 0 });
        if (!r.ok) {
          tally.failure = `next answered ${r.error}`;
          return;
        }
        if (r.value.event.tick !== expect) {
          tally.failure = `tick ${r.value.event.tick}, expected ${expect} (events were dropped)`;
          return;
        }
        expect++;
        tally.received++;
      }
    }, { priority: 95 });
  }
  s.k.run(); // every subscriber waits in next
  s.k.spawn(server, function* poster(sys: Sys): SysGen<void> {
    const posts = subs.map((sub) => stub(Sender, sys, sub.sender));
    for (let i = 0; i < events; i++) {
      for (const p of posts) {
        const r = yield* p.post({ type: 'change', data: 'x' });
        if (!r.ok) {
          tally.failure = `post answered ${r.error}`;
          return;
        }
      }
    }
  }, { priority: 90 });
  const t0 = performance.now();
  s.k.run();
  const ms = performance.now() - t0;
  const delivered = events * SUBSCRIBERS;
  check('notify.fanout', tally, delivered);
  if (s.inst.stats().dropped !== 0) throw new Error(`notify.fanout: ${s.inst.stats().dropped} events dropped`);
  return nsPer(ms, delivered);
}

export const group: RowGroup = {
  name: 'notify',
  rank: 30,
  rows: [
    {
      name: 'notify.post',
      what: 'Sender.post by a server thread to receipt by a client thread waiting in Mailbox.next (deferred reply), plus the client\'s ack signal, per event',
      per: 'event',
      iterations: 20_000,
      run: postLoop,
    },
    {
      name: 'notify.fanout',
      what: 'one server posts each event to 100 subscribers (each waits in next / drains with take); ns per delivered event, events/s = 1e9 / figure',
      per: 'event',
      iterations: 300,
      run: fanoutLoop,
    },
  ],
};
