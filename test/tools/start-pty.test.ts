// `npm start` on a terminal, as a user types at it: the real process on a pseudo-terminal
// (script(1)), keys sent only after the screen shows what they answer (bounded waits, no
// sleeps): completion, output without a final newline kept above the prompt, Ctrl-C
// clearing the line at the prompt and interrupting a running command, Ctrl-D leaving.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const hasScript = spawnSync('script', ['--version']).status === 0;
const PROMPT = 'hurdle:/$ ';

/** A terminal session: what it printed so far, keys to send, and waits bounded by `limit` ms. */
class Pty {
  readonly child: ChildProcessWithoutNullStreams;
  screen = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    const node = `${process.execPath} --import tsx examples/start.ts`;
    this.child = spawn('script', ['-qec', node, '/dev/null'], { cwd: root, env: { ...process.env, TERM: 'xterm' } });
    this.child.stdout.on('data', (c: Buffer) => {
      this.screen += c.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Resolve once `text` appears after offset `from` (answers where it ends); reject after `limit` ms. */
  async waitFor(text: string, from: number, limit = 30_000): Promise<number> {
    const deadline = Date.now() + limit;
    for (;;) {
      const at = this.screen.indexOf(text, from);
      if (at >= 0) return at + text.length;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${JSON.stringify(text)}; screen: ${JSON.stringify(this.screen.slice(from))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(keys: string): number {
    const mark = this.screen.length;
    this.child.stdin.write(keys);
    return mark;
  }

  close(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

describe.skipIf(!hasScript)('npm start on a terminal', () => {
  it('completes, keeps output without a final newline, Ctrl-C clears the line and interrupts a command, Ctrl-D leaves', async () => {
    const t = new Pty();
    try {
      let at = await t.waitFor(PROMPT, 0, 60_000);
      expect(t.screen).toContain('Type help');

      // Tab completes a path; Enter runs it.
      at = await t.waitFor('cat /hello', t.send('cat /hel\t'));
      at = await t.waitFor(`Hello, world!\r\n`, t.send('\r'));
      at = await t.waitFor(PROMPT, at);

      // Output that does not end its line stays: "Hi" then a new line, then the prompt.
      at = await t.waitFor(PROMPT, t.send('fsysopts /hello --contents=Hi\r'));
      const catAt = t.send('cat /hello\r');
      at = await t.waitFor(PROMPT, await t.waitFor('Hi', catAt + 'cat /hello'.length));
      expect(t.screen.slice(catAt)).toMatch(/\r\nHi\r\n\x1b\[1G\x1b\[0Jhurdle:\/\$ /);

      // Ctrl-C at the prompt: ^C, the typed text dropped, a fresh prompt that takes input.
      await t.waitFor('echo dropped', t.send('echo dropped'));
      at = await t.waitFor(PROMPT, await t.waitFor('^C', t.send('\x03')));
      at = await t.waitFor('kept\r\n', t.send('echo kept\r'));
      expect(t.screen).not.toMatch(/\ndropped\r\n/);
      at = await t.waitFor(PROMPT, at);

      // Ctrl-C during a command that would never end (reading /dev/zero): interrupted, $? is 130.
      await t.waitFor('cat /dev/zero | wc -c', t.send('cat /dev/zero | wc -c\r'));
      at = await t.waitFor(PROMPT, await t.waitFor('^C', t.send('\x03')));
      at = await t.waitFor('130\r\n', t.send('echo $?\r'));
      at = await t.waitFor(PROMPT, at);

      // Ctrl-D on an empty line ends the session.
      t.send('\x04');
      expect(await t.exited).toBe(0);
    } finally {
      t.close();
    }
  }, 120_000);
});
