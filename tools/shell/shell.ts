// The shell: runs command lines (parse.ts) with the commands of commands.ts, handles
// output redirection, and never ends the session on an error. Interactive mode uses
// node:readline with history and completion of command names and paths; the same shell
// runs non-interactively on a string (`-c`) or on lines from stdin.

import { posix } from 'node:path';
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { COMMANDS, describeError, resolvePath, type ShellContext, type ShellFs, type ShellSystem } from './commands.ts';
import { parseLine } from './parse.ts';

export interface ShellOptions {
  readonly fs: ShellFs;
  readonly system?: ShellSystem;
  readonly cwd?: string;
  /** Where normal output goes (default process.stdout). */
  readonly out?: (text: string) => void;
  /** Where errors go (default process.stderr). */
  readonly err?: (text: string) => void;
}

export class Shell {
  private readonly ctx: ShellContext;
  private exitCode: number | null = null;
  /** Status of the last command ($?). */
  status = 0;

  constructor(opts: ShellOptions) {
    const out = opts.out ?? ((t: string) => void process.stdout.write(t));
    const err = opts.err ?? ((t: string) => void process.stderr.write(t));
    this.ctx = {
      fs: opts.fs,
      system: opts.system ?? {},
      cwd: opts.cwd ?? '/',
      out,
      err,
      exit: (code) => {
        this.exitCode = code;
      },
    };
  }

  get cwd(): string {
    return this.ctx.cwd;
  }

  /** Set by `exit`; null while the session goes on. */
  get exited(): number | null {
    return this.exitCode;
  }

  /** Run one line (possibly several commands); answers the status of the last one. */
  async run(line: string): Promise<number> {
    const parsed = parseLine(line);
    if (!parsed.ok) {
      this.ctx.err(`sh: ${parsed.error}\n`);
      this.status = 2;
      return 2;
    }
    for (const cmd of parsed.commands) {
      if (this.exitCode !== null) break;
      this.status = await this.runCommand(cmd.argv, cmd.redirect);
    }
    return this.status;
  }

  /** Run a script: each line in turn, until `exit`. */
  async runScript(text: string): Promise<number> {
    for (const line of text.split('\n')) {
      if (this.exitCode !== null) break;
      await this.run(line);
    }
    return this.exitCode ?? this.status;
  }

  private async runCommand(argv: string[], redirect: { path: string; append: boolean } | null): Promise<number> {
    const [name, ...args] = argv as [string, ...string[]];
    const def = COMMANDS[name];
    if (def === undefined) {
      this.ctx.err(`sh: ${name}: command not found\n`);
      return 127;
    }
    if (redirect === null) return this.guarded(name, () => def.run(this.ctx, args));
    // Capture the command's output, then write it to the file.
    const chunks: string[] = [];
    const real = this.ctx.out;
    this.ctx.out = (t) => chunks.push(t);
    let status: number;
    try {
      status = await this.guarded(name, () => def.run(this.ctx, args));
    } finally {
      this.ctx.out = real;
    }
    const path = resolvePath(this.ctx.cwd, redirect.path);
    try {
      if (redirect.append) await this.ctx.fs.appendFile(path, chunks.join(''));
      else await this.ctx.fs.writeFile(path, chunks.join(''));
    } catch (e) {
      this.ctx.err(`sh: ${redirect.path}: ${describeError(e)}\n`);
      return 1;
    }
    return status;
  }

  /** A command that throws is a bug: report it, keep the session. */
  private async guarded(name: string, fn: () => Promise<number>): Promise<number> {
    try {
      return await fn();
    } catch (e) {
      this.ctx.err(`${name}: ${describeError(e)}\n`);
      return 1;
    }
  }

  /** Completion candidates for a line: command names first, then paths. */
  async complete(line: string): Promise<[string[], string]> {
    const words = line.split(/\s+/);
    const last = words[words.length - 1] ?? '';
    if (words.length <= 1) {
      const hits = Object.keys(COMMANDS).filter((c) => c.startsWith(last));
      return [hits.map((h) => `${h} `), last];
    }
    const dirPart = last.includes('/') ? last.slice(0, last.lastIndexOf('/') + 1) : '';
    const base = last.slice(dirPart.length);
    try {
      const dir = resolvePath(this.ctx.cwd, dirPart === '' ? '.' : dirPart);
      const names = (await this.ctx.fs.readdir(dir)).filter((n) => n.startsWith(base)).sort();
      const out: string[] = [];
      for (const n of names) {
        const st = await this.ctx.fs.stat(posix.join(dir, n)).catch(() => null);
        out.push(`${dirPart}${n}${st?.isDirectory() === true ? '/' : ''}`);
      }
      return [out, last];
    } catch {
      return [[], last];
    }
  }

  /**
   * Interactive session on a terminal (or any stream pair): a prompt, history, and tab
   * completion. Resolves with the exit status when the input ends or `exit` runs.
   */
  interactive(input: Readable, output: Writable, prompt = (cwd: string) => `hurdle:${cwd}$ `): Promise<number> {
    return new Promise((resolve) => {
      const rl: ReadlineInterface = createInterface({
        input,
        output,
        terminal: (output as { isTTY?: boolean }).isTTY === true,
        historySize: 500,
        completer: (line: string, cb: (err: null, result: [string[], string]) => void) => {
          void this.complete(line).then((r) => cb(null, r));
        },
      });
      let busy = Promise.resolve();
      const show = (): void => {
        rl.setPrompt(prompt(this.ctx.cwd));
        rl.prompt();
      };
      rl.on('line', (line) => {
        busy = busy.then(async () => {
          await this.run(line);
          if (this.exitCode !== null) rl.close();
          else show();
        });
      });
      rl.on('close', () => {
        void busy.then(() => resolve(this.exitCode ?? this.status));
      });
      show();
    });
  }
}
