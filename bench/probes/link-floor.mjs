// Probe: the floor of a direct call's hand-off (core/isolate/direct.ts), a round trip
// between two spinning workers carrying 4 words each way through one SharedArrayBuffer,
// with no hurdle code. The client writes its words and publishes a request number; the
// server sees it, writes the answer's words and publishes the number back. What the
// modes change is how each side publishes, which is what the link's layout was chosen
// by (on the 2-core VM a locked instruction costs about as much as the whole hand-off):
//
//   node bench/probes/link-floor.mjs MODE
//
// MODE `one`: one atomic store a side (the link's protocol); `two`: the server also
// publishes a "taken" mark with a second atomic store, on a line of its own; `plain`:
// the same mark with a plain store; `cas`: both sides publish with compare-and-swap on
// one state word. Prints ns per call for three runs of 1,000,000 calls.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const N = 1_000_000;
const WARM = 10_000;

if (isMainThread) {
  const mode = process.argv[2] ?? 'one';
  for (let run = 0; run < 3; run++) {
    const sab = new SharedArrayBuffer(256);
    const server = new Worker(new URL(import.meta.url), { workerData: { sab, role: 'server', mode } });
    const client = new Worker(new URL(import.meta.url), { workerData: { sab, role: 'client', mode } });
    const ms = await new Promise((done) => client.once('message', done));
    console.log(`${mode}: ${((ms * 1e6) / N).toFixed(0)} ns per call`);
    await Promise.all([server.terminate(), client.terminate()]);
  }
} else {
  const { sab, role, mode } = workerData;
  // Line 0: the client's (request number, then words); line 1: the server's (answer
  // number, then words); line 2: the server's "taken" mark.
  const c = new Int32Array(sab, 0, 16);
  const s = new Int32Array(sab, 64, 16);
  const t = new Int32Array(sab, 128, 16);
  if (role === 'server') {
    let last = 0;
    for (;;) {
      let q;
      if (mode === 'cas') {
        while (Atomics.load(c, 0) !== 1) {}
        s[6] = c[3] + 1;
        Atomics.compareExchange(c, 0, 1, 2);
        continue;
      }
      while ((q = Atomics.load(c, 0)) === last) {}
      last = q;
      if (mode === 'two') Atomics.store(t, 0, q);
      else if (mode === 'plain') t[0] = q;
      const x = c[3];
      s[4] = 7;
      s[5] = 4;
      s[6] = x + 1;
      s[7] = 1;
      s[8] = 2;
      s[9] = 3;
      Atomics.store(s, 1, q);
    }
  } else {
    let t0 = 0;
    for (let i = 1; i <= N + WARM; i++) {
      if (i === WARM + 1) t0 = performance.now();
      c[1] = 1;
      c[2] = 4;
      c[3] = i;
      c[4] = 1;
      c[5] = 2;
      c[6] = 3;
      if (mode === 'cas') {
        while (Atomics.compareExchange(c, 0, 0, 1) !== 0) {}
        while (Atomics.load(c, 0) !== 2) {}
        if (s[6] !== i + 1) throw new Error('wrong answer');
        Atomics.compareExchange(c, 0, 2, 0);
        continue;
      }
      Atomics.store(c, 0, i);
      while (Atomics.load(s, 1) !== i) {}
      if (s[6] !== i + 1) throw new Error('wrong answer');
    }
    parentPort.postMessage(performance.now() - t0);
  }
}
