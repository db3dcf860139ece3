// `npm run fuzz -- --messages N --seed S [--threads T]`: fuzz the default system with
// raw and malformed messages from an unprivileged client, then check it (tools/fuzz/fuzz.ts).
// Exits 1 when a check failed, 2 on a usage mistake.

import { runFuzz } from './fuzz.ts';

const USAGE = `usage: npm run fuzz -- [--messages N] [--seed S] [--threads T]

Sends N (default 10000) seeded random and malformed messages at every server of the
default system as uid 1000, then checks that every server still answers, the volume is
unchanged outside /fuzz, no server thread is faulted or stuck, and nothing is left over
once the fuzzer is gone (against an identical system never fuzzed).`;

function parse(argv: readonly string[]): { messages: number; seed: number; threads: number } | string {
  const out = { messages: 10_000, seed: 1, threads: 8 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    const key = a.replace(/^--/, '');
    if (!(key in out) || !a.startsWith('--')) return `unknown option ${a}`;
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 0) return `${a} needs a whole number`;
    out[key as keyof typeof out] = v;
  }
  return out;
}

const opts = parse(process.argv.slice(2));
if (opts === 'help') {
  console.log(USAGE);
} else if (typeof opts === 'string') {
  console.error(`fuzz: ${opts} (--help for usage)`);
  process.exitCode = 2;
} else {
  const report = await runFuzz({ ...opts, log: (l) => console.log(l) });
  const outcomes = Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]);
  console.log(`seed ${report.seed}: ${report.messages} messages in ${(report.kernelMs / 1000).toFixed(1)} s of kernel time`);
  console.log(`outcomes: ${outcomes.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (report.problems.length === 0) console.log('every check passed');
  else {
    console.log(`${report.problems.length} problems:`);
    for (const p of report.problems) console.log(`  ${p}`);
    process.exitCode = 1;
  }
}
