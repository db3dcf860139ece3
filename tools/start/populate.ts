// The tree `npm start` gives the filesystem: a few files to read, and the stock
// translators mounted at sensible places (passive settings, started on first access).

import type { FsClient } from '../../clients/fs/index.ts';
import { settrans } from '../../clients/fs/index.ts';

/** Where each stock translator is mounted, and its command line. */
export const MOUNTS: readonly { readonly path: string; readonly argv: readonly string[]; readonly kind: 'file' | 'dir' }[] = [
  { path: '/hello', argv: ['hello'], kind: 'file' },
  { path: '/tmp', argv: ['tmpfs'], kind: 'dir' },
  { path: '/proc', argv: ['proc'], kind: 'dir' },
  { path: '/etc/system.json', argv: ['json'], kind: 'file' },
  { path: '/shout', argv: ['filter', '--upper', '/etc/motd'], kind: 'file' },
  { path: '/etc/motd.rot13', argv: ['filter', '--rot13', '/etc/motd'], kind: 'file' },
  { path: '/home/user/docs', argv: ['firmlink', '/usr/share/doc'], kind: 'dir' },
  { path: '/var/log/messages', argv: ['log'], kind: 'file' },
  { path: '/dev/null', argv: ['/hurd/null'], kind: 'file' },
  { path: '/dev/zero', argv: ['/hurd/zero'], kind: 'file' },
];

/** A server of the booted system, for its node in /servers. */
export interface ServiceNode {
  readonly name: string;
  readonly pid: number;
}

const README = `hurdle: a Hurd-style multiserver system in TypeScript.

Everything here is served over IPC by a filesystem server on memfs, and translators
mounted on nodes (settrans, showtrans and fsysopts work on them):
  /hello              the hello translator (fsysopts /hello --contents=Hi)
  /tmp                a tmpfs: a fresh memfs mounted on the node
  /proc               the kernel's live introspection: tasks, threads, endpoints, counters
  /etc/system.json    a JSON file shown as a directory tree (writes go back)
  /shout              /etc/motd, upper-cased by a filter translator
  /etc/motd.rot13     /etc/motd through rot13 (writes go back rot13'd)
  /home/user/docs     a firmlink to /usr/share/doc
  /var/log/messages   a log translator: every write is appended and time-stamped
  /dev/null, /dev/zero  the null and zero devices (translators, as the Hurd's)
  /servers            one node per server of the system, naming it and its task
  /hurd               one node per translator the filesystem can start (settrans n /hurd/x)
Try: ls /proc/tasks, cat /hello, echo hi > /tmp/x, echo note >> /var/log/messages,
ps, trace on, help.
`;

const SYSTEM_JSON = {
  name: 'hurdle',
  kernel: { fastpath: true, priorities: 256 },
  servers: ['names', 'auth', 'notify', 'task', 'fs'],
  translators: { hello: '/hello', tmpfs: '/tmp', proc: '/proc' },
};

/**
 * Make the tree and set the passive translators (as root): /servers names the system's
 * servers, /hurd the translators of the filesystem's registry, /dev holds null and zero.
 */
export async function populate(fs: FsClient, services: readonly ServiceNode[] = [], translators: readonly string[] = []): Promise<void> {
  await fs.writeFile('/README', README);
  for (const d of ['/etc', '/home/user', '/usr/share/doc', '/var/log', '/dev', '/servers', '/hurd']) await fs.mkdir(d, { recursive: true });
  for (const s of services) {
    await fs.writeFile(`/servers/${s.name}`, `${s.name}: the ${s.name} server, task ${s.pid}\n`);
    await fs.chmod(`/servers/${s.name}`, 0o444);
  }
  for (const t of translators) {
    await fs.writeFile(`/hurd/${t}`, `${t}: a translator; attach it with settrans NODE /hurd/${t} [option...]\n`);
    await fs.chmod(`/hurd/${t}`, 0o555);
  }
  await fs.chown('/home/user', 1000, 100);
  await fs.writeFile('/etc/motd', 'Welcome to hurdle, a Hurd-style multiserver OS in TypeScript.\n');
  await fs.writeFile('/etc/system.json', `${JSON.stringify(SYSTEM_JSON, null, 2)}\n`);
  await fs.writeFile('/usr/share/doc/translators.txt', 'A translator is a server attached to a node: a cross between a symlink and a mount point.\n');
  for (const m of MOUNTS) {
    if (m.kind === 'dir') await fs.mkdir(m.path, { recursive: true });
    else if (!(await exists(fs, m.path))) await fs.writeFile(m.path, '');
    await settrans(fs, m.path, m.argv);
  }
  await fs.chmod('/tmp', 0o1777);
}

async function exists(fs: FsClient, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
