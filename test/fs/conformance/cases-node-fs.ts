// Conformance cases for what lies beyond fs.promises' plain calls: FileHandle readv,
// writev, streams, readLines and readableWebStream; the node:fs object's callback forms,
// numeric descriptors and streams (with backpressure through pipeline); Stats and Dirent
// passing Node's instanceof checks; and AbortSignal's AbortError.

import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import { pattern, rejectsWith, type Cases } from './harness.ts';

/** Call a callback-style function; resolve with the callback's arguments after the error. */
function cb<T extends unknown[]>(f: (...args: never[]) => unknown, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    (f as (...a: unknown[]) => unknown)(...args, (err: Error | null, ...rest: unknown[]) => (err ? reject(err) : resolve(rest as T)));
  });
}

export function handleExtraCases(t: Cases): void {
  t('readv and writev, at a position and at the offset', async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'w+');
    const w = await h.writev([Buffer.from('ab'), Buffer.from('cde'), Buffer.alloc(0), Buffer.from('f')]);
    expect(w.bytesWritten).toBe(6);
    await h.writev([Buffer.from('XY')], 1);
    const a = Buffer.alloc(2);
    const b = Buffer.alloc(10);
    const r = await h.readv([a, b], 0);
    expect(r.bytesRead).toBe(6);
    expect(a.toString() + b.subarray(0, 4).toString()).toBe('aXYdef');
    expect(r.buffers[0]).toBe(a);
    await h.close();
  });
  t('createReadStream: start and end (inclusive); the handle closes with the stream', async ({ fs, p }) => {
    await fs.writeFile(p('f'), '0123456789');
    const h = await fs.open(p('f'));
    const chunks: Buffer[] = [];
    for await (const c of h.createReadStream({ start: 2, end: 5 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('2345');
    expect(h.fd).toBe(-1);
  });
  t('createWriteStream writes through the handle; readLines reads lines', async ({ fs, p }) => {
    const h = await fs.open(p('f'), 'w');
    const ws = h.createWriteStream();
    await pipeline(Readable.from(['one\n', 'two\r\n', 'three']), ws);
    expect(await fs.readFile(p('f'), 'utf8')).toBe('one\ntwo\r\nthree');
    const r = await fs.open(p('f'));
    const lines: string[] = [];
    for await (const line of r.readLines()) lines.push(line);
    expect(lines).toEqual(['one', 'two', 'three']);
  });
  t('readableWebStream gives the bytes', async ({ fs, p }) => {
    const data = pattern(200_000);
    await fs.writeFile(p('f'), data);
    const h = await fs.open(p('f'));
    const parts: Uint8Array[] = [];
    const reader = (h as unknown as { readableWebStream(): ReadableStream<Uint8Array | ArrayBuffer> }).readableWebStream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value instanceof ArrayBuffer ? new Uint8Array(value) : value);
    }
    reader.releaseLock();
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
    await h.close();
  });
}

