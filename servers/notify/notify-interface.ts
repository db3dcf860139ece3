// The notification service's interfaces (seed 004, design 3): a client subscribes a
// mailbox with a bounded queue charged to it, hands "sender" caps to the servers it
// allows to notify it, and waits or polls; servers post through their sender cap and
// never block on the client.

import { defineInterface, t, type Infer } from '../../libcap/index.ts';

/** One event as the client receives it. Ticks count every post, so gaps show drops. */
export const EventType = t.record({
  tick: t.u32,
  /** 'sync' for the initial event of a mailbox; otherwise what the server posted. */
  type: t.string(64),
  /** The name the client gave the sender cap this came through ('' for sync). */
  source: t.string(64),
  data: t.string(4096),
});
export type NotifyEvent = Infer<typeof EventType>;

/** The service's root object: where mailboxes are made. */
export const Notify = defineInterface(
  'notify',
  {
    subscribe: {
      op: 1,
      args: { capacity: t.u32 },
      reply: { mailbox: t.cap() },
      errors: ['EDQUOT'],
      doc: 'A new mailbox holding at most `capacity` undelivered events, charged to the caller; its first event is a sync event (tick 0).',
    },
  },
  { doc: 'A trusted notification service: bounded, per-client queues; servers never block.' },
);

/** A client's mailbox. */
export const Mailbox = defineInterface('notify.mailbox', {
  allow: {
    op: 1,
    args: { source: t.string(64) },
    reply: { sender: t.cap() },
    doc: 'A sender cap to hand to one server: events it posts arrive here labelled `source`.',
  },
  next: {
    op: 2,
    args: { timeout: t.u32 },
    reply: { event: EventType },
    errors: ['ETIMEDOUT'],
    doc: 'The oldest queued event, waiting for one if none is queued (timeout in ms, 0 = no limit).',
  },
  take: {
    op: 3,
    args: { max: t.u32 },
    reply: { events: t.array(EventType, 256) },
    doc: 'Up to `max` queued events at once, without waiting (poll).',
  },
  stats: {
    op: 4,
    reply: { capacity: t.u32, queued: t.u32, posted: t.u32, dropped: t.u32 },
  },
  revoke: { op: 5, args: { source: t.string(64) }, errors: ['ENOENT'], doc: 'Withdraw every sender cap given out under `source`.' },
});

/** What a server holds to post to one client's mailbox. */
export const Sender = defineInterface('notify.sender', {
  post: {
    op: 1,
    args: { type: t.string(64), data: t.string(4096) },
    doc: 'Queue an event for the mailbox owner. Answers at once, whether or not the owner is waiting; when the queue is full the event is dropped (the owner sees a gap in the ticks).',
  },
});
