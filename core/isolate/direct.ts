// Direct calls between isolated tasks: a call from one worker answered by a thread in
// another worker without the main thread taking part, the kernel only setting up,
// checking and tearing down (docs/isolation.md, "Direct calls").
//
// A server thread opts in with serveDirect(slot) on an endpoint it receives from. After
// a client thread's call through a cap to that endpoint succeeds through the kernel (so
// the kernel checked the cap, its rights and the rendezvous), the kernel gives the pair
// a *link*: a small SharedArrayBuffer of its own, posted to both workers. From then on
// the client's calls through that cap slot write the words into the link and the server,
// while it waits in recv or replyRecv on that endpoint, takes them from there and answers
// there. The kernel keeps the authority:
// - the badge the server sees is the cap's, kept in the server's worker from the
//   kernel's message, never read from the link;
// - each link has an alive word in memory only the kernel and the server share: the
//   kernel clears it when the cap leaves its slot (deleted, revoked, moved, granted
//   away in a message: Endpoint.onCapRemoved and onCapMoved), and the server then
//   refuses the request (the client makes the call through the kernel, which answers
//   what it answers for that slot now);
// - a server thread that ends answers the call it holds Aborted (receive phase, as
//   Decision 4) and a request it did not take goes through the kernel; a server whose
//   worker dies leaves every posted call DeadPartner (receive phase), taken or not (a
//   dead worker cannot say);
// - a sender queued on the endpoint through the kernel raises a word the server checks
//   while it spins, so it goes back to the kernel and nobody waits behind direct calls.
//
// What a link may carry: a call of 0..64 words with no caps, no items, no timeouts, from
// a worker running one thread, made while its receive windows are the ones the kernel
// last got; the answer is words only. A server that must answer otherwise (saveCaller,
// caps or items) first hands the call to the kernel (adopt): the client's kernel thread
// then waits for the reply as for any call, and the client collects it there. Everything
// else goes through the kernel as before. A link is one client thread and one cap slot; a
// hostile client can write anything into its own link and so only make its own calls fail.
//
// The hand-off (the words are laid out below, each area written by one side): the
// server, in its receive, opens its links (an odd epoch in each) and looks at each
// client's request word for a bounded time; a client that sees its link open writes the
// words, publishes its request tagged with that epoch, and spins, then sleeps, on the
// server's answer word. Before the server sleeps in the kernel it closes every link (an
// even epoch), then reads each request word once more: a request of the epoch it closed
// is accepted (served before the server sleeps) and recorded, and the close is
// acknowledged. A client that finds the epoch changed after it posted waits for that
// acknowledgement: accepted, or void (then it calls through the kernel, which wakes the
// server there). Each side publishes with one atomic store after plain writes.

import type { MessagePort } from 'node:worker_threads';
import type { Cap } from '../cspace.ts';
import type { Endpoint, EndpointDirect } from '../endpoint.ts';
import { RECV_PHASE, Status } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import { Kind } from '../kobject.ts';
import { Rights } from '../rights.ts';
import { ThreadState, type Thread } from '../thread.ts';

/**
 * A link's words (Int32, one SharedArrayBuffer per link), in areas each written by one
 * side only, so a call costs one atomic store a side (a compare-and-swap or a second
 * atomic store each cost about as much as the whole hand-off on the 2-core VM):
 * - the client's: its request (C_REQ: a sequence number and the server's open epoch it
 *   saw, published last), whether it sleeps, then label, length and the words;
 * - the server's: its open epoch (odd while it looks at the link from its receive), the
 *   last request answered (S_ANS, published last), the status, label, length and words;
 * - the server's close record: the epoch it closed (K_ACK) and the request it accepted
 *   while closing (K_TAKEN);
 * - the kernel's: H_GONE, 0 while the link lives, REUSE_NO once the client must not post
 *   (the cap went, serving ended), RETRY_LEFT when the server thread ended (a request it
 *   did not answer goes through the kernel), or the status a dead server leaves a
 *   posted call with.
 * Words are uint32, stored as int32.
 */
