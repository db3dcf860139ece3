// Shared helpers for the translator tests: a world whose filesystem server holds the
// stock translators, passive settings made on a node (created first), the tasks the
// server started translators in, and a translator's control port. Nothing here is a test.

import type { Task } from '../../../core/index.ts';
import { O } from '../../../protocol/fs.ts';
import type { TranslatorRegistry } from '../../../servers/fs/translator.ts';
import { defaultRegistry } from '../../../servers/translators/index.ts';
import { fsWorld, type Client, type FsWorld, type FsysClient } from '../fs/harness.ts';

/** A world over the default registry (or `registry`), its root directory 0777. */
export function translatorWorld(registry: TranslatorRegistry = defaultRegistry()): Promise<FsWorld> {
  return fsWorld({ registry, root: { mode: 0o777 } });
}

/** Set the passive translator `argv` on `path`, making it first: a file (with `text`) or, with `dir`, a directory. */
export async function mountOn(c: Client, path: string, argv: string[], opts: { dir?: boolean; text?: string; mode?: number } = {}): Promise<void> {
  if (opts.dir === true) {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? c.rootSlot : await c.open(path.slice(0, slash));
    await c.protid(parent).mkdir({ name: path.slice(slash + 1), mode: opts.mode ?? 0o755 });
  } else await c.writeFile(path, opts.text ?? '', opts.mode ?? 0o644);
  const node = await c.open(path, O.PATH | O.NOTRANS);
  await c.protid(node).setTranslator({ passive: argv, flags: 0 });
  c.drop(node);
}

/** The control port of the translator running on `path` (started first by an open that is then closed). */
export async function controlOf(c: Client, path: string): Promise<FsysClient> {
  c.drop(await c.open(path, O.RDONLY));
  const node = await c.open(path, O.PATH | O.NOTRANS);
  const { control } = await c.protid(node).getTranslatorCntl();
  c.drop(node);
  return c.fsys(control);
}

/** Live tasks the server started translators in, named "fs:<translator> <attach point>". */
export function translatorTasks(w: FsWorld, name?: string): Task[] {
  return [...w.k.tasks.values()].filter((t) => t.alive && t.name.startsWith(name === undefined ? 'fs:' : `fs:${name} `));
}

/** Names in a directory, by readdir through the protid `slot`. */
export async function namesIn(c: Client, path: string): Promise<string[]> {
  const dir = await c.open(path);
  const { entries } = await c.protid(dir).readdir({ offset: 0, max: 0 });
  c.drop(dir);
  return entries.map((e) => e.name);
}

/** Bytes as text. */
export const text = (d: Uint8Array): string => Buffer.from(d).toString('utf8');
