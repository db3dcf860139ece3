// Starting a real nats-server (Debian's `nats-server` package) on a free loopback port,
// with one NATS user per node whose permissions confine it to its own subjects (see
// nodePermissions): for tests, benchmarks, examples and `npm start -- --nats`.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { nodePermissions } from './netmsg.ts';

/** A NATS user for a node: its name, password and the node it speaks for. */
export interface NatsUser {
  readonly node: string;
  readonly user: string;
  readonly pass: string;
}

/** A running nats-server. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** One user per node named at start. */
  readonly users: ReadonlyMap<string, NatsUser>;
  /** Stop the server (SIGTERM, then SIGKILL after 2 s) and remove its config. */
  stop(): Promise<void>;
}

/** Where nats-server is, or null when it is not installed. */
export function findNatsServer(): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = join(d, 'nats-server');
    if (d !== '' && existsSync(p)) return p;
  }
  return null;
}

/** What to tell a user who lacks nats-server. */
export const natsServerMissing = (): string => 'nats-server is not installed: apt-get install -y nats-server (Debian), or put it on PATH';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

const quote = (s: string): string => JSON.stringify(s);

/**
 * Start nats-server on a free loopback port with a user per node in `nodes`. Rejects
 * when nats-server is missing or does not accept connections within `startTimeoutMs`.
 */
export async function startNatsServer(nodes: readonly string[], opts: { startTimeoutMs?: number } = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  if (bin === null) throw new Error(natsServerMissing());
  const users = new Map<string, NatsUser>(nodes.map((node) => [node, { node, user: node, pass: randomBytes(12).toString('hex') }]));
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-nats-'));
  const lines = [...users.values()].map((u) => {
    const p = nodePermissions(u.node);
    return `    { user: ${quote(u.user)}, password: ${quote(u.pass)}, permissions: { publish: { allow: [${p.publish.map(quote).join(', ')}] }, subscribe: { allow: [${p.subscribe.map(quote).join(', ')}] }, allow_responses: true } }`;
  });
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nats.conf');
    writeFileSync(conf, `listen: "127.0.0.1:${port}"\nauthorization {\n  users = [\n${lines.join(',\n')}\n  ]\n}\n`);
    const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let exited = false;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', () => {
      exited = true;
    });
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 25));
    if (!exited && (await canConnect(port))) {
      return {
        url: `nats://127.0.0.1:${port}`,
        port,
        users,
        stop: () =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              rmSync(dir, { recursive: true, force: true });
              resolve();
            };
            if (exited) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      };
    }
    child.kill('SIGKILL');
    if (Date.now() >= deadline || attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nats-server did not start: ${stderr.trim().split('\n').pop() ?? 'no output'}`);
    }
  }
}
