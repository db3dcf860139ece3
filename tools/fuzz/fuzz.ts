// A seeded fuzzer of raw and malformed messages at every server of the default system,
// sent by an unprivileged client (uid 1000), and the checks that follow it: every server
// still answers well-formed requests, the volume is unchanged outside the fuzzer's own
// directory, no server thread is faulted or stuck, and once the fuzzer is gone the
// kernel holds exactly what an identical system that was never fuzzed holds.
//
// Deterministic: virtual time, one seeded generator, kernel threads scheduled by the
// kernel. The same seed and count give the same messages and the same report.

import {
  Kernel,
  snapshot,
  Status,
  VirtualClock,
  MAX_CAPS,
  MAX_ITEMS,
  MR_COUNT,
  type Sys,
  type SysGen,
} from '../../core/index.ts';
import { invoke, type AnyType, type Fields, type Interface, type MethodDef } from '../../libcap/index.ts';
import { Auth, Rendezvous } from '../../servers/auth/index.ts';
import { forgetKeptRoots, forgetTransferPools, Fsys, Protid } from '../../servers/fs/index.ts';
import { createFsClient, type FsClient } from '../../clients/fs/index.ts';
import { Namespace, Watcher } from '../../servers/names/index.ts';
import { Mailbox, Notify, Sender } from '../../servers/notify/index.ts';
import { boot, CAP_NAMESPACE, defaultSystem, type System } from '../../servers/system/index.ts';
import { Tasks } from '../../servers/task/index.ts';
import { connect } from '../../libcap/index.ts';
import { MOUNTS, populate } from '../start/populate.ts';

/** What runFuzz does. */
export interface FuzzOptions {
  /** Messages to send in all (default 10,000). */
  readonly messages?: number;
  /** Seed of the generator (default 1). */
  readonly seed?: number;
  /** Fuzzer threads sending concurrently (default 8). */
  readonly threads?: number;
  /** Called with progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What a run found; `problems` is empty when every check passed. */
export interface FuzzReport {
  readonly seed: number;
  readonly messages: number;
  /** Replies by outcome: 'ok', an errno name, or a kernel status name. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Every check that failed, one line each. */
  readonly problems: readonly string[];
  /** Kernel time the run took, in ms. */
  readonly kernelMs: number;
}

/** The interfaces the fuzzer speaks, for caps whose interface it does not know. */
const INTERFACES: readonly Interface[] = [Auth, Protid, Fsys, Namespace, Watcher, Notify, Mailbox, Sender, Tasks];

/** The fuzzer's own directory: the only place its writes may land on the volume. */
export const FUZZ_DIR = '/fuzz';
const FUZZ_UID = 1000;
const FUZZ_GID = 100;
/** Caps the fuzzer keeps at most; past this it deletes the oldest it acquired. */
const POOL_MAX = 48;
/** How long a single fuzz call may wait, at most (ms of kernel time). */
const TIMEOUTS = [0, 0, 1, 5, 50, 500, 5_000] as const;

/** mulberry32: a small seeded generator (deterministic across runs and platforms). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  u32(): number {
    return this.pick([0, 1, 2, 3, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, this.int(2 ** 32), this.int(64)]);
  }
}

/** A cap the fuzzer holds, with the interface it believes is behind it (null: unknown). */
interface PoolCap {
  readonly slot: number;
  readonly iface: Interface | null;
  /** One of the fuzzer's initial caps (never deleted by the fuzzer). */
  readonly initial: boolean;
}

const NAMES = ['a', 'b', 'file', 'dir', 'x'.repeat(255), 'x'.repeat(256), '.', '..', '', 'tmp', 'hello', '\ud800', 'a\udc00b', 'é', '/'];
const PATHS = ['', '/', '.', '..', 'fuzz', 'fuzz/a', 'fuzz/b/c', 'fuzz/../etc/motd', 'etc', 'etc/motd', 'tmp/f', 'hello', 'proc/tasks', 'home/user', '../..', 'fuzz/\ud800', 'a'.repeat(5000), 'fuzz/link'];

/** A value for a type descriptor: mostly plausible, sometimes out of bounds or malformed. */
function valueOf(rng: Rng, ty: AnyType, caps: () => number, depth = 0): unknown {
  switch (ty.kind) {
    case 'u32':
      return rng.chance(0.05) ? rng.pick([-1, 2 ** 32, 0.5, Number.NaN]) : rng.u32();
    case 'i32':
      return rng.pick([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), rng.int(1000) - 500]);
    case 'f64':
      return rng.pick([0, 1, -1, 0.5, 1e300, -1e300, Number.MAX_SAFE_INTEGER, rng.next() * 1e6]);
    case 'bool':
      return rng.chance(0.5);
    case 'enum':
      return rng.chance(0.05) ? 'no-such-value' : rng.pick(ty.values);
    case 'string': {
      const r = rng.int(10);
      if (r < 4) return rng.pick(PATHS);
      if (r < 7) return rng.pick(NAMES);
      if (r < 8) return 'y'.repeat(Math.min(ty.max + rng.int(3) - 1, 70_000));
      return String.fromCharCode(...Array.from({ length: rng.int(12) }, () => rng.int(0x10000)));
    }
    case 'bytes': {
      const n = rng.chance(0.1) ? Math.min(ty.max + rng.int(3) - 1, 1 << 21) : rng.int(64);
      const b = new Uint8Array(Math.max(0, n));
      for (let i = 0; i < Math.min(b.length, 64); i++) b[i] = rng.int(256);
      return b;
    }
    case 'cap':
      return caps();
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(ty.fields)) out[k] = valueOf(rng, f, caps, depth + 1);
      return out;
    }
    case 'array': {
      const n = rng.chance(0.05) ? ty.max + 1 : rng.int(Math.min(ty.max, 6) + 1);
      return depth > 3 ? [] : Array.from({ length: Math.min(n, 5000) }, () => valueOf(rng, ty.of, caps, depth + 1));
    }
    case 'optional':
      return rng.chance(0.5) ? undefined : valueOf(rng, ty.of, caps, depth + 1);
  }
}