export const C_REQ = 0;
export const C_SLEEP = 1;
export const C_LABEL = 2;
export const C_LEN = 3;
export const C_MR = 4;
export const S_OPEN = 80;
export const S_ANS = 81;
export const S_STATUS = 82;
export const S_LABEL = 83;
export const S_LEN = 84;
export const S_MR = 85;
export const K_ACK = 160;
export const K_TAKEN = 161;
export const H_GONE = 176;
/** Bytes of one link (each area on cache lines of its own). */
export const LINK_BYTES = 768;
/** H_GONE: the client must not post on the link any more (its calls go through the kernel). */
export const REUSE_NO = -1;
/** H_GONE: the server thread ended; a request it did not answer goes through the kernel. */
export const RETRY_LEFT = -2;
/** S_STATUS of a request the server refused untaken (the cap went): the client calls through the kernel. */
export const REFUSED = -1;
/**
 * S_STATUS of a request the server handed to the kernel (adopt): the client's kernel
 * thread waits there for the answer as for any call it made, and the client collects it
 * with RingOp.AwaitAdopted.
 */
export const ADOPTED = -2;
/** The open epoch's bits a request carries (the rest of C_REQ is its sequence number). */
export const EPOCH_BITS = 0xff;

/** Int32 indices of a serving thread's control words (shared by the kernel and the server only). */
export const S_FLAG = 0;
export const S_GEN = 1;
/** First of the alive words, one per link index. */
export const S_ALIVE = 2;
/** Values of S_FLAG. */
export const ServeFlag = {
  None: 0,
  /** A sender waits in the kernel: go back to the kernel's receive. */
  Kernel: 1,
  /** Direct serving ended (cap gone, tracer attached, thread bound): stop using links. */
  Stop: 2,
} as const;

/** Most links one serving thread has (one per client thread and cap slot); past it calls go through the kernel. */
export const DEFAULT_DIRECT_LINKS = 64;
/** Most links one client thread has; past it its calls through further slots go through the kernel. */
export const DEFAULT_DIRECT_LINKS_PER_CLIENT = 8;
/** Most a directly serving receive looks at its links before it sleeps in the kernel (ns); the look adapts from the worker's spin up to this. */
export const DEFAULT_DIRECT_SPIN_NS = 1_000_000;

/** What the kernel posts on a worker's port about direct calls. */
export type DirectMessage =
  /** To a server: serve `slot` directly; `srv` holds the flag, generation and alive words. */
  | { readonly direct: 'serve'; readonly slot: number; readonly srv: SharedArrayBuffer }
  /** To a server: a new link, its index in the alive words, its id (adopt names it), and the badge of the client's cap. */
  | { readonly direct: 'link'; readonly index: number; readonly id: number; readonly sab: SharedArrayBuffer; readonly badge: number }
  /** To a server: the link at `index` is gone. */
  | { readonly direct: 'unlink'; readonly index: number }
  /** To a client: calls through `slot` may use this link. */
  | { readonly direct: 'client'; readonly slot: number; readonly sab: SharedArrayBuffer };

// ------------------------------------------------------------------ kernel side

/** One link, as the kernel keeps it. */
interface Link {
  readonly index: number;
  /** Unique in the kernel (an index is reused once its link is gone). */
  readonly id: number;
  /** The link's words (over a SharedArrayBuffer of LINK_BYTES). */
  readonly i32: Int32Array;
  readonly cap: Cap;
  readonly client: Thread;
  readonly slot: number;
  readonly serving: Serving;
}

/** A thread serving an endpoint directly, and its links. */
class Serving implements EndpointDirect {
  private readonly links: (Link | null)[];
  readonly srv: Int32Array;
  ended = false;

  constructor(
    private readonly host: DirectHost,
    readonly ep: Endpoint,
    /** The server's own cap to the endpoint (its receive right). */
    readonly cap: Cap,
    readonly server: Thread,
    private readonly port: MessagePort,
    max: number,
  ) {
    this.links = new Array<Link | null>(max).fill(null);
    this.srv = new Int32Array(new SharedArrayBuffer((S_ALIVE + max) * 4));
    server.directEnd = () => this.end(0);
  }

  senderBlocked(): void {
    Atomics.compareExchange(this.srv, S_FLAG, ServeFlag.None, ServeFlag.Kernel);
  }

  capRemoved(cap: Cap): void {
    if (cap === this.cap) {
      this.end(0);
      return;
    }
    for (const l of this.links) if (l !== null && l.cap === cap) this.host.retire(l, 0);
  }

  /** A link for `client`'s calls through `slot` (`cap`), or null when the table is full. */
  add(client: Thread, slot: number, cap: Cap): Link | null {
    const index = this.links.indexOf(null);
    if (index < 0) return null;
    const id = this.host.nextId++;
    const link: Link = { index, id, i32: new Int32Array(new SharedArrayBuffer(LINK_BYTES)), cap, client, slot, serving: this };
    this.links[index] = link;
    Atomics.store(this.srv, S_ALIVE + index, 1);
    const msg: DirectMessage = { direct: 'link', index, id, sab: link.i32.buffer as SharedArrayBuffer, badge: cap.badge };
    this.port.postMessage(msg);
    Atomics.add(this.srv, S_GEN, 1);
    return link;
  }

