// Every trace the tools write is valid Chrome Trace Event JSON as Perfetto reads it: slices
// nest on each thread, every flow is bound to a slice at both ends, and `ts` is kernel
// time in microseconds. Checked on hand-made scenarios (calls, one-way sends, deferred
// and interleaved replies, a timeout on virtual time, a call still pending) and on every
// example, traced the way `npm run trace` traces a script.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel, kernelObservers, VirtualClock } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, t } from '../../libcap/index.ts';
import { Rpctrace, toChromeTrace, type ChromeTrace } from '../../tools/rpctrace/index.ts';
import { checkChromeTrace } from './chrome-trace-check.ts';

const Echo = defineInterface('echo', {
  say: { op: 1, args: { text: t.string() }, reply: { back: t.string() } },
  later: { op: 2, reply: { v: t.u32 } },
  note: { op: 3, args: { text: t.string() }, oneway: true },
});

function world() {
  const k = new Kernel({ clock: new VirtualClock() });
  const trace = new Rpctrace(k);
  trace.attach();
  const srv = k.createTask('srv', { quota: 100, slots: 4096 });
  const cli = k.createTask('cli');
  const waiting: ((v: number) => void)[] = [];
  const cls = defineClass({
    name: 'echo',
    interface: Echo,
    init: () => ({}),
    handlers: {
      say: (_c, a) => ({ back: a.text }),
      later: (ctx) => {
        const d = ctx.defer();
        waiting.push((v) => d.reply({ v }));
        return d;
      },
      note: () => undefined,
    },
  });
  const b = Bucket.start(k, srv, { maxWorkers: 2 });
  const obj = b.create(cls, undefined);
  if (!('refs' in obj)) throw new Error('create');
  return { k, trace, c: connect(Echo, k, cli, b.install(obj, cli)), waiting };
}

/**
 * Each record's caller slice starts at the kernel time it was issued, in microseconds,
 * or after it by the spread of the events sharing that instant, never reaching the next.
 */
function expectKernelMicroseconds(trace: Rpctrace, json: ChromeTrace): void {
  const instants = [...new Set(trace.records.flatMap((r) => [r.issued, r.delivered, r.answered]))].sort((a, b) => a - b);
  for (const r of trace.records) {
    const next = instants.find((x) => x > r.issued) ?? Infinity;
    const mine = json.traceEvents.filter((e) => e.ph === 'X' && e.tid === r.clientThread && e.name === r.name);
    expect(mine.some((e) => e.ts >= r.issued * 1000 && e.ts < next * 1000)).toBe(true);
  }
}

describe('Perfetto export', () => {
  it('binds every flow to a slice at both ends for calls, one-way sends, deferred and interleaved replies', async () => {
    const { trace, c, waiting } = world();
    await c.say({ text: 'a' });
    await c.note({ text: 'b' });
    const first = c.later();
    const second = c.later();
    await c.say({ text: 'c' });
    await new Promise((r) => setImmediate(r));
    waiting[1]!(2);
    waiting[0]!(1);
    await Promise.all([first, second]);
    const json = toChromeTrace(trace);
    expect(checkChromeTrace(JSON.parse(JSON.stringify(json)))).toEqual([]);
    const send = json.traceEvents.filter((e) => e.ph === 'X' && e.name === 'echo.note').map((e) => e.cat);
    expect(send).toEqual(['send', 'receive']);
    expectKernelMicroseconds(trace, json);
  });

  it('puts ts in microseconds of kernel time: a 50 ms timeout on virtual time lands at 50,000 us', async () => {
    const { trace, c } = world();
    await c.say({ text: 'before' });
    expect((await c.attempt.later(undefined, { timeout: 50 })).ok).toBe(false);
    await c.say({ text: 'after' });
    const json = toChromeTrace(trace);
    expect(checkChromeTrace(json)).toEqual([]);
    const after = json.traceEvents.find((e) => e.ph === 'X' && e.cat === 'call' && e.name === 'echo.say' && e.ts >= 50_000)!;
    expect(after.ts).toBeGreaterThanOrEqual(50_000);
    expect(after.ts).toBeLessThan(50_001);
    const timedOut = json.traceEvents.find((e) => e.ph === 'X' && e.name === 'echo.later' && e.cat === 'call')!;
    expect(timedOut.ts + timedOut.dur!).toBeGreaterThanOrEqual(50_000);
    expect(timedOut.args!['result']).toMatch(/^Timeout/);
    expectKernelMicroseconds(trace, json);
  });

  it('draws a call still waiting at export as a pending slice to the end of the trace', async () => {
    const { trace, c, waiting } = world();
    const p = c.later();
    await c.say({ text: 'x' });
    const json = toChromeTrace(trace);
    expect(checkChromeTrace(json)).toEqual([]);
    expect(json.traceEvents.find((e) => e.cat === 'pending')!.args!['result']).toBe('pending');
    waiting[0]!(1);
    await p;
  });

  it('prints kernel time with --timestamps, and the event number under a virtual clock', async () => {
    const k = new Kernel({ clock: new VirtualClock() });
    const trace = new Rpctrace(k, { timestamps: true });
    trace.attach();
    const srv = k.createTask('srv', { quota: 100, slots: 4096 });
    const b = Bucket.start(k, srv, { maxWorkers: 1 });
    const cls = defineClass({ name: 'echo', interface: Echo, init: () => ({}), handlers: { say: (_c, a) => ({ back: a.text }) } });
    const obj = b.create(cls, undefined);
    if (!('refs' in obj)) throw new Error('create');
    const cli = k.createTask('cli');
    const c = connect(Echo, k, cli, b.install(obj, cli));
    await c.say({ text: 'x' });
    k.advance(12.5);
    await c.say({ text: 'y' });
    expect(trace.lines[0]).toMatch(/^\[0\.000 @\d+\] cli->echo\.say\(text="x"\)$/);
    expect(trace.lines[2]).toMatch(/^\[12\.500 @\d+\] cli->echo\.say\(text="y"\)$/);
  });
});

describe('traces of the examples, as npm run trace writes them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hurdle-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const examples = [
    'compose-tree',
    'counter',
    'fs-client',
    'more-translators',
    'mount-translators',
    'notifications-rxjs',
    'reauthenticate',
    'wait-for-service',
    'write-a-translator',
  ];
  for (const name of examples) {
    it(`examples/${name}`, async () => {
      const traces: Rpctrace[] = [];
      const observe = (k: Kernel): void => {
        const tr = new Rpctrace(k);
        tr.attach();
        traces.push(tr);
      };
      kernelObservers.add(observe);
      try {
        const mod = (await import(`../../examples/${name}.ts`)) as { main: (out: (l: string) => void) => Promise<void> };
        await mod.main(() => {});
      } finally {
        kernelObservers.delete(observe);
      }
      expect(traces.length).toBeGreaterThan(0);
      for (const tr of traces) {
        expect(tr.records.length).toBeGreaterThan(0);
        const json = toChromeTrace(tr);
        expect(checkChromeTrace(JSON.parse(JSON.stringify(json)))).toEqual([]);
        expectKernelMicroseconds(tr, json);
        for (const l of tr.lines) expect(l).not.toMatch(/\($/);
      }
    }, 120_000);
  }

  it('examples/trace-to-perfetto writes a file that passes the check', async () => {
    const file = join(dir, 'example.json');
    const mod = await import('../../examples/trace-to-perfetto.ts');
    await mod.main(() => {}, file);
    expect(checkChromeTrace(JSON.parse(readFileSync(file, 'utf8')))).toEqual([]);
  }, 120_000);
});
