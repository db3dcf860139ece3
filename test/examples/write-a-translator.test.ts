// The write-a-translator example as a test: a rot13 filter written with trivfs in a few
// dozen lines, registered, set on a file and used through the fs client.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/write-a-translator.ts';

describe('write-a-translator example', () => {
  it('serves the file underneath in rot13, with per-open offsets and the underlying size', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toEqual([
      'cat /secret.txt: "Uryyb, Uheq!\\n"',
      'two opens, two offsets: "Uryyb" then ", Uheq!\\n"; the other read "Uryyb"',
      'stat: size 13, mode 444',
      'write to it: EROFS',
      'after the file underneath changed: "Hello again\\n"',
    ]);
  });
});