function argsOf(rng: Rng, fields: Fields, caps: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) out[k] = valueOf(rng, f, caps);
  return out;
}

/** The fuzzer children: one warms the system up, one is the run that is checked, one never sends (what an idle client costs). */
const FUZZERS = ['warmup', 'fuzzer', 'ghost'] as const;
type FuzzerName = (typeof FUZZERS)[number];

/** A system to fuzz: the default system with the `npm start` tree, a root client and the fuzzer's task. */
interface World {
  readonly kernel: Kernel;
  readonly system: System;
  readonly root: FsClient;
  /** Every slot each fuzzer child held once booted. */
  readonly initialCaps: ReadonlyMap<FuzzerName, readonly number[]>;
  /** A fuzzer's initial caps: slot -> interface. */
  initial(name: FuzzerName): ReadonlyMap<number, Interface>;
}

function* idle(_sys: Sys): SysGen<void> {}

async function makeWorld(): Promise<World> {
  const kernel = new Kernel({ clock: new VirtualClock() });
  const rootIds = { uid: 0, gid: 0 };
  const ids = { uid: FUZZ_UID, gid: FUZZ_GID };
  const system = await boot(
    kernel,
    defaultSystem({
      extra: {
        init: { program: idle, uses: { fs: { service: 'fs', params: rootIds }, auth: { service: 'auth', params: rootIds } } },
        ...Object.fromEntries(
          FUZZERS.map((name) => [
            name,
            { program: idle, uses: { fs: { service: 'fs', params: ids }, auth: { service: 'auth', params: ids }, task: 'task', notify: 'notify' } },
          ]),
        ),
      },
    }),
  );
  const initCaps = system.caps('init');
  const root = createFsClient(kernel, system.task('init'), { root: initCaps.get('fs')!, auth: initCaps.get('auth')! });
  await populate(root);
  await root.mkdir(FUZZ_DIR);
  await root.chown(FUZZ_DIR, FUZZ_UID, FUZZ_GID);
  // A name server that has timed a wait out, as it would be on a system in use.
  await connect(Namespace, kernel, system.task('init'), CAP_NAMESPACE).attempt.query({ path: 'nothing-here', wait: 10 });
  // Every mounted translator running, as it would be on a system in use.
  for (const m of MOUNTS) await (m.kind === 'dir' ? root.readdir(m.path) : root.readFile(m.path)).catch(() => undefined);
  const initial = (name: FuzzerName): Map<number, Interface> => {
    const caps = system.caps(name);
    return new Map<number, Interface>([
      [caps.get('fs')!, Protid],
      [caps.get('auth')!, Auth],
      [caps.get('task')!, Tasks],
      [caps.get('notify')!, Notify],
      [CAP_NAMESPACE, Namespace],
    ]);
  };
  const snap = snapshot(kernel);
  const initialCaps = new Map(FUZZERS.map((n) => [n, snap.tasks.find((t) => t.id === system.task(n).id)!.caps.map((c) => c.slot)] as const));
  return { kernel, system, root, initial, initialCaps };
}

