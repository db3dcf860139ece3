// Three processes, three kernels, one nats-server: the fs server runs in one process, a
// hello translator in another attaches itself to a node of that fs, and this process
// (a third kernel) reads the tree and the translated node through the fs client and the
// shell. Then processes are killed mid-RPC: calls answer errors, nothing hangs.

import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel } from '../../../core/index.ts';
import { createFsClient } from '../../../clients/fs/index.ts';
import { joinNats, type Joined } from '../../../servers/netmsg/join.ts';
import type { NatsServer } from '../../../servers/netmsg/index.ts';
import { natsAvailable, startNatsServer } from './harness.ts';

const run = natsAvailable();

function startNodeProcess(server: NatsServer, node: string, extra: string[]): Promise<ChildProcess> {
  const u = server.users.get(node)!;
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/netmsg/node-cli.ts', '--nats', server.url, '--node', node, '--user', u.user, '--pass', u.pass, ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${node} did not start in 20 s: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`ready ${node}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${node} exited (${code}): ${err}`));
    });
  });
}

describe.runIf(run)('netmsg between processes', () => {
  let server: NatsServer;
  let fsNode: ChildProcess;
  let helloNode: ChildProcess;
  let me: Joined;
  let kernel: Kernel;

  beforeAll(async () => {
    server = await startNatsServer(['fsnode', 'hellonode', 'client']);
    fsNode = await startNodeProcess(server, 'fsnode', ['--serve', 'fs']);
    helloNode = await startNodeProcess(server, 'hellonode', ['--serve', 'hello', '--attach', 'fsnode:/remote-hello']);
    kernel = new Kernel();
    const u = server.users.get('client')!;
    me = await joinNats(kernel, { url: server.url, node: 'client', user: u.user, pass: u.pass, bridge: { heartbeatMs: 200 } });
  }, 60_000);

  afterAll(async () => {
    await me?.leave().catch(() => undefined);
    for (const p of [fsNode, helloNode]) p?.kill('SIGKILL');
    await server?.stop();
  });

  it('the fs client in this process reads the remote fs, and a translator served by a third process', async () => {
    const task = kernel.createTask('client', { slots: 1024 });
    const root = await me.bridge.lookup('fsnode', 'fs', task);
    const fs = createFsClient(kernel, task, { root, timeout: 5000 });
    expect((await fs.readdir('/')).sort()).toContain('etc');
    expect(await fs.readFile('/etc/motd', 'utf8')).toMatch(/^Welcome to hurdle/);
    await fs.writeFile('/tmp/from-afar', 'written over NATS');
    expect(await fs.readFile('/tmp/from-afar', 'utf8')).toBe('written over NATS');
    expect(await fs.readFile('/remote-hello', 'utf8')).toBe('Hello from another node!\n');
    const st = await fs.stat('/etc/motd');
    expect(st.isFile()).toBe(true);
  }, 30_000);

  it('killing the translator process: the fs finds its active translator dead and serves the node underneath (as the Hurd), without hanging', async () => {
    const task = kernel.createTask('client2', { slots: 1024 });
    const root = await me.bridge.lookup('fsnode', 'fs', task);
    const fs = createFsClient(kernel, task, { root, timeout: 5000 });
    helloNode.kill('SIGKILL');
    const t0 = Date.now();
    expect(await fs.readFile('/remote-hello', 'utf8')).toBe('');
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await fs.readFile('/etc/motd', 'utf8')).toMatch(/^Welcome/);
  }, 30_000);

  it('killing the fs process: calls waiting on it answer EPIPE within the heartbeat bound', async () => {
    const task = kernel.createTask('client3', { slots: 1024 });
    const root = await me.bridge.lookup('fsnode', 'fs', task);
    const fs = createFsClient(kernel, task, { root, timeout: 60_000 });
    expect(await fs.readFile('/etc/motd', 'utf8')).toMatch(/^Welcome/);
    fsNode.kill('SIGKILL');
    const t0 = Date.now();
    await expect(fs.readFile('/etc/motd', 'utf8')).rejects.toMatchObject({ code: 'EPIPE' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);
});
