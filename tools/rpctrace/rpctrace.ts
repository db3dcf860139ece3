// rpctrace: watch every message a task, a subtree or the whole system sends and
// receives, decoded through the interface declarations (the Hurd's rpctrace wished for
// this and kept hand-made tables instead). One line per request, closed as it is sent
// (`a->io.read(amount=4)`), one per reply on the next line (`  = 0 data=...`), or
// marked `[reply to #N ...]` when other lines came between; one-way messages end in
// `;` and get no reply line. The same trace exports as Chrome Trace Event JSON for
// Perfetto (perfetto.ts).

import type { IpcEvent, Kernel, MemEvent, TraceEvent, Tracer, WakeEvent } from '../../core/index.ts';
import { rightsString, statusName } from '../../core/index.ts';
import {
  errnoMessage,
  errnoName,
  HEADER_WORDS,
  methodOf,
  targetOf,
  type Fields,
  type MethodDef,
} from '../../libcap/index.ts';
import { renderFields } from './render.ts';

/** Labels libcap uses for its own messages (see libcap/interface.ts). */
const LABEL_CANCEL = 0x10001;
const LABEL_KICK = 0x10002;

export interface RpctraceOptions {
  /** Which tasks: every task (default), these task ids (a subtree), or a predicate. */
  readonly tasks?: 'all' | Iterable<number> | ((taskId: number, taskName: string) => boolean);
  /** Longest string shown before "..." (default 80). */
  readonly stringLimit?: number;
  /**
   * Prefix each line with the kernel time in ms (`[12.500]`); under a virtual clock,
   * where many events share one instant, the kernel's event number follows (`[0.000 @41]`).
   */
  readonly timestamps?: boolean;
  /** Receives each line as it is made (lines are also kept in `lines`). */
  readonly out?: (line: string) => void;
  /** Show messages no interface decodes (raw kernel IPC) and libcap's internal ones (default true). */
  readonly raw?: boolean;
}

/** One traced message exchange. */
export interface RpcRecord {
  readonly id: number;
  readonly callId: number;
  readonly oneway: boolean;
  readonly clientTask: number;
  readonly clientThread: number;
  readonly serverTask: number;
  readonly serverThread: number;
  /** "interface.method", or "ep#N" for an undecoded message. */
  readonly name: string;
  readonly args: string;
  /** Kernel time (ms) and trace sequence number when the request was issued and delivered. */
  readonly issued: number;
  readonly issuedSeq: number;
  readonly delivered: number;
  readonly deliveredSeq: number;
  /** When the answer came (or the wait ended), or -1 while pending. */
  answered: number;
  answeredSeq: number;
  /**
   * The thread that answered (the server thread, another thread of the server for a
   * deferred reply, or the caller itself when the kernel ended the wait), -1 while pending.
   */
  answerThread: number;
  answerTask: number;
  /** "ok", an errno name, or a kernel status name; "" while pending. */
  result: string;
  reply: string;
}

interface Pending {
  rec: RpcRecord;
  method: MethodDef | null;
  lineIndex: number;
}