/** The shared state of one run's fuzzer threads. */
class Fuzzer {
  readonly pool: PoolCap[] = [];
  readonly outcomes: Record<string, number> = {};
  /** Answers that show a server bug (distinct lines). */
  readonly bugs = new Set<string>();
  sent = 0;

  constructor(
    readonly rng: Rng,
    readonly total: number,
    initial: ReadonlyMap<number, Interface>,
  ) {
    for (const [slot, iface] of initial) this.pool.push({ slot, iface, initial: true });
  }

  count(outcome: string): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  /** A cap to send or call: mostly one held, sometimes a bad name. */
  capName(): number {
    if (this.rng.chance(0.05)) return this.rng.pick([0, 1, 4095, 1 << 20, -1]);
    return this.rng.pick(this.pool).slot;
  }

  /** Keep a cap that arrived in a reply (the pool is bounded: drop the oldest acquired). */
  keep(sys: Sys, slot: number, iface: Interface | null): void {
    this.pool.push({ slot, iface, initial: false });
    const acquired = this.pool.filter((p) => !p.initial);
    if (acquired.length > POOL_MAX) this.drop(sys, acquired[0]!);
  }

  drop(sys: Sys, p: PoolCap): void {
    const i = this.pool.indexOf(p);
    if (i >= 0) this.pool.splice(i, 1);
    sys.delete(p.slot);
  }

  /** Delete every cap the fuzzer acquired. */
  dropAll(sys: Sys): void {
    for (const p of [...this.pool]) if (!p.initial) this.drop(sys, p);
  }
}

/** One fuzzer thread: sends until the run's total is reached. */
function fuzzThread(f: Fuzzer): (sys: Sys) => SysGen<void> {
  return function* (sys) {
    const rng = f.rng;
    while (f.sent < f.total) {
      f.sent++;
      const r = rng.int(100);
      if (r < 70) yield* typedCall(sys, f);
      else if (r < 92) yield* rawMessage(sys, f);
      else capOp(sys, f);
    }
  };
}

/** A call through a stub: a method of the cap's interface (or any), with generated arguments. */
function* typedCall(sys: Sys, f: Fuzzer): SysGen<void> {
  const rng = f.rng;
  const target = rng.pick(f.pool);
  const iface = target.iface !== null && target.iface.list.length > 0 && rng.chance(0.85) ? target.iface : rng.pick(INTERFACES);
  const m: MethodDef = rng.pick(iface.list);
  const capSlot = rng.chance(0.03) ? f.capName() : target.slot;
  const args = argsOf(rng, m.args, () => f.capName());
  const res = yield* invoke(sys, capSlot, m, args, { timeout: rng.pick(TIMEOUTS) });
  if (!res.ok) {
    f.count(res.error);
    // EIO is a handler that threw: a server bug, whatever the client sent.
    if (res.error === 'EIO' && !res.message.includes('kernel ')) f.bugs.add(`EIO from ${m.fullName}${res.message === '' ? '' : `: ${res.message}`}`);
    return;
  }
  f.count('ok');
  const value = res.value as Record<string, unknown> | undefined;
  if (value === undefined) return;
  for (const [k, ty] of Object.entries(m.reply)) {
    if (ty.kind === 'cap' && typeof value[k] === 'number' && value[k] > 0) {
      f.keep(sys, value[k], guessInterface(iface, m, k));
    }
  }
}

