// What `npm start` runs: the default system (names, auth, notify, task, fs with the stock
// translators), a shell task with its own caps to fs, auth and the task server, the tree
// populated, and the shell's system facet (settrans, showtrans, fsysopts, ps, trace,
// bench) wired to them. With `isolate`, every server that can runs in its own worker.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, snapshot, type Clock, type Sys, type SysGen, type Task } from '../../core/index.ts';
import { connect } from '../../libcap/index.ts';
import { fsServer } from '../../servers/fs/index.ts';
import { psRows, Tasks, type PsRow, type ThreadRow } from '../../servers/task/index.ts';
import { devNull } from '../../servers/translators/dev-null.ts';
import { devZero } from '../../servers/translators/dev-zero.ts';
import { defaultRegistry } from '../../servers/translators/index.ts';
import { createFsClient, fsysoptsArgv, settrans, showtrans, type FsClient } from '../../clients/fs/index.ts';
import { boot, defaultSystem, formatPs, isolationOf, type Isolation, type System } from '../../servers/system/index.ts';
import { Rpctrace, toChromeTrace } from '../rpctrace/index.ts';
import type { ShellFs, ShellSystem } from '../shell/index.ts';
import { populate } from './populate.ts';
import { startView, type View } from '../view/index.ts';

export interface HurdleOptions {
  /** Kernel clock (default real time). */
  readonly clock?: Clock;
  /** Who the shell runs as (default root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Run every server that has a body module in its own isolated task (default false). */
  readonly isolate?: boolean;
}

export interface Hurdle {
  readonly kernel: Kernel;
  readonly system: System;
  /** The shell's task and its fs client (Node's fs.promises API). */
  readonly task: Task;
  readonly fs: FsClient;
  /** The Hurd-specific facet the shell's settrans, ps, trace and bench use. */
  readonly shellSystem: ShellSystem;
  /** Which servers run isolated, and why the others stay in-process. */
  readonly isolation: Isolation;
  /** Orderly shutdown; answers the report's lines. */
  shutdown(): Promise<string[]>;
}

/** A program body for a task that only holds caps (its code runs on the host: the shell). */
function* holder(_sys: Sys): SysGen<void> {}

/** Boot the system `npm start` shows and populate its filesystem. */
export async function bootHurdle(opts: HurdleOptions = {}): Promise<Hurdle> {
  const kernel = new Kernel(opts.clock === undefined ? {} : { clock: opts.clock });
  const uid = opts.uid ?? 0;
  const gid = opts.gid ?? 0;
  const rootIds = { uid: 0, gid: 0 };
  // The stock translators and the devices /dev's nodes use.
  const registry = defaultRegistry().register('null', devNull).register('zero', devZero);
  const spec = defaultSystem({
    isolate: opts.isolate === true,
    fs: fsServer({ registry }),
    extra: {
      // init's admin cap to the task server gives ps its USER column when the server is isolated.
      init: { program: holder, uses: { fs: { service: 'fs', params: rootIds }, auth: { service: 'auth', params: rootIds }, task: { service: 'task', params: { admin: true } } } },
      shell: {
        program: holder,
        uses: { fs: { service: 'fs', params: { uid, gid } }, auth: { service: 'auth', params: { uid, gid } }, task: 'task' },
      },
    },
  });
  const system = await boot(kernel, spec);
  const clientOf = (path: string): { task: Task; fs: FsClient } => {
    const task = system.task(path);
    const caps = system.caps(path);
    return { task, fs: createFsClient(kernel, task, { root: caps.get('fs')!, auth: caps.get('auth')! }) };
  };
  const services = ['names', ...system.paths.filter((p) => p !== 'init' && p !== 'shell' && !p.includes('/'))];
  await populate(
    clientOf('init').fs,
    services.map((name) => ({ name, pid: system.task(name).id })),
    registry.names(),
  );
  const { task, fs } = clientOf('shell');
  const adminTasks = connect(Tasks, kernel, system.task('init'), system.caps('init').get('task')!);
  const tasks = connect(Tasks, kernel, task, system.caps('shell').get('task')!);
  let view: View | null = null;
  const rootFs = clientOf('init').fs;
  return {
    kernel,
    system,
    task,
    fs,
    isolation: isolationOf(spec),
    shellSystem: {
      ...shellSystemFor(kernel, system, fs, () => adminTasks.ps().then((r) => r.threads)),
      ids: { uid, gid },
      async kill(pid) {
        const r = await tasks.attempt.kill({ pid });
        if (!r.ok) throw Object.assign(new Error(r.error), { code: r.error });
      },
      async view() {
        view ??= await startView({ kernel, system, fs: rootFs });
        return view.url;
      },
    },
    async shutdown() {
      await view?.close();
      view = null;
      const report = await system.shutdown({ force: true });
      return report.clean ? [] : formatReportLines(report);
    },
  };
}

