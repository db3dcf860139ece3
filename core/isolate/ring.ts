// The syscall ring between an isolated task's worker and the kernel: one
// SharedArrayBuffer per isolated thread, and the codec both sides use on it.
//
// Protocol. The buffer holds one request or one response at a time (a rendezvous, as a
// syscall is): the worker writes a request (op, arguments, message registers, caps and
// typed items), stores REQ in the state word and notifies; the kernel side stores TAKEN,
// performs the syscall for the task's thread, writes the response (status, what the receive got, the
// error detail) and stores RESP (and rings the worker's doorbell). The waiting side spins for a bounded time, then sleeps:
// the worker in Atomics.wait, the kernel side in Atomics.waitAsync (its event loop runs
// meanwhile). Before a body awaits a promise of its own, the worker stores IDLE, so the
// kernel's watchdog does not take a wait on the worker's own event loop for a hang.
//
// Only numbers, strings and bytes cross: cap names (slot numbers), words, typed items.
// Nothing in the worker can reach a kernel object.

import { MAX_CAPS, MAX_ITEMS, MAX_ITEM_LENGTH, MR_COUNT } from '../limits.ts';
import { MAP_ITEM, type Item } from '../utcb.ts';

/** Values of the state word (Int32 index STATE). */
export const RingState = {
  /** The worker is running its body (or reading a response). */
  Run: 0,
  /** A request is waiting for the kernel. */
  Req: 1,
  /** A response is waiting for the worker. */
  Resp: 2,
  /** The worker waits on its own event loop (a body's await): not a hang. */
  Idle: 3,
  /**
   * The kernel took the request (it is being performed, or blocked in the kernel). A
   * worker with several threads waits for this before running another: the task's
   * syscalls reach the kernel in the order its threads made them, as in-process.
   */
  Taken: 4,
} as const;

/** Int32 index of the state word. */
export const STATE = 0;
/**
 * Int32 index of the progress word: the worker counts the direct calls it makes and
 * answers (direct.ts), which hand nothing to the kernel, so the watchdog does not take a
 * thread busy with them for a hang.
 */
export const PROGRESS = 1;

/** Float64 register indices of a request. */
export const Q = {
  op: 0,
  a0: 1,
  a1: 2,
  a2: 3,
  a3: 4,
  a4: 5,
  sendTimeout: 6,
  recvTimeout: 7,
  grantMask: 8,
  itemWindow: 9,
  caps: 10, // MAX_CAPS words
  recvSlots: 10 + MAX_CAPS, // MAX_CAPS words
  bufLens: 10 + 2 * MAX_CAPS, // MAX_ITEMS words: receive buffer length, -1 for none
  /** The receiver's memory window for map items (utcb.memWindowBase, memWindowSize). */
  memBase: 10 + 2 * MAX_CAPS + MAX_ITEMS,
  memSize: 11 + 2 * MAX_CAPS + MAX_ITEMS,
} as const;

/** Float64 register indices of a response. */
export const R = {
  status: 0,
  label: 1,
  length: 2,
  capCount: 3,
  itemCount: 4,
  badge: 5,
  unwrapped: 6,
  truncated: 7,
  /** The value of an invocation that returns one (allocSlot, childCount, ...). */
  value: 8,
  /** 1 when an error detail follows (status, slot, item; argument and message as strings). */
  hasError: 9,
  errStatus: 10,
  errSlot: 11,
  errItem: 12,
  unwrappedBadges: 13, // MAX_CAPS words
  /** Extra values (identify: kind, rights, badge, object, dead, serial). */
  extra: 13 + MAX_CAPS,
  /** 1 when the thread holds an implicit reply cap after the syscall (every response says). */
  hasCaller: 40,
  /** Bytes mapped by the map and grant items of the message received (utcb.mapped). */
  mapped: 41,
  /** 1 when the kernel posted a direct-call link for the cap just called (direct.ts): take it off the port. */
  newLink: 42,
} as const;

