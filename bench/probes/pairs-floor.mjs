// Probe: the floor of worker.throughput.1pair against worker.throughput.2pairs, with no
// hurdle code: PAIRS client/server pairs of workers, each pair ping-ponging a number
// through a SharedArrayBuffer of its own with the spin-then-Atomics.wait hand-off of the
// rings (a bounded spin, then sleep on the word). It prints ns per round trip summed over
// the pairs (the rows' measure: wall time / all round trips), so whether two pairs can beat
// one on this machine at all is read off it.
//
//   node bench/probes/pairs-floor.mjs PAIRS [SPIN_NS]
//
// Three runs of 200,000 round trips per pair; SPIN_NS (default 50,000, the worker's
// spin) bounds each wait's spin.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const N = 200_000;

if (isMainThread) {
  const pairs = Number(process.argv[2] ?? 1);
  const spinNs = Number(process.argv[3] ?? 50_000);
  for (let run = 0; run < 3; run++) {
    const ws = [];
    const done = [];
    const go = new Int32Array(new SharedArrayBuffer(4));
    for (let p = 0; p < pairs; p++) {
      const sab = new SharedArrayBuffer(128);
      ws.push(new Worker(new URL(import.meta.url), { workerData: { sab, go: go.buffer, role: 'server', spinNs } }));
      const c = new Worker(new URL(import.meta.url), { workerData: { sab, go: go.buffer, role: 'client', spinNs } });
      ws.push(c);
      done.push(new Promise((r) => c.once('message', r)));
    }
    await new Promise((r) => setTimeout(r, 200)); // every worker loaded and waiting
    const t0 = performance.now();
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    await Promise.all(done);
    const ms = performance.now() - t0;
    console.log(`${pairs} pair(s), spin ${spinNs} ns: ${((ms * 1e6) / (N * pairs)).toFixed(0)} ns per round trip, summed over pairs`);
    await Promise.all(ws.map((w) => w.terminate()));
  }
} else {
  const { sab, go, role, spinNs } = workerData;
  const w = new Int32Array(sab, 0, 16);
  // Wait for word 0 to leave `seen`: spin up to spinNs (the clock every 64 checks), then sleep.
  const waitMove = (seen) => {
    let until = -1;
    for (let k = 1; Atomics.load(w, 0) === seen; k++) {
      if ((k & 63) === 0) {
        const now = performance.now();
        if (until < 0) until = now + spinNs / 1e6;
        else if (now > until) {
          while (Atomics.load(w, 0) === seen) Atomics.wait(w, 0, seen);
          return;
        }
      }
    }
  };
  if (role === 'server') {
    for (let v = 0; ; v += 2) {
      waitMove(v); // the client's v + 1
      Atomics.store(w, 0, v + 2);
      Atomics.notify(w, 0);
    }
  } else {
    const g = new Int32Array(go);
    while (Atomics.load(g, 0) === 0) Atomics.wait(g, 0, 0);
    for (let i = 0, v = 0; i < N; i++, v += 2) {
      Atomics.store(w, 0, v + 1);
      Atomics.notify(w, 0);
      waitMove(v + 1);
    }
    parentPort.postMessage('done');
  }
}
