// Writing a translator with trivfs: rot13, a filter that shows the file it sits on with
// every letter turned 13 places, in a few dozen lines. It reads the node underneath (the
// Hurd's realnode, given to every translator) at each read, so it always shows the
// current content; each open keeps its own offset; everything it does not override
// answers "not supported". Then it is registered, set on a file, and used.
// Run it: npx tsx examples/write-a-translator.ts

import { Kernel, VirtualClock } from '../core/index.ts';
import { connect } from '../libcap/index.ts';
import { authServer, idsFor, type AuthInstance } from '../servers/auth/index.ts';
import { fsServer, Protid, trivfs, TranslatorRegistry, type TranslatorFactory } from '../servers/fs/index.ts';
import { createFsClient, settrans } from '../clients/fs/index.ts';
import { installService } from '../libcap/server.ts';
import { isMain } from './is-main.ts';

function rot13(data: Uint8Array): Uint8Array {
  return data.map((c) => (c >= 65 && c <= 90 ? ((c - 52) % 26) + 65 : c >= 97 && c <= 122 ? ((c - 84) % 26) + 97 : c));
}

/** The translator: one read-only file, the node underneath in rot13. */
export const rot13Translator: TranslatorFactory = (env) => {
  const under = connect(Protid, env.kernel, env.task, env.underlying);
  return trivfs(env, {
    name: 'rot13',
    mode: 0o444,
    handlers: {
      async read(ctx, { amount, offset }) {
        const po = ctx.data.po!;
        const at = offset ?? po.offset;
        const r = await under.attempt.read({ amount, offset: at });
        if (!r.ok) return ctx.fail('EIO', r.error);
        if (offset === undefined) po.offset = at + r.value.data.length;
        return { data: rot13(r.value.data) };
      },
      async stat(ctx) {
        const { stat } = await under.stat();
        return { stat: { ...stat, mode: (stat.mode & ~0o777) | 0o444, ino: ctx.data.po!.node.ino } };
      },
    },
  });
};

export async function main(out: (line: string) => void = console.log): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const authTask = kernel.createTask('auth', { quota: 100_000, slots: 1 << 14 });
  const auth = (await authServer()({ kernel, task: authTask, caps: new Map() })) as AuthInstance;
  // A registry of our own: the server finds translators by name there.
  const registry = new TranslatorRegistry().register('rot13', rot13Translator);
  const fsTask = kernel.createTask('fs', { quota: 100_000, slots: 1 << 16 });
  const server = fsServer({ registry })({ kernel, task: fsTask, caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]) });
  const task = kernel.createTask('user');
  const fs = createFsClient(kernel, task, { root: server.install(task, idsFor(0, 0)), auth: installService(auth, task, idsFor(0, 0)) });

  await fs.writeFile('/secret.txt', 'Hello, Hurd!\n');
  await settrans(fs, '/secret.txt', ['rot13']);
  out(`cat /secret.txt: ${JSON.stringify(await fs.readFile('/secret.txt', 'utf8'))}`);

  const [first, other, rest] = [Buffer.alloc(5), Buffer.alloc(5), Buffer.alloc(50)];
  const h = await fs.open('/secret.txt');
  await h.read(first, 0, 5);
  const again = await fs.open('/secret.txt');
  await again.read(other, 0, 5);
  const { bytesRead } = await h.read(rest, 0, 50);
  out(`two opens, two offsets: ${JSON.stringify(first.toString())} then ${JSON.stringify(rest.subarray(0, bytesRead).toString())}; the other read ${JSON.stringify(other.toString())}`);
  await h.close();
  await again.close();

  const st = await fs.stat('/secret.txt');
  out(`stat: size ${st.size}, mode ${(st.mode & 0o777).toString(8)}`);
  out(`write to it: ${await fs.writeFile('/secret.txt', 'x').then(() => 'ok', (e: { code: string }) => e.code)}`);

  // The translator reads the node underneath at each read: change that, and it shows.
  server.volume.writeFileSync('/secret.txt', 'Uryyb ntnva\n');
  out(`after the file underneath changed: ${JSON.stringify(await fs.readFile('/secret.txt', 'utf8'))}`);
}

if (isMain(import.meta.url)) await main();