/**
 * A map item on the wire. In a request: what the worker's setMap named (vaddr, length,
 * rights, grant). In a response or an answer to map/view: a mapping of the task
 * (vaddr, length, offset in the dataspace, dataspace id, rights) and its live word
 * (index and value while live) in the task's word array (WorkerInit.mapWords).
 */
export interface MapWire {
  vaddr: number;
  length: number;
  rights: number;
  grant: boolean;
  offset: number;
  dataspace: number;
  word: number;
  gen: number;
}

const CTRL_BYTES = 64;
const REG_COUNT = 48;
const REGS_OFF = CTRL_BYTES;
const MRS_OFF = REGS_OFF + REG_COUNT * 8;
const ITEMS_OFF = MRS_OFF + MR_COUNT * 8;
/** Room for MAX_ITEMS items at their longest (strings as UTF-16) plus a few strings of detail. */
const ITEMS_BYTES = (MAX_ITEMS + 4) * (2 * MAX_ITEM_LENGTH + 8);

/** Bytes of one ring (mostly the item area, which the OS commits only when touched). */
export const RING_BYTES = ITEMS_OFF + ITEMS_BYTES;

/** Entry tags in the item area. */
const TAG_NULL = 0;
const TAG_STRING = 1;
const TAG_BYTES = 2;
const TAG_MAP = 3;
/** Int32 words of a TAG_MAP entry after its tag and presence word. */
const MAP_WORDS = 8;

/** Typed views of one ring buffer. */
export class Ring {
  readonly i32: Int32Array;
  readonly regs: Float64Array;
  readonly mrs: Float64Array;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly ii: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, CTRL_BYTES / 4);
    this.regs = new Float64Array(sab, REGS_OFF, REG_COUNT);
    this.mrs = new Float64Array(sab, MRS_OFF, MR_COUNT);
    this.u8 = new Uint8Array(sab, ITEMS_OFF, ITEMS_BYTES);
    this.u16 = new Uint16Array(sab, ITEMS_OFF, ITEMS_BYTES >> 1);
    this.ii = new Int32Array(sab, ITEMS_OFF, ITEMS_BYTES >> 2);
  }

  static create(): Ring {
    return new Ring(new SharedArrayBuffer(RING_BYTES));
  }

  /** Map items read by the last readEntries: maps[i] for an entry that was MAP_ITEM (null: nothing landed). */
  readonly maps: (MapWire | null)[] = [];

  /**
   * Write entries (items, then strings of detail) into the item area; returns how many.
   * Strings are copied as UTF-16 code units, so any string crosses unchanged. An entry
   * that is MAP_ITEM crosses as `maps[i]` (null: a map item that did not land).
   */
  writeEntries(entries: readonly (Item | null | undefined)[], n: number, maps?: readonly (MapWire | null | undefined)[]): void {
    const ii = this.ii;
    ii[0] = n;
    let w = 1; // in Int32 words
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      if (e === null || e === undefined) {
        ii[w++] = TAG_NULL;
        ii[w++] = 0;
      } else if (e === MAP_ITEM) {
        const m = maps?.[i];
        ii[w++] = TAG_MAP;
        if (m === null || m === undefined) {
          ii[w++] = 0;
        } else {
          ii[w++] = 1;
          ii[w] = m.vaddr;
          ii[w + 1] = m.length;
          ii[w + 2] = m.rights;
          ii[w + 3] = m.grant ? 1 : 0;
          ii[w + 4] = m.offset;
          ii[w + 5] = m.dataspace;
          ii[w + 6] = m.word;
          ii[w + 7] = m.gen;
          w += MAP_WORDS;
        }
      } else if (typeof e === 'string') {
        const len = e.length;
        ii[w++] = TAG_STRING;
        ii[w++] = len;
        const u16 = this.u16;
        let p = w << 1;
        for (let j = 0; j < len; j++) u16[p++] = e.charCodeAt(j);
        w += (len + 1) >> 1;
      } else {
        const len = e.length;
        ii[w++] = TAG_BYTES;
        ii[w++] = len;
        this.u8.set(e, w << 2);
        w += (len + 3) >> 2;
      }
    }
  }

  /** Read the entries written by writeEntries; byte entries are fresh copies. */
  readEntries(): (Item | null)[] {
    const ii = this.ii;
    const n = ii[0]!;
    const out: (Item | null)[] = new Array<Item | null>(n);
    let w = 1;
    for (let i = 0; i < n; i++) {
      const tag = ii[w++]!;
      const len = ii[w++]!;
      if (tag === TAG_NULL) out[i] = null;
      else if (tag === TAG_MAP) {
        out[i] = MAP_ITEM;
        if (len === 0) this.maps[i] = null;
        else {
          this.maps[i] = {
            vaddr: ii[w]! >>> 0,
            length: ii[w + 1]! >>> 0,
            rights: ii[w + 2]! >>> 0,
            grant: ii[w + 3] === 1,
            offset: ii[w + 4]! >>> 0,
            dataspace: ii[w + 5]!,
            word: ii[w + 6]!,
            gen: ii[w + 7]!,
          };
          w += MAP_WORDS;
        }
      } else if (tag === TAG_STRING) {
        const p = w << 1;
        out[i] = len < 64 ? shortString(this.u16, p, len) : new TextDecoder('utf-16le').decode(this.u16.slice(p, p + len));
        w += (len + 1) >> 1;
      } else {
        const p = w << 2;
        out[i] = this.u8.slice(p, p + len);
        w += (len + 3) >> 2;
      }
    }
    return out;
  }
}

