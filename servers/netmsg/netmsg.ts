// netmsg: caps that cross kernels through a NATS server, after Mach's network message
// server. Each node (one kernel) runs one bridge task. Exporting a cap gives a remote
// node a sparse reference to it (the node and a 128-bit token issued for that node);
// importing a reference gives a local task a proxy: an ordinary endpoint cap (badged
// copy of the bridge's endpoint) that takes call and send, timeouts and cancellation
// like any local cap.
//
// Importing side: bridge workers receive on the bridge endpoint; the badge names the
// import; the message (words, items, caps) is framed (wire.ts) and sent to the exporting
// node as a NATS request (call) or publish (send); the answer comes back as the reply.
// Caps in a message travel as references: a cap to something local is exported for the
// destination node; a proxy going back to the node that exported it is unwrapped into
// its token again (the kernel's C4 unwrapping hands the worker the proxy's badge); a
// proxy to a third node is re-exported (a chain through this node).
//
// Exporting side: a request on `hurdle.<node>.x.<token>` is performed by a short-lived
// thread of the bridge task: it calls (or sends to) the exported cap with the message,
// and answers the reply, caps exported in turn. The server sees the badge of the cap
// that was exported, exactly as for a local client.
//
// Life and death: a token counts the times it was sent to its node; the importing node
// counts arrivals, and when the last local copy of a proxy is gone (the kernel's
// no-senders on the proxy's root) it releases that many, so the exporter drops its copy
// when the count reaches zero and the server hears no-senders. Every node publishes a
// heartbeat on `hurdle.hb.<node>` with its boot id; a node not heard from within
// `deadAfterMs`, or heard with a new boot id (it restarted), is dead: calls waiting on it
// answer EPIPE, its proxies answer EPIPE from then on, calls it had in flight here are
// ended (the servers see their caller go), and the tokens issued for it are released.

import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  HostSys,
  MAX_CAPS,
  MAX_ITEMS,
  MR_COUNT,
  Rights,
  Status,
  type Kernel,
  type Sys,
  type SysGen,
  type Task,
  type Thread,
} from '../../core/index.ts';
import { ERRNO } from '../../libcap/index.ts';
import { decodeFrame, encodeFrame, FrameKind, isNodeName, isToken, type CapRef, type Frame } from './wire.ts';

/** Settings of a bridge. */
export interface NetmsgOptions {
  /** A connection to the NATS server, made with this node's credentials and `inboxPrefix: inboxPrefix(node)`. */
  readonly nc: NatsConnection;
  /** This node's name: letters, digits, '-' and '_' (a NATS subject token). */
  readonly node: string;
  /** Heartbeat period in ms (default 1,000). */
  readonly heartbeatMs?: number;
  /** A node not heard from for this long is dead (default 3 heartbeats + 500 ms). */
  readonly deadAfterMs?: number;
  /** Bridge worker threads at most: calls forwarded at once (default 256). */
  readonly maxWorkers?: number;
  /** Longest time a forwarded call may wait on the exporting side, in ms (default 120,000). */
  readonly callTimeoutMs?: number;
  /** Tokens this node may issue for one other node at most (default 65,536; past it: EMFILE). */
  readonly maxTokensPerNode?: number;
}

export const DEFAULT_HEARTBEAT_MS = 1000;
export const DEFAULT_MAX_WORKERS = 256;
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_TOKENS_PER_NODE = 65_536;

/** The inbox prefix a node's connection must use (its NATS user may only subscribe there). */
export function inboxPrefix(node: string): string {
  return `_INBOX_${node}`;
}

/** Subjects a node's NATS user needs: the permissions nats-server should give it. */
export function nodePermissions(node: string): { publish: string[]; subscribe: string[] } {
  return {
    publish: ['hurdle.*.x.*', 'hurdle.*.ctl', `hurdle.hb.${node}`],
    subscribe: [`hurdle.${node}.>`, `${inboxPrefix(node)}.>`, 'hurdle.hb.*'],
  };
}

