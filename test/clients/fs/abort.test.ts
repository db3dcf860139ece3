// Cancellation: an operation given a signal (readFile, writeFile, ...) or made through
// client.withSignal(signal) is cancelled in flight, not only checked at its start: the
// server sees its call cancelled, the operation rejects with Node's AbortError, and no
// port is left behind. Over the scripted server, whose lookups can hang forever.

import { describe, expect, it } from 'vitest';
import { capCount } from '../../world-helpers.ts';
import { createNodeFs } from '../../../clients/fs/index.ts';
import { mockWorld } from './mock-fs.ts';

/** Settle until the mock holds `n` hung lookups (bounded). */
async function hungCalls(w: ReturnType<typeof mockWorld>, n: number): Promise<void> {
  for (let i = 0; i < 200 && w.hung.length < n; i++) await w.k.settle();
  expect(w.hung.length).toBe(n);
}

describe('AbortSignal', () => {
  it('readFile and writeFile with a signal: cancelled while the server holds the call', async () => {
    const w = mockWorld(() => 'hang');
    const fs = w.client({ timeout: Number.POSITIVE_INFINITY });
    const baseline = capCount(w.task);
    for (const op of [
      (signal: AbortSignal) => fs.readFile('/f', { signal }),
      (signal: AbortSignal) => fs.writeFile('/f', 'data', { signal }),
    ]) {
      const ac = new AbortController();
      const before = w.hung.length;
      const p = op(ac.signal);
      await hungCalls(w, before + 1);
      const call = w.hung[before]!;
      expect(call.signal.aborted).toBe(false);
      ac.abort(new Error('stop'));
      const e = (await p.then(
        () => null,
        (err: unknown) => err,
      )) as (Error & { code?: string; cause?: unknown }) | null;
      expect({ name: e?.name, code: e?.code, message: e?.message }).toEqual({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted' });
      expect((e?.cause as Error).message).toBe('stop');
      // The server was told: its call's signal fired.
      expect(call.signal.aborted).toBe(true);
    }
    await w.k.settle();
    expect(capCount(w.task)).toBe(baseline);
  });

  it('withSignal: every call of the view (and of handles it opens) is cancelled; the client itself is not', async () => {
    const w = mockWorld(() => 'hang');
    const fs = w.client({ timeout: Number.POSITIVE_INFINITY });
    const ac = new AbortController();
    const view = fs.withSignal(ac.signal);
    const calls = [view.stat('/a'), view.readdir('/b'), view.access('/c'), view.open('/d')];
    const plain = fs.stat('/e');
    await hungCalls(w, 5);
    ac.abort();
    for (const c of calls) await expect(c).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    // Only the view's calls were cancelled.
    expect(w.hung.map((d) => d.signal.aborted)).toEqual([true, true, true, true, false]);
    // A view of an aborted signal fails at once, without calling anything.
    await expect(view.stat('/f')).rejects.toMatchObject({ name: 'AbortError' });
    expect(w.hung.length).toBe(5);
    void plain.catch(() => {});
  });

  it('the node:fs object over a view: callbacks get the AbortError', async () => {
    const w = mockWorld(() => 'hang');
    const ac = new AbortController();
    const nfs = createNodeFs(w.client({ timeout: Number.POSITIVE_INFINITY }).withSignal(ac.signal));
    const got = new Promise<unknown>((resolve) => (nfs.stat as (p: string, cb: (e: unknown) => void) => void)('/x', resolve));
    await hungCalls(w, 1);
    ac.abort();
    expect(await got).toMatchObject({ name: 'AbortError' });
  });

  it('a signal of the wrong type is ERR_INVALID_ARG_TYPE', async () => {
    const w = mockWorld();
    const fs = w.client();
    await expect(fs.readFile('/f', { signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => fs.withSignal({} as AbortSignal)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('the node:fs object', () => {
  it('synchronous forms throw ERR_METHOD_NOT_IMPLEMENTED rather than touch the host disk', () => {
    const w = mockWorld();
    const nfs = createNodeFs(w.client()) as unknown as Record<string, () => unknown>;
    for (const name of ['readFileSync', 'statSync', 'lstatSync', 'readdirSync', 'existsSync', 'realpathSync', 'openSync']) {
      expect(() => nfs[name]!(), name).toThrow(expect.objectContaining({ code: 'ERR_METHOD_NOT_IMPLEMENTED', message: `The ${name}() method is not implemented` }));
    }
  });

  it("a callback form without a callback throws Node's ERR_INVALID_ARG_TYPE", () => {
    const w = mockWorld();
    const nfs = createNodeFs(w.client()) as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => nfs.stat!('/x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'The "cb" argument must be of type function. Received undefined' }));
  });
});
