// The fs.promises shape a program can rely on (FsPromisesApi) fits Node's own
// node:fs/promises and the fs client alike: checked by the type checker (these
// assignments must compile) and at run time (every call is a function, and destructured
// calls work, as programs use them). memfs's declarations are looser than Node's (stat
// answers number | bigint fields, readdir and mkdir are not overloaded), so typed code
// casts it; at run time it has the same calls (the conformance suite runs on it).

import * as nodeFs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { FileHandle, FileHandleLike, FsClient, FsPromisesApi } from '../../../clients/fs/index.ts';
import { serverWorld, USER } from '../../fs/server-world.ts';

/** Compile-time checks: each line fails to type check if a shape drifts. */
export function typeChecks(client: FsClient, handle: FileHandle): FsPromisesApi[] {
  const fromNode: FsPromisesApi = nodeFs;
  const fromClient: FsPromisesApi = client;
  const h: FileHandleLike = handle;
  void h;
  return [fromNode, fromClient];
}

const CALLS = [
  'access', 'appendFile', 'chmod', 'chown', 'copyFile', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open',
  'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'symlink', 'truncate', 'unlink', 'utimes',
  'writeFile', 'cp', 'opendir', 'statfs', 'watch',
] as const;

describe('the fs.promises shape', () => {
  it('the client has every call, as functions that work destructured', async () => {
    const w = serverWorld();
    const admin = w.client('admin', { uid: 0, gid: 0 });
    await admin.fs.mkdir('/home');
    await admin.fs.chown('/home', USER.uid, USER.gid);
    const { fs } = w.client('user', USER);
    for (const c of CALLS) expect(typeof fs[c], c).toBe('function');
    expect(fs.constants).toBe(nodeFs.constants);
    const { writeFile, readFile, readdir } = fs;
    await writeFile('/home/f', 'destructured');
    expect(await readFile('/home/f', 'utf8')).toBe('destructured');
    expect(await readdir('/home')).toEqual(['f']);
  });
});