/** A cap this node exported for one other node. */
interface Export {
  readonly token: string;
  readonly node: string;
  readonly key: string;
  /** Slot in the bridge task. */
  readonly slot: number;
  /** Times sent to `node` and not yet released. */
  refs: number;
  /** Calls in flight on it (threads of the bridge task). */
  readonly calls: Set<Thread>;
}

/** A proxy for a cap another node exported to this one. */
interface Import {
  readonly id: number;
  readonly node: string;
  readonly token: string;
  /** The badged root cap in the bridge task; every local copy derives from it. */
  readonly root: number;
  /** Arrivals not yet released. */
  received: number;
  dead: boolean;
}

interface Peer {
  boot: string;
  lastSeen: number;
  dead: boolean;
  /** Rejects of requests waiting on this node. */
  readonly waiting: Set<(e: Error) => void>;
}

/** Counters of a bridge. */
export interface NetmsgStats {
  callsOut: number;
  sendsOut: number;
  callsIn: number;
  sendsIn: number;
  exports: number;
  imports: number;
  releasesOut: number;
  releasesIn: number;
  deadNodes: number;
  refused: number;
}

const FRAME_LIMITS = { words: MR_COUNT, items: MAX_ITEMS, caps: MAX_CAPS };
const EPIPE = ERRNO.EPIPE;
const OK = Status.Ok;
const enc = new TextEncoder();
const dec = new TextDecoder();

class PeerDead extends Error {}

/** A node's bridge. Start it with Netmsg.start(). */
export class Netmsg {
  readonly stats: NetmsgStats = { callsOut: 0, sendsOut: 0, callsIn: 0, sendsIn: 0, exports: 0, imports: 0, releasesOut: 0, releasesIn: 0, deadNodes: 0, refused: 0 };
  private readonly exports = new Map<string, Export>();
  private readonly exportKeys = new Map<string, Export>();
  private readonly tokensPerNode = new Map<string, number>();
  private readonly imports = new Map<number, Import>();
  private readonly importsByToken = new Map<string, Import>();
  private readonly published = new Map<string, number>();
  private readonly peers = new Map<string, Peer>();
  private readonly subs: Subscription[] = [];
  private readonly boot = randomBytes(8).toString('hex');
  private nextImport = 1;
  private workers = 0;
  private busy = 0;
  private stopped = false;
  private hbTimer: NodeJS.Timeout | null = null;
  /** Slot of the bridge endpoint (all rights) in the bridge task. */
  private readonly ep: number;
  /** Notification signalled by no-senders on a proxy root. */
  private readonly nsNotif: number;
  /** Host-side cap operations in the bridge task. */
  private readonly ops: HostSys;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly maxWorkers: number;
  private readonly callTimeoutMs: number;
  private readonly maxTokensPerNode: number;

  private constructor(
    readonly kernel: Kernel,
    readonly task: Task,
    private readonly nc: NatsConnection,
    readonly node: string,
    opts: NetmsgOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.deadAfterMs = opts.deadAfterMs ?? 3 * this.heartbeatMs + 500;
    this.maxWorkers = opts.maxWorkers ?? DEFAULT_MAX_WORKERS;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.maxTokensPerNode = opts.maxTokensPerNode ?? DEFAULT_MAX_TOKENS_PER_NODE;
    this.ops = new HostSys(kernel, task);
    this.ep = kernel.createEndpoint(task);
    this.nsNotif = kernel.createNotification(task);
  }

