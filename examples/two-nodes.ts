// Two processes, two kernels, one nats-server: the filesystem runs in a child process,
// this process reads and writes it through Node's fs API over a netmsg proxy, then the
// child is killed and the next call answers EPIPE instead of hanging.
// Run it: npx tsx examples/two-nodes.ts (needs nats-server: apt-get install -y nats-server).
//
// Step by step, as you would do it by hand on two machines:
//   1. a nats-server both can reach, with a user per node (startNatsServer writes such a
//      config: each node may subscribe only to its own subjects);
//   2. node "fsnode": `tsx tools/netmsg/node-cli.ts --nats URL --node fsnode --user fsnode
//      --pass P --serve fs` boots the default system and publishes its fs and auth;
//   3. node "client" (here, this process): joinNats(), then bridge.lookup('fsnode', 'fs')
//      gives a local cap to the remote fs root, and createFsClient() works on it.

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel } from '../core/index.ts';
import { createFsClient } from '../clients/fs/index.ts';
import { findNatsServer, natsServerMissing, startNatsServer } from '../servers/netmsg/index.ts';
import { joinNats } from '../servers/netmsg/join.ts';
import { isMain } from './is-main.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function main(out: (line: string) => void = console.log): Promise<void> {
  if (findNatsServer() === null) {
    out(`skipped: ${natsServerMissing()}`);
    return;
  }
  // 1. the NATS server
  const nats = await startNatsServer(['fsnode', 'client']);
  out(`1. nats-server on ${nats.url}`);
  // 2. the fs node, a process of its own
  const u = nats.users.get('fsnode')!;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/netmsg/node-cli.ts'), '--nats', nats.url, '--node', 'fsnode', '--user', u.user, '--pass', u.pass, '--serve', 'fs'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready fsnode') && resolve());
    child.once('exit', (code) => reject(new Error(`fsnode exited (${code})`)));
  });
  out(`2. fsnode is up (pid ${child.pid})`);
  // 3. this process joins as "client" and uses the remote fs
  const kernel = new Kernel();
  const c = nats.users.get('client')!;
  const me = await joinNats(kernel, { url: nats.url, node: 'client', user: c.user, pass: c.pass, bridge: { heartbeatMs: 250 } });
  const task = kernel.createTask('app', { slots: 1024 });
  const fs = createFsClient(kernel, task, { root: await me.bridge.lookup('fsnode', 'fs', task) });
  out(`3. ls / on fsnode: ${(await fs.readdir('/')).sort().join(' ')}`);
  out(`   cat /etc/motd: ${(await fs.readFile('/etc/motd', 'utf8')).trim()}`);
  await fs.writeFile('/tmp/hello-from-client', 'written across processes');
  out(`   cat /tmp/hello-from-client: ${await fs.readFile('/tmp/hello-from-client', 'utf8')}`);
  // 4. the fs node dies: the next call fails, it does not hang
  child.kill('SIGKILL');
  try {
    await fs.stat('/etc/motd');
    out('4. unexpected: the call succeeded');
  } catch (e) {
    out(`4. fsnode killed; stat now fails with ${(e as { code?: string }).code}`);
  }
  await me.leave();
  await nats.stop();
}

if (isMain(import.meta.url)) await main();
