// Conformance cases for opendir and the Dir it gives: read one entry at a time, async
// iteration (which closes the Dir), callbacks, recursive, and its errors (opendir's
// system errors, ERR_DIR_CLOSED, bad bufferSize).

import { posix } from 'node:path';
import { expect } from 'vitest';
import { rejectsAsync, rejectsWith, type Cases } from './harness.ts';

export function opendirCases(t: Cases): void {
  t('read gives every entry once as a Dirent, then null', async ({ fs, p }) => {
    await fs.mkdir(p('d/sub'), { recursive: true });
    await fs.writeFile(p('d/f'), 'x');
    await fs.symlink('f', p('d/l'));
    const dir = await fs.opendir(p('d'));
    expect(dir.path).toBe(p('d'));
    const seen: string[] = [];
    for (let e = await dir.read(); e !== null; e = await dir.read()) {
      seen.push(`${e.name}:${e.isFile() ? 'f' : e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : '?'}`);
    }
    expect(seen.sort()).toEqual(['f:f', 'l:l', 'sub:d']);
    expect(await dir.read()).toBeNull();
    await dir.close();
  });
  t('async iteration reads everything and closes the Dir', async ({ fs, p }) => {
    for (let i = 0; i < 40; i++) await fs.writeFile(p(`f${i}`), '');
    const dir = await fs.opendir(p(''), { bufferSize: 7 });
    const seen: string[] = [];
    for await (const e of dir) seen.push(e.name);
    expect(seen.length).toBe(40);
    expect(new Set(seen).size).toBe(40);
    await rejectsAsync(() => dir.close(), 'ERR_DIR_CLOSED');
  });
  t('after close: read throws ERR_DIR_CLOSED, close rejects with it', async ({ fs, p }) => {
    const dir = await fs.opendir(p(''));
    await dir.close();
    let returned: unknown = null;
    let thrown: unknown = null;
    try {
      returned = dir.read();
    } catch (e) {
      thrown = e;
    }
    // An implementation that rejects instead must not leave the rejection unhandled.
    if (returned instanceof Promise) returned.catch(() => {});
    expect(thrown).toMatchObject({ code: 'ERR_DIR_CLOSED', message: 'Directory handle was closed' });
    await rejectsAsync(() => dir.close(), 'ERR_DIR_CLOSED');
  });
  t('ENOENT and ENOTDIR (opendir)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    await rejectsWith(fs.opendir(p('none')), { code: 'ENOENT', syscall: 'opendir', path: p('none') });
    await rejectsWith(fs.opendir(p('f')), { code: 'ENOTDIR', syscall: 'opendir', path: p('f') });
  });
  t('recursive: every entry below, each with its parentPath', async ({ fs, p }) => {
    await fs.mkdir(p('d/a/b'), { recursive: true });
    await fs.writeFile(p('d/x'), '');
    await fs.writeFile(p('d/a/y'), '');
    await fs.writeFile(p('d/a/b/z'), '');
    const dir = await fs.opendir(p('d'), { recursive: true });
    const seen: string[] = [];
    for await (const e of dir) seen.push(posix.relative(p('d'), posix.join((e as unknown as { parentPath: string }).parentPath, e.name)));
    expect(seen.sort()).toEqual(['a', 'a/b', 'a/b/z', 'a/y', 'x']);
  });
  t('callback forms: read(cb), close(cb)', async ({ fs, p }) => {
    await fs.writeFile(p('f'), '');
    const dir = (await fs.opendir(p(''))) as unknown as {
      read(cb: (e: Error | null, d: { name: string } | null) => void): void;
      close(cb: (e: Error | null) => void): void;
    };
    const first = await new Promise<string | null>((resolve, reject) => dir.read((e, d) => (e ? reject(e) : resolve(d?.name ?? null))));
    expect(first).toBe('f');
    await new Promise<void>((resolve, reject) => dir.close((e) => (e ? reject(e) : resolve())));
  });
}
