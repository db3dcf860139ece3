// The notify client: an rxjs view of a mailbox of the notify server (it depends only on
// the protocol layer, protocol/notify.ts, and libcap).

export { notifications, withGaps, trackState } from './notifications.ts';
export type { Notifications, NotificationsOptions, Senders, MailboxStats, Notice } from './notifications.ts';
