// examples/shared-memory.ts as a test: a ring over a dataspace between a producer in the
// main thread and a consumer isolated in a worker carries every byte (checked on the
// consumer's side), with far fewer wake-ups through the kernel than messages; after the
// producer revokes its dataspace cap the consumer's next look at the ring faults in its
// worker, and the producer still writes through its own mapping.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/shared-memory.ts';

describe('shared-memory example', () => {
  it('carries 1000 messages through shared memory, then revocation takes the consumer\'s mappings', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line), 1000);
    expect(lines[0]).toBe("ring: 16 slots of 1 KiB in a dataspace of the producer, mapped into the consumer's worker (shared memory)");
    const m = /^1000 messages: 1024000 bytes arrived, 0 wrong; (\d+) wake-ups through the kernel$/.exec(lines[1] ?? '');
    expect(m).not.toBeNull();
    // At most one wake-up each way per message (signals only when the other side announced a sleep).
    expect(Number(m![1])).toBeLessThanOrEqual(2000);
    expect(lines[2]).toBe('producer revoked its dataspace cap (Ok); its own mappings stay');
    expect(lines[3]).toBe("the consumer's next look at the ring: PageFault (unmapped)");
  }, 60_000);
});