/** What a cap answered by `m` in field `k` most likely speaks. */
function guessInterface(iface: Interface, m: MethodDef, k: string): Interface | null {
  if (iface === Protid || iface === Fsys) return k === 'control' || m.name.includes('Fsys') ? Fsys : Protid;
  if (iface === Notify) return Mailbox;
  if (iface === Mailbox) return Sender;
  if (iface === Namespace) return k === 'watcher' ? Watcher : null;
  if (iface === Auth) return k === 'rendezvous' ? Rendezvous : k === 'port' ? null : Auth;
  return null;
}

/** A raw message: a random label, words, items and caps, sent or called. */
function* rawMessage(sys: Sys, f: Fuzzer): SysGen<void> {
  const rng = f.rng;
  const u = sys.utcb;
  const iface = rng.pick(INTERFACES);
  const label = rng.chance(0.7) ? rng.pick(iface.list).op : rng.pick([0, 0xffff, 0x10000, 0x10001, 0x10002, rng.int(2 ** 32)]);
  const length = rng.int(MR_COUNT + 1);
  for (let i = 0; i < length; i++) u.mr[i] = rng.u32();
  const items = rng.int(MAX_ITEMS + 1);
  for (let i = 0; i < items; i++) {
    u.items[i] = rng.chance(0.5)
      ? rng.pick(NAMES) + rng.pick(PATHS)
      : new Uint8Array(rng.chance(0.1) ? 70_000 : rng.int(32)).map(() => rng.int(256));
  }
  const ncaps = rng.int(Math.min(MAX_CAPS, 3) + 1);
  for (let i = 0; i < ncaps; i++) u.caps[i] = f.capName();
  u.grantMask = 0;
  const to = rng.pick(f.pool).slot;
  let status: number;
  if (rng.chance(0.25)) {
    status = (yield sys.send(to, label, length, ncaps, items, rng.pick(TIMEOUTS))) as number;
  } else {
    const slots: number[] = [];
    for (let i = 0; i < 2; i++) {
      const s = sys.reserveSlot();
      if (s > 0) slots.push(s);
    }
    for (let i = 0; i < MAX_CAPS; i++) u.recvSlots[i] = slots[i] ?? 0;
    status = (yield sys.call(to, label, length, ncaps, items, rng.pick(TIMEOUTS), rng.pick(TIMEOUTS))) as number;
    const got = status === Status.Ok ? u.capCount : 0;
    for (let i = 0; i < slots.length; i++) {
      sys.unreserveSlot(slots[i]!);
      if (i < got && sys.identify(slots[i]!) !== null) f.keep(sys, slots[i]!, null);
      else sys.delete(slots[i]!);
    }
    for (let i = 0; i < MAX_CAPS; i++) u.recvSlots[i] = 0;
  }
  for (let i = 0; i < items; i++) u.items[i] = null;
  f.count(`raw:${statusLabel(status)}`);
}

function statusLabel(status: number): string {
  const code = status & 0x3f;
  for (const [k, v] of Object.entries(Status)) if (v === code) return code === status ? k : `${k}+${status - code}`;
  return String(status);
}

/** Cap-space operations on held caps: copies (derivation chains), deletes. */
function capOp(sys: Sys, f: Fuzzer): void {
  const rng = f.rng;
  const p = rng.pick(f.pool);
  if (rng.chance(0.5) && !p.initial) {
    f.drop(sys, p);
    f.count('cap:delete');
    return;
  }
  const dst = sys.allocSlot();
  if (dst <= 0) return;
  if (sys.copy(p.slot, dst) === Status.Ok) {
    f.keep(sys, dst, p.iface);
    f.count('cap:copy');
  }
}

/** Tasks, threads and caps the kernel holds: "task: threads", "task: caps kind", "(endpoints)"... */
type Census = Map<string, number>;

