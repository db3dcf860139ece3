// Probe: what the primitives of the isolated tasks' hand-offs cost on this machine, with
// no hurdle code: an atomic load or store on a SharedArrayBuffer against a plain one
// (Node 20's optimizing compiler calls a builtin for each Atomics operation), and a
// clock read (performance.now(), which the spins read now and then):
//
//   node bench/probes/access-costs.mjs
//
// Prints ns per operation, the best of three runs of 50,000,000 each.

const i32 = new Int32Array(new SharedArrayBuffer(64));
const N = 50_000_000;

const ops = {
  'Atomics.load': (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Atomics.load(i32, i & 7);
    return s;
  },
  'plain load': (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += i32[i & 7];
    return s;
  },
  'Atomics.store': (n) => {
    for (let i = 0; i < n; i++) Atomics.store(i32, i & 7, i);
    return 0;
  },
  'plain store': (n) => {
    for (let i = 0; i < n; i++) i32[i & 7] = i;
    return 0;
  },
  'performance.now()': (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += performance.now();
    return s;
  },
};

for (const [name, f] of Object.entries(ops)) {
  const n = name === 'performance.now()' ? N / 10 : N;
  f(1_000_000);
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    f(n);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / n);
  }
  console.log(`${name.padEnd(18)} ${best.toFixed(2)} ns`);
}
