// The fs client's use of transfer buffers: large reads and writes through every Node
// API path go through the open's dataspace (io.readBuffer / io.writeBuffer), small ones
// stay typed items, servers without buffers (a trivfs translator, a server out of
// memory, a client at its bound) get io.read / io.write with the same results, the
// permission checks are those of io.read / io.write, a call finding the open's buffer
// in use does not share it, and the buffer goes with the open and with the client.

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { snapshot, type Kernel, type Sys, type SysGen, type TraceEvent } from '../../../core/index.ts';
import { IO_MAX, Protid } from '../../../protocol/fs.ts';
import { transferPooled, transferTotal } from '../../../servers/fs/io-buffer.ts';
import { settrans, ThreadFs } from '../../../clients/fs/index.ts';
import { defaultRegistry } from '../../../servers/translators/index.ts';
import { devZero } from '../../../servers/translators/dev-zero.ts';
import { buffersHeld, TRANSFER_THRESHOLD } from '../../../clients/fs/io-buffer.ts';
import { rejectsWith } from '../../fs/conformance/harness.ts';
import { capCount, serverWorld, USER } from '../../fs/server-world.ts';
import { settle } from '../../world-helpers.ts';

const MiB = 1 << 20;
const M = Protid.methods;

/** Distinct bytes, so a misplaced chunk shows. */
function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 12)) & 0xff;
  return b;
}

async function userWorld(opts: Parameters<typeof serverWorld>[0] = {}, memQuota?: number) {
  const w = serverWorld(opts, undefined, memQuota);
  const admin = w.client('admin', { uid: 0, gid: 0 });
  await admin.fs.mkdir('/home', 0o755);
  await admin.fs.chown('/home', USER.uid, USER.gid);
  const user = w.client('user', USER);
  return { w, admin, user };
}

/** The fs server's memory in use (its factory's quota). */
function memUsed(k: Kernel): number {
  return snapshot(k).memory.reduce((n, m) => n + m.used, 0);
}

/** Counts, by method name, of the calls `task` makes while `f` runs, and the largest typed data item it sent or got. */
async function counting<T>(k: Kernel, task: { id: number }, f: () => Promise<T>): Promise<{ value: T; calls: Record<string, number>; largestItem: number }> {
  const names = new Map<number, string>(Object.entries(M).map(([n, d]) => [d.op, n]));
  const calls: Record<string, number> = {};
  let largestItem = 0;
  k.setTracer({
    event(e: TraceEvent) {
      if (e.type !== 'ipc') return;
      const mine = (e.op === 'call' && e.senderTask === task.id) || (e.op === 'reply' && e.receiverTask === task.id);
      if (!mine) return;
      for (const i of e.items) if (i instanceof Uint8Array) largestItem = Math.max(largestItem, i.length);
      if (e.op !== 'call') return;
      const n = names.get(e.label) ?? `label ${e.label}`;
      calls[n] = (calls[n] ?? 0) + 1;
    },
  });
  try {
    const value = await f();
    return { value, calls, largestItem };
  } finally {
    k.setTracer(null);
  }
}