export function nodeFsCases(t: Cases): void {
  t('callback forms: writeFile, readFile, stat, readdir, mkdir, unlink', async ({ nodeFs: f, p }) => {
    await cb(f.mkdir, p('d'));
    await cb(f.writeFile, p('d/x'), 'hello');
    const [text] = await cb<[string]>(f.readFile, p('d/x'), 'utf8');
    expect(text).toBe('hello');
    const [st] = await cb<[nodeFs.Stats]>(f.stat, p('d/x'));
    expect(st.size).toBe(5);
    const [list] = await cb<[string[]]>(f.readdir, p('d'));
    expect(list).toEqual(['x']);
    await cb(f.unlink, p('d/x'));
    const [after] = await cb<[string[]]>(f.readdir, p('d'));
    expect(after).toEqual([]);
  });
  t("a callback's error has Node's shape", async ({ nodeFs: f, p }) => {
    await rejectsWith(cb(f.stat, p('none')), { code: 'ENOENT', syscall: 'stat', path: p('none') });
    await rejectsWith(cb(f.readFile, p('none')), { code: 'ENOENT', syscall: 'open', path: p('none') });
  });
  t('a path of the wrong type is thrown at once, not given to the callback', async ({ nodeFs: f, p }) => {
    const called: unknown[] = [];
    const never = (e: unknown): void => void called.push(e);
    expect(() => f.stat(123 as never, never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => f.rename(p('a'), {} as never, never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => f.readFile(p('a\0b'), never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toEqual([]);
  });
  t('the callback runs after the call returns, never inside it', async ({ nodeFs: f, p }) => {
    await cb(f.writeFile, p('x'), '');
    let returned = false;
    const order = await new Promise<boolean>((resolve) => {
      f.stat(p('x'), () => resolve(returned));
      returned = true;
    });
    expect(order).toBe(true);
  });
  t('descriptors: open, write, read, fstat, close; EBADF after close', async ({ nodeFs: f, p }) => {
    const [fd] = await cb<[number]>(f.open, p('f'), 'w+');
    expect(typeof fd).toBe('number');
    const [written] = await cb<[number]>(f.write, fd, Buffer.from('hello'), 0, 5, 0);
    expect(written).toBe(5);
    const buf = Buffer.alloc(5);
    const [n, same] = await cb<[number, Buffer]>(f.read, fd, buf, 0, 5, 0);
    expect(n).toBe(5);
    expect(same).toBe(buf);
    expect(buf.toString()).toBe('hello');
    const [st] = await cb<[nodeFs.Stats]>(f.fstat, fd);
    expect(st.size).toBe(5);
    await cb(f.close, fd);
    await rejectsWith(cb(f.fstat, fd), { code: 'EBADF', syscall: 'fstat' });
  });
  t('exists answers a boolean', async ({ nodeFs: f, p }) => {
    await cb(f.writeFile, p('x'), '');
    const yes = await new Promise<boolean>((resolve) => f.exists(p('x'), resolve));
    const no = await new Promise<boolean>((resolve) => f.exists(p('none'), resolve));
    expect([yes, no]).toEqual([true, false]);
  });
  t('createReadStream and createWriteStream: a pipeline with backpressure copies every byte', async ({ nodeFs: f, p }) => {
    const data = Buffer.from(pattern(300_000));
    await cb(f.writeFile, p('src'), data);
    const ws = f.createWriteStream(p('dst'), { highWaterMark: 1024 });
    let opened = -1;
    ws.on('open', (fd: number) => (opened = fd));
    // A slow middle stage: the reader must wait for it.
    let maxBuffered = 0;
    const rs = f.createReadStream(p('src'), { highWaterMark: 4096 });
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _e, done) {
        maxBuffered = Math.max(maxBuffered, rs.readableLength);
        ws.write(chunk) ? done() : ws.once('drain', () => done());
      },
      final(done) {
        ws.end(done);
      },
    });
    await pipeline(rs, slow);
    await new Promise((resolve) => (ws.closed ? resolve(null) : ws.once('close', () => resolve(null))));
    expect(opened).not.toBe(-1);
    expect(ws.bytesWritten).toBe(data.length);
    expect(rs.bytesRead).toBe(data.length);
    expect(maxBuffered).toBeLessThanOrEqual(4096);
    const [copy] = await cb<[Buffer]>(f.readFile, p('dst'));
    expect(copy.equals(data)).toBe(true);
  });
  t("createReadStream of a missing file: 'error' with open's ENOENT", async ({ nodeFs: f, p }) => {
    const rs = f.createReadStream(p('none'));
    const err = await new Promise<Error>((resolve) => rs.on('error', resolve));
    await rejectsWith(Promise.reject(err), { code: 'ENOENT', syscall: 'open', path: p('none') });
  });
  t('createWriteStream with start writes in place', async ({ nodeFs: f, p }) => {
    await cb(f.writeFile, p('f'), 'abcdef');
    const ws = f.createWriteStream(p('f'), { flags: 'r+', start: 2 });
    await new Promise((resolve, reject) => ws.end('XY', () => resolve(null)).on('error', reject));
    await new Promise((resolve) => (ws.closed ? resolve(null) : ws.once('close', () => resolve(null))));
    const [text] = await cb<[string]>(f.readFile, p('f'), 'utf8');
    expect(text).toBe('abXYef');
  });
}

export function instanceofCases(t: Cases): void {
  t('Stats are fs.Stats, Dirents are fs.Dirent; BigIntStats are not fs.Stats', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    expect(await fs.stat(p('f'))).toBeInstanceOf(nodeFs.Stats);
    expect(await fs.lstat(p('f'))).toBeInstanceOf(nodeFs.Stats);
    const h = await fs.open(p('f'));
    expect(await h.stat()).toBeInstanceOf(nodeFs.Stats);
    await h.close();
    const big = await (fs.stat as unknown as (p: string, o: { bigint: true }) => Promise<unknown>)(p('f'), { bigint: true });
    expect(big instanceof nodeFs.Stats).toBe(false);
    for (const d of await fs.readdir(p(''), { withFileTypes: true })) expect(d).toBeInstanceOf(nodeFs.Dirent);
    const dir = await fs.opendir(p(''));
    expect(await dir.read()).toBeInstanceOf(nodeFs.Dirent);
    await dir.close();
  });
}

export function abortCases(t: Cases): void {
  t('an aborted signal: readFile and writeFile reject with AbortError', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const ac = new AbortController();
    ac.abort();
    for (const op of [
      () => fs.readFile(p('f'), { signal: ac.signal } as never),
      () => fs.writeFile(p('f'), 'y', { signal: ac.signal } as never),
    ]) {
      const e = (await op().then(
        () => null,
        (err: unknown) => err,
      )) as { name?: string; code?: string } | null;
      expect({ name: e?.name, code: e?.code }).toEqual({ name: 'AbortError', code: 'ABORT_ERR' });
    }
    expect(await fs.readFile(p('f'), 'utf8')).toBe('x');
  });
}

export function statfsCases(t: Cases): void {
  t('the figures of the filesystem: sizes in blocks, free within total', async ({ fs, p }) => {
    await fs.writeFile(p('f'), 'x');
    const s = await fs.statfs(p('f'));
    for (const k of ['type', 'bsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree'] as const) expect(typeof s[k], k).toBe('number');
    expect(s.bsize).toBeGreaterThan(0);
    expect(s.bfree).toBeLessThanOrEqual(s.blocks);
    expect(s.bavail).toBeLessThanOrEqual(s.bfree);
    expect(s.ffree).toBeLessThanOrEqual(s.files);
    const big = await (fs.statfs as unknown as (p: string, o: { bigint: true }) => Promise<Record<string, unknown>>)(p(''), { bigint: true });
    expect(typeof big.blocks).toBe('bigint');
  });
  t('ENOENT for a missing name (statfs)', async ({ fs, p }) => {
    await rejectsWith(fs.statfs(p('none')), { code: 'ENOENT', syscall: 'statfs', path: p('none') });
  });
}
