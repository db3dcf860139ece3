// Probe: the floor under kernel.call.fast, with no hurdle code. A model of its round trip
// with none of the kernel's checks: two continuation "threads" (closures that set their
// syscall registers and return a token), a run loop that calls the current one, and a
// switch that copies four words between their Float64Array message registers, as the
// fast path does. What kernel.call.fast costs beyond this is its checks and bookkeeping
// (caps, rights, endpoint and thread states, timeouts, word checks, reply linkage).
//
//   node bench/probes/switch-floor.mjs      (taskset -c N in front to stay on one CPU)
//
// Prints ns per round trip for eight runs of 2,000,000 round trips.

class Thread {
  constructor() {
    this.mr = new Float64Array(64);
    this.step = null;
    this.op = 0;
    this.a0 = 0;
    this.a1 = 0;
    this.a2 = 0;
    this.result = 0;
    this.peer = null;
  }
}

const TOKEN = {};

function copyWords(s, r) {
  const a = s.mr;
  const b = r.mr;
  b[0] = a[0];
  b[1] = a[1];
  b[2] = a[2];
  b[3] = a[3];
}

function run(first) {
  let cur = first;
  while (cur !== null) {
    if (cur.step(cur.result) === null) break;
    const next = cur.peer;
    copyWords(cur, next);
    next.result = 0;
    cur = next;
  }
}

/** A client making n calls, each checked, and a server answering mr[0] + 1. */
function pair(n) {
  const c = new Thread();
  const s = new Thread();
  c.peer = s;
  s.peer = c;
  let i = 0;
  c.step = () => {
    if (i > 0 && c.mr[0] !== i + 1) throw new Error(`call ${i} answered ${c.mr[0]}`);
    if (i === n) return null;
    i++;
    c.mr[0] = i;
    c.op = 1;
    c.a0 = 3;
    c.a1 = 1;
    c.a2 = 4;
    return TOKEN;
  };
  s.step = () => {
    s.mr[0] = s.mr[0] + 1;
    s.op = 2;
    s.a0 = 3;
    s.a1 = 0;
    s.a2 = 4;
    return TOKEN;
  };
  return c;
}

const N = 2_000_000;
for (let k = 0; k < 8; k++) {
  const c = pair(N);
  const t0 = performance.now();
  run(c);
  console.log(`${(((performance.now() - t0) * 1e6) / N).toFixed(1)} ns per round trip`);
}