describe('the fs client with transfer buffers', () => {
  it('readFile and writeFile of 1 MiB go through the buffer; small files stay typed items', async () => {
    const { w, user } = await userWorld();
    const data = pattern(MiB + 5);
    const wr = await counting(w.k, user.task, () => user.fs.writeFile('/home/big', data));
    expect(wr.calls.mapBuffer).toBe(1);
    expect(wr.calls.writeBuffer).toBe(2); // 1 MiB, then 5 bytes
    expect(wr.calls.write).toBeUndefined();
    expect(wr.largestItem).toBeLessThan(4096);
    const rd = await counting(w.k, user.task, () => user.fs.readFile('/home/big'));
    expect(Buffer.compare(rd.value, data)).toBe(0);
    // 64 KiB typed (a small file would end there), stat for the size, the rest in one readBuffer.
    expect(rd.calls).toMatchObject({ read: 1, stat: 1, mapBuffer: 1, readBuffer: 1 });
    expect(rd.largestItem).toBe(TRANSFER_THRESHOLD);
    const small = pattern(TRANSFER_THRESHOLD - 1);
    const sw = await counting(w.k, user.task, () => user.fs.writeFile('/home/small', small));
    const sr = await counting(w.k, user.task, () => user.fs.readFile('/home/small'));
    expect(Buffer.compare(sr.value, small)).toBe(0);
    expect(sw.calls.mapBuffer ?? 0).toBe(0);
    expect(sr.calls).toMatchObject({ read: 1 });
    expect(sr.calls.mapBuffer ?? 0).toBe(0);
    // Every buffer went with its open.
    await settle(w.k);
    expect(buffersHeld(user.fs.runner.state)).toBe(0);
    expect(transferTotal(w.fs.fs)).toBe(0);
  });

  it('readFile of a file that grows, shrinks or holds exactly the threshold reads what is there', async () => {
    const { user } = await userWorld();
    for (const n of [TRANSFER_THRESHOLD, TRANSFER_THRESHOLD + 1, 2 * TRANSFER_THRESHOLD, 3 * MiB + 7]) {
      const d = pattern(n, n);
      await user.fs.writeFile('/home/f', d);
      expect(Buffer.compare(await user.fs.readFile('/home/f'), d)).toBe(0);
    }
    // From a handle's offset: FileHandle.readFile reads the rest.
    const h = await user.fs.open('/home/f', 'r+');
    await h.read(Buffer.alloc(100), 0, 100, null);
    const rest = await h.readFile();
    expect(rest.length).toBe(3 * MiB + 7 - 100);
    expect(Buffer.compare(rest, pattern(3 * MiB + 7, 3 * MiB + 7).subarray(100))).toBe(0);
    await h.close();
  });

  it('handle read, write, readv, writev, streams, copyFile and ThreadFs all move large data through the buffer', async () => {
    const { w, user } = await userWorld();
    const data = pattern(2 * MiB + 3);
    const h = await user.fs.open('/home/f', 'w+');
    const wr = await counting(w.k, user.task, () => h.write(data, 0, data.length, 0));
    expect(wr.value.bytesWritten).toBe(data.length);
    expect(wr.calls).toMatchObject({ mapBuffer: 1, writeBuffer: 3 });
    const into = Buffer.alloc(data.length + 10);
    const rd = await counting(w.k, user.task, () => h.read(into, 5, data.length + 5, 0));
    expect(rd.value.bytesRead).toBe(data.length);
    expect(Buffer.compare(into.subarray(5, 5 + data.length), data)).toBe(0);
    expect(rd.calls).toEqual({ readBuffer: 3 }); // the buffer is kept with the open
    const parts = [Buffer.alloc(TRANSFER_THRESHOLD), Buffer.alloc(100), Buffer.alloc(MiB)];
    const rv = await counting(w.k, user.task, () => h.readv(parts, 1));
    expect(rv.value.bytesRead).toBe(TRANSFER_THRESHOLD + 100 + MiB);
    expect(Buffer.compare(Buffer.concat(parts), data.subarray(1, 1 + TRANSFER_THRESHOLD + 100 + MiB))).toBe(0);
    expect(rv.calls).toEqual({ readBuffer: 2, read: 1 });
    const wv = await counting(w.k, user.task, () => h.writev([data.subarray(0, MiB), data.subarray(0, 10)], 0));
    expect(wv.value.bytesWritten).toBe(MiB + 10);
    expect(wv.calls).toEqual({ writeBuffer: 1, write: 1 });
    await h.close();
    // Streams read and write 64 KiB chunks: each a buffer call.
    const big = pattern(MiB, 9);
    const ws = await counting(w.k, user.task, async () => {
      const out = await user.fs.open('/home/s', 'w');
      await pipeline(Readable.from([big.subarray(0, TRANSFER_THRESHOLD), big.subarray(TRANSFER_THRESHOLD)]), out.createWriteStream());
    });
    expect(ws.calls.writeBuffer).toBeGreaterThanOrEqual(2);
    expect(ws.calls.write ?? 0).toBe(0);
    const got: Buffer[] = [];
    const rs = await counting(w.k, user.task, async () => {
      const src = await user.fs.open('/home/s', 'r');
      await pipeline(src.createReadStream(), new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) }));
    });
    expect(Buffer.compare(Buffer.concat(got), big)).toBe(0);
    expect(rs.calls.readBuffer).toBe(MiB / TRANSFER_THRESHOLD + 1);
    expect(rs.calls.read ?? 0).toBe(0);
    // copyFile: read through the source's buffer, written through the destination's.
    const cp = await counting(w.k, user.task, () => user.fs.copyFile('/home/s', '/home/copy'));
    expect(cp.calls).toMatchObject({ readBuffer: 2, writeBuffer: 1, mapBuffer: 2 });
    expect(Buffer.compare(await user.fs.readFile('/home/copy'), big)).toBe(0);
    // In a kernel thread of the client (ThreadFs).
    const tf = await counting(w.k, user.task, () =>
      w.k.exec(user.task, function* (sys: Sys): SysGen<string> {
        const fs = new ThreadFs(sys, user.fs);
        const fd = yield* fs.open('/home/t', 0o102); // O_RDWR | O_CREAT
        if (!fd.ok) return fd.error.code;
        const wrote = yield* fs.write(fd.value, big, 0);
        const back = yield* fs.read(fd.value, MiB, 0);
        fs.close(fd.value);
        return wrote.ok && back.ok && back.value.length === MiB && Buffer.compare(Buffer.from(back.value), big) === 0 ? 'ok' : 'mismatch';
      }),
    );
    expect(tf.value).toBe('ok');
    expect(tf.calls).toMatchObject({ mapBuffer: 1, writeBuffer: 1, readBuffer: 1 });
    expect(tf.largestItem).toBeLessThan(4096);
    await settle(w.k);
    expect(transferTotal(w.fs.fs)).toBe(0);
  });

  it('appends through the buffer land at the end; the open offset moves as with io.write', async () => {
    const { user } = await userWorld();
    await user.fs.writeFile('/home/log', 'head');
    const chunk = pattern(MiB, 3);
    await user.fs.appendFile('/home/log', chunk);
    const h = await user.fs.open('/home/log', 'a+');
    await h.write(chunk, 0, chunk.length, 0); // O_APPEND: the position is ignored
    await h.close();
    const all = await user.fs.readFile('/home/log');
    expect(all.length).toBe(4 + 2 * MiB);
    expect(Buffer.compare(all, Buffer.concat([Buffer.from('head'), chunk, chunk]))).toBe(0);
    const g = await user.fs.open('/home/log', 'r');
    const a = Buffer.alloc(MiB);
    await g.read(a, 0, MiB, null);
    const b = Buffer.alloc(10);
    await g.read(b, 0, 10, null);
    expect(Buffer.compare(b, all.subarray(MiB, MiB + 10))).toBe(0);
    await g.close();
  });

  it('the same permission checks: a read-only open cannot write through the buffer, a write-only one cannot read', async () => {
    const { w, user } = await userWorld();
    const orig = pattern(MiB, 4);
    await user.fs.writeFile('/home/f', orig);
    const ro = await user.fs.open('/home/f', 'r');
    await ro.read(Buffer.alloc(MiB), 0, MiB, 0); // maps the open's buffer (read-only)
    expect(buffersHeld(user.fs.runner.state)).toBe(1);
    const attempt = await counting(w.k, user.task, () => rejectsWith(ro.write(Buffer.alloc(MiB, 0xee), 0, MiB, 0), { code: 'EBADF', syscall: 'write' }));
    // Nothing went through the read-only mapping; io.write said EBADF as it would anyway.
    expect(attempt.calls.writeBuffer ?? 0).toBe(0);
    expect(attempt.calls.write).toBe(1);
    await ro.close();
    const wo = await user.fs.open('/home/f', 'r+');
    await wo.close();
    const wonly = await user.fs.open('/home/f', 'w'); // truncates
    await wonly.write(orig, 0, MiB, 0);
    await rejectsWith(wonly.read(Buffer.alloc(MiB), 0, MiB, 0), { code: 'EBADF', syscall: 'read' });
    await wonly.close();
    expect(Buffer.compare(await user.fs.readFile('/home/f'), orig)).toBe(0);
    // Another user's read-only file: EACCES at the open, before any buffer.
    await user.fs.chmod('/home/f', 0o600);
    const other = w.client('other', { uid: 2000, gid: 2000 });
    await rejectsWith(other.fs.readFile('/home/f'), { code: 'EACCES', syscall: 'open', path: '/home/f' });
  });

  it('the buffer goes with close (the server keeps it for the next open) and with the client task', async () => {
    const { w, user } = await userWorld();
    await settle(w.k);
    const mem0 = memUsed(w.k);
    const base = capCount(user.task);
    const h = await user.fs.open('/home/f', 'w+');
    await h.write(pattern(MiB), 0, MiB, 0);
    expect(buffersHeld(user.fs.runner.state)).toBe(1);
    expect(capCount(user.task)).toBe(base + 2); // the port and the buffer cap
    expect(memUsed(w.k)).toBe(mem0 + MiB);
    await h.close();
    expect(capCount(user.task)).toBe(base);
    expect(buffersHeld(user.fs.runner.state)).toBe(0);
    await settle(w.k);
    expect(transferTotal(w.fs.fs)).toBe(0);
    expect(transferPooled(w.fs.fs)).toBe(MiB);
    expect(memUsed(w.k)).toBe(mem0 + MiB);
    // A client that dies holding buffers: the server lets go of them (the 1 MiB one is
    // the one kept above, reused).
    const doomed = w.client('doomed', USER);
    const d1 = await doomed.fs.open('/home/f', 'r');
    const d2 = await doomed.fs.open('/home/f', 'r+');
    await d1.read(Buffer.alloc(MiB), 0, MiB, 0);
    await d2.write(pattern(TRANSFER_THRESHOLD), 0, TRANSFER_THRESHOLD, 0);
    expect(transferTotal(w.fs.fs)).toBe(MiB + TRANSFER_THRESHOLD);
    expect(transferPooled(w.fs.fs)).toBe(0);
    expect(memUsed(w.k)).toBe(mem0 + MiB + TRANSFER_THRESHOLD);
    w.k.deleteTask(doomed.task);
    await settle(w.k);
    expect(transferTotal(w.fs.fs)).toBe(0);
    expect(transferPooled(w.fs.fs)).toBe(MiB + TRANSFER_THRESHOLD);
    expect(memUsed(w.k)).toBe(mem0 + MiB + TRANSFER_THRESHOLD);
  });

  it('a call that finds the open\'s buffer in use takes typed items: neither sees the other\'s bytes', async () => {
    const { w, user } = await userWorld();
    const data = pattern(4 * MiB, 7);
    await user.fs.writeFile('/home/f', data);
    let fd = 0;
    await w.k.exec(user.task, function* (sys: Sys): SysGen<void> {
      const r = yield* new ThreadFs(sys, user.fs).open('/home/f', 2); // O_RDWR
      if (r.ok) fd = r.value;
    });
    const read2m = (pos: number) =>
      function* (sys: Sys): SysGen<Uint8Array | string> {
        const r = yield* new ThreadFs(sys, user.fs).read(fd, 2 * MiB, pos);
        return r.ok ? r.value : r.error.code;
      };
    // While the first read waits for its first io.readBuffer, a higher-priority thread of
    // the client reads the other half of the file through the same open: it runs as soon
    // as the server answers, before the first read has copied its bytes out.
    const calls: string[] = [];
    let second: Promise<Uint8Array | string> | null = null;
    w.k.setTracer({
      event(e: TraceEvent) {
        if (e.type !== 'ipc' || e.op !== 'call' || e.senderTask !== user.task.id) return;
        const name = Object.entries(M).find(([, d]) => d.op === e.label)?.[0] ?? '?';
        calls.push(name);
        if (second === null && name === 'readBuffer') second = w.k.exec(user.task, read2m(2 * MiB), { priority: 120 });
      },
    });
    const first = await w.k.exec(user.task, read2m(0));
    const other = await second!;
    w.k.setTracer(null);
    expect(calls).toEqual(['mapBuffer', 'readBuffer', 'read', 'readBuffer', 'read']);
    expect(Buffer.compare(Buffer.from(first as Uint8Array), data.subarray(0, 2 * MiB))).toBe(0);
    expect(Buffer.compare(Buffer.from(other as Uint8Array), data.subarray(2 * MiB))).toBe(0);
    await w.k.exec(user.task, function* (sys: Sys): SysGen<void> {
      new ThreadFs(sys, user.fs).close(fd);
    });
    expect(buffersHeld(user.fs.runner.state)).toBe(0);
  });

  it('falls back to io.read / io.write: a trivfs translator (EOPNOTSUPP, asked once per open)', async () => {
    const { w, user } = await userWorld({ registry: defaultRegistry().register('zero', devZero) });
    await user.fs.writeFile('/home/zero', '');
    await settrans(user.fs, '/home/zero', ['zero']);
    const h = await user.fs.open('/home/zero', 'r+');
    const r = await counting(w.k, user.task, async () => {
      const buf = Buffer.alloc(MiB + 1, 1);
      const got = await h.read(buf, 0, MiB + 1, 0);
      const again = await h.read(buf, 0, MiB, 0);
      const wrote = await h.write(Buffer.alloc(2 * MiB), 0, 2 * MiB, 0);
      return [got.bytesRead, again.bytesRead, wrote.bytesWritten, buf.every((x) => x === 0)];
    });
    await h.close();
    expect(r.value).toEqual([MiB + 1, MiB, 2 * MiB, true]);
    expect(r.calls.mapBuffer).toBe(1);
    expect(r.calls.readBuffer ?? 0).toBe(0);
    expect(r.calls.read).toBe(3);
    expect(r.calls.write).toBe(2);
    expect(r.largestItem).toBe(IO_MAX);
  });

  it('falls back when the server has no memory (ENOMEM) and, at the client\'s bound (ENOBUFS), until a buffer is let go', async () => {
    const none = await userWorld({}, 0);
    const data = pattern(MiB + 1);
    await none.user.fs.writeFile('/home/f', data);
    expect(Buffer.compare(await none.user.fs.readFile('/home/f'), data)).toBe(0);
    const bounded = await userWorld({ clientLimits: { maxTransferBytes: MiB } });
    const fs = bounded.user.fs;
    await fs.writeFile('/home/f', data);
    const a = await fs.open('/home/f', 'r');
    const b = await fs.open('/home/f', 'r');
    const into = Buffer.alloc(MiB);
    await a.read(into, 0, MiB, 0);
    const r1 = await counting(bounded.w.k, bounded.user.task, () => b.read(into, 0, MiB, 1));
    expect(r1.calls).toEqual({ mapBuffer: 1, read: 1 });
    expect(Buffer.compare(into, data.subarray(1, MiB + 1))).toBe(0);
    await a.close();
    await settle(bounded.w.k);
    // ENOBUFS was not remembered: b asks again and gets one.
    const r2 = await counting(bounded.w.k, bounded.user.task, () => b.read(into, 0, MiB, 0));
    expect(r2.calls).toEqual({ mapBuffer: 1, readBuffer: 1 });
    await b.close();
  });
});
