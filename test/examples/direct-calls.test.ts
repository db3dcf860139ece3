// examples/direct-calls.ts as a test: the first call goes through the kernel with the
// cap's badge, the next ones worker to worker (fewer kernel switches than all of them
// through the kernel would make), and
// after the kernel revokes the client's cap its next call answers InvalidCapability.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/direct-calls.ts';

describe('direct-calls example', () => {
  it('calls through the kernel once, then worker to worker, until the kernel revokes the cap', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line), 2000);
    expect(lines[0]).toBe('first call, through the kernel: Ok, answer 1, badge 7');
    const m = /^2000 calls, worker to worker: 2000 answered, [\d.]+ us a call, (\d+) kernel switches in all$/.exec(lines[1] ?? '');
    expect(m).not.toBeNull();
    // Through the kernel every call is at least two switches (the call and the reply);
    // a loaded machine may send some through the kernel, but not all.
    expect(Number(m![1])).toBeLessThan(4000);
    expect(lines[2]).toBe("after the kernel revoked the client's cap: InvalidCapability");
  });
});
