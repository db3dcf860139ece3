// The kernel demo `npm start` runs: a client and a server task talking over an endpoint
// (add two words; echo a string item), a logger woken by a notification, the fast-path
// and slow-path counters, and a ps-style listing. Uses only the kernel's public API.
// Run it: npx tsx examples/kernel-demo.ts

import { Kernel, Rights, Status, snapshot, statusName, type Snapshot, type Sys, type SysGen } from '../core/index.ts';
import { isMain } from './is-main.ts';

/** The demo protocol's operations: the call's label. Appended, never renumbered. */
export const DemoOp = { Add: 1, Echo: 2 } as const;

/** Reply labels. */
export const DemoReply = { Ok: 0, BadRequest: 1, Unsupported: 2 } as const;

const OP_NAMES: Record<number, string> = { [DemoOp.Add]: 'add', [DemoOp.Echo]: 'echo' };

/** Calls the client makes after the narrated exchanges, to show the counters move. */
const BATCH = 10_000;

/** Which path the last round trip took, from the counters before it. */
function pathTaken(k: Kernel, fastBefore: number, slowBefore: number): string {
  const fast = k.counters.fastpath - fastBefore;
  const slow = k.counters.slowpath - slowBefore;
  if (slow === 0) return `fast path both ways (${fast} fast-path syscalls)`;
  if (fast === 0) return `slow path both ways (${slow} slow-path syscalls)`;
  return `${fast} fast-path and ${slow} slow-path syscalls`;
}

/** Requests the server describes before it goes quiet. */
const NARRATED = 4;

/**
 * The server loop: answer Add with MR0 + MR1, Echo with the string item back and its
 * length, anything else with Unsupported. Signals the logger after every echo.
 */
function* serve(sys: Sys, ep: number, logSignal: number, out: (line: string) => void): SysGen<void> {
  const u = sys.utcb;
  let served = 0;
  yield sys.recv(ep);
  for (;;) {
    const narrate = served++ < NARRATED;
    let label: number = DemoReply.Ok;
    let words = 0;
    let items = 0;
    let signalLogger = false;
    switch (u.label) {
      case DemoOp.Add:
        if (u.length < 2) {
          label = DemoReply.BadRequest;
          break;
        }
        if (narrate) out(`  server: add ${u.mr[0]} + ${u.mr[1]} for the client with badge ${u.badge}`);
        u.mr[0] = (u.mr[0]! + u.mr[1]!) >>> 0;
        words = 1;
        break;
      case DemoOp.Echo: {
        const s = u.itemCount === 1 ? u.itemsIn[0] : null;
        if (typeof s !== 'string') {
          label = DemoReply.BadRequest;
          break;
        }
        if (narrate) out(`  server: echo of ${JSON.stringify(s)} (a ${s.length}-character string item)`);
        u.items[0] = s;
        u.mr[0] = s.length;
        words = 1;
        items = 1;
        signalLogger = true;
        break;
      }
      default:
        if (narrate) out(`  server: operation ${u.label} is not in the protocol, answering Unsupported`);
        label = DemoReply.Unsupported;
    }
    // The logger outranks the server, so the signal switches to it before the reply goes.
    if (signalLogger) yield sys.signal(logSignal);
    yield sys.replyRecv(ep, label, words, 0, items);
  }
}

/** The logger: waits on its notification and reports each wake-up. */
function* logger(sys: Sys, note: number, out: (line: string) => void): SysGen<void> {
  for (;;) {
    const st = yield sys.wait(note);
    if (st !== Status.Ok) return;
    out(`  logger: woken by a signal, notification word 0x${sys.utcb.badge.toString(16)}`);
  }
}