function census(k: Kernel): Census {
  const snap = snapshot(k);
  const out: Census = new Map();
  let timerThreads = 0;
  const add = (key: string, n: number): void => {
    out.set(key, (out.get(key) ?? 0) + n);
  };
  for (const t of snap.tasks) {
    if (!t.alive || t.name === 'init') continue;
    // A bucket's timer thread starts on its first timer, and the fs's change poster on the
    // first watcher; each stays for its server's life (one per bucket or server, with a
    // notification and two caps to it): not a client's leftover.
    const timers = t.threads.filter((th) => th.name.endsWith('.timers') || th.name.endsWith('.poster')).length;
    timerThreads += timers;
    add(`${t.name}: tasks`, 1);
    add(`${t.name}: threads`, t.threads.length - timers);
    for (const c of t.caps) add(`${t.name}: ${c.kind} caps`, 1);
    add(`${t.name}: notification caps`, -2 * timers);
  }
  add('(endpoints)', snap.endpoints.length);
  add('(notifications)', snap.notifications.length - timerThreads);
  for (const [key, n] of out) if (n === 0) out.delete(key);
  return out;
}

/** Whether a census line says a count of `what` grew (pools may shrink: idle workers retire). */
function grew(line: string, what: string): boolean {
  const m = new RegExp(` ${what} (-?\\d+), expected (-?\\d+)`).exec(line);
  return m !== null && Number(m[1]) > Number(m[2]);
}

/** Where `got` differs from `want`, one line each. */
function censusDiff(got: Census, want: Census, what: string): string[] {
  const out: string[] = [];
  for (const key of new Set([...got.keys(), ...want.keys()])) {
    const g = got.get(key) ?? 0;
    const e = want.get(key) ?? 0;
    if (g !== e) out.push(`leftover ${what}: ${key} ${g}, expected ${e}`);
  }
  return out;
}

/** Problems with server threads: faulted, or blocked on anything but their own receive. */
function threadProblems(k: Kernel, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of snapshot(k).tasks) {
    if (!t.alive || !names.includes(t.name.split(' ')[0]!.split(':')[0]!)) continue;
    for (const th of t.threads) {
      if (th.fault !== 0 || th.state.startsWith('faulted')) out.push(`thread ${th.name} of ${t.name} is faulted (fault ${th.fault})`);
      else if (th.state === 'blocked-send' || th.state === 'blocked-reply') {
        out.push(`thread ${th.name} of ${t.name} is stuck: ${th.state} on ${th.blockedOn}`);
      }
    }
  }
  return out;
}

/** The volume as root sees it, outside the fuzzer's directory and the mounted translators. */
async function volumeOf(fs: FsClient): Promise<Map<string, string>> {
  const skip = new Set([FUZZ_DIR, ...MOUNTS.map((m) => m.path)]);
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const name of (await fs.readdir(dir)).sort()) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (skip.has(p)) {
        out.set(p, '(skipped)');
        continue;
      }
      const st = await fs.lstat(p);
      let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size}`;
      if (st.isSymbolicLink()) what += ` -> ${await fs.readlink(p)}`;
      else if (st.isFile()) what += ` ${(await fs.readFile(p, 'utf8')).slice(0, 4096)}`;
      out.set(p, what);
      if (st.isDirectory()) await walk(p);
    }
  }
  await walk('/');
  return out;
}

/** Well-formed requests to every server, from a fresh root client; one line per wrong answer. */
async function healthProblems(w: World, who: FuzzerName): Promise<string[]> {
  const out: string[] = [];
  const k = w.kernel;
  const task = w.system.task('init');
  const caps = w.system.caps('init');
  const check = async (what: string, f: () => Promise<unknown>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      out.push(`${what}: ${e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}` : String(e)}`);
    }
  };
  await check('auth.getids', async () => {
    const ids = await connect(Auth, k, task, caps.get('auth')!).getids({}, { timeout: 5000 });
    if (ids.euids[0] !== 0) throw new Error(`euids ${ids.euids.join(',')}`);
  });
  await check('names.list', async () => {
    const l = await connect(Namespace, k, task, CAP_NAMESPACE).list({}, { timeout: 5000 });
    if (!l.entries.some((e) => e.name === 'fs')) throw new Error('fs missing from the namespace');
  });
  await check('fs read', async () => {
    const s = await w.root.readFile('/etc/motd', 'utf8');
    if (!s.startsWith('Welcome')) throw new Error(`motd reads ${JSON.stringify(s.slice(0, 20))}`);
  });
  await check('fs write', async () => {
    await w.root.writeFile('/fuzz-check', 'ok');
    if ((await w.root.readFile('/fuzz-check', 'utf8')) !== 'ok') throw new Error('wrote ok, read something else');
    await w.root.rm('/fuzz-check');
  });
  await check('fs translator', async () => {
    if (!(await w.root.readFile('/hello', 'utf8')).includes('Hello')) throw new Error('/hello does not say hello');
  });
  const fz = w.system.caps(who);
  await check('task.list', async () => {
    const l = await connect(Tasks, k, w.system.task(who), fz.get('task')!).list({}, { timeout: 5000 });
    if (l.tasks.length === 0) throw new Error('no tasks listed');
  });
  await check('notify', async () => {
    const ft = w.system.task(who);
    const n = connect(Notify, k, ft, fz.get('notify')!);
    const { mailbox } = await n.subscribe({ capacity: 8 }, { timeout: 5000 });
    const mbox = connect(Mailbox, k, ft, mailbox);
    const { sender } = await mbox.allow({ source: 'health' }, { timeout: 5000 });
    await connect(Sender, k, ft, sender).post({ type: 'changed', data: 'x' }, { timeout: 5000 });
    const got = await mbox.take({ max: 8 }, { timeout: 5000 });
    if (!got.events.some((e) => e.data === 'x')) throw new Error(`took ${got.events.length} events, none the one posted`);
    await w.kernel.exec(ft, function* (sys) {
      sys.delete(sender);
      sys.delete(mailbox);
    });
  });
  return out;
}

