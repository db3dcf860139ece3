// The `npm start` command: boot the default system and open the shell on it.
//   npm start                      interactive shell (history, completion) on a terminal
//   npm start -- -c "ls /; cat /hello"   run commands and exit with the last status
//   echo "ls /" | npm start        run commands from stdin
//   npm start -- --demo            the kernel demo (a client and a server, fast-path counter)
//   npm start -- --view            also serve the live view (loopback, address printed)
//   npm start -- --isolate         every server that can runs in its own worker thread
//                                  (one line says which, and why the others stay in-process)
//   npm start -- --nats URL --node NAME [--nats-user U --nats-pass P] [--remote NODE]
//                                  join a multi-node system over NATS: publish this node's
//                                  fs, auth and task (as the shell's user); with --remote,
//                                  the shell works on NODE's filesystem instead of its own

import { createFsClient } from '../../clients/fs/index.ts';
import { joinNats, publishSystem, type Joined } from '../../servers/netmsg/join.ts';
import { Shell } from '../shell/index.ts';
import type { Isolation } from '../../servers/system/index.ts';
import { bootHurdle, shellFs } from './system.ts';
import { startUsage } from './usage.ts';

/** The usage line, named as this process was started (the `hurdle` bin or `npm start --`). */
const USAGE = startUsage(process.argv[1], process.env);

const VALUE_OPTIONS = new Set(['--nats', '--node', '--nats-user', '--nats-pass', '--remote']);

export async function main(argv: string[]): Promise<number> {
  let command: string | null = null;
  let user = false;
  let wantView = false;
  let isolate = false;
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) {
      const v = argv[++i];
      if (v === undefined) {
        process.stderr.write(`${a} needs a value\n${USAGE}\n`);
        return 2;
      }
      values.set(a, v);
    } else if (a === '--view') wantView = true;
    else if (a === '-c') {
      command = argv[++i] ?? null;
      if (command === null) {
        process.stderr.write(`-c needs commands\n${USAGE}\n`);
        return 2;
      }
    } else if (a === '--user') user = true;
    else if (a === '--isolate') isolate = true;
    else if (a === '--demo') {
      const { main: demo } = await import('../../examples/kernel-demo.ts');
      await demo();
      return 0;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  const url = values.get('--nats');
  const node = values.get('--node');
  if ((url === undefined) !== (node === undefined) || (values.has('--remote') && url === undefined)) {
    process.stderr.write(`--nats and --node go together (and --remote needs them)\n${USAGE}\n`);
    return 2;
  }
  const h = await bootHurdle({ ...(user ? { uid: 1000, gid: 100 } : {}), isolate });
  if (isolate) process.stderr.write(`${isolationLine(h.isolation)}\n`);
  let fs = h.fs;
  let joined: Joined | null = null;
  if (url !== undefined && node !== undefined) {
    try {
      const natsUser = values.get('--nats-user');
      const natsPass = values.get('--nats-pass');
      joined = await joinNats(h.kernel, { url, node, ...(natsUser !== undefined ? { user: natsUser } : {}), ...(natsPass !== undefined ? { pass: natsPass } : {}) });
      const published = publishSystem(joined, h.system, 'shell');
      process.stderr.write(`joined ${url} as node ${node}; published ${published.join(', ')}\n`);
      const remote = values.get('--remote');
      if (remote !== undefined) {
        const root = await joined.bridge.lookup(remote, 'fs', h.task);
        const auth = await joined.bridge.lookup(remote, 'auth', h.task).catch(() => null);
        fs = createFsClient(h.kernel, h.task, { root, ...(auth !== null ? { auth } : {}) });
        process.stderr.write(`the shell works on ${remote}'s filesystem\n`);
      }
    } catch (e) {
      process.stderr.write(`hurdle: ${e instanceof Error ? e.message : String(e)}\n`);
      await joined?.leave().catch(() => undefined);
      await h.shutdown();
      return 1;
    }
  }
  if (wantView) process.stderr.write(`live view: ${await h.shellSystem.view!()}\n`);
  const shell = new Shell({ fs: shellFs(fs), system: h.shellSystem, cwd: user ? '/home/user' : '/', home: user ? '/home/user' : '/' });
  let status: number;
  if (command !== null) status = await shell.runScript(command.replace(/;\s*$/, ''));
  else if (process.stdin.isTTY === true) {
    process.stdout.write('hurdle: a Hurd-style multiserver OS in TypeScript. Type help; exit or Ctrl-D leaves.\n');
    status = await shell.interactive(process.stdin, process.stdout);
  } else status = await shell.runScript(await readAll(process.stdin));
  await joined?.leave().catch(() => undefined);
  for (const line of await h.shutdown()) process.stderr.write(`${line}\n`);
  return status;
}

/** One line: the servers in their own workers, and why the others (if any) stay in-process. */
export function isolationLine(iso: Isolation): string {
  const inProc = iso.inProcess.map((s) => `${s.path} (${s.why})`).join('; ');
  return `isolated, each in its own worker: ${iso.isolated.join(', ') || 'none'}${inProc === '' ? '' : `; in-process: ${inProc}`}`;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
