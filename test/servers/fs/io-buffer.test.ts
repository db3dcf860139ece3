// The filesystem's transfer buffers (io.mapBuffer, io.readBuffer, io.writeBuffer):
// bytes moved through a dataspace mapped in both tasks, the same permission checks as
// io.read and io.write, the per-client bound and the server's memory quota, revoke on
// close and on the client's death, a hostile client's moves, and every declared error.

import { describe, expect, it } from 'vitest';
import { Rights, snapshot } from '../../../core/index.ts';
import { IO_BUFFER_MAX, O } from '../../../protocol/fs.ts';
import { forgetTransferPools, TRANSFER_POOL_BYTES, transferPooled, transferTotal } from '../../../servers/fs/io-buffer.ts';
import { TranslatorRegistry } from '../../../servers/fs/translator.ts';
import { trivfs } from '../../../servers/fs/trivfs.ts';
import { errorOf, fsWorld, must } from './harness.ts';

const MiB = 1 << 20;

async function setup(content = '0123456789', opts = {}, memQuota?: number) {
  const w = await fsWorld({ maxFileSize: 16 * MiB, ...opts }, memQuota === undefined ? {} : { memQuota });
  const c = w.client('alice');
  await c.writeFile('/f', content);
  return { w, c };
}

/** The fs task's memory in use (its factory's quota). */
function fsMemUsed(w: Awaited<ReturnType<typeof setup>>['w']): number {
  return snapshot(w.k).memory.reduce((n, m) => n + m.used, 0);
}