/** Remove the fuzzer's directory (stopping translators it set there) as root. */
async function clearFuzzDir(w: World): Promise<void> {
  await w.root.rm(FUZZ_DIR, { recursive: true, force: true }).catch(() => undefined);
}

/** Run `messages` fuzz messages from one fuzzer child, then delete every cap it acquired. */
async function fuzzRound(w: World, who: FuzzerName, messages: number, seed: number, threads: number, problems: string[]): Promise<Fuzzer> {
  const f = new Fuzzer(new Rng(seed), messages, w.initial(who));
  const task = w.system.task(who);
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < threads; i++) {
    runs.push(
      w.kernel.exec(task, fuzzThread(f)).catch((e: unknown) => {
        problems.push(`${who} thread ${i} died: ${e instanceof Error ? e.message : String(e)}`);
      }),
    );
  }
  await Promise.all(runs);
  // Every cap it acquired, wherever it landed (reply windows, copies): only its initial caps stay.
  const keep = new Set(initialSlots(w, who));
  const held = snapshot(w.kernel).tasks.find((t) => t.id === task.id)?.caps.map((c) => c.slot) ?? [];
  await w.kernel.exec(task, function* (sys) {
    f.dropAll(sys);
    for (const slot of held) if (!keep.has(slot)) sys.delete(slot);
  });
  // The tasks it created through the task server are its to end, as a client would.
  const tasks = connect(Tasks, w.kernel, task, w.system.caps(who).get('task')!);
  const listed = await tasks.attempt.list({}, { timeout: 5000 });
  if (listed.ok) for (const row of listed.value.tasks) if (row.name !== who) await tasks.attempt.kill({ pid: row.pid }, { timeout: 5000 });
  await quiesce(w);
  return f;
}

/** The slots a fuzzer child started with (its services, namespace, and the kernel's own). */
function initialSlots(w: World, who: FuzzerName): number[] {
  return [...w.system.caps(who).values(), ...w.initialCaps.get(who)!];
}

/** Let every timeout, no-senders notice and idle worker expire. */
async function quiesce(w: World): Promise<void> {
  for (let i = 0; i < 3; i++) {
    w.kernel.advance(60_000);
    await w.kernel.settle();
  }
}

/**
 * Empty the filesystems' caches of translator roots (servers/fs/root-cache.ts) and let
 * the translators hear it. Kept roots are a bounded cache the parent holds, keyed by
 * user identity (a fuzzer that restricts its ids makes new keys): both censuses compared
 * are taken with it empty, so what a client left behind shows, and so does anything
 * dropping the cache leaves behind.
 */
async function emptyRootCaches(w: World): Promise<void> {
  forgetKeptRoots(w.kernel);
  // Likewise the released transfer buffers the fs keeps for reuse (servers/fs/io-buffer.ts).
  forgetTransferPools(w.kernel);
  await quiesce(w);
}

