// The kernel demo (`npm start`) as a test: it runs to the end, takes the fast path, and
// its ps listing shows the server and the logger blocked where they wait.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/kernel-demo.ts';

describe('kernel demo', () => {
  it('narrates the exchanges, reports fast-path hits and lists the blocked threads', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    const text = lines.join('\n');
    const fast = /fastpath=(\d+)/.exec(text);
    expect(fast).not.toBeNull();
    expect(Number(fast![1])).toBeGreaterThan(0);
    expect(text).toContain('client <- server: 5');
    expect(text).toContain('"hello from the client task", length 26');
    expect(text).toContain('reply label 2 (Unsupported)');
    expect(text).toContain('logger: woken by a signal, notification word 0x1');
    expect(text).toMatch(/server\s+server\s+100\s+blocked-recv\s+endpoint \d+/);
    expect(text).toMatch(/server\s+logger\s+150\s+blocked-notification\s+notification \d+/);
  });
});