describe('transfer buffers', () => {
  it('reads and writes move through the mapped buffer, one RPC each, with the open offset', async () => {
    const { w, c } = await setup();
    const f = c.protid(await c.open('f', O.RDWR));
    const { buffer, size } = await f.mapBuffer({ size: 10_000 });
    expect(size).toBe(12_288);
    const v = w.k.map(c.task, buffer, { rights: Rights.Read | Rights.Write });
    expect((await f.readBuffer({ amount: 4 })).amount).toBe(4);
    expect(Buffer.from(v.bytes(0, 4)).toString()).toBe('0123');
    expect((await f.readBuffer({ amount: 100, offset: 8 })).amount).toBe(2);
    expect(Buffer.from(v.bytes(0, 2)).toString()).toBe('89');
    v.write(0, Buffer.from('ABC'));
    expect((await f.writeBuffer({ amount: 3 })).amount).toBe(3);
    expect(await c.readFile('f')).toBe('0123ABC789');
    expect((await f.writeBuffer({ amount: 1, offset: 12 })).amount).toBe(1);
    expect([...(await f.read({ amount: 20, offset: 9 })).data]).toEqual([57, 0, 0, 65]);
    // Asked again: the same buffer, charged once.
    const again = await f.mapBuffer({ size: 4096 });
    expect(again.size).toBe(12_288);
    expect(transferTotal(w.fs.fs)).toBe(12_288);
  });

  it('a whole 1 MiB moves in one call each way; reads are bounded by the buffer and the file', async () => {
    const big = Buffer.alloc(MiB + 100, 7);
    const { w, c } = await setup('');
    const f = c.protid(await c.open('f', O.RDWR));
    const { buffer } = await f.mapBuffer({ size: IO_BUFFER_MAX });
    const v = w.k.map(c.task, buffer);
    v.write(0, big.subarray(0, MiB));
    expect((await f.writeBuffer({ amount: MiB, offset: 0 })).amount).toBe(MiB);
    expect((await f.readBuffer({ amount: 0xffff_ffff, offset: 0 })).amount).toBe(MiB);
    expect((await f.readBuffer({ amount: 10, offset: 5 * MiB })).amount).toBe(0);
    expect(v.bytes(MiB - 1, 1)[0]).toBe(7);
  });

  it('the same permission checks as io.read and io.write', async () => {
    const { w, c } = await setup();
    const ro = c.protid(await c.open('f', O.RDONLY));
    const rob = await ro.mapBuffer({ size: 4096 });
    expect(errorOf(await ro.attempt.writeBuffer({ amount: 1 }))).toBe('EBADF');
    // A read-only open's cap maps only read-only: the client cannot even fill the buffer.
    const id = w.k.map(c.task, rob.buffer, { rights: Rights.Read | Rights.Write });
    expect(id.rights & (Rights.Write | Rights.Grant)).toBe(0);
    expect(() => id.write(0, new Uint8Array(1))).toThrow(/rights/);
    const wo = c.protid(await c.open('f', O.WRONLY));
    expect(w.k.map(c.task, (await wo.mapBuffer({ size: 4096 })).buffer).rights).toBe(Rights.Read | Rights.Write);
    expect(errorOf(await wo.attempt.readBuffer({ amount: 1 }))).toBe('EBADF');
    const path = c.protid(await c.open('f', O.PATH));
    expect(errorOf(await path.attempt.mapBuffer({ size: 4096 }))).toBe('EBADF');
    await c.root.mkdir({ name: 'd', mode: 0o755 });
    const d = c.protid(await c.open('d', O.RDONLY));
    await d.mapBuffer({ size: 4096 });
    expect(errorOf(await d.attempt.readBuffer({ amount: 1 }))).toBe('EISDIR');
  });

  it('EINVAL: no buffer yet, a size of 0 or past IO_BUFFER_MAX, a write past the buffer, a bad offset', async () => {
    const { c } = await setup();
    const f = c.protid(await c.open('f', O.RDWR));
    expect(errorOf(await f.attempt.readBuffer({ amount: 1 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.writeBuffer({ amount: 1 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.mapBuffer({ size: 0 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.mapBuffer({ size: IO_BUFFER_MAX + 1 }))).toBe('EINVAL');
    await f.mapBuffer({ size: 4096 });
    expect(errorOf(await f.attempt.writeBuffer({ amount: 4097 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.readBuffer({ amount: 1, offset: -1 }))).toBe('EINVAL');
    expect(errorOf(await f.attempt.writeBuffer({ amount: 1, offset: 0.5 }))).toBe('EINVAL');
  });

  it('ENOSPC, EFBIG and EROFS as io.write', async () => {
    const small = await setup('', { quota: 8192 });
    const f = small.c.protid(await small.c.open('f', O.RDWR));
    await f.mapBuffer({ size: 65536 });
    expect(errorOf(await f.attempt.writeBuffer({ amount: 65536 }))).toBe('ENOSPC');
    const capped = await setup('', { maxFileSize: 100 });
    const g = capped.c.protid(await capped.c.open('f', O.RDWR));
    await g.mapBuffer({ size: 4096 });
    expect(errorOf(await g.attempt.writeBuffer({ amount: 101 }))).toBe('EFBIG');
    const ro = await setup('');
    const h = ro.c.protid(await ro.c.open('f', O.RDWR));
    await h.mapBuffer({ size: 4096 });
    ro.w.fs.fs.readonly = true; // as a forced switch to read-only leaves a write open
    expect(errorOf(await h.attempt.writeBuffer({ amount: 1 }))).toBe('EROFS');
  });

  it('ENOBUFS past the per-client bound (others unaffected), ENOMEM when the server quota is spent', async () => {
    const { w, c } = await setup('x', { clientLimits: { maxTransferBytes: 2 * MiB } });
    const a = c.protid(await c.open('f'));
    const b = c.protid(await c.open('f'));
    const third = await c.open('f');
    await a.mapBuffer({ size: MiB });
    await b.mapBuffer({ size: MiB });
    expect(errorOf(await c.protid(third).attempt.mapBuffer({ size: 4096 }))).toBe('ENOBUFS');
    const bob = w.client('bob');
    must(await bob.protid(await bob.open('f')).attempt.mapBuffer({ size: MiB }));
    expect(transferTotal(w.fs.fs)).toBe(3 * MiB);
    const tiny = await setup('x', {}, 8192);
    const t = tiny.c.protid(await tiny.c.open('f'));
    await t.mapBuffer({ size: 8192 });
    const u = tiny.c.protid(await tiny.c.open('f'));
    expect(errorOf(await u.attempt.mapBuffer({ size: 4096 }))).toBe('ENOMEM');
  });

  it('closing the open revokes the client\'s mapping and refunds the memory; so does the client dying', async () => {
    const { w, c } = await setup();
    const before = fsMemUsed(w);
    const slot = await c.open('f');
    const { buffer } = await c.protid(slot).mapBuffer({ size: MiB });
    const v = w.k.map(c.task, buffer);
    expect(fsMemUsed(w)).toBe(before + MiB);
    c.drop(slot);
    await w.settle();
    expect(v.live).toBe(false);
    expect(() => v.bytes(0, 1)).toThrow(/unmapped/);
    // Kept for the next open (TRANSFER_POOL_BYTES), charged to nobody.
    expect(transferTotal(w.fs.fs)).toBe(0);
    expect(transferPooled(w.fs.fs)).toBe(MiB);
    expect(fsMemUsed(w)).toBe(before + MiB);
    // A client that dies with buffers mapped: the server lets go of them.
    const d = w.client('doomed');
    const ds = await d.protid(await d.open('f')).mapBuffer({ size: MiB });
    const ds2 = await d.protid(await d.open('f')).mapBuffer({ size: MiB });
    w.k.map(d.task, ds.buffer);
    w.k.map(d.task, ds2.buffer);
    expect(transferPooled(w.fs.fs)).toBe(0);
    expect(fsMemUsed(w)).toBe(before + 2 * MiB);
    w.k.deleteTask(d.task);
    await w.settle();
    expect(transferTotal(w.fs.fs)).toBe(0);
    expect(transferPooled(w.fs.fs)).toBe(2 * MiB);
    // Past the pool's bound a released buffer is freed: the memory goes back to the quota.
    const e = w.client('many');
    const slots = [];
    for (let i = 0; i < 6; i++) {
      const s = await e.open('f');
      await e.protid(s).mapBuffer({ size: MiB });
      slots.push(s);
    }
    expect(fsMemUsed(w)).toBe(before + 6 * MiB);
    for (const s of slots) e.drop(s);
    await w.settle();
    expect(transferPooled(w.fs.fs)).toBe(TRANSFER_POOL_BYTES);
    expect(fsMemUsed(w)).toBe(before + TRANSFER_POOL_BYTES);
    // Leak checks empty the pools first (tools/fuzz).
    expect(forgetTransferPools(w.k)).toBe(TRANSFER_POOL_BYTES / MiB);
    expect(transferPooled(w.fs.fs)).toBe(0);
    expect(fsMemUsed(w)).toBe(before);
  });

  it('a kept buffer comes back zeroed, to another client, with that open\'s rights; kept buffers give way when the quota is spent', async () => {
    const { w, c } = await setup('secret', {}, 2 * MiB);
    const fslot = await c.open('f', O.RDWR);
    const f = c.protid(fslot);
    const { buffer } = await f.mapBuffer({ size: MiB });
    const v = w.k.map(c.task, buffer);
    expect((await f.readBuffer({ amount: 6, offset: 0 })).amount).toBe(6);
    v.write(100, Buffer.from('scribble'));
    c.drop(fslot);
    await w.settle();
    expect(transferPooled(w.fs.fs)).toBe(MiB);
    const bob = w.client('bob');
    const gslot = await bob.open('f', O.RDONLY);
    const again = await bob.protid(gslot).mapBuffer({ size: MiB });
    expect(transferPooled(w.fs.fs)).toBe(0);
    const u = w.k.map(bob.task, again.buffer);
    expect(u.dataspace).toBe(v.dataspace);
    expect(u.rights & Rights.Write).toBe(0);
    expect(u.bytes(0, MiB).every((b) => b === 0)).toBe(true);
    bob.drop(gslot);
    await w.settle();
    // A 1 MiB buffer kept and the quota 2 MiB: 512 KiB fits beside it, 768 KiB more needs it back.
    expect(transferPooled(w.fs.fs)).toBe(MiB);
    const h1 = c.protid(await c.open('f'));
    must(await h1.attempt.mapBuffer({ size: 512 * 1024 }));
    expect(transferPooled(w.fs.fs)).toBe(MiB);
    const h2 = c.protid(await c.open('f'));
    must(await h2.attempt.mapBuffer({ size: 768 * 1024 }));
    expect(transferPooled(w.fs.fs)).toBe(0);
    expect(transferTotal(w.fs.fs)).toBe(512 * 1024 + 768 * 1024);
  });

  it('a hostile client: unmapping, deleting or revoking its side mid-use and huge lengths do not hurt the server', async () => {
    const { w, c } = await setup('hello world');
    const f = c.protid(await c.open('f', O.RDWR));
    const { buffer } = await f.mapBuffer({ size: 4096 });
    const v = w.k.map(c.task, buffer);
    await w.k.exec(c.task, function* (sys) {
      expect(sys.unmap(v.vaddr)).toBe(0);
      expect(sys.revoke(buffer)).toBe(0);
    });
    expect((await f.readBuffer({ amount: 0xffff_ffff })).amount).toBe(11);
    expect((await f.writeBuffer({ amount: 3, offset: 100 })).amount).toBe(3);
    c.drop(buffer);
    expect((await f.readBuffer({ amount: 5, offset: 0 })).amount).toBe(5);
    // A fresh cap maps the same buffer again.
    const again = await f.mapBuffer({ size: 4096 });
    expect(Buffer.from(w.k.map(c.task, again.buffer).bytes(0, 5)).toString()).toBe('hello');
  });

  it('servers without the fast path answer EOPNOTSUPP (trivfs, netfs)', async () => {
    const reg = new TranslatorRegistry([['bare', (env) => trivfs(env, { name: 'bare', mode: 0o666, allowWrite: true, size: () => 10 })]]);
    const w = await fsWorld({ registry: reg, root: { mode: 0o777 } });
    const c = w.client('root');
    await c.writeFile('n', '');
    await c.protid(await c.open('n', O.PATH | O.NOTRANS)).setTranslator({ passive: ['bare'], flags: 0 });
    const f = c.protid(await c.open('n', O.RDWR));
    expect(errorOf(await f.attempt.mapBuffer({ size: 4096 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.readBuffer({ amount: 1 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await f.attempt.writeBuffer({ amount: 1 }))).toBe('EOPNOTSUPP');
  });
});