  /** The live link at `index` with id `id`, or null. */
  linkAt(index: number, id: number): Link | null {
    const l = index >= 0 && index < this.links.length ? this.links[index]! : null;
    return l !== null && l.id === id ? l : null;
  }

  /** Forget a retired link (its alive word is already cleared). */
  drop(link: Link): void {
    if (this.links[link.index] !== link) return;
    this.links[link.index] = null;
    if (this.ended) return;
    const msg: DirectMessage = { direct: 'unlink', index: link.index };
    this.port.postMessage(msg);
    Atomics.add(this.srv, S_GEN, 1);
  }

  /** Stop serving directly; the links retire with `status` (retire). */
  end(status: number): void {
    if (this.ended) return;
    this.ended = true;
    if (this.ep.direct === this) this.ep.direct = null;
    this.server.directEnd = null;
    Atomics.store(this.srv, S_FLAG, ServeFlag.Stop);
    // retire() drops each link from the table.
    for (const l of this.links) if (l !== null) this.host.retire(l, status);
    this.host.servers.delete(this.server);
  }
}

/** The kernel's record of direct serving and links, one per kernel. */
class DirectHost {
  readonly servers = new Map<Thread, Serving>();
  readonly clients = new Map<Thread, Set<Link>>();
  /** Client threads whose direct call the kernel adopted and that have not woken since (adopt). */
  readonly adopting = new Set<Thread>();
  /** The next link id. */
  nextId = 1;

  constructor(private readonly k: Kernel) {
    // Direct calls do not pass the kernel's tracer: attaching one ends them all, so
    // every call is traced from then on.
    k.directOff = () => {
      for (const s of [...this.servers.values()]) s.end(0);
    };
  }

  /**
   * Take a link out of use: the client posts no more on it. `status` 0: the server still
   * answers what it took or accepted; RETRY_LEFT: the server thread ended, so what it did
   * not answer goes through the kernel; otherwise the server is dead and a posted call
   * not answered gets `status`.
   */
  retire(l: Link, status: number): void {
    const i32 = l.i32;
    Atomics.store(i32, H_GONE, status === 0 ? REUSE_NO : status);
    Atomics.notify(i32, S_ANS);
    Atomics.notify(i32, K_ACK);
    Atomics.store(l.serving.srv, S_ALIVE + l.index, 0);
    l.serving.drop(l);
    const set = this.clients.get(l.client);
    if (set !== undefined) {
      set.delete(l);
      if (set.size === 0) this.clients.delete(l.client);
    }
  }

  serve(server: Thread, port: MessagePort, slot: number, max: number): number {
    const cap = server.task.cspace.get(slot);
    if (cap === null || cap.obj.kind !== Kind.Endpoint || (cap.rights & Rights.Read) === 0) {
      server.utcb.error = { status: Status.InvalidCapability, argument: 'endpoint', slot, message: 'serveDirect needs an endpoint cap with Read' };
      return Status.InvalidCapability;
    }
    const ep = cap.obj as Endpoint;
    if (ep.direct !== null || this.servers.has(server)) {
      server.utcb.error = { status: Status.IllegalOperation, argument: 'endpoint', slot, message: 'the endpoint, or this thread, is already served directly' };
      return Status.IllegalOperation;
    }
    if (server.bound !== null) {
      server.utcb.error = { status: Status.IllegalOperation, argument: 'thread', message: 'a thread bound to a notification cannot serve directly' };
      return Status.IllegalOperation;
    }
    const s = new Serving(this, ep, cap, server, port, max);
    if (this.k.tracer !== null) s.end(0); // traced: answered Ok, but no link is ever made
    else {
      ep.direct = s;
      this.servers.set(server, s);
    }
    const msg: DirectMessage = { direct: 'serve', slot, srv: s.srv.buffer as SharedArrayBuffer };
    port.postMessage(msg);
    return Status.Ok;
  }

