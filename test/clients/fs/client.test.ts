// The fs client's own behaviour over the real servers, beyond the conformance suite:
// its identity (calls run as its task's threads), the working directory, reads and
// writes split into IO_MAX messages, close() waiting for calls in flight, timeouts
// against a translator that never answers, and the in-thread form (ThreadFs).

import { describe, expect, it } from 'vitest';
import type { Sys, SysGen, TraceEvent } from '../../../core/index.ts';
import { defineClass, Bucket, type Deferred, type Handlers, type SpecsOf } from '../../../libcap/index.ts';
import { Fsys, IO_MAX, O, Protid } from '../../../protocol/fs.ts';
import { settrans, ThreadFs } from '../../../clients/fs/index.ts';
import { rejectsWith } from '../../fs/conformance/harness.ts';
import { capCount, serverWorld, USER } from '../../fs/server-world.ts';

async function userWorld(opts: Parameters<ReturnType<typeof serverWorld>['client']>[2] = {}, memQuota?: number) {
  const w = serverWorld({}, undefined, memQuota);
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/home', 0o755);
  await admin.fs.chown('/home', USER.uid, USER.gid);
  const user = w.client('user', USER, opts);
  return { w, admin, user };
}

describe('the fs client over the servers', () => {
  it('runs as its own task: files it makes are its own, the administrator\'s are not', async () => {
    const { admin, user } = await userWorld();
    await user.fs.writeFile('/home/mine', 'x');
    await admin.fs.writeFile('/home/root-owned', 'x', { mode: 0o600 });
    const s = await admin.fs.stat('/home/mine');
    expect([s.uid, s.gid]).toEqual([USER.uid, USER.gid]);
    await rejectsWith(user.fs.readFile('/home/root-owned'), { code: 'EACCES', syscall: 'open', path: '/home/root-owned' });
  });

  it('chdir: relative paths start at the new working directory; realpath names them', async () => {
    const { user } = await userWorld();
    await user.fs.mkdir('/home/proj/src', { recursive: true });
    await user.fs.symlink('/home/proj', '/home/link');
    const base = capCount(user.task);
    await user.fs.chdir('/home/link/src');
    expect(user.fs.cwd()).toBe('/home/proj/src');
    expect(capCount(user.task)).toBe(base + 1);
    await user.fs.writeFile('main.ts', 'code');
    expect(await user.fs.readFile('/home/proj/src/main.ts', 'utf8')).toBe('code');
    expect(await user.fs.readdir('..')).toEqual(['src']);
    expect(await user.fs.realpath('main.ts')).toBe('/home/proj/src/main.ts');
    expect(await user.fs.realpath('.')).toBe('/home/proj/src');
    await user.fs.mkdir('a/b', { recursive: true });
    await user.fs.rename('a', 'c');
    expect(await user.fs.readdir('.')).toEqual(['c', 'main.ts'].sort());
    await rejectsWith(user.fs.chdir('/home/proj/src/main.ts'), { code: 'ENOTDIR', syscall: 'chdir', path: '/home/proj/src/main.ts' });
    await user.fs.chdir('/');
    expect(capCount(user.task)).toBe(base + 1);
    user.fs.close();
    expect(capCount(user.task)).toBe(base);
    expect(user.fs.cwd()).toBe('/');
  });

  it('without transfer buffers (the server has no memory for them), reads and writes larger than IO_MAX go as several messages of at most IO_MAX bytes', async () => {
    const { w, user } = await userWorld({}, 0);
    const data = new Uint8Array(2 * IO_MAX + 3).fill(7);
    const h = await user.fs.open('/home/big', 'w+');
    const written: number[] = [];
    const read: number[] = [];
    w.k.setTracer({
      event(e: TraceEvent) {
        if (e.type !== 'ipc') return;
        const bytes = e.items.filter((i): i is Uint8Array => i instanceof Uint8Array).map((i) => i.length);
        if (e.op === 'call' && e.senderTask === user.task.id && e.label === Protid.methods.write.op) written.push(...bytes);
        if (e.op === 'reply' && e.receiverTask === user.task.id) read.push(...bytes);
      },
    });
    const r = await h.write(data, 0, data.length, 0);
    const buf = new Uint8Array(data.length + 10);
    const got = await h.read(buf, 0, buf.length, 0);
    w.k.setTracer(null);
    await h.close();
    expect(r.bytesWritten).toBe(data.length);
    expect(got.bytesRead).toBe(data.length);
    expect(written).toEqual([IO_MAX, IO_MAX, 3]);
    expect(read).toEqual([IO_MAX, IO_MAX, 3]);
  });

  it('many calls at once: each its own thread, all answered, no port left', async () => {
    const { user } = await userWorld();
    const base = capCount(user.task);
    const names = Array.from({ length: 60 }, (_, i) => `/home/n${i}`);
    await Promise.all(names.map((n, i) => user.fs.writeFile(n, `file ${i}`)));
    const texts = await Promise.all(names.map((n) => user.fs.readFile(n, 'utf8')));
    expect(texts).toEqual(names.map((_, i) => `file ${i}`));
    const h = await user.fs.open('/home/n7');
    const bufs = [0, 1, 2, 3, 4, 5].map(() => new Uint8Array(1));
    const reads = await Promise.all(bufs.map((b, p) => h.read(b, 0, 1, p)));
    expect(reads.map((r) => r.bytesRead)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(bufs.map((b) => String.fromCharCode(b[0]!)).join('')).toBe('file 7');
    await h.close();
    expect((await user.fs.readdir('/home')).length).toBe(60);
    expect(capCount(user.task)).toBe(base);
  });

  it('close() waits for the calls in flight, then drops the port', async () => {
    const { user } = await userWorld();
    await user.fs.writeFile('/home/f', 'hello');
    const base = capCount(user.task);
    const h = await user.fs.open('/home/f');
    expect(capCount(user.task)).toBe(base + 1);
    const reading = h.readFile('utf8');
    const closing = h.close();
    expect(await reading).toBe('hello');
    await closing;
    expect(capCount(user.task)).toBe(base);
  });

  it('a translator that never answers: the call fails with ETIMEDOUT after the client timeout', async () => {
    const { w, user } = await userWorld({ timeout: 3000 });
    // A "translator" whose root answers getroot but then never answers a lookup.
    const task = w.k.createTask('stuck', { quota: 10_000, slots: 1 << 12 });
    const bucket = Bucket.start(w.k, task, { name: 'stuck' });
    const held: Deferred[] = [];
    const rootCls = defineClass({
      name: 'stuck.root',
      interface: Protid,
      init: () => ({}),
      handlers: {
        lookup(ctx: { defer(): Deferred }) {
          const d = ctx.defer();
          held.push(d);
          return d;
        },
      } as unknown as Handlers<SpecsOf<typeof Protid>, object>,
    });
    const ctlCls = defineClass({
      name: 'stuck.control',
      interface: Fsys,
      init: () => ({}),
      handlers: {
        getroot(ctx) {
          const root = bucket.create(rootCls, undefined);
          if (!('refs' in root)) return ctx.fail('EIO');
          const slot = ctx.give(root);
          root.unref();
          return { retry: 'normal' as const, retryName: '', root: slot };
        },
      },
    });
    const control = bucket.create(ctlCls, undefined);
    if (!('refs' in control)) throw new Error('test bug');
    const slot = bucket.install(control, user.task);
    await user.fs.writeFile('/home/mnt', '');
    await settrans(user.fs, '/home/mnt', [], { active: slot });
    const base = capCount(user.task);
    const t0 = w.k.now();
    await rejectsWith(user.fs.stat('/home/mnt/x'), { code: 'ETIMEDOUT', syscall: 'stat', path: '/home/mnt/x' });
    expect(w.k.now() - t0).toBeGreaterThanOrEqual(3000);
    expect(held.length).toBe(1);
    expect(capCount(user.task)).toBe(base);
  });

  it('in a kernel thread of the client task: ThreadFs answers result values', async () => {
    const { w, user } = await userWorld();
    await user.fs.writeFile('/home/f', 'from the host');
    const out = await w.k.exec(user.task, function* (sys: Sys): SysGen<string[]> {
      const fs = new ThreadFs(sys, user.fs);
      const lines: string[] = [];
      const st = yield* fs.stat('/home/f');
      lines.push(st.ok ? `size ${st.value.size}` : st.error.code);
      const missing = yield* fs.stat('/home/none');
      lines.push(missing.ok ? 'found?' : missing.error.message);
      const w1 = yield* fs.writeFile('/home/g', new TextEncoder().encode('from a thread'));
      lines.push(w1.ok ? 'written' : w1.error.code);
      const fd = yield* fs.open('/home/g', O.RDONLY);
      if (fd.ok) {
        const r = yield* fs.read(fd.value, 4, 5);
        lines.push(r.ok ? new TextDecoder().decode(r.value) : r.error.code);
        fs.close(fd.value);
      }
      const d = yield* fs.readdir('/home');
      lines.push(d.ok ? d.value.sort().join(',') : d.error.code);
      return lines;
    });
    expect(out).toEqual(['size 13', "ENOENT: no such file or directory, stat '/home/none'", 'written', 'a th', 'f,g']);
  });
});
