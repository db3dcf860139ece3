// The fs client example as a test: the notes program gives the same report on memfs and
// through the servers except where memfs departs from Node (mkdir -p's answer), and the
// translator part reads hello before and after fsysopts.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/fs-client.ts';

describe('fs client example', () => {
  it('runs the same program on memfs and through the servers, then drives a translator', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toContain('lines that differ: 1 of 11');
    expect(text).toContain('memfs: mkdir -p made notes/2026/11  |  servers: mkdir -p made notes');
    expect(text).toContain('words: 16');
    expect(text).toContain(`missing note: ENOENT from open: ENOENT: no such file or directory, open '<dir>/notes/wednesday.txt'`);
    expect(text).toContain('showtrans greeting: hello');
    expect(text).toContain('readFile greeting: "Hello, world!\\n"');
    expect(text).toContain('after fsysopts: "Hello from a translator.\\n"');
    expect(text).toContain("writeFile greeting: EACCES: permission denied, open '/home/ada/greeting'");
  });
});
