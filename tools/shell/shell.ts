// The shell: runs command lines (parse.ts, expanded by expand.ts) with the commands of
// commands.ts: lists with ; && ||, pipelines whose stages run together and pass text
// through in-memory pipes, redirections, variables and $?. An error never ends the
// session. interrupt() (Ctrl-C) aborts the running line: each command's file system
// view cancels its RPCs (the fs client's withSignal) and its loops stop. Interactive
// mode uses node:readline with history and completion.

import { posix } from 'node:path';
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { COMMANDS } from './commands.ts';
import { describeError, Interrupted, resolvePath, type ShellContext, type ShellFs, type ShellSystem, type Stdin } from './context.ts';
import { expandWord, type ExpandEnv } from './expand.ts';
import { wantsHelp } from './options.ts';
import { parseLine, wordText, type Pipeline, type SimpleCommand, type Word } from './parse.ts';

export interface ShellOptions {
  readonly fs: ShellFs;
  readonly system?: ShellSystem;
  readonly cwd?: string;
  /** The home directory ~ and `cd` alone go to (default '/'). */
  readonly home?: string;
  /** Where normal output goes (default process.stdout). */
  readonly out?: (text: string) => void;
  /** Where errors go (default process.stderr). */
  readonly err?: (text: string) => void;
}

/** Status of a command interrupted by Ctrl-C (128 + SIGINT), as sh's. */
export const INTERRUPTED_STATUS = 130;

