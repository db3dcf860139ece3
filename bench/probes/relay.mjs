// Probe: what a call between two workers costs when a third thread (the main thread, as
// hurdle's kernel) relays it, with no kernel work at all: the floor of the design in which
// every isolated call crosses the main thread. Plain JavaScript, no hurdle code.
//
//   node bench/probes/relay.mjs MAIN CLIENT_SPIN_NS SERVER_SPIN_NS
//
// MAIN is how the main thread waits for the next request: `spin` (a busy poll that never
// yields), `immediate` (a poll with an event-loop turn between polls), or `async`
// (Atomics.waitAsync on a bell the workers ring). Each worker spins that long for its
// answer before Atomics.wait. Prints ns per call for three runs of 5000 calls.

import { Worker } from 'node:worker_threads';

const [mode = 'spin', clientSpin = '0', serverSpin = '0'] = process.argv.slice(2);
const N = 5000;
const REQ = 1;
const ANSWER = 2;
const GO = 3;
const DONE = 9;
const client = new Int32Array(new SharedArrayBuffer(16));
const server = new Int32Array(new SharedArrayBuffer(16));
const bell = new Int32Array(new SharedArrayBuffer(4));

const body = `
const { workerData: d } = require('node:worker_threads');
const ring = new Int32Array(d.ring), bell = new Int32Array(d.bell);
function waitFor(v) {
  const until = performance.now() + d.spin / 1e6;
  for (let k = 0; Atomics.load(ring, 0) !== v; ) if ((++k & 63) === 0 && performance.now() > until) break;
  for (let c; (c = Atomics.load(ring, 0)) !== v; ) Atomics.wait(ring, 0, c);
}
function post() { Atomics.store(ring, 0, ${REQ}); Atomics.add(bell, 0, 1); Atomics.notify(bell, 0); }
if (d.client) {
  waitFor(${GO});
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < d.n; i++) { post(); waitFor(${ANSWER}); }
    ring[1 + rep] = Math.round(((performance.now() - t0) * 1e6) / d.n);
  }
  Atomics.store(ring, 0, ${DONE});
  Atomics.add(bell, 0, 1); Atomics.notify(bell, 0);
} else {
  for (;;) { post(); waitFor(${ANSWER}); }
}`;

const start = (ring, spin, isClient) =>
  new Worker(body, { eval: true, workerData: { ring: ring.buffer, bell: bell.buffer, spin: Number(spin), client: isClient, n: N } });
start(client, clientSpin, true);
start(server, serverSpin, false).unref();

function answer(ring) {
  Atomics.store(ring, 0, ANSWER);
  Atomics.notify(ring, 0);
}

while (Atomics.load(server, 0) !== REQ); // the server waits in its first receive
Atomics.store(client, 0, GO);
Atomics.notify(client, 0);

let calling = false;
for (;;) {
  const c = Atomics.load(client, 0);
  const s = Atomics.load(server, 0);
  if (c === DONE) break;
  if (c === REQ) {
    // The call reaches the waiting server.
    Atomics.store(client, 0, 0);
    calling = true;
    answer(server);
  } else if (s === REQ && calling) {
    // The server's reply-and-receive: the reply reaches the client.
    Atomics.store(server, 0, 0);
    calling = false;
    answer(client);
  } else if (mode === 'immediate') {
    await new Promise((r) => setImmediate(r));
  } else if (mode === 'async') {
    const seen = Atomics.load(bell, 0);
    if (Atomics.load(client, 0) === c && Atomics.load(server, 0) === s) {
      const w = Atomics.waitAsync(bell, 0, seen);
      if (w.async) await w.value;
    }
  }
}
console.log(`main ${mode}, client spin ${clientSpin} ns, server spin ${serverSpin} ns: ${[client[1], client[2], client[3]].join(' ')} ns per call`);
process.exit(0);