  /** Start a bridge for `kernel` on `opts.nc`: its task, workers, subscriptions and heartbeat. */
  static async start(kernel: Kernel, opts: NetmsgOptions): Promise<Netmsg> {
    if (!isNodeName(opts.node)) throw new RangeError(`netmsg: node name ${JSON.stringify(opts.node)}: use letters, digits, '-' and '_'`);
    const task = kernel.createTask(`netmsg ${opts.node}`, { quota: 100_000, slots: 1 << 16 });
    const b = new Netmsg(kernel, task, opts.nc, opts.node, opts);
    b.listen();
    kernel.spawn(task, (sys) => b.noSendersLoop(sys), { name: 'netmsg.nosenders' });
    b.spawnWorker();
    await opts.nc.flush();
    b.heartbeat();
    return b;
  }

  // ------------------------------------------------------------------ public API

  /** Offer the cap in `task`'s `slot` under `name`: other nodes get it with lookup(). */
  publish(name: string, task: Task, slot: number): void {
    const old = this.published.get(name);
    const mine = this.kernel.grant(task, slot, this.task);
    this.published.set(name, mine);
    if (old !== undefined) this.deleteSlot(old);
  }

  /** Withdraw a published name (references already handed out stay valid). */
  unpublish(name: string): void {
    const slot = this.published.get(name);
    if (slot === undefined) return;
    this.published.delete(name);
    this.deleteSlot(slot);
  }

  /**
   * Ask `node` for the cap it published under `name`, and put a proxy for it in `into`
   * (a free slot unless given). Rejects with an Error whose `code` is ENOENT (no such
   * name), EPIPE (the node is not there) or ETIMEDOUT.
   */
  async lookup(node: string, name: string, into: Task, opts: { slot?: number; timeout?: number; rights?: number } = {}): Promise<number> {
    if (!isNodeName(node)) throw codeError('EINVAL', `bad node name ${JSON.stringify(node)}`);
    let answer: Msg;
    try {
      answer = await this.nc.request(`hurdle.${node}.ctl`, enc.encode(JSON.stringify({ op: 'lookup', name, from: this.node })), {
        timeout: opts.timeout ?? 5000,
      });
    } catch (e) {
      throw natsError(e, node);
    }
    const r = JSON.parse(dec.decode(answer.data)) as { token?: string; error?: string };
    if (r.token === undefined || !isToken(r.token)) throw codeError(r.error ?? 'EIO', `${node}: ${name}`);
    this.notePeer(node);
    const imp = this.importRef({ node, token: r.token });
    return this.installProxy(imp, into, opts.slot, opts.rights);
  }

  /** A proxy for `ref` in `into` (for references learnt out of band). */
  importInto(ref: CapRef, into: Task, slot?: number): number {
    if (!isNodeName(ref.node) || !isToken(ref.token)) throw codeError('EINVAL', 'bad cap reference');
    this.notePeer(ref.node);
    return this.installProxy(this.importRef(ref), into, slot);
  }

  /** Nodes this bridge has heard from, with whether they are alive. */
  peersAlive(): Map<string, boolean> {
    return new Map([...this.peers].map(([n, p]) => [n, !p.dead]));
  }

