// The notification service's interfaces (seed 004, design 3): a client subscribes a
// mailbox with a bounded queue charged to it, hands "sender" caps to the servers it
// allows to notify it, and waits or polls; servers post through their sender cap and
// never block on the client. Opcodes are appended, never renumbered.

import { defineInterface, t, type Infer } from '../libcap/index.ts';

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
      doc: 'A new mailbox holding at most `capacity` undelivered events (at least 1, else EINVAL), charged to the caller: EDQUOT when the capacities of its mailboxes would then exceed its quota. Its first event is a sync event (tick 0). Deleting every copy of the mailbox cap (or the caller\'s death) frees it, revokes its senders and gives the quota back.',
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
    errors: ['EDQUOT'],
    doc: 'A sender cap to hand to one server: events it posts arrive here labelled `source`. The same source answers the same sender (one handle); EDQUOT when the mailbox already allows the most sources the service permits; EINVAL for a source that is not well-formed UTF-16.',
  },
  next: {
    op: 2,
    args: { timeout: t.u32 },
    reply: { event: EventType },
    errors: ['ETIMEDOUT', 'EAGAIN'],
    doc: 'The oldest queued event, waiting for one if none is queued (timeout in ms, 0 = no limit). EAGAIN when the client already has the most calls waiting the service allows (default 64). A call whose caller gave up is never served: the event goes to the next waiter or stays queued.',
  },
  take: {
    op: 3,
    args: { max: t.u32 },
    reply: { events: t.array(EventType, 256) },
    doc: 'Up to `max` queued events at once (at most 256, fewer when their text would not fit one message), without waiting (poll); none when the queue is empty.',
  },
  stats: {
    op: 4,
    reply: { capacity: t.u32, queued: t.u32, posted: t.u32, dropped: t.u32 },
    doc: '`posted` counts every event servers posted (the last tick handed out); `dropped` those the owner will never see (overwritten in a full queue, or lost by a poster before they reached the service).',
  },
  revoke: { op: 5, args: { source: t.string(64) }, errors: ['ENOENT'], doc: 'Withdraw every sender cap given out under `source`.' },
  wait: {
    op: 6,
    args: { max: t.u32, timeout: t.u32 },
    reply: { events: t.array(EventType, 256) },
    errors: ['ETIMEDOUT', 'EAGAIN'],
    doc: 'next and take in one: up to `max` queued events (as take), or, when none is queued, wait for the next one (as next; timeout in ms, 0 = no limit). One message per batch.',
  },
});

/** What a server holds to post to one client's mailbox. */
export const Sender = defineInterface('notify.sender', {
  post: {
    op: 1,
    args: { type: t.string(64), data: t.string(4096) },
    doc: 'Queue an event for the mailbox owner. Answers at once, whether or not the owner is waiting; when the queue is full the oldest queued event is dropped to make room (the owner sees a gap in the ticks). The type "sync" is the service\'s own, and type and data must be well-formed UTF-16 (EINVAL). EBADF once the mailbox is gone or the sender was revoked.',
  },
  skip: {
    op: 2,
    args: { count: t.u32 },
    doc: 'The poster lost `count` events before they reached the service: advance the ticks by that much so the owner sees the gap. Answers at once.',
  },
});
