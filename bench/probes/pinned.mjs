// Probe: one benchmark row timed in this process, with a fixed control loop timed beside
// each sample, to compare two builds of the code on a machine whose CPUs change speed
// (docs/kernel.md, docs/libcap.md). The control loop's ns per iteration says which state
// the CPU was in when the sample ran; compare only samples whose control figures match.
// Pin it to one CPU and alternate the builds:
//
//   npm run build && cp -r dist /tmp/new     (and a build of the old code in /tmp/old)
//   for i in 1 2 3; do for d in /tmp/old /tmp/new; do
//     DIST=$d taskset -c 1 node bench/probes/pinned.mjs libcap libcap.rpc.null 1000000 5
//   done; done
//
// Arguments: the row's group (a file of bench/rows/), the row, the operations a sample,
// and the samples (default 5; the first one or two include warm-up). DIST names the
// compiled tree to load (default: dist/ of this checkout). Prints one line per process:
// `value/control@cpu` for each sample (value in the row's unit).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [group, name, n, samples] = process.argv.slice(2);
if (name === undefined || n === undefined) {
  console.error('usage: node bench/probes/pinned.mjs GROUP ROW N [SAMPLES]   (DIST=compiled tree)');
  process.exit(2);
}
const dist = resolve(process.env.DIST ?? resolve(import.meta.dirname, '../../dist'));
const mod = await import(pathToFileURL(`${dist}/bench/rows/${group}.js`).href);
const row = mod.group.rows.find((r) => r.name === name);
if (row === undefined) throw new Error(`no row ${name} in ${dist}/bench/rows/${group}.js`);

/** The CPU this process runs on now (Linux: field 39 of /proc/self/stat). */
function cpu() {
  try {
    return readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[36];
  } catch {
    return '?';
  }
}

class Link {
  constructor(v, next) {
    this.v = v;
    this.next = next;
  }
}
/** Allocation and pointer chasing: moves with the CPU's state, not with hurdle's code. */
function control(iterations) {
  let head = null;
  let s = 0;
  for (let i = 0; i < iterations; i++) {
    head = new Link(i, i % 64 === 0 ? null : head);
    s += head.v;
  }
  return s;
}
control(1e6);

const out = [];
for (let i = 0; i < Number(samples ?? 5); i++) {
  const v = await row.run(Number(n));
  const t0 = performance.now();
  control(2e7);
  const c = ((performance.now() - t0) * 1e6) / 2e7;
  out.push(`${v.toFixed(0)}/${c.toFixed(2)}@${cpu()}`);
}
console.log(out.join(' '));