function formatReportLines(report: Awaited<ReturnType<System['shutdown']>>): string[] {
  const out: string[] = [];
  for (const h of report.held) out.push(`held: ${h.server}: ${h.what}`);
  for (const e of report.errors) out.push(`error: ${e}`);
  return out;
}

/**
 * The shell's Hurd facet over a booted system. `taskRows` (an admin's Tasks.ps) gives ps
 * the users and notes of the tasks when the task server runs isolated.
 */
export function shellSystemFor(kernel: Kernel, system: System, fs: FsClient, taskRows?: () => Promise<readonly ThreadRow[]>): ShellSystem {
  let tracer: Rpctrace | null = null;
  let traceFile: string | null = null;
  return {
    async settrans(path, argv, o) {
      if (o.goaway) {
        await settrans(fs, path, [], { goaway: true, force: o.force, passive: argv.length > 0 || !o.active });
        return;
      }
      // start: the client starts it now and reports the translator's own error text (where it can).
      const how: Parameters<typeof settrans>[3] & { start?: boolean; passive?: boolean } = { create: o.create, force: o.force };
      if (o.active) Object.assign(how, { start: true });
      await settrans(fs, path, argv, how);
      if (o.active) {
        // -a: start it now, then drop the passive setting so only the active one remains;
        // a translator that cannot start leaves no setting behind and its error is the answer.
        try {
          await fs.stat(path);
        } catch (e) {
          await settrans(fs, path, []).catch(() => undefined);
          throw e;
        }
        await settrans(fs, path, []);
      }
    },
    showtrans: (path) => showtrans(fs, path),
    fsysopts: (path, options) => (options === null ? fsysoptsArgv(fs, path) : fsysoptsArgv(fs, path, options)),
    // Every task of the kernel: the system's, and the translators the filesystem started
    // (named after where they are attached); with the user each runs for when the task server knows it.
    ps: () => psLines(kernel, system, taskRows),
    trace(on, file, out) {
      if (on) {
        if (tracer !== null) return 'trace: already on';
        tracer = new Rpctrace(kernel, { out, raw: false });
        tracer.attach();
        traceFile = file;
        return 'trace: on';
      }
      if (tracer === null) return 'trace: already off';
      const t = tracer;
      tracer = null;
      t.detach();
      const dest = file ?? traceFile;
      traceFile = null;
      if (dest !== null) {
        writeFileSync(dest, JSON.stringify(toChromeTrace(t)));
        return `trace: off; ${t.records.length} messages, Perfetto JSON in ${dest} (host filesystem; open it in ui.perfetto.dev)`;
      }
      return `trace: off; ${t.records.length} messages`;
    },
    bench: (prefix, out) => runBench(prefix, out),
  };
}

const USER_NAMES: Record<number, string> = { 0: 'root', 1000: 'user' };

/**
 * ps lines; a USER column from the task server's records when it keeps them: its host-side
 * TaskInstance.about in-process, the rows of an admin's Tasks.ps when it runs isolated.
 */
async function psLines(kernel: Kernel, system: System, taskRows?: () => Promise<readonly ThreadRow[]>): Promise<string[]> {
  let about: ((pid: number) => unknown) | undefined;
  if (system.paths.includes('task') && system.worker('task') !== null && taskRows !== undefined) {
    const known = new Map((await taskRows()).map((r) => [r.pid, { uid: r.uid, note: r.note }]));
    about = (pid) => known.get(pid);
  } else {
    try {
      const inst = system.instance('task') as { about?: (pid: number) => unknown };
      about = inst.about?.bind(inst);
    } catch {
      about = undefined;
    }
  }
  // psRows and formatPs take the about hook and { user } where the task server records owners.
  const rows = (psRows as (...a: unknown[]) => PsRow[])(snapshot(kernel), (t: { alive: boolean }) => t.alive, about);
  const user = about !== undefined && rows.some((r) => 'uid' in r);
  return (formatPs as (...a: unknown[]) => string[])(rows, { user, userName: (u: number) => USER_NAMES[u] ?? String(u) });
}

/** Run `npm run bench -- --only prefix` as a child process, streaming its lines. */
function runBench(prefix: string, out: (line: string) => void): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const args = [...process.execArgv, join(root, 'bench', 'run.ts'), ...(prefix === '' ? [] : ['--only', prefix])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const feed = (chunk: Buffer): void => {
      buf += chunk.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        out(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('close', () => {
      if (buf !== '') out(buf);
      resolve();
    });
  });
}

/** The fs client as the shell's fs (the shell uses a subset of fs.promises). */
export function shellFs(fs: FsClient): ShellFs {
  return fs as unknown as ShellFs;
}