/** Text flowing from one stage of a pipeline to the next. */
class Pipe implements Stdin {
  private readonly chunks: string[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  /** Set when the reader finished: the writer is told to stop (as SIGPIPE). */
  readerGone = false;
  /** Called once when the reader finishes. */
  onReaderGone: (() => void) | null = null;

  write(s: string): void {
    if (this.readerGone || s === '') return;
    this.chunks.push(s);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async read(): Promise<string | null> {
    while (this.chunks.length === 0 && !this.ended) await new Promise<void>((r) => (this.wake = r));
    return this.chunks.shift() ?? null;
  }
}

/** Standard input from a string (a file read for <). */
function stringStdin(s: string): Stdin {
  let done = false;
  return {
    read: async () => {
      if (done) return null;
      done = true;
      return s;
    },
  };
}

export class Shell {
  private readonly fs: ShellFs;
  private readonly system: ShellSystem;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;
  private cwdPath: string;
  private exitCode: number | null = null;
  /** The running line's interrupt; null between lines. */
  private running: AbortController | null = null;
  /** Whether the last text written ended a line (the prompt goes on a fresh line). */
  private lineEnded = true;
  /** Shell variables. */
  readonly vars = new Map<string, string>();
  /** Lines typed interactively (history). */
  readonly history: string[] = [];
  /** Status of the last command ($?). */
  status = 0;

  constructor(opts: ShellOptions) {
    const out = opts.out ?? ((t: string) => void process.stdout.write(t));
    const err = opts.err ?? ((t: string) => void process.stderr.write(t));
    this.out = (t) => {
      if (t !== '') this.lineEnded = t.endsWith('\n');
      out(t);
    };
    this.err = (t) => {
      if (t !== '') this.lineEnded = t.endsWith('\n');
      err(t);
    };
    this.fs = opts.fs;
    this.system = opts.system ?? {};
    this.cwdPath = opts.cwd ?? '/';
    this.vars.set('HOME', opts.home ?? '/');
  }

  get cwd(): string {
    return this.cwdPath;
  }

  /** Set by `exit`; null while the session goes on. */
  get exited(): number | null {
    return this.exitCode;
  }

  /** True while a line runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Ctrl-C: interrupt the running line (its RPCs are cancelled, its status is 130). Answers false when nothing ran. */
  interrupt(): boolean {
    if (this.running === null) return false;
    this.running.abort(new Interrupted());
    return true;
  }

  /** Run one line (a list of pipelines); answers the status of the last one run. */
  async run(line: string): Promise<number> {
    const parsed = parseLine(line);
    if (!parsed.ok) {
      this.err(`sh: ${parsed.error}\n`);
      this.status = 2;
      return 2;
    }
    const ctl = new AbortController();
    this.running = ctl;
    const interrupted = new Promise<number>((resolve) => ctl.signal.addEventListener('abort', () => resolve(INTERRUPTED_STATUS), { once: true }));
    try {
      let skip = false;
      for (const item of parsed.list) {
        if (this.exitCode !== null || ctl.signal.aborted) break;
        if (!skip) {
          // A command that ignores the signal is left behind; the line ends now.
          this.status = await Promise.race([this.runPipeline(item.pipeline, ctl.signal), interrupted]);
        }
        if (ctl.signal.aborted) this.status = INTERRUPTED_STATUS;
        skip = (item.next === '&&' && this.status !== 0) || (item.next === '||' && this.status === 0);
      }
      return this.status;
    } finally {
      this.running = null;
    }
  }

  /** Run a script: each line in turn, until `exit`. */
  async runScript(text: string): Promise<number> {
    for (const line of text.split('\n')) {
      if (this.exitCode !== null) break;
      await this.run(line);
    }
    return this.exitCode ?? this.status;
  }

  /** Run every stage at once, each reading the one before through a pipe; answers the last stage's status. */
  private async runPipeline(pipeline: Pipeline, lineSignal: AbortSignal): Promise<number> {
    const pipes = pipeline.slice(1).map(() => new Pipe());
    const stages = pipeline.map((cmd, i) => {
      const upstream = i > 0 ? pipes[i - 1]! : null;
      const downstream = i < pipes.length ? pipes[i]! : null;
      const stageCtl = new AbortController();
      const signal = AbortSignal.any([lineSignal, stageCtl.signal]);
      if (downstream !== null) downstream.onReaderGone = () => stageCtl.abort();
      return this.runStage(cmd, upstream, downstream, signal).finally(() => {
        downstream?.end();
        if (upstream !== null) {
          upstream.readerGone = true;
          upstream.onReaderGone?.();
        }
      });
    });
    const statuses = await Promise.all(stages);
    return statuses[statuses.length - 1]!;
  }

  private expandEnv(): ExpandEnv {
    return {
      lookup: (name) => (name === '?' ? String(this.status) : (this.vars.get(name) ?? '')),
      home: this.vars.get('HOME') ?? '/',
      cwd: this.cwdPath,
      readdir: (p) => this.fs.readdir(p),
    };
  }

  /** Expand, set up the redirections, run the command; never throws. */
  private async runStage(cmd: SimpleCommand, stdinPipe: Pipe | null, stdoutPipe: Pipe | null, signal: AbortSignal): Promise<number> {
    const env = this.expandEnv();
    const argv: string[] = [];
    for (const w of cmd.words) argv.push(...(await expandWord(w, env)));
    const assigns: [string, string][] = [];
    for (const a of cmd.assigns) assigns.push([a.name, (await expandWord(a.value, env, { glob: false })).join(' ')]);
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      return 0;
    }
    const [name, ...args] = argv as [string, ...string[]];
    const def = COMMANDS[name];
    const live = (f: (t: string) => void) => (t: string) => {
      if (!signal.aborted || !(signal.reason instanceof Interrupted)) f(t);
    };
    let out = stdoutPipe !== null ? (t: string) => stdoutPipe.write(t) : this.out;
    let err = this.err;
    let stdin: Stdin | null = stdinPipe;
    const files: { path: string; shown: string; append: boolean; chunks: string[] }[] = [];
    for (const r of cmd.redirects) {
      if (r.op === '2>&1') {
        err = out;
        continue;
      }
      const target = await this.expandOne(r.target, env);
      if (target === null) {
        this.err(`sh: ${wordText(r.target)}: ambiguous redirect\n`);
        return 1;
      }
      const path = resolvePath(this.cwdPath, target);
      if (r.op === '<') {
        try {
          const data = await this.fs.readFile(path);
          stdin = stringStdin(typeof data === 'string' ? data : new TextDecoder().decode(data));
        } catch (e) {
          this.err(`sh: ${target}: ${describeError(e)}\n`);
          return 1;
        }
        continue;
      }
      const sink = { path, shown: target, append: r.op.endsWith('>>'), chunks: [] as string[] };
      files.push(sink);
      if (r.op.startsWith('2')) err = (t) => sink.chunks.push(t);
      else out = (t) => sink.chunks.push(t);
    }
    if (def === undefined) {
      err(`sh: ${name}: command not found\n`);
      return 127;
    }
    const saved = assigns.map(([k]) => [k, this.vars.get(k)] as const);
    for (const [k, v] of assigns) this.vars.set(k, v);
    const shell = this;
    const ctx: ShellContext = {
      fs: this.fs.withSignal?.(signal) ?? this.fs,
      system: this.system,
      get cwd() {
        return shell.cwdPath;
      },
      set cwd(c: string) {
        shell.cwdPath = c;
      },
      out: live(out),
      err: live(err),
      exit: (code) => {
        this.exitCode = code;
      },
      stdin,
      signal,
      vars: this.vars,
      history: this.history,
    };
    let status: number;
    try {
      if (wantsHelp(args)) {
        ctx.out(`usage: ${def.usage}\n    ${def.help}\n`);
        status = 0;
      } else status = await def.run(ctx, args);
    } catch (e) {
      // Interrupted (Ctrl-C, or the reader of a pipe went away) ends quietly; anything else is reported, and the session goes on.
      if (signal.aborted) status = signal.reason instanceof Interrupted ? INTERRUPTED_STATUS : 141;
      else {
        ctx.err(`${name}: ${describeError(e)}\n`);
        status = 1;
      }
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) this.vars.delete(k);
        else this.vars.set(k, v);
      }
    }
    for (const f of files) {
      try {
        if (f.append) await this.fs.appendFile(f.path, f.chunks.join(''));
        else await this.fs.writeFile(f.path, f.chunks.join(''));
      } catch (e) {
        this.err(`sh: ${f.shown}: ${describeError(e)}\n`);
        status = 1;
      }
    }
    return status;
  }

  /** A redirection's target: exactly one field, or null (ambiguous). */
  private async expandOne(w: Word, env: ExpandEnv): Promise<string | null> {
    const fields = await expandWord(w, env);
    return fields.length === 1 ? fields[0]! : null;
  }

  /** Completion candidates for a line: command names first, then paths. */
  async complete(line: string): Promise<[string[], string]> {
    // Only the command after the last ; | && || matters: a command name comes first there.
    const words = (line.split(/[;|&]/).pop() ?? '').trimStart().split(/\s+/);
    const last = words[words.length - 1] ?? '';
    if (words.length <= 1) {
      const hits = Object.keys(COMMANDS).filter((c) => c.startsWith(last));
      return [hits.map((h) => `${h} `), last];
    }
    const dirPart = last.includes('/') ? last.slice(0, last.lastIndexOf('/') + 1) : '';
    const base = last.slice(dirPart.length);
    try {
      const dir = resolvePath(this.cwdPath, dirPart === '' ? '.' : dirPart);
      const names = (await this.fs.readdir(dir)).filter((n) => n.startsWith(base)).sort();
      const out: string[] = [];
      for (const n of names) {
        const st = await this.fs.stat(posix.join(dir, n)).catch(() => null);
        out.push(`${dirPart}${n}${st?.isDirectory() === true ? '/' : ''}`);
      }
      return [out, last];
    } catch {
      return [[], last];
    }
  }

  /**
   * Interactive session on a terminal (or any stream pair): a prompt, history, and tab
   * completion. Ctrl-C clears the line at the prompt and interrupts a running command;
   * Ctrl-D on an empty line and `exit` end the session. Resolves with the exit status.
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
      const editable = rl as unknown as { line: string; cursor: number };
      let busy = Promise.resolve();
      const show = (): void => {
        // Output that did not end its line keeps it: the prompt starts below, not over it.
        if (!this.lineEnded) output.write('\n');
        this.lineEnded = true;
        rl.setPrompt(prompt(this.cwdPath));
        rl.prompt();
      };
      rl.on('SIGINT', () => {
        // As a terminal's ^C: echo it, drop what was typed, and interrupt what runs.
        output.write('^C\n');
        this.lineEnded = true;
        editable.line = '';
        editable.cursor = 0;
        if (!this.interrupt()) show();
      });
      rl.on('line', (line) => {
        if (line.trim() !== '') this.history.push(line);
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
