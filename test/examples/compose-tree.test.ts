// examples/compose-tree.ts as a test: the clerk sees only the names its parent gave it,
// under its own identity; ps lists the tree; the shutdown report is clean.

import { describe, expect, it } from 'vitest';
import { main } from '../../examples/compose-tree.ts';

describe('compose-tree example', () => {
  it('composes the tree, uses it and shuts it down cleanly', async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    const text = lines.join('\n');
    expect(text).toContain('clerk: my namespace holds auth (cap), greeter (cap)');
    expect(text).toContain("clerk: query 'task' -> ENOENT");
    expect(text).toContain('clerk: auth says my uids are [1000], gids [100]');
    const task = /clerk's task is (\d+)/.exec(text)?.[1];
    expect(task).toBeDefined();
    expect(text).toContain(`you are client task ${task} here`);
    expect(text).toContain('booted: names, auth, notify, task, fs, greeter, office/clerk');
    expect(text).toMatch(/greeter\s+\d+\s+greeter\.manager\s+blocked-recv\s+endpoint \d+/);
    expect(lines.at(-1)).toBe('shutdown: clean (nothing held, no thread left, no task alive)');
  });
});