  /** Stop: no more heartbeats or subscriptions; every waiting call answers EPIPE; the task dies. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.hbTimer !== null) clearTimeout(this.hbTimer);
    for (const s of this.subs) s.unsubscribe();
    for (const p of this.peers.values()) for (const reject of p.waiting) reject(new PeerDead('bridge stopped'));
    this.kernel.deleteTask(this.task);
  }

  // ------------------------------------------------------------------ NATS side

  private listen(): void {
    const limits = FRAME_LIMITS;
    this.subs.push(
      this.nc.subscribe(`hurdle.${this.node}.x.*`, {
        callback: (err, msg) => {
          if (err !== null || this.stopped) return;
          const token = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
          const f = decodeFrame(msg.data, limits);
          if (f === null || (f.kind !== FrameKind.Call && f.kind !== FrameKind.Send)) {
            this.stats.refused++;
            if (msg.reply !== undefined && msg.reply !== '') msg.respond(encodeFrame(failed(Status.InvalidArgument)));
            return;
          }
          this.serveIncoming(token, f, msg);
        },
      }),
    );
    this.subs.push(
      this.nc.subscribe(`hurdle.${this.node}.ctl`, {
        callback: (err, msg) => {
          if (err !== null || this.stopped) return;
          this.control(msg);
        },
      }),
    );
    this.subs.push(
      this.nc.subscribe('hurdle.hb.*', {
        callback: (err, msg) => {
          if (err !== null || this.stopped) return;
          const node = msg.subject.slice('hurdle.hb.'.length);
          if (node === this.node || !isNodeName(node)) return;
          this.heard(node, dec.decode(msg.data));
        },
      }),
    );
  }

  private heartbeat(): void {
    if (this.stopped) return;
    this.nc.publish(`hurdle.hb.${this.node}`, enc.encode(this.boot));
    const now = Date.now();
    for (const [node, p] of this.peers) if (!p.dead && now - p.lastSeen > this.deadAfterMs) this.peerDied(node, 'no heartbeat');
    this.hbTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
    this.hbTimer.unref();
  }

  private notePeer(node: string): Peer {
    let p = this.peers.get(node);
    if (p === undefined) {
      p = { boot: '', lastSeen: Date.now(), dead: false, waiting: new Set() };
      this.peers.set(node, p);
    }
    return p;
  }

  private heard(node: string, boot: string): void {
    const p = this.notePeer(node);
    if (p.boot !== '' && p.boot !== boot && !p.dead) this.peerDied(node, 'restarted');
    if (p.boot !== boot) {
      p.boot = boot;
      p.dead = false;
    }
    p.lastSeen = Date.now();
  }

  /** `node` is gone: fail what waits on it, kill its calls here, release its tokens, deaden its proxies. */
  private peerDied(node: string, _why: string): void {
    const p = this.notePeer(node);
    p.dead = true;
    this.stats.deadNodes++;
    for (const reject of p.waiting) reject(new PeerDead(`${node} is gone`));
    p.waiting.clear();
    for (const x of [...this.exports.values()]) {
      if (x.node !== node) continue;
      for (const t of x.calls) this.kernel.killThread(t);
      this.dropExport(x);
    }
    for (const imp of this.importsByToken.values()) if (imp.node === node) imp.dead = true;
  }

  private control(msg: Msg): void {
    let req: { op?: string; name?: string; from?: string; token?: string; count?: number };
    try {
      req = JSON.parse(dec.decode(msg.data)) as typeof req;
    } catch {
      this.stats.refused++;
      return;
    }
    if (req.op === 'lookup' && typeof req.name === 'string' && typeof req.from === 'string' && isNodeName(req.from)) {
      const slot = this.published.get(req.name);
      if (slot === undefined) {
        msg.respond(enc.encode(JSON.stringify({ error: 'ENOENT' })));
        return;
      }
      this.notePeer(req.from);
      const x = this.exportSlot(slot, req.from, false);
      msg.respond(enc.encode(JSON.stringify(typeof x === 'string' ? { error: x } : { token: x.token })));
    } else if (req.op === 'release' && typeof req.token === 'string' && Number.isSafeInteger(req.count)) {
      const x = this.exports.get(req.token);
      this.stats.releasesIn++;
      if (x === undefined) return;
      x.refs -= req.count!;
      if (x.refs <= 0) this.dropExport(x);
    } else this.stats.refused++;
  }

  // ------------------------------------------------------------------ exports

