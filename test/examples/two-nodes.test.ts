// examples/two-nodes.ts as a test: two processes over a real nats-server.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/two-nodes.ts';
import { natsAvailable } from '../servers/netmsg/harness.ts';

describe.runIf(natsAvailable())('examples/two-nodes', () => {
  it('reads and writes a remote fs from another process, then gets EPIPE once it is killed', async () => {
    const lines: string[] = [];
    await main((l) => lines.push(l));
    expect(lines[2]).toMatch(/^3\. ls \/ on fsnode: .*etc/);
    expect(lines).toContain('   cat /tmp/hello-from-client: written across processes');
    expect(lines.at(-1)).toBe('4. fsnode killed; stat now fails with EPIPE');
  }, 60_000);
});