function shortString(u16: Uint16Array, p: number, len: number): string {
  let s = '';
  for (let j = 0; j < len; j++) s += String.fromCharCode(u16[p + j]!);
  return s;
}

/** Syscall codes of the ring: IPC ops use the kernel's Op codes; these are the rest. */
export const RingOp = {
  Exit: 100,
  AllocSlot: 101,
  ReserveSlot: 102,
  UnreserveSlot: 103,
  Mint: 104,
  Move: 105,
  Delete: 106,
  Revoke: 107,
  CancelBadgedSends: 108,
  Identify: 109,
  SaveCaller: 110,
  HasCaller: 111,
  Now: 112,
  CreateEndpoint: 113,
  CreateNotification: 114,
  CreateFactory: 115,
  CreateTask: 116,
  InstallCap: 117,
  KillTask: 118,
  WatchTask: 119,
  TaskInfo: 120,
  Suspend: 121,
  Resume: 122,
  SetPriority: 123,
  SetFaultHandler: 124,
  SetOwnFaultHandler: 125,
  Bind: 126,
  BindThread: 127,
  Unbind: 128,
  RequestNoSenders: 129,
  NextNoSenders: 130,
  ChildCount: 131,
  /** Start another thread of this task: a proxy in the kernel, a new ring (sent on the port). */
  CreateThread: 132,
  /** Signal a notification without blocking (host code in the worker: HostSys.signal). */
  HostSignal: 133,
  /** Whether a slot is empty and reserved (a receive window that can be kept). */
  SlotReserved: 134,
  /** Whether the task's endpoint in a slot has badges waiting in its no-senders queue. */
  NoSendersPending: 135,
  /** Dataspaces (DS1-DS6): create one, map a cap, unmap, revoke a mapping, view one, list them. */
  CreateDataspace: 136,
  Map: 137,
  Unmap: 138,
  RevokeMapping: 139,
  View: 140,
  Mappings: 141,
  /** The kernel's introspection snapshot through a host cap (JSON text, one string entry). */
  KernelSnapshot: 142,
  /** Serve an endpoint directly (direct.ts): a0 the endpoint slot. */
  ServeDirect: 143,
  /** Stop serving directly (the body ends, or asks). */
  StopDirect: 144,
  /** Hand the direct call the thread holds to the kernel (direct.ts, adopt): a0 link id, a1 link index, a2 request word. */
  AdoptDirect: 145,
  /** Collect the answer to a direct call the server handed to the kernel (ADOPTED), as a call's response. */
  AwaitAdopted: 146,
} as const;

