// Trace a scenario and open it in Perfetto: attach rpctrace to a kernel, run a small
// system (auth and a filesystem with a translator), print the decoded RPC lines, and
// write Chrome Trace Event JSON that ui.perfetto.dev and chrome://tracing open.
// `npm run trace -- <script> --out trace.json` does the same for any script.
// Run it: npx tsx examples/trace-to-perfetto.ts

import { writeFileSync } from 'node:fs';
import { Kernel, VirtualClock } from '../core/index.ts';
import { authServer, idsFor, type AuthInstance } from '../servers/auth/index.ts';
import { fsServer } from '../servers/fs/index.ts';
import { createFsClient, settrans } from '../clients/fs/index.ts';
import { installService } from '../libcap/server.ts';
import { defaultRegistry } from '../servers/translators/index.ts';
import { Rpctrace, toChromeTrace } from '../tools/rpctrace/index.ts';
import { isMain } from './is-main.ts';

export async function main(out: (line: string) => void = console.log, file: string | null = 'trace.json'): Promise<void> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const auth = (await authServer()({ kernel, task: kernel.createTask('auth', { quota: 10_000, slots: 4096 }), caps: new Map() })) as AuthInstance;
  const fsTask = kernel.createTask('fs', { quota: 100_000, slots: 1 << 14 });
  const server = fsServer({ registry: defaultRegistry() })({ kernel, task: fsTask, caps: new Map([['auth', installService(auth, fsTask, idsFor(0, 0))]]) });
  const user = kernel.createTask('user');
  const fs = createFsClient(kernel, user, { root: server.install(user, idsFor(0, 0)), auth: installService(auth, user, idsFor(0, 0)) });
  await fs.writeFile('/hello', '');
  await settrans(fs, '/hello', ['hello']);

  // Trace only what happens from here: the first read of /hello starts its translator.
  const trace = new Rpctrace(kernel, { out, raw: false });
  trace.attach();
  out(`read: ${JSON.stringify(await fs.readFile('/hello', 'utf8'))}`);
  trace.detach();

  const json = toChromeTrace(trace);
  const slices = json.traceEvents.filter((e) => e.ph === 'X').length;
  out(`${trace.records.length} messages, ${slices} slices on ${new Set(json.traceEvents.map((e) => e.pid)).size} task tracks`);
  if (file !== null) {
    writeFileSync(file, JSON.stringify(json));
    out(`wrote ${file}: open it in https://ui.perfetto.dev (or chrome://tracing)`);
  }
}

if (isMain(import.meta.url)) await main();