  /**
   * Export the cap in the bridge's `slot` for `node`: the same token again for the same
   * cap (object, badge, rights), one more reference. `own`: the slot is the bridge's to
   * keep or delete (a cap that arrived in a message); otherwise a copy is made.
   */
  private exportSlot(slot: number, node: string, own: boolean): Export | 'EMFILE' {
    const id = this.task.cspace.get(slot);
    if (id === null) return 'EMFILE';
    const key = `${node}|${id.obj.id}|${id.badge}|${id.rights}`;
    const have = this.exportKeys.get(key);
    if (have !== undefined) {
      have.refs++;
      if (own) this.deleteSlot(slot);
      return have;
    }
    const n = this.tokensPerNode.get(node) ?? 0;
    if (n >= this.maxTokensPerNode) {
      if (own) this.deleteSlot(slot);
      return 'EMFILE';
    }
    const mine = own ? slot : this.kernel.grant(this.task, slot, this.task, { rights: id.rights });
    const x: Export = { token: randomBytes(16).toString('hex'), node, key, slot: mine, refs: 1, calls: new Set() };
    this.exports.set(x.token, x);
    this.exportKeys.set(key, x);
    this.tokensPerNode.set(node, n + 1);
    this.stats.exports++;
    return x;
  }

  private dropExport(x: Export): void {
    if (this.exports.get(x.token) !== x) return;
    this.exports.delete(x.token);
    this.exportKeys.delete(x.key);
    this.tokensPerNode.set(x.node, (this.tokensPerNode.get(x.node) ?? 1) - 1);
    this.deleteSlot(x.slot);
  }

  /** A request for one of our exports: perform it with a thread of the bridge task. */
  private serveIncoming(token: string, f: Frame, msg: Msg): void {
    const x = this.exports.get(token);
    const wantsReply = f.kind === FrameKind.Call && msg.reply !== undefined && msg.reply !== '';
    if (x === undefined) {
      this.stats.refused++;
      if (wantsReply) msg.respond(encodeFrame(failed(Status.DeadPartner)));
      return;
    }
    if (f.kind === FrameKind.Call) this.stats.callsIn++;
    else this.stats.sendsIn++;
    const b = this;
    const body = function* (sys: Sys): SysGen<Frame | null> {
      const u = sys.utcb;
      const placed = b.placeCaps(f.caps);
      if (placed === null) return failed(Status.InvalidCapability);
      loadMessage(u, f);
      for (let i = 0; i < placed.length; i++) u.caps[i] = placed[i]!;
      u.grantMask = 0;
      const timeout = b.callTimeoutMs;
      if (f.kind === FrameKind.Send) {
        yield sys.send(x.slot, f.label, f.words.length, placed.length, f.items.length, timeout);
        clearItems(u, f.items.length);
        return null;
      }
      const windows = reserveWindows(sys);
      const st: number = yield sys.call(x.slot, f.label, f.words.length, placed.length, f.items.length, timeout, timeout);
      clearItems(u, f.items.length);
      if (st !== OK) {
        releaseWindows(sys, windows);
        return failed(st);
      }
      return b.takeMessage(sys, FrameKind.Reply, windows, x.node);
    };
    const t = this.kernel.spawn(this.task, body as (sys: Sys) => SysGen<unknown>, { name: 'netmsg.in' });
    x.calls.add(t);
    t.onExit = (value, _error, threw) => {
      x.calls.delete(t);
      if (!wantsReply) return;
      if (threw) msg.respond(encodeFrame(failed(Status.DeadPartner)));
      else if (value !== null) msg.respond(encodeFrame(value as Frame));
    };
  }

  /** Slots holding the caps a frame names: our own exports, or proxies for others'. Null if one is unknown. */
  private placeCaps(refs: readonly CapRef[]): number[] | null {
    const out: number[] = [];
    for (const r of refs) {
      if (r.node === this.node) {
        const x = this.exports.get(r.token);
        if (x === undefined) return null;
        out.push(x.slot);
      } else {
        this.notePeer(r.node);
        out.push(this.importRef(r).root);
      }
    }
    return out;
  }

