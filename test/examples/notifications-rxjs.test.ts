// The rxjs notifications example as a test: every event of the first build arrives in
// order, the burst of the second shows its gap, the ticks account for every event, and
// unsubscribing frees the mailbox.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/notifications-rxjs.ts';

describe('notifications-rxjs example', () => {
  it('streams build events, shows the gap of a burst, and frees the mailbox', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    const text = lines.join('\n');
    for (const ev of ['#0 sync', '#1 start hello', '#2 progress hello 1/3', '#4 progress hello 3/3', '#5 done hello', '#37 done world']) {
      expect(text).toContain(`client: ${ev}`);
    }
    // Each event's tick follows the previous one, after the gap it reports.
    const events = lines
      .map((l) => /^client: #(\d+) .*?(?: {3}<- (\d+) events lost before this one)?$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ tick: Number(m[1]), gap: Number(m[2] ?? 0) }));
    let last = -1;
    for (const e of events) {
      expect(e.tick).toBe(last + 1 + e.gap);
      last = e.tick;
    }
    const lost = events.reduce((n, e) => n + e.gap, 0);
    expect(lost).toBeGreaterThan(0);
    expect(text).toContain('client: builds finished: hello, world');
    expect(text).toContain(`client: mailbox stats: posted 37, dropped ${lost}`);
    expect(lines.at(-1)).toBe('client: unsubscribed; notify holds 0 mailboxes');
  });
});