/** The fuzzer is gone: its directory removed as root (stopping translators set there), its task deleted. */
async function endFuzzer(w: World, who: FuzzerName): Promise<void> {
  await clearFuzzDir(w);
  w.kernel.deleteTask(w.system.task(who));
  await quiesce(w);
}

/**
 * Fuzz a default system and check it. A warm-up fuzzer runs first (a quarter of the
 * messages, another seed) and is ended, so that whatever a server starts once and keeps
 * (timer threads, translators) is running. Then the checked fuzzer runs; once it has
 * deleted every cap it acquired and its directory is gone, the kernel must hold exactly
 * what it held before it started (servers hold nothing more for it), and once its task
 * is deleted no task it created may remain.
 */
export async function runFuzz(opts: FuzzOptions = {}): Promise<FuzzReport> {
  const messages = opts.messages ?? 10_000;
  const seed = opts.seed ?? 1;
  const threads = opts.threads ?? 8;
  const log = opts.log ?? (() => undefined);
  const problems: string[] = [];

  const w = await makeWorld();
  const volumeBefore = await volumeOf(w.root);
  await fuzzRound(w, 'warmup', Math.ceil(messages / 4), seed ^ 0x5eed, threads, problems);
  await healthProblems(w, 'warmup');
  await endFuzzer(w, 'warmup');
  await w.root.mkdir(FUZZ_DIR);
  await w.root.chown(FUZZ_DIR, FUZZ_UID, FUZZ_GID);
  await healthProblems(w, 'fuzzer');
  await healthProblems(w, 'ghost');
  await emptyRootCaches(w);
  // What an idle client costs the kernel: the ghost (the fuzzer's twin) is deleted.
  const withGhost = census(w.kernel);
  w.kernel.deleteTask(w.system.task('ghost'));
  await quiesce(w);
  const before = census(w.kernel);
  const t0 = w.kernel.now();

  const f = await fuzzRound(w, 'fuzzer', messages, seed, threads, problems);
  log(`sent ${f.sent} messages`);
  problems.push(...f.bugs);
  problems.push(...threadProblems(w.kernel, ['names', 'auth', 'notify', 'task', 'fs']));
  problems.push(...(await healthProblems(w, 'fuzzer')));
  const volumeAfter = await volumeOf(w.root);
  for (const [p, v] of volumeBefore) if (volumeAfter.get(p) !== v) problems.push(`volume: ${p} changed: ${v} -> ${volumeAfter.get(p) ?? '(gone)'}`);
  for (const [p, v] of volumeAfter) if (!volumeBefore.has(p)) problems.push(`volume: ${p} appeared: ${v}`);
  const kernelMs = w.kernel.now() - t0;

  await clearFuzzDir(w);
  await quiesce(w);
  // While the fuzzer lives, servers may keep bounded state it left behind (watchers
  // holding caps it handed over, waits it abandoned without a cancel, all charged to it):
  // here only tasks and threads must be back; every cap must be back once it is dead.
  const alive = census(w.kernel);
  problems.push(
    ...censusDiff(alive, before, 'once the fuzzer dropped its caps').filter((p) => / tasks -?\d+, expected/.test(p) || grew(p, 'threads')),
  );
  w.kernel.deleteTask(w.system.task('fuzzer'));
  await quiesce(w);
  // Deleting the fuzzer must free what deleting its idle twin freed, no less.
  const want: Census = new Map(before);
  for (const [key, n] of withGhost) {
    const k = key.startsWith('ghost:') ? `fuzzer:${key.slice('ghost:'.length)}` : key;
    want.set(k, (want.get(k) ?? 0) - (n - (before.get(key) ?? 0)));
  }
  for (const [key, n] of want) if (n === 0) want.delete(key);
  await emptyRootCaches(w);
  problems.push(...censusDiff(census(w.kernel), want, 'once the fuzzer died').filter((p) => !/ threads -?\d+, expected/.test(p) || grew(p, 'threads')));
  await w.system.shutdown({ force: true }).catch(() => undefined);
  return { seed, messages: f.sent, outcomes: f.outcomes, problems, kernelMs };
}