  /** After `client`'s call through `slot` succeeded: give it a link if it may have one. */
  link(client: Thread, port: MessagePort, slot: number, perClient: number): boolean {
    const cap = client.task.cspace.get(slot);
    // As the kernel's call (E5, R3): an endpoint cap with Write and Grant or GrantReply.
    if (cap === null || (cap.rights & Rights.Write) === 0 || (cap.rights & (Rights.Grant | Rights.GrantReply)) === 0) return false;
    const ep = cap.obj as Endpoint;
    const s = ep.kind === Kind.Endpoint ? (ep.direct as Serving | null) : null;
    if (s === null || s.ended || s.server.task === client.task || this.k.tracer !== null) return false;
    let set = this.clients.get(client);
    if (set !== undefined) {
      if (set.size >= perClient) return false;
      for (const l of set) if (l.slot === slot) return false;
    }
    const l = s.add(client, slot, cap);
    if (l === null) return false;
    if (set === undefined) this.clients.set(client, (set = new Set()));
    set.add(l);
    const msg: DirectMessage = { direct: 'client', slot, sab: l.i32.buffer as SharedArrayBuffer };
    port.postMessage(msg);
    return true;
  }

  /**
   * The server thread `server` hands the direct call it took (request `req` on link `id`
   * at `index`) to the kernel, because it must answer it as only a kernel call can be
   * answered (saveCaller, caps or items in the answer). The client's kernel thread,
   * idle in its worker's ring while the worker waits on the link, is made to wait for a
   * reply as if its call had come through the kernel, and `server` holds the implicit
   * reply cap for it; the server then tells the client, on the link, to collect the
   * answer from the kernel (ADOPTED, RingOp.AwaitAdopted). Ok, or IllegalOperation
   * (not serving, the link went, the request is not the client's outstanding one, the
   * client's kernel thread is stopped): the server answers the call Aborted then.
   */
  adopt(server: Thread, id: number, index: number, req: number): number {
    const s = this.servers.get(server);
    const l = s === undefined ? null : s.linkAt(index, id);
    const c = l === null ? null : l.client;
    if (l === null || c === null || Atomics.load(l.i32, C_REQ) !== req || Atomics.load(l.i32, S_ANS) === req || (c.state !== ThreadState.Ready && c.state !== ThreadState.HostWait)) {
      server.utcb.error = { status: Status.IllegalOperation, argument: 'caller', message: 'the direct call cannot be handed to the kernel (its link or client went)' };
      return Status.IllegalOperation;
    }
    const k = this.k;
    // A caller the server still held through the kernel is dropped, as a new receive drops it (Decision 4).
    if (server.replyTo !== null) k.abortCaller(server, Status.Aborted | RECV_PHASE);
    k.detachThread(c);
    c.callSeq = ++k.callCounter;
    c.savedReply = null;
    c.state = ThreadState.BlockedReply;
    server.replyTo = c;
    server.replySeq = c.callSeq;
    // R5: the answer may carry caps when the server's receive cap has Grant.
    server.replyCanGrant = (s!.cap.rights & Rights.Grant) !== 0;
    this.adopting.add(c);
    return Status.Ok;
  }

  /** A thread ended: as a server, its links retire with `status` (retire); as a client, its links go. */
  gone(t: Thread, status: number): void {
    this.adopting.delete(t);
    this.servers.get(t)?.end(status);
    const set = this.clients.get(t);
    if (set !== undefined) for (const l of [...set]) this.retire(l, 0);
  }

  /** The server stops serving directly (it starts a thread, binds a notification, asks to). */
  stop(t: Thread): void {
    this.servers.get(t)?.end(0);
  }
}

const hosts = new WeakMap<Kernel, DirectHost>();

/** The kernel's direct-call record (made on first use). */
export function directHost(k: Kernel): DirectHost {
  let h = hosts.get(k);
  if (h === undefined) hosts.set(k, (h = new DirectHost(k)));
  return h;
}

/**
 * The kernel thread `t` (an isolated client's) woke: true when the wake answers the
 * direct call the kernel adopted from it (its status is that call's).
 */
export function adoptedWake(k: Kernel, t: Thread): boolean {
  const h = hosts.get(k);
  return h !== undefined && h.adopting.delete(t);
}

/** A thread ended: its direct serving ends and its links as a client go (if it had any). */
export function directGone(k: Kernel, t: Thread, dying: boolean): void {
  const h = hosts.get(k);
  // A thread that ended answered what it took (the worker does, Decision 4); what it did
  // not take goes through the kernel. A dead worker answered nothing: DeadPartner.
  if (h !== undefined) h.gone(t, dying ? Status.DeadPartner | RECV_PHASE : RETRY_LEFT);
}