  /**
   * Read the message just received into a frame for `node`: words, items, and caps
   * turned into references (exported for `node`, or unwrapped proxies).
   */
  private takeMessage(sys: Sys, kind: typeof FrameKind.Call | typeof FrameKind.Send | typeof FrameKind.Reply, windows: number[], node: string): Frame {
    const u = sys.utcb;
    const words = Array.from(u.mr.subarray(0, u.length));
    const items: (string | Uint8Array)[] = [];
    for (let i = 0; i < u.itemCount; i++) {
      const it = u.itemsIn[i]!;
      items.push(typeof it === 'string' ? it : it.slice());
    }
    const caps: CapRef[] = [];
    let landed = 0;
    for (let i = 0; i < u.capCount; i++) {
      if ((u.unwrapped & (1 << i)) !== 0) {
        // A proxy of ours sent through a proxy: its badge names the import.
        const imp = this.imports.get(u.unwrappedBadges[i]!);
        if (imp === undefined) continue;
        if (imp.node === node) caps.push({ node: imp.node, token: imp.token });
        else {
          const x = this.exportSlot(imp.root, node, false);
          if (typeof x !== 'string') caps.push({ node: this.node, token: x.token });
        }
        continue;
      }
      const slot = windows[landed++]!;
      const x = this.exportSlot(slot, node, true);
      windows[landed - 1] = 0;
      if (typeof x !== 'string') caps.push({ node: this.node, token: x.token });
    }
    releaseWindows(sys, windows);
    return { kind, label: u.label, words, items, caps };
  }

  // ------------------------------------------------------------------ imports

  private importRef(ref: CapRef): Import {
    const key = `${ref.node}/${ref.token}`;
    const have = this.importsByToken.get(key);
    if (have !== undefined) {
      have.received++;
      return have;
    }
    const id = this.nextImport++;
    const root = this.ops.allocSlot();
    const st = this.ops.mint(this.ep, root, Rights.Write | Rights.Grant | Rights.GrantReply, id);
    if (st !== OK) throw new Error(`netmsg: no room for a proxy (${st})`);
    const imp: Import = { id, node: ref.node, token: ref.token, root, received: 1, dead: false };
    this.imports.set(id, imp);
    this.importsByToken.set(key, imp);
    this.stats.imports++;
    this.ops.requestNoSenders(root, this.nsNotif);
    return imp;
  }

  private installProxy(imp: Import, into: Task, slot?: number, rights: number = Rights.CallGrant): number {
    return this.kernel.grant(this.task, imp.root, into, slot === undefined ? { rights } : { rights, slot });
  }

  /** Waits for no-senders on proxy roots: when the last copy of one is gone, release it at its exporter. */
  private *noSendersLoop(sys: Sys): SysGen<void> {
    for (;;) {
      const st: number = yield sys.wait(this.nsNotif);
      if (this.stopped || (st & 0x3f) === Status.DeadPartner) return;
      for (;;) {
        const r = sys.nextNoSenders(this.ep);
        if (!r.ok || r.value === 0) break;
        const imp = this.imports.get(r.value);
        if (imp === undefined) continue;
        this.imports.delete(imp.id);
        this.importsByToken.delete(`${imp.node}/${imp.token}`);
        sys.delete(imp.root);
        if (!imp.dead) {
          this.stats.releasesOut++;
          this.nc.publish(`hurdle.${imp.node}.ctl`, enc.encode(JSON.stringify({ op: 'release', token: imp.token, count: imp.received })));
        }
      }
    }
  }

  private spawnWorker(): void {
    this.workers++;
    this.kernel.spawn(this.task, (sys) => this.worker(sys), { name: 'netmsg.worker' });
  }

