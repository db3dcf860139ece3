// Export an rpctrace as Chrome Trace Event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: a track per task (process) and thread, a slice at both ends of
// every message, and flow arrows from each send to its receive and from each reply back,
// every arrow starting and ending strictly inside a slice, and an instant on the task's
// track for every map, grant, unmap and revoke of a dataspace (a global one for a
// migration). `ts` is kernel time in
// microseconds; see `placeOnTimeline` for how events sharing one instant are kept apart.

import type { RpcRecord, Rpctrace } from './rpctrace.ts';

/** One Chrome Trace Event (the subset used here). */
export interface ChromeEvent {
  name: string;
  ph: 'X' | 'M' | 's' | 'f' | 'i';
  pid: number;
  tid: number;
  /** Microseconds. */
  ts: number;
  /** Microseconds. */
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

/** Options of `toChromeTrace` (none yet; kept so callers can pass `{}`). */
export type ExportOptions = Record<string, never>;

/** The widest gap given to one event of an instant: 4 ns, one per sub-position below. */
const STEP_US = 0.004;

/**
 * Map each trace event (by its kernel sequence number) to a timestamp in microseconds.
 * `ts` is the kernel time of the event; events that share one kernel instant (all of
 * them, under a virtual clock that has not moved) are spread after it in their order,
 * 4 ns apart, or closer when the next instant comes sooner, so that the spread never
 * reaches the next instant. Each event owns four sub-positions (`at(seq, 0..3)`): a
 * slice starts at 0 and ends at 2 or 3, arrows leave and land at 1 or 2, so every arrow
 * is strictly inside its slice and slices of different events never share an edge.
 */
function placeOnTimeline(points: Map<number, number>): (seq: number, sub: 0 | 1 | 2 | 3) => number {
  const seqs = [...points.keys()].sort((a, b) => a - b);
  const base = new Map<number, number>();
  const step = new Map<number, number>();
  for (let i = 0; i < seqs.length; ) {
    const t = points.get(seqs[i]!)! * 1000;
    let j = i;
    while (j < seqs.length && points.get(seqs[j]!)! * 1000 === t) j++;
    const next = j < seqs.length ? points.get(seqs[j]!)! * 1000 : Infinity;
    const n = j - i;
    const s = Math.min(STEP_US, (next - t) / (2 * n));
    for (let k = i; k < j; k++) {
      base.set(seqs[k]!, t + (k - i) * s);
      step.set(seqs[k]!, s);
    }
    i = j;
  }
  return (seq, sub) => base.get(seq)! + (sub * step.get(seq)!) / 4;
}

interface Slice {
  readonly ev: ChromeEvent;
  readonly end: number;
  /** A serve slice that may be split into its delivery and its answer if it crosses another. */
  readonly rec: RpcRecord | null;
}

/** Build the Chrome Trace Event JSON object for a trace. */
export function toChromeTrace(trace: Rpctrace, _opts: ExportOptions = {}): ChromeTrace {
  const points = new Map<number, number>();
  let last = -1;
  for (const r of trace.records) {
    points.set(r.issuedSeq, r.issued);
    points.set(r.deliveredSeq, r.delivered);
    if (r.answeredSeq >= 0) points.set(r.answeredSeq, r.answered);
    last = Math.max(last, r.issuedSeq, r.deliveredSeq, r.answeredSeq);
  }
  for (const e of trace.mem) {
    points.set(e.seq, e.time);
    last = Math.max(last, e.seq);
  }
  const at = placeOnTimeline(points);
  const tasks = new Set<number>();
  const threads = new Map<number, number>();
  const slices: Slice[] = [];
  const flows: ChromeEvent[] = [];
  let flow = 1;

  const slice = (r: RpcRecord, cat: string, task: number, thread: number, from: number, to: number, rec: RpcRecord | null = null): void => {
    tasks.add(task);
    threads.set(thread, task);
    const ev: ChromeEvent = { name: r.name, ph: 'X', pid: task, tid: thread, ts: from, dur: to - from, cat, args: argsOf(r) };
    slices.push({ ev, end: to, rec });
  };
  const arrow = (name: string, from: [number, number, number], to: [number, number, number]): void => {
    const id = flow++;
    flows.push({ name, ph: 's', id, pid: from[0], tid: from[1], ts: from[2], cat: 'flow' });
    flows.push({ name, ph: 'f', bp: 'e', id, pid: to[0], tid: to[1], ts: to[2], cat: 'flow' });
  };

  for (const r of trace.records) {
    const { issuedSeq: I, deliveredSeq: D, answeredSeq: A } = r;
    if (r.oneway) {
      // The sender is in its send until the message is delivered (no kernel buffering).
      slice(r, 'send', r.clientTask, r.clientThread, at(I, 0), at(D, 3));
      slice(r, 'receive', r.serverTask, r.serverThread, at(D, 0), at(D, 3));
      arrow('send', [r.clientTask, r.clientThread, at(I, 1)], [r.serverTask, r.serverThread, at(D, 2)]);
      continue;
    }
    if (A < 0) {
      // Still waiting when the trace was exported: the caller's slice runs to the end.
      slice(r, 'pending', r.clientTask, r.clientThread, at(I, 0), at(last, 3));
      slice(r, 'receive', r.serverTask, r.serverThread, at(D, 0), at(D, 3));
    } else {
      slice(r, 'call', r.clientTask, r.clientThread, at(I, 0), at(A, 3));
      if (r.answerThread === r.serverThread) slice(r, 'serve', r.serverTask, r.serverThread, at(D, 0), at(A, 2), r);
      else {
        slice(r, 'receive', r.serverTask, r.serverThread, at(D, 0), at(D, 3));
        if (r.answerThread !== r.clientThread) slice(r, 'answer', r.answerTask, r.answerThread, at(A, 0), at(A, 2));
      }
      // No arrow back when the kernel ended the wait (timeout, dead partner): nobody answered.
      if (r.answerThread !== r.clientThread) {
        arrow('reply', [r.answerTask, r.answerThread, at(A, 1)], [r.clientTask, r.clientThread, at(A, 2)]);
      }
    }
    arrow('call', [r.clientTask, r.clientThread, at(I, 1)], [r.serverTask, r.serverThread, at(D, 2)]);
  }

  const marks: ChromeEvent[] = [];
  for (const e of trace.mem) {
    const args = { dataspace: e.dataspace, offset: e.offset, length: e.length, vaddr: e.vaddr, rights: e.rights, cause: e.cause, fromTask: e.fromTask };
    if (e.op === 'migrate') {
      marks.push({ name: `migrate dataspace#${e.dataspace}`, ph: 'i', s: 'g', pid: 0, tid: 0, ts: at(e.seq, 1), cat: 'mem', args });
      continue;
    }
    tasks.add(e.task);
    marks.push({ name: `${e.op} dataspace#${e.dataspace}`, ph: 'i', s: 'p', pid: e.task, tid: 0, ts: at(e.seq, 1), cat: 'mem', args });
  }

  const events = properlyNested(slices, at);
  const meta: ChromeEvent[] = [];
  for (const t of tasks) meta.push({ name: 'process_name', ph: 'M', pid: t, tid: 0, ts: 0, args: { name: trace.taskName(t) } });
  for (const [th, t] of threads) {
    meta.push({ name: 'thread_name', ph: 'M', pid: t, tid: th, ts: 0, args: { name: trace.threadNames.get(th) ?? `thread${th}` } });
  }
  return {
    traceEvents: [...meta, ...events, ...flows, ...marks],
    displayTimeUnit: 'ms',
    metadata: {
      tool: 'hurdle rpctrace',
      clock: trace.kernel.clock.virtual ? 'virtual' : 'real',
      time: 'ts is kernel time in microseconds; events sharing one kernel instant are spread after it, in order, at most 4 ns apart',
    },
  };
}

function argsOf(r: RpcRecord): Record<string, unknown> {
  return { args: r.args, result: r.result === '' ? 'pending' : r.result, reply: r.reply };
}

/**
 * Slices on one thread must nest. A serve slice (delivery to answer on one thread) can
 * cross another when a server answers deferred requests out of order; such a slice is
 * drawn as its delivery and its answer instead, each one event wide, which always nest.
 */
function properlyNested(slices: Slice[], at: (seq: number, sub: 0 | 1 | 2 | 3) => number): ChromeEvent[] {
  const byThread = new Map<number, Slice[]>();
  for (const s of slices) {
    const list = byThread.get(s.ev.tid) ?? [];
    list.push(s);
    byThread.set(s.ev.tid, list);
  }
  const split = new Set<Slice>();
  for (const list of byThread.values()) {
    const sorted = [...list].sort((a, b) => a.ev.ts - b.ev.ts || b.end - a.end);
    const open: Slice[] = [];
    for (const s of sorted) {
      while (open.length > 0 && open[open.length - 1]!.end <= s.ev.ts) open.pop();
      const outer = open[open.length - 1];
      if (outer !== undefined && s.end > outer.end) {
        if (outer.rec !== null) split.add(outer);
        if (s.rec !== null) split.add(s);
      }
      open.push(s);
    }
  }
  const out: ChromeEvent[] = [];
  for (const s of slices) {
    const r = s.rec;
    if (r === null || !split.has(s)) {
      out.push(s.ev);
      continue;
    }
    const D = r.deliveredSeq;
    const A = r.answeredSeq;
    out.push({ ...s.ev, cat: 'receive', ts: at(D, 0), dur: at(D, 3) - at(D, 0) });
    out.push({ ...s.ev, cat: 'answer', ts: at(A, 0), dur: at(A, 2) - at(A, 0) });
  }
  return out;
}