export class Rpctrace implements Tracer {
  readonly lines: string[] = [];
  readonly records: RpcRecord[] = [];
  /** The memory events shown (maps, grants, unmaps, revokes, migrations), for the Perfetto export. */
  readonly mem: MemEvent[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Caller thread -> its pending call id (to match kernel-level failures). */
  private readonly byThread = new Map<number, number>();
  /** Thread -> [time, seq] when it blocked sending (the call was issued before delivery). */
  private readonly blockedAt = new Map<number, [number, number]>();
  readonly taskNames = new Map<number, string>();
  readonly threadNames = new Map<number, string>();
  private readonly limit: number;
  private readonly filter: (taskId: number) => boolean;
  private previous: Tracer | null = null;
  private attached = false;
  private nextId = 1;

  constructor(
    readonly kernel: Kernel,
    private readonly opts: RpctraceOptions = {},
  ) {
    this.limit = opts.stringLimit ?? 80;
    const sel = opts.tasks ?? 'all';
    if (sel === 'all') this.filter = () => true;
    else if (typeof sel === 'function') this.filter = (id) => sel(id, this.taskName(id));
    else {
      const ids = new Set(sel);
      this.filter = (id) => ids.has(id);
    }
  }

  /** Start tracing (events also reach a tracer attached before); returns `detach`. */
  attach(): () => void {
    if (!this.attached) {
      this.previous = this.kernel.tracer;
      this.kernel.setTracer(this);
      this.attached = true;
    }
    return () => this.detach();
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    if (this.kernel.tracer === this) this.kernel.setTracer(this.previous);
  }

  event(e: TraceEvent): void {
    this.previous?.event(e);
    switch (e.type) {
      case 'ipc':
        this.names(e.senderTask, e.sender);
        this.names(e.receiverTask, e.receiver);
        if (e.op === 'reply') this.onReply(e);
        else this.onRequest(e);
        return;
      case 'block':
        if (e.state === 'blocked-send') this.blockedAt.set(e.thread, [e.time, e.seq]);
        return;
      case 'wake':
        this.onWake(e);
        return;
      case 'thread':
        this.threadNames.set(e.thread, e.name);
        this.names(e.task, e.thread);
        return;
      case 'mem':
        this.onMem(e);
        return;
      default:
        return;
    }
  }

  private names(task: number, thread: number): void {
    if (!this.taskNames.has(task)) {
      const t = this.kernel.tasks.get(task);
      if (t !== undefined) this.taskNames.set(task, t.name);
    }
    if (!this.threadNames.has(thread)) {
      const th = this.kernel.object(thread) as { name?: string } | undefined;
      if (th !== undefined && typeof th.name === 'string') this.threadNames.set(thread, th.name);
    }
  }

  taskName(id: number): string {
    return this.taskNames.get(id) ?? this.kernel.tasks.get(id)?.name ?? `task${id}`;
  }

  private emit(line: string, time: number, seq: number): number {
    const stamp = this.kernel.clock.virtual ? `[${time.toFixed(3)} @${seq}] ` : `[${time.toFixed(3)}] `;
    const l = this.opts.timestamps === true ? `${stamp}${line}` : line;
    this.lines.push(l);
    this.opts.out?.(l);
    return this.lines.length - 1;
  }

  /** One line per map, grant, unmap, revoke or migration of a dataspace (DS1-DS6). */
  private onMem(e: MemEvent): void {
    if (e.op === 'migrate') {
      this.mem.push(e);
      this.emit(`  [mem] dataspace#${e.dataspace} migrated (raw arrays cut)`, e.time, e.seq);
      return;
    }
    if (!this.filter(e.task) && (e.fromTask < 0 || !this.filter(e.fromTask))) return;
    if (!this.taskNames.has(e.task)) {
      const t = this.kernel.tasks.get(e.task);
      if (t !== undefined) this.taskNames.set(e.task, t.name);
    }
    this.mem.push(e);
    const range = `dataspace#${e.dataspace}[0x${e.offset.toString(16)}+0x${e.length.toString(16)}] at 0x${e.vaddr.toString(16)} ${rightsString(e.rights)}`;
    const from = e.fromTask >= 0 ? ` from ${this.taskName(e.fromTask)}` : '';
    const why = e.op === 'unmap' && e.cause !== 'unmap' ? ` (${e.cause})` : '';
    this.emit(`  [mem] ${this.taskName(e.task)}: ${e.op} ${range}${from}${why}`, e.time, e.seq);
  }

  private onRequest(e: IpcEvent): void {
    if (!this.filter(e.senderTask) && !this.filter(e.receiverTask)) return;
    const raw = this.opts.raw ?? true;
    const oneway = e.op === 'send';
    const target = targetOf(this.kernel, e.endpoint, e.badge);
    let name: string;
    let args: string;
    let method: MethodDef | null = null;
    const named = target === null ? undefined : methodOf(target.iface, e.label);
    if (e.label === LABEL_KICK && e.badge === 0) {
      if (!raw) return;
      name = 'libcap.kick';
      args = '';
    } else if (target !== null && e.label === LABEL_CANCEL) {
      if (!raw) return;
      name = `${target.iface.name}.cancel`;
      args = `key=${e.words[0] ?? '?'}, seq=${e.words[1] ?? '?'}`;
    } else if (named !== undefined) {
      method = named;
      name = method.fullName;
      args = decode(method.args, method.argsCodec, e.words.slice(HEADER_WORDS), e.items, this.limit);
    } else {
      if (!raw) return;
      name = `ep#${e.endpoint}.${e.label}`;
      args = `words=[${e.words.join(', ')}]${e.items.length > 0 ? `, items=${e.items.length}` : ''}${e.caps > 0 ? `, caps=${e.caps}` : ''}`;
    }
    const blocked = this.blockedAt.get(e.sender);
    this.blockedAt.delete(e.sender);
    const rec: RpcRecord = {
      id: this.nextId++,
      callId: e.callId,
      oneway,
      clientTask: e.senderTask,
      clientThread: e.sender,
      serverTask: e.receiverTask,
      serverThread: e.receiver,
      name,
      args,
      issued: blocked?.[0] ?? e.time,
      issuedSeq: blocked?.[1] ?? e.seq,
      delivered: e.time,
      deliveredSeq: e.seq,
      answered: oneway ? e.time : -1,
      answeredSeq: oneway ? e.seq : -1,
      answerThread: oneway ? e.receiver : -1,
      answerTask: oneway ? e.receiverTask : -1,
      result: oneway ? 'sent' : '',
      reply: '',
    };
    this.records.push(rec);
    const head = `${this.taskName(e.senderTask)}->${name}(${args})`;
    if (oneway) {
      this.emit(`${head};`, e.time, e.seq);
      return;
    }
    const lineIndex = this.emit(head, e.time, e.seq);
    this.pending.set(e.callId, { rec, method, lineIndex });
    this.byThread.set(e.sender, e.callId);
  }

  private onReply(e: IpcEvent): void {
    const p = this.pending.get(e.callId);
    if (p === undefined) return;
    this.pending.delete(e.callId);
    this.byThread.delete(p.rec.clientThread);
    let text: string;
    if (e.label === 0) {
      const m = p.method;
      const out = m === null ? `words=[${e.words.join(', ')}]` : decode(m.reply, m.replyCodec, e.words, e.items, this.limit);
      p.rec.result = 'ok';
      p.rec.reply = out;
      text = out === '' ? '= 0' : `= 0 ${out}`;
    } else {
      const name = errnoName(e.label);
      p.rec.result = name ?? String(e.label);
      text = name === undefined ? `= ${e.label}` : `= ${name} (${errnoMessage(name)})`;
    }
    this.finish(p, e, text);
  }

  private onWake(e: WakeEvent): void {
    const callId = this.byThread.get(e.thread);
    if (callId === undefined) return;
    const p = this.pending.get(callId);
    if (p === undefined) return;
    this.pending.delete(callId);
    this.byThread.delete(e.thread);
    p.rec.result = statusName(e.status);
    this.finish(p, { time: e.time, seq: e.seq, sender: e.thread, senderTask: e.task }, `= kernel ${statusName(e.status)}`);
  }

  /** Close a request: on its own line, or marked as the reply to an earlier request. */
  private finish(
    p: Pending,
    at: { readonly time: number; readonly seq: number; readonly sender: number; readonly senderTask: number },
    text: string,
  ): void {
    p.rec.answered = at.time;
    p.rec.answeredSeq = at.seq;
    p.rec.answerThread = at.sender;
    p.rec.answerTask = at.senderTask;
    if (p.lineIndex === this.lines.length - 1) this.emit(`  ${text}`, at.time, at.seq);
    else this.emit(`  ${text}  [reply to #${p.lineIndex + 1} ${this.taskName(p.rec.clientTask)}->${p.rec.name}]`, at.time, at.seq);
  }

  /** Requests still waiting for an answer. */
  get open(): RpcRecord[] {
    return [...this.pending.values()].map((p) => p.rec);
  }
}

function decode(
  fields: Fields,
  codec: MethodDef['argsCodec'],
  words: readonly number[],
  items: readonly unknown[],
  limit: number,
): string {
  const v = codec.peek(words, items);
  if (typeof v === 'string') return `<malformed: ${v}>`;
  return renderFields(fields, v, limit);
}
