// The more-translators example as a test: filter, firmlink, json and proc mounted by a
// user (proc by root) over memfs and used through the fs client, line by line.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/more-translators.ts';

describe('more-translators example', () => {
  it('mounts filter, firmlink, json and proc and uses them', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toEqual([
      'cat NOTES: "BUY MILK. CALL BOB.\\n"',
      'ls docs: README',
      'after appending to notes.txt: "BUY MILK. CALL BOB.\\nFIX THE FAST PATH.\\n"',
      'write to NOTES: EROFS',
      'cat diary: "Dear diary,\\nToday the translators worked.\\n"',
      'cat diary.rot13: "Qrne qvnel,\\nGbqnl gur genafyngbef jbexrq.\\n"',
      'cat docs/README: "Translators are servers on nodes.\\n"',
      "ls docs/.. (the target's parent): hurdle",
      'ls settings.json: editor tabs plugins',
      'cat settings.json/plugins/1: "lint"',
      'the file underneath: {"editor":"emacs","tabs":4,"plugins":["spell","lint"]}',
      'mkdir settings.json/new: EOPNOTSUPP',
      'tasks: auth fs root alice fs:filter /home/alice/NOTES fs:filter /home/alice/diary fs:firmlink /home/alice/docs fs:json /home/alice/settings.json fs:proc /proc',
      'after creating a task: newcomer listed',
      'counters: fastpath slowpath messages faults signals timeouts switches',
      'fsysopts NOTES: ["--lower","notes.txt"]',
      'cat NOTES: "buy milk. call bob.\\nfix the fast path.\\n"',
      'ls /proc after settrans -gf: []',
    ]);
  });
});