/** The client: a few narrated exchanges, then a batch of silent adds. */
function* client(k: Kernel, sys: Sys, server: number, out: (line: string) => void): SysGen<void> {
  const u = sys.utcb;

  const add = function* (a: number, b: number): SysGen<void> {
    out(`client -> server: add(${a}, ${b})`);
    const { fastpath, slowpath } = k.counters;
    u.mr[0] = a;
    u.mr[1] = b;
    const st = yield sys.call(server, DemoOp.Add, 2);
    if (st !== Status.Ok) throw new Error(`add: ${statusName(st)}`);
    out(`client <- server: ${u.mr[0]}   [${pathTaken(k, fastpath, slowpath)}]`);
  };

  yield* add(2, 3);
  yield* add(40, 2);

  const text = 'hello from the client task';
  out(`client -> server: echo(${JSON.stringify(text)})`);
  let { fastpath, slowpath } = k.counters;
  u.items[0] = text;
  let st = yield sys.call(server, DemoOp.Echo, 0, 0, 1);
  if (st !== Status.Ok) throw new Error(`echo: ${statusName(st)}`);
  out(`client <- server: ${JSON.stringify(u.itemsIn[0])}, length ${u.mr[0]}   [${pathTaken(k, fastpath, slowpath)}; items always go the slow way]`);

  out('client -> server: operation 9');
  ({ fastpath, slowpath } = k.counters);
  st = yield sys.call(server, 9, 0);
  out(`client <- server: reply label ${u.label} (${u.label === DemoReply.Unsupported ? 'Unsupported' : 'unexpected'})   [${pathTaken(k, fastpath, slowpath)}]`);

  out(`client: ${BATCH.toLocaleString('en-US')} more adds, quietly`);
  ({ fastpath, slowpath } = k.counters);
  let sum = 0;
  for (let i = 0; i < BATCH; i++) {
    u.mr[0] = 100 + i;
    u.mr[1] = 1;
    st = yield sys.call(server, DemoOp.Add, 2);
    if (st !== Status.Ok) throw new Error(`add: ${statusName(st)}`);
    sum += u.mr[0]!;
  }
  out(`client: done, sum of the answers ${sum}   [${pathTaken(k, fastpath, slowpath)}]`);
}

/** A ps-style listing of every thread from a kernel snapshot. */
export function formatPs(snap: Snapshot): string[] {
  const rows = [['TID', 'TASK', 'THREAD', 'PRIO', 'STATE', 'WAITING ON']];
  for (const task of snap.tasks) {
    for (const t of task.threads) {
      rows.push([String(t.id), task.name, t.name, String(t.priority), t.state, t.blockedOn ?? '-']);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/**
 * Run the demo, writing its lines to `out`. Resolves when the client is done; the
 * server and the logger stay blocked, which keeps nothing of the host alive.
 */
export async function main(out: (line: string) => void = console.log): Promise<void> {
  const k = new Kernel();
  const serverTask = k.createTask('server');
  const clientTask = k.createTask('client');
  const ep = k.createEndpoint(serverTask);
  const logNote = k.createNotification(serverTask);
  // The server signals through a badged, signal-only cap: the badge is the word the logger sees.
  const logSignal = k.grant(serverTask, logNote, serverTask, { rights: Rights.Write, badge: 0x1 });
  const clientCap = k.grant(serverTask, ep, clientTask, { rights: Rights.Call, badge: 7 });
  out(`hurdle kernel demo: tasks "server" and "client"; the client holds a call-only cap to`);
  out(`the server's endpoint (slot ${clientCap}, badge 7). Add is register-sized; echo carries a string item.`);
  out('');

  k.spawn(serverTask, (sys) => serve(sys, ep, logSignal, out), { name: 'server' });
  k.spawn(serverTask, (sys) => logger(sys, logNote, out), { name: 'logger', priority: 150 });
  await k.exec(clientTask, (sys) => client(k, sys, clientCap, out), { name: 'client' });
  await k.settle();

  const c = k.counters;
  out('');
  out(`counters: fastpath=${c.fastpath} slowpath=${c.slowpath} messages=${c.messages} signals=${c.signals} switches=${c.switches}`);
  out(`  ${c.fastpath} of ${c.fastpath + c.slowpath} IPC syscalls took the fast path; \`npm run bench\` measures both paths`);
  out('');
  out('ps:');
  for (const line of formatPs(snapshot(k))) out(`  ${line}`);
}

if (isMain(import.meta.url)) await main();
