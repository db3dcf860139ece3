// A hurdle node on a NATS network, as a process: `tsx tools/netmsg/node-cli.ts --nats URL
// --node NAME [--user U --pass P] --serve fs|hello`. `fs` boots the default system with
// its tree and publishes the fs root and auth (as root); `hello` runs the hello
// translator alone, publishes its control port as `hello`, and (with --attach NODE:PATH)
// attaches itself to a node of that node's fs. Prints `ready NAME` when serving; ends on
// SIGTERM or when stdin closes.

import { Kernel, type Sys, type SysGen } from '../../core/index.ts';
import { createFsClient, settrans } from '../../clients/fs/index.ts';
import { joinNats, publishSystem, serveTranslator } from '../../servers/netmsg/join.ts';
import { boot, defaultSystem } from '../../servers/system/index.ts';
import { hello } from '../../servers/translators/index.ts';
import { populate } from '../start/populate.ts';

const USAGE = 'usage: node-cli --nats URL --node NAME [--user U] [--pass P] --serve fs|hello [--attach NODE:PATH]';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function* idle(_sys: Sys): SysGen<void> {}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const url = arg('nats');
  const node = arg('node');
  const serve = arg('serve');
  if (url === undefined || node === undefined || (serve !== 'fs' && serve !== 'hello')) {
    console.error(`node-cli: ${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const kernel = new Kernel();
  const user = arg('user');
  const pass = arg('pass');
  const j = await joinNats(kernel, { url, node, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}) });
  if (serve === 'fs') {
    const root = { uid: 0, gid: 0 };
    const system = await boot(kernel, defaultSystem({ extra: { export: { program: idle, uses: { fs: { service: 'fs', params: root }, auth: { service: 'auth', params: root } } } } }));
    const caps = system.caps('export');
    await populate(createFsClient(kernel, system.task('export'), { root: caps.get('fs')!, auth: caps.get('auth')! }));
    publishSystem(j, system, 'export');
  } else {
    const { instance } = await serveTranslator(kernel, j, hello, ['hello', '--contents=Hello from another node!\n'], 'hello');
    const attach = arg('attach');
    if (attach !== undefined) {
      const [fsNode, path] = attach.split(':') as [string, string];
      const me = kernel.createTask('attacher', { slots: 256 });
      const fsRoot = await j.bridge.lookup(fsNode, 'fs', me);
      const control = instance.bucket.install(instance.control, me);
      const fs = createFsClient(kernel, me, { root: fsRoot });
      await fs.writeFile(path, '');
      await settrans(fs, path, [], { active: control, passive: false });
    }
  }
  console.log(`ready ${node}`);
  const end = async (): Promise<void> => {
    await j.leave().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void end());
  process.stdin.on('end', () => void end());
  process.stdin.resume();
}

main().catch((e: unknown) => {
  console.error(`node-cli: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