/** What the worker is started with (workerData). */
export interface WorkerInit {
  readonly sab: SharedArrayBuffer;
  /** URL of the module that exports the body. */
  readonly module: string;
  /** Name of the export (default 'default'). */
  readonly exportName: string;
  /** Argument passed to a body factory export (JSON-cloneable), or undefined. */
  readonly arg: unknown;
  readonly taskId: number;
  readonly threadId: number;
  readonly priority: number;
  /** Nanoseconds the worker spins before Atomics.wait. */
  readonly spinNs: number;
  /**
   * One Int32 shared by every ring of the worker: the kernel side adds 1 and notifies it
   * after each response, so a worker with several threads waits on one word.
   */
  readonly doorbell: SharedArrayBuffer;
  /** Ring of the worker's host context (invocations made outside any thread's turn). */
  readonly hostSab: SharedArrayBuffer;
  /**
   * Where the kernel sends the ring of each thread the worker starts (createThread) and
   * the memory of each dataspace the task gets a mapping of, both before it answers.
   */
  readonly port: import('node:worker_threads').MessagePort;
  /** The task's mapping live words (Int32, MAX_MAPPINGS of them): non-zero while a mapping lives. */
  readonly mapWords: SharedArrayBuffer;
}

/** What the kernel posts on the port for each thread the worker starts. */
export interface NewThreadMessage {
  readonly sab: SharedArrayBuffer;
  readonly threadId: number;
}

/** What the kernel posts on the port, once, for each dataspace the task maps. */
export type DataspaceMessage =
  /** The memory of a dataspace the task got its first mapping of. */
  | { readonly dataspace: number; readonly memory: SharedArrayBuffer }
  /** The task's last mapping of the dataspace went: drop the worker's reference to its memory. */
  | { readonly dataspace: number; readonly forget: true };

/**
 * The adaptive spin of one waiting side: spin up to `budget` ns for the state word to
 * become `want`, then give up (the caller sleeps). A spin that catches the hand-off
 * doubles the budget (up to `max`); a spin that misses halves it, down to a floor of
 * max/32, so on a loaded machine, where the other side is not running and spinning only
 * steals its core, the waiting side soon sleeps almost at once, and the short spins
 * left still notice when the load goes (a hit grows the budget back).
 */
export class Spinner {
  private budget: number;
  private readonly floor: number;
  constructor(private readonly max: number) {
    this.budget = max;
    this.floor = max / 32;
  }

  /** The current budget in ns (for tests and tools). */
  get current(): number {
    return this.budget;
  }

  /** True when the state word became `want` while spinning (or already was). */
  spin(i32: Int32Array, want: number): boolean {
    if (Atomics.load(i32, STATE) === want) return this.hit();
    const b = this.budget;
    if (b <= 0) return false;
    // The clock is read first after 64 re-checks (a hand-off often comes sooner, and a
    // clock read costs about 70 ns on the VM), then every 64.
    let until = -1;
    let n = 0;
    while (Atomics.load(i32, STATE) !== want) {
      if ((++n & 63) === 0) {
        const now = performance.now();
        if (until < 0) until = now + b / 1e6;
        else if (now > until) return this.miss(b);
      }
    }
    return this.hit();
  }

  /** True when word 0 of `i32` moved away from `seen` while spinning (or already had). */
  spinWhile(i32: Int32Array, seen: number): boolean {
    return this.spinWhileState(i32, seen, 0);
  }

  /** True when word `at` (default the state word) moved away from `seen` while spinning. */
  spinWhileState(i32: Int32Array, seen: number, at: number = STATE): boolean {
    if (Atomics.load(i32, at) !== seen) return this.hit();
    const b = this.budget;
    if (b <= 0) return false;
    let until = -1;
    let n = 0;
    while (Atomics.load(i32, at) === seen) {
      if ((++n & 63) === 0) {
        const now = performance.now();
        if (until < 0) until = now + b / 1e6;
        else if (now > until) return this.miss(b);
      }
    }
    return this.hit();
  }

  private hit(): true {
    this.budget = Math.min(this.max, this.budget * 2 + 1000);
    return true;
  }

  private miss(b: number): false {
    this.budget = Math.max(this.floor, b / 2);
    return false;
  }
}