  /** A bridge worker: receive a message on a proxy, forward it, answer. */
  private *worker(sys: Sys): SysGen<void> {
    const u = sys.utcb;
    for (;;) {
      const windows = reserveWindows(sys);
      const st: number = yield sys.recv(this.ep);
      if (this.stopped || (st & 0x3f) === Status.DeadPartner) return;
      if (st !== OK) {
        releaseWindows(sys, windows);
        continue;
      }
      this.busy++;
      if (this.busy >= this.workers && this.workers < this.maxWorkers) this.spawnWorker();
      const imp = this.imports.get(u.badge);
      const isCall = sys.hasCaller;
      if (imp === undefined || imp.dead || this.peers.get(imp.node)?.dead === true) {
        releaseWindows(sys, windows);
        this.busy--;
        if (isCall) yield sys.reply(EPIPE);
        continue;
      }
      const frame = this.takeMessage(sys, isCall ? FrameKind.Call : FrameKind.Send, windows, imp.node);
      const subject = `hurdle.${imp.node}.x.${imp.token}`;
      if (!isCall) {
        this.stats.sendsOut++;
        this.nc.publish(subject, encodeFrame(frame));
        this.busy--;
        continue;
      }
      this.stats.callsOut++;
      let answer: Frame | null;
      try {
        answer = yield* sys.await(this.request(imp.node, subject, frame));
      } catch {
        answer = null;
      }
      this.busy--;
      if (answer === null) {
        yield sys.reply(EPIPE);
        continue;
      }
      if (answer.kind === FrameKind.Failed) {
        // The call failed on the exporting side: a dead server is a dead partner here.
        yield sys.reply(answer.label === Status.DeadPartner ? EPIPE : ERRNO.EIO);
        continue;
      }
      const placed = this.placeCaps(answer.caps);
      if (placed === null) {
        yield sys.reply(EPIPE);
        continue;
      }
      loadMessage(u, answer);
      for (let i = 0; i < placed.length; i++) u.caps[i] = placed[i]!;
      u.grantMask = 0;
      yield sys.reply(answer.label, answer.words.length, placed.length, answer.items.length);
      clearItems(u, answer.items.length);
    }
  }

  /** A NATS request to `node`, failed at once when the node dies meanwhile. */
  private request(node: string, subject: string, frame: Frame): Promise<Frame | null> {
    const peer = this.notePeer(node);
    return new Promise<Frame | null>((resolve, reject) => {
      if (peer.dead) {
        reject(new PeerDead(node));
        return;
      }
      peer.waiting.add(reject);
      this.nc.request(subject, encodeFrame(frame), { timeout: 24 * 3600_000 }).then(
        (m) => {
          peer.waiting.delete(reject);
          resolve(decodeFrame(m.data, FRAME_LIMITS));
        },
        (e: unknown) => {
          peer.waiting.delete(reject);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private deleteSlot(slot: number): void {
    this.ops.delete(slot);
  }
}

function clearItems(u: Sys['utcb'], n: number): void {
  for (let i = 0; i < n; i++) u.items[i] = null;
}

function failed(status: number): Frame {
  return { kind: FrameKind.Failed, label: status, words: [], items: [], caps: [] };
}

function loadMessage(u: Sys['utcb'], f: Frame): void {
  for (let i = 0; i < f.words.length; i++) u.mr[i] = f.words[i]!;
  for (let i = 0; i < f.items.length; i++) u.items[i] = f.items[i]!;
}

/** Reserve receive windows for every cap a message may carry. */
function reserveWindows(sys: Sys): number[] {
  const out: number[] = [];
  const u = sys.utcb;
  for (let i = 0; i < MAX_CAPS; i++) {
    const s = sys.reserveSlot();
    out.push(s);
    u.recvSlots[i] = s;
  }
  u.itemWindow = 1 << 22;
  return out;
}

/** Give back the windows no cap landed in. */
function releaseWindows(sys: Sys, windows: number[]): void {
  for (const s of windows) {
    if (s === 0) continue;
    sys.unreserveSlot(s);
    sys.delete(s);
  }
}

function codeError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

function natsError(e: unknown, node: string): Error {
  const m = e instanceof Error ? e.message : String(e);
  if (/no responders|503/i.test(m)) return codeError('EPIPE', `${node} is not there`);
  if (/timeout/i.test(m)) return codeError('ETIMEDOUT', `${node} did not answer`);
  return codeError('EIO', `${node}: ${m}`);
}

