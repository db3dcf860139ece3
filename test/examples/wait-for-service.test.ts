// examples/wait-for-service.ts as a test: EAGAIN before the clock starts, a waiting query
// and a watcher both learn of it when the parent starts it; the shutdown is clean.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/wait-for-service.ts';

describe('wait-for-service example', () => {
  it('waits for a service that starts later, by query and by watch', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toContain("waiter: query 'clock' without waiting -> EAGAIN");
    expect(lines).toContain("parent: the waiter's 'clock' is pending");
    expect(lines).toContain('parent: waiter is blocked-reply');
    expect(lines).toContain('parent: starting the clock');
    expect(lines).toContain('waiter: got the clock; it says 1500 ms');
    expect(lines.some((l) => /^watcher: event attached 'clock' \(tick \d+\)$/.test(l))).toBe(true);
    expect(lines.indexOf('parent: starting the clock')).toBeLessThan(lines.indexOf('waiter: got the clock; it says 1500 ms'));
    expect(lines).toContain("parent: the waiter's 'clock' is cap");
    expect(lines.at(-1)).toBe('shutdown: clean (nothing held, no thread left, no task alive)');
  });
});
