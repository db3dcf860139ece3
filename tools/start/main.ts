// The `npm start` command: boot the default system and open the shell on it.
//   npm start                      interactive shell (history, completion) on a terminal
//   npm start -- -c "ls /; cat /hello"   run commands and exit with the last status
//   echo "ls /" | npm start        run commands from stdin
//   npm start -- --demo            the kernel demo (a client and a server, fast-path counter)

import { Shell } from '../shell/index.ts';
import { bootHurdle, shellFs } from './system.ts';

const USAGE = 'usage: npm start [-- [-c "commands"] [--user] [--demo] [--help]]';

export async function main(argv: string[]): Promise<number> {
  let command: string | null = null;
  let user = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') {
      command = argv[++i] ?? null;
      if (command === null) {
        process.stderr.write(`-c needs commands\n${USAGE}\n`);
        return 2;
      }
    } else if (a === '--user') user = true;
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
  const h = await bootHurdle(user ? { uid: 1000, gid: 100 } : {});
  const shell = new Shell({ fs: shellFs(h.fs), system: h.shellSystem, cwd: user ? '/home/user' : '/', home: user ? '/home/user' : '/' });
  let status: number;
  if (command !== null) status = await shell.runScript(command.replace(/;\s*$/, ''));
  else if (process.stdin.isTTY === true) {
    process.stdout.write('hurdle: a Hurd-style multiserver OS in TypeScript. Type help; exit or Ctrl-D leaves.\n');
    status = await shell.interactive(process.stdin, process.stdout);
  } else status = await shell.runScript(await readAll(process.stdin));
  for (const line of await h.shutdown()) process.stderr.write(`${line}\n`);
  return status;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
