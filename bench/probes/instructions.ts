// Instructions per operation of one benchmark row, to compare code changes on a busy
// machine (instruction counts do not move with load the way times do). Run under
// callgrind for two sizes and divide the difference of the totals by the difference of
// the sizes; bench/probes/instructions.sh does that:
//   bash bench/probes/instructions.sh libcap libcap.rpc.null 100000 200000
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { RowGroup } from '../row.ts';

const [groupName, rowName, nArg] = process.argv.slice(2);
// Compiled (dist/bench/probes/instructions.js) it loads the compiled rows; run through tsx, the sources.
const ext = import.meta.url.endsWith('.js') ? 'js' : 'ts';
const mod = (await import(pathToFileURL(resolve(import.meta.dirname, `../rows/${groupName}.${ext}`)).href)) as { group: RowGroup };
const row = mod.group.rows.find((r) => r.name === rowName);
if (row === undefined) throw new Error(`no row ${rowName} in bench/rows/${groupName}.${ext}`);
// RUNS=k runs the row k times (each run builds its own kernel and servers, as the
// harness's samples do): what only shows once a process has built many of them.
const runs = Number(process.env.RUNS ?? 1);
for (let i = 0; i < runs; i++) await row.run(Number(nArg));
