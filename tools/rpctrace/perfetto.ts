// Export an rpctrace as Chrome Trace Event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: a track per task (process) and thread, a slice per RPC on the
// client thread (issue to answer) and on the server thread (delivery to answer), and
// flow arrows from each send to its receive and from each reply back.

import type { Rpctrace } from './rpctrace.ts';

/** One Chrome Trace Event (the subset used here). */
export interface ChromeEvent {
  name: string;
  ph: 'X' | 'M' | 's' | 'f' | 'i';
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ms' | 'ns';
  metadata: Record<string, unknown>;
}

export interface ExportOptions {
  /**
   * Time axis: 'kernel' uses the kernel clock (ms -> us); 'sequence' spaces events one
   * microsecond apart in the order they happened (readable under virtual time, where
   * the clock hardly moves). Default: 'sequence' for a virtual clock, else 'kernel'.
   */
  readonly time?: 'kernel' | 'sequence';
}

/** Build the Chrome Trace Event JSON object for a trace. */
export function toChromeTrace(trace: Rpctrace, opts: ExportOptions = {}): ChromeTrace {
  const bySeq = (opts.time ?? (trace.kernel.clock.virtual ? 'sequence' : 'kernel')) === 'sequence';
  const at = (time: number, seq: number): number => (bySeq ? seq : Math.round(time * 1000 * 1000) / 1000);
  const events: ChromeEvent[] = [];
  const tasks = new Set<number>();
  const threads = new Map<number, number>();
  let flow = 1;
  for (const r of trace.records) {
    tasks.add(r.clientTask);
    tasks.add(r.serverTask);
    threads.set(r.clientThread, r.clientTask);
    threads.set(r.serverThread, r.serverTask);
    const args = { args: r.args, result: r.result, reply: r.reply };
    const issued = at(r.issued, r.issuedSeq);
    const delivered = at(r.delivered, r.deliveredSeq);
    if (r.oneway || r.answeredSeq < 0) {
      events.push({ name: r.name, ph: 'i', s: 't', pid: r.clientTask, tid: r.clientThread, ts: issued, cat: r.oneway ? 'send' : 'pending', args });
    } else {
      const answered = at(r.answered, r.answeredSeq);
      events.push({ name: r.name, ph: 'X', pid: r.clientTask, tid: r.clientThread, ts: issued, dur: Math.max(answered - issued, bySeq ? 1 : 0), cat: 'call', args });
      events.push({ name: r.name, ph: 'X', pid: r.serverTask, tid: r.serverThread, ts: delivered, dur: Math.max(answered - delivered, bySeq ? 0.5 : 0), cat: 'serve', args });
      const back = flow++;
      events.push({ name: 'reply', ph: 's', id: back, pid: r.serverTask, tid: r.serverThread, ts: answered, cat: 'flow' });
      events.push({ name: 'reply', ph: 'f', bp: 'e', id: back, pid: r.clientTask, tid: r.clientThread, ts: answered, cat: 'flow' });
    }
    const there = flow++;
    events.push({ name: r.oneway ? 'send' : 'call', ph: 's', id: there, pid: r.clientTask, tid: r.clientThread, ts: issued, cat: 'flow' });
    events.push({ name: r.oneway ? 'send' : 'call', ph: 'f', bp: 'e', id: there, pid: r.serverTask, tid: r.serverThread, ts: delivered, cat: 'flow' });
  }
  const meta: ChromeEvent[] = [];
  for (const t of tasks) meta.push({ name: 'process_name', ph: 'M', pid: t, tid: 0, ts: 0, args: { name: trace.taskName(t) } });
  for (const [th, t] of threads) {
    meta.push({ name: 'thread_name', ph: 'M', pid: t, tid: th, ts: 0, args: { name: trace.threadNames.get(th) ?? `thread${th}` } });
  }
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: 'ms',
    metadata: { tool: 'hurdle rpctrace', time: bySeq ? 'sequence (1 us per event)' : 'kernel clock' },
  };
}
