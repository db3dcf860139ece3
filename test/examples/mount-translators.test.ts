// The mount-translators example as a test: hello and tmpfs mounted by a user over memfs,
// used through the fs client, fsysopts, "..", EXDEV and goaway, line by line.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/mount-translators.ts';

describe('mount-translators example', () => {
  it('mounts hello and tmpfs and uses them', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toEqual([
      'showtrans /home/alice/hello: ["hello"]',
      'cat /home/alice/hello: "Hello, world!\\n"',
      'stat: mode 444, owner 1000 (the translator runs as alice)',
      'write to it: EACCES',
      'fsysopts: ["--contents=Bonjour, monde !\\n"]',
      'cat /home/alice/hello: "Bonjour, monde !\\n"',
      'ls /home/alice/tmp: notes.txt sub',
      "in the parent's volume too? no",
      'cat /home/alice/tmp/../hello: "Bonjour, monde !\\n"',
      'mv tmp/notes.txt to the parent: EXDEV',
      'bob reads tmp/notes.txt: EACCES',
      'after settrans -gf, ls /home/alice/tmp: []',
      'translator tasks still running: fs:hello /home/alice/hello',
    ]);
  });
});
