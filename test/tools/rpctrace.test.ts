// rpctrace: decoded request and reply lines, one-way marking, interleaved replies,
// kernel-level failures, filtering by task, and the Chrome Trace Event export.

import { describe, expect, it } from 'vitest';
import { Kernel, VirtualClock } from '../../core/index.ts';
import { Bucket, connect, defineClass, defineInterface, t } from '../../libcap/index.ts';
import { escapeString, Rpctrace, toChromeTrace } from '../../tools/rpctrace/index.ts';

const Echo = defineInterface('echo', {
  say: { op: 1, args: { text: t.string(), n: t.u32 }, reply: { back: t.string() }, errors: ['ENOENT'] },
  later: { op: 2, reply: { v: t.u32 } },
  note: { op: 3, args: { text: t.string() }, oneway: true },
  fail: { op: 4, errors: ['ENOENT'] },
});

function setup(opts: ConstructorParameters<typeof Rpctrace>[1] = {}) {
  const k = new Kernel({ clock: new VirtualClock() });
  const trace = new Rpctrace(k, opts);
  trace.attach();
  const srv = k.createTask('srv', { quota: 100, slots: 4096 });
  const cli = k.createTask('cli');
  const waiting: { reply: (v: number) => void }[] = [];
  const cls = defineClass({
    name: 'echo',
    interface: Echo,
    init: () => ({}),
    handlers: {
      say: (_c, a) => ({ back: a.text.toUpperCase() }),
      later: (ctx) => {
        const d = ctx.defer();
        waiting.push({ reply: (v) => d.reply({ v }) });
        return d;
      },
      note: () => undefined,
      fail: (ctx) => ctx.fail('ENOENT'),
    },
  });
  const b = Bucket.start(k, srv, { maxWorkers: 2 });
  const obj = b.create(cls, undefined);
  if (!('refs' in obj)) throw new Error('create');
  const c = connect(Echo, k, cli, b.install(obj, cli));
  return { k, trace, c, waiting, cli, srv };
}

describe('rpctrace', () => {
  it('prints one line per request with named, escaped arguments and one per reply', async () => {
    const { trace, c } = setup();
    await c.say({ text: 'hi "there"\n', n: 3 });
    expect(trace.lines).toEqual(['cli->echo.say(text="hi \\"there\\"\\n", n=3)', '  = 0 back="HI \\"THERE\\"\\n"']);
  });

  it('truncates long strings and marks one-way messages', async () => {
    const { trace, c } = setup({ stringLimit: 5 });
    await c.note({ text: 'abcdefghij' });
    expect(trace.lines).toEqual(['cli->echo.note(text="abcde"...);']);
    expect(trace.records[0]!.oneway).toBe(true);
  });

  it('shows errors by name and matches interleaved replies to their request', async () => {
    const { trace, c, waiting } = setup();
    const p = c.later();
    await c.attempt.fail();
    await new Promise((r) => setImmediate(r));
    waiting[0]!.reply(7);
    await p;
    expect(trace.lines).toEqual([
      'cli->echo.later()',
      'cli->echo.fail()',
      '  = ENOENT (no such file or directory)',
      '  = 0 v=7  [reply to #1 cli->echo.later]',
    ]);
  });

  it('reports a call that the kernel ended (timeout) as a kernel result', async () => {
    const { trace, c } = setup();
    const r = await c.attempt.later(undefined, { timeout: 50 });
    expect(r.ok).toBe(false);
    expect(trace.lines[1]).toBe('  = kernel Timeout (receive phase)');
  });

  it('traces only the selected tasks', async () => {
    const { k, trace, c } = setup({ tasks: [] });
    const other = new Rpctrace(k, { tasks: (_id, name) => name === 'cli' });
    other.attach();
    await c.say({ text: 'x', n: 1 });
    expect(other.lines.length).toBe(2);
    expect(trace.lines.length).toBe(0);
  });

  it('exports Chrome Trace Event JSON: tracks per task and thread, slices, paired flows', async () => {
    const { trace, c } = setup();
    await c.say({ text: 'x', n: 1 });
    await c.note({ text: 'y' });
    const j = toChromeTrace(trace);
    const names = j.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!['name']);
    expect(names).toEqual(expect.arrayContaining(['cli', 'srv']));
    const slices = j.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.map((e) => e.cat)).toEqual(['call', 'serve', 'send', 'receive']);
    for (const e of j.traceEvents) {
      expect(typeof e.ts).toBe('number');
      expect(Number.isFinite(e.pid) && Number.isFinite(e.tid)).toBe(true);
    }
    const starts = j.traceEvents.filter((e) => e.ph === 's').map((e) => e.id);
    const ends = j.traceEvents.filter((e) => e.ph === 'f').map((e) => e.id);
    expect(starts.sort()).toEqual(ends.sort());
    expect(JSON.parse(JSON.stringify(j)).traceEvents.length).toBe(j.traceEvents.length);
  });

  it('escapes control characters', () => {
    expect(escapeString('a\tb\x01')).toBe('"a\\tb\\x01"');
  });
});
