// The live view's web server: loopback only, every path behind an unguessable token,
// the page, its graph library (cytoscape, served from node_modules), a Server-Sent
// Events stream of the system's state and IPC, the filesystem tree, and the pause /
// step / run controls.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Kernel } from '../../core/index.ts';
import type { FsClient } from '../../clients/fs/index.ts';
import { showtrans } from '../../clients/fs/index.ts';
import type { System } from '../../servers/system/index.ts';
import { IpcFeed } from './ipc-feed.ts';
import { viewState } from './model.ts';
import { PAGE } from './page.ts';

export interface ViewOptions {
  readonly kernel: Kernel;
  /** The booted system, for the server tree (optional). */
  readonly system?: System;
  /** An fs client (as root, ideally) for the filesystem tree (optional). */
  readonly fs?: FsClient;
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** State pushes per second (default 2); IPC batches go 5 times a second. */
  readonly statePerSecond?: number;
}

export interface View {
  /** The page's address, token included: http://127.0.0.1:PORT/TOKEN/ */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

export interface FsNode {
  readonly path: string;
  readonly type: string;
  /** The passive translator's command line, when it has one. */
  readonly translator: readonly string[];
}

/** Nodes listed at most in the fs tree. */
const FS_LIMIT = 300;
/** Directories descended at most. */
const FS_DEPTH = 4;

/** Serve the live view of `opts.kernel`. */
export async function startView(opts: ViewOptions): Promise<View> {
  const token = randomBytes(16).toString('hex');
  const feed = new IpcFeed(opts.kernel).attach();
  const clients = new Set<ServerResponse>();
  const system = opts.system ?? null;
  let fsTree: FsNode[] = [];
  let fsBusy: Promise<void> | null = null;
  const cytoscape = readFileSync(createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js'));

  const send = (res: ServerResponse, event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const broadcast = (event: string, data: unknown): void => {
    for (const c of clients) send(c, event, data);
  };
  const pushState = (): void => broadcast('state', viewState(opts.kernel, system));
  const pushIpc = (): void => {
    const b = feed.flush();
    if (b.lines.length > 0 || b.moves.length > 0 || b.events > 0) broadcast('ipc', b);
  };

  const refreshFs = (): Promise<void> => {
    const fs = opts.fs;
    if (fs === undefined || opts.kernel.isPaused) return Promise.resolve();
    fsBusy ??= walkFs(fs)
      .then((t) => {
        fsTree = t;
        broadcast('fs', fsTree);
      })
      .catch(() => undefined)
      .finally(() => {
        fsBusy = null;
      });
    return fsBusy;
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const prefix = `/${token}/`;
    if (!url.pathname.startsWith(prefix) && url.pathname !== `/${token}`) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const route = url.pathname.slice(prefix.length);
    if (route === '' || url.pathname === `/${token}`) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
    } else if (route === 'cytoscape.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(cytoscape);
    } else if (route === 'events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      clients.add(res);
      req.on('close', () => clients.delete(res));
      send(res, 'state', viewState(opts.kernel, system));
      send(res, 'ipc', { lines: feed.recent(), skipped: 0, rates: {}, moves: [], events: 0 });
      send(res, 'fs', fsTree);
    } else if (route === 'fs' && req.method === 'POST') {
      await refreshFs();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fsTree));
    } else if (route === 'control' && req.method === 'POST') {
      const op = url.searchParams.get('op');
      const k = opts.kernel;
      if (op === 'pause') k.pause();
      else if (op === 'run') k.resume();
      else if (op === 'step') {
        if (!k.isPaused) k.pause();
        const n = Math.min(10_000, Math.max(1, Number(url.searchParams.get('n') ?? '1') | 0));
        k.step(n);
      } else {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('op must be pause, run or step\n');
        return;
      }
      pushIpc();
      pushState();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ paused: k.isPaused, time: k.now() }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const ipcTimer = setInterval(pushIpc, 200);
  const stateTimer = setInterval(pushState, 1000 / (opts.statePerSecond ?? 2));
  ipcTimer.unref();
  stateTimer.unref();
  void refreshFs();
  return {
    url: `http://127.0.0.1:${port}/${token}/`,
    token,
    async close() {
      clearInterval(ipcTimer);
      clearInterval(stateTimer);
      feed.detach();
      for (const c of clients) c.end();
      clients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The filesystem tree, breadth-first, with passive translators marked. */
async function walkFs(fs: FsClient): Promise<FsNode[]> {
  const out: FsNode[] = [{ path: '/', type: 'dir', translator: [] }];
  const queue: [string, number][] = [['/', 0]];
  while (queue.length > 0 && out.length < FS_LIMIT) {
    const [dir, depth] = queue.shift()!;
    let names: string[];
    try {
      names = (await fs.readdir(dir)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (out.length >= FS_LIMIT) break;
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      let type = 'file';
      let translator: string[] = [];
      try {
        const st = await fs.lstat(path);
        type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
        translator = await showtrans(fs, path).catch(() => []);
      } catch {
        type = '?';
      }
      out.push({ path, type, translator });
      // Do not descend into translators: their trees can be large or live (proc).
      if (type === 'dir' && translator.length === 0 && depth + 1 < FS_DEPTH) queue.push([path, depth + 1]);
    }
  }
  return out;
}
