// The live view's IPC feed: a tracer on the kernel that decodes RPCs through rpctrace
// and aggregates them for a browser. The page must stay usable at thousands of messages
// per second, so nothing is sent per message: every flush (the server's tick) carries
// the calls per interface since the last one, the newest decoded lines (at most
// LINES_PER_FLUSH; the rest are counted as skipped), and at most MOVES_PER_FLUSH message
// moves between tasks to draw, sampled evenly over the interval.

import type { Kernel, TraceEvent, Tracer } from '../../core/index.ts';
import { Rpctrace } from '../rpctrace/index.ts';

/** Decoded lines per flush at most. */
export const LINES_PER_FLUSH = 60;
/** Message moves drawn per flush at most. */
export const MOVES_PER_FLUSH = 24;
/** Decoded lines kept for a page that connects later. */
const HISTORY = 400;

export interface FeedLine {
  readonly seq: number;
  readonly time: number;
  readonly client: string;
  readonly server: string;
  readonly name: string;
  readonly text: string;
}

export interface FeedBatch {
  readonly lines: readonly FeedLine[];
  /** Lines produced but not sent in this batch (too many). */
  readonly skipped: number;
  /** Calls per interface method since the last batch. */
  readonly rates: Readonly<Record<string, number>>;
  /** Messages between tasks to draw: [from task id, to task id, kind]. */
  readonly moves: readonly (readonly [number, number, string])[];
  /** Kernel trace events seen since the last batch (every kind). */
  readonly events: number;
}

/** Collects IPC for the view; attach() puts it on the kernel in front of any tracer there. */
export class IpcFeed implements Tracer {
  private readonly trace: Rpctrace;
  private lines: FeedLine[] = [];
  private readonly history: FeedLine[] = [];
  private produced = 0;
  private rates: Record<string, number> = {};
  private moves: [number, number, string][] = [];
  private movesSeen = 0;
  private events = 0;
  private seq = 0;
  private previous: Tracer | null = null;
  private attached = false;

  constructor(private readonly kernel: Kernel) {
    this.trace = new Rpctrace(kernel, { stringLimit: 60, out: (text) => this.line(text) });
  }

  /** Start tracing: this feed first, then whatever tracer the kernel had. */
  attach(): this {
    if (this.attached) return this;
    this.previous = (this.kernel as unknown as { tracer: Tracer | null }).tracer ?? null;
    this.kernel.setTracer(this);
    this.attached = true;
    return this;
  }

  /** Stop tracing and give the kernel its previous tracer back. */
  detach(): void {
    if (!this.attached) return;
    this.kernel.setTracer(this.previous);
    this.attached = false;
  }

  event(e: TraceEvent): void {
    this.events++;
    if (e.type === 'ipc') {
      this.movesSeen++;
      // Reservoir-free even sampling: keep every k-th move once the budget is spent.
      const every = Math.max(1, Math.floor(this.movesSeen / MOVES_PER_FLUSH));
      if (this.moves.length < MOVES_PER_FLUSH || this.movesSeen % every === 0) {
        if (this.moves.length >= MOVES_PER_FLUSH) this.moves.shift();
        this.moves.push([e.senderTask, e.receiverTask, e.op]);
      }
    }
    this.trace.event(e);
    // rpctrace keeps every record and line; the view needs only the recent ones.
    if (this.trace.records.length > 2 * HISTORY) this.trace.records.splice(0, this.trace.records.length - HISTORY);
    if (this.trace.lines.length > 2 * HISTORY) this.trace.lines.splice(0, this.trace.lines.length - HISTORY);
    this.previous?.event(e);
  }

  private line(text: string): void {
    this.produced++;
    const rec = this.trace.records.at(-1);
    const name = rec?.name ?? '';
    const first = text.trimStart();
    if (!first.startsWith('=')) {
      const m = /^([^-\s]+)->([\w.#-]+)/.exec(first);
      const method = m?.[2] ?? name;
      this.rates[method] = (this.rates[method] ?? 0) + 1;
    }
    const l: FeedLine = {
      seq: ++this.seq,
      time: this.kernel.now(),
      client: rec === undefined ? '' : (this.trace.taskNames.get(rec.clientTask) ?? String(rec.clientTask)),
      server: rec === undefined ? '' : (this.trace.taskNames.get(rec.serverTask) ?? String(rec.serverTask)),
      name,
      text,
    };
    this.lines.push(l);
    if (this.lines.length > LINES_PER_FLUSH) this.lines.shift();
    this.history.push(l);
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** What happened since the last flush. */
  flush(): FeedBatch {
    const batch: FeedBatch = {
      lines: this.lines,
      skipped: Math.max(0, this.produced - this.lines.length),
      rates: this.rates,
      moves: this.moves,
      events: this.events,
    };
    this.lines = [];
    this.produced = 0;
    this.rates = {};
    this.moves = [];
    this.movesSeen = 0;
    this.events = 0;
    return batch;
  }

  /** The recent lines, for a page that just connected. */
  recent(): readonly FeedLine[] {
    return this.history;
  }
}
