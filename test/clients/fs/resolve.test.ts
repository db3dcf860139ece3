// Path resolution as glibc's hurd_file_name_lookup: normal retries continue at the
// returned port, reauth retries go through auth's rendezvous first (and look up "" after
// it), magical "/..." restarts at the client's root, retries are bounded (ELOOP), every
// call is bounded by the client's timeout (ETIMEDOUT, never a hang), and no port is left
// behind in the client's cap space, whatever the outcome. Driven by a scripted server.

import { describe, expect, it } from 'vitest';
import { O } from '../../../protocol/fs.ts';
import { capCount } from '../../fs/server-world.ts';
import { rejectsWith } from '../../fs/conformance/harness.ts';
import { mockWorld, ROOT, type Script } from './mock-fs.ts';

/** A tree: root/a is a "translator" (another server's root, handed over with the rest). */
const translatorAtA: Script = (dir, name) => {
  if (dir === ROOT && name === 'a/b/c') return { retry: 'normal', retryName: 'b/c', port: 'A' };
  if (dir === 'A' && name === 'b/c') return { retry: 'normal', retryName: '', port: 'A/b/c' };
  return 'ENOENT';
};

describe('path resolution (lookup retries)', () => {
  it('an absolute path starts at the root with the leading slashes stripped', async () => {
    const w = mockWorld((dir, name) => (dir === ROOT && name === 'x' ? { retry: 'normal', retryName: '', port: 'x' } : 'ENOENT'));
    const fs = w.client();
    const base = capCount(w.task);
    const s = await fs.stat('///x');
    expect(s.size).toBe(1);
    expect(w.log).toEqual(['root:x']);
    expect(capCount(w.task)).toBe(base);
  });

  it('the root itself is reopened with a lookup of ""', async () => {
    const w = mockWorld((dir, name) => (dir === ROOT && name === '' ? { retry: 'normal', retryName: '', port: 'root-again' } : 'ENOENT'));
    await w.client().stat('/');
    expect(w.log).toEqual(['root:']);
  });

  it('normal with a retry name: the lookup continues at the returned port; intermediate ports are deleted', async () => {
    const w = mockWorld(translatorAtA);
    const fs = w.client();
    const base = capCount(w.task);
    const objects = w.liveObjects();
    const s = await fs.stat('/a/b/c');
    expect(s.size).toBe('A/b/c'.length);
    expect(w.log).toEqual(['root:a/b/c', 'A:b/c']);
    expect(capCount(w.task)).toBe(base);
    // The server saw the client drop both ports (no-senders): nothing of them is left.
    await w.k.settle();
    expect(w.liveObjects()).toBe(objects);
  });

  it('flags and mode reach every server on the way', async () => {
    const seen: number[] = [];
    const w = mockWorld((dir, name, flags) => {
      seen.push(flags);
      return translatorAtA(dir, name, flags);
    });
    await w.client().stat('/a/b/c');
    expect(seen).toEqual([O.PATH, O.PATH]);
  });

  it('reauth: the port is reauthenticated through auth, then "" is looked up at the new port', async () => {
    const w = mockWorld((dir, name) => {
      if (dir === ROOT && name === 'up') return { retry: 'reauth', retryName: '', port: 'parent' };
      if (dir === 'parent+auth' && name === '') return { retry: 'normal', retryName: '', port: 'parent-opened' };
      return 'ENOENT';
    });
    const fs = w.client();
    const base = capCount(w.task);
    const s = await fs.stat('/up');
    expect(w.log).toEqual(['root:up', 'parent+auth:']);
    // The node opened at the end carries the ids auth vouched for (uid 1000).
    expect(s.uid).toBe(1000);
    expect(capCount(w.task)).toBe(base);
  });

  it('reauth with a retry name continues there after reauthenticating', async () => {
    const w = mockWorld((dir, name) => {
      if (dir === ROOT && name === '../x') return { retry: 'reauth', retryName: 'x', port: 'parent' };
      if (dir === 'parent+auth' && name === 'x') return { retry: 'normal', retryName: '', port: 'x' };
      return 'ENOENT';
    });
    const s = await w.client().stat('/../x');
    expect(w.log).toEqual(['root:../x', 'parent+auth:x']);
    expect(s.uid).toBe(1000);
  });

  it('reauth without an auth handle: EACCES, and the port is not kept', async () => {
    const w = mockWorld(() => ({ retry: 'reauth', retryName: '', port: 'parent' }));
    const fs = w.client({ auth: null });
    const base = capCount(w.task);
    await rejectsWith(fs.stat('/up'), { code: 'EACCES', syscall: 'stat', path: '/up' });
    expect(capCount(w.task)).toBe(base);
  });

  it('reauth whose server never takes part: ETIMEDOUT after the client timeout, nothing kept', async () => {
    const w = mockWorld(() => ({ retry: 'reauth', retryName: '', port: 'parent' }));
    w.reauth = 'ignore';
    const fs = w.client({ timeout: 2000 });
    const base = capCount(w.task);
    const t0 = w.k.now();
    await rejectsWith(fs.stat('/up'), { code: 'ETIMEDOUT', syscall: 'stat', path: '/up' });
    expect(w.k.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(capCount(w.task)).toBe(base);
  });

  it('magical "/...": the lookup restarts at the client root with the rest', async () => {
    const w = mockWorld((dir, name) => {
      if (dir === ROOT && name === 'd/link/f') return { retry: 'magical', retryName: '/target/f' };
      if (dir === ROOT && name === 'target/f') return { retry: 'normal', retryName: '', port: 'target/f' };
      return 'ENOENT';
    });
    const fs = w.client();
    const base = capCount(w.task);
    const s = await fs.stat('/d/link/f');
    expect(s.size).toBe('target/f'.length);
    expect(w.log).toEqual(['root:d/link/f', 'root:target/f']);
    expect(capCount(w.task)).toBe(base);
  });

  it('magical with a port: the port is dropped', async () => {
    const w = mockWorld((dir, name) => {
      if (name === 'l') return { retry: 'magical', retryName: '/t', port: 'junk' };
      if (dir === ROOT && name === 't') return { retry: 'normal', retryName: '', port: 't' };
      return 'ENOENT';
    });
    const fs = w.client();
    const base = capCount(w.task);
    await fs.stat('/l');
    expect(capCount(w.task)).toBe(base);
  });

  it('other magic (fd/N, tty): EINVAL', async () => {
    const w = mockWorld(() => ({ retry: 'magical', retryName: 'fd/3' }));
    await rejectsWith(w.client().stat('/x'), { code: 'EINVAL', syscall: 'stat', path: '/x' });
  });

  it('a server that keeps handing over: ELOOP after maxRetries, no port kept', async () => {
    const w = mockWorld((dir) => ({ retry: 'normal', retryName: 'again', port: `${dir}>` }));
    const fs = w.client({ maxRetries: 8 });
    const base = capCount(w.task);
    await rejectsWith(fs.stat('/x'), { code: 'ELOOP', syscall: 'stat', path: '/x' });
    expect(w.log.length).toBe(9);
    expect(capCount(w.task)).toBe(base);
  });

  it('absolute symlinks pointing at each other: ELOOP', async () => {
    const w = mockWorld((_dir, name) => ({ retry: 'magical', retryName: name === 'a' ? '/b' : '/a' }));
    await rejectsWith(w.client().stat('/a'), { code: 'ELOOP', syscall: 'stat', path: '/a' });
    expect(w.log.length).toBe(41);
  });

  it('a server that never answers: ETIMEDOUT after the client timeout, never a hang', async () => {
    const w = mockWorld(translatorAtA);
    w.script = (dir, name, flags) => (dir === 'A' ? 'hang' : translatorAtA(dir, name, flags));
    const fs = w.client({ timeout: 1500 });
    const base = capCount(w.task);
    await rejectsWith(fs.stat('/a/b/c'), { code: 'ETIMEDOUT', syscall: 'stat', path: '/a/b/c' });
    expect(w.hung.length).toBe(1);
    expect(capCount(w.task)).toBe(base);
  });

  it('an error on the way is the error of the call', async () => {
    const w = mockWorld(translatorAtA);
    w.script = (dir, name, flags) => (dir === 'A' ? 'EACCES' : translatorAtA(dir, name, flags));
    const fs = w.client();
    const base = capCount(w.task);
    await rejectsWith(fs.readFile('/a/b/c'), { code: 'EACCES', syscall: 'open', path: '/a/b/c' });
    expect(capCount(w.task)).toBe(base);
  });

  it('a path of PATH_MAX bytes or more never reaches a server', async () => {
    const w = mockWorld();
    await rejectsWith(w.client().stat(`/${'é'.repeat(2048)}`), { code: 'ENAMETOOLONG', syscall: 'stat', path: `/${'é'.repeat(2048)}` });
    expect(w.log).toEqual([]);
  });

  it('a relative path starts at the working directory port', async () => {
    const w = mockWorld((dir, name) => {
      if (dir === ROOT && name === 'home') return { retry: 'normal', retryName: '', port: 'home' };
      if (dir === 'home' && name === 'f') return { retry: 'normal', retryName: '', port: 'home/f' };
      return 'ENOENT';
    });
    const fs = w.client();
    const base = capCount(w.task);
    expect((await fs.stat('/home')).isDirectory()).toBe(true);
    w.log.length = 0;
    // chdir resolves the name (realpath: lstat of each component) and keeps a port on it.
    w.script = (dir, name) => {
      if (dir === ROOT && (name === 'home' || name === '')) return { retry: 'normal', retryName: '', port: 'home' };
      if (dir === 'home' && name === 'f') return { retry: 'normal', retryName: '', port: 'home/f' };
      return 'ENOENT';
    };
    await fs.chdir('/home');
    expect(fs.cwd()).toBe('/home');
    expect(capCount(w.task)).toBe(base + 1);
    w.log.length = 0;
    expect((await fs.stat('f')).size).toBe('home/f'.length);
    expect(w.log).toEqual(['home:f']);
    fs.close();
    expect(capCount(w.task)).toBe(base);
  });
});
