// hurdle/bench: measure your own interfaces the way hurdle measures its rows (a process
// per row, warm-up runs, samples, median and spread). Define rows with bench() in a file
// whose default export is defineBench([...]); run it with runBench(file) or the CLI
// `hurdle-bench --file FILE`; summarize() and formatResults() are the statistics and the
// table the harness prints.

export { bench, defineBench, SAMPLE_MS } from './define.ts';
export type { BenchFile, BenchOp, BenchOptions } from './define.ts';
export { runBench } from './run-bench.ts';
export type { RunBenchOptions } from './run-bench.ts';
export { BenchFileError, loadBenchFile } from './user-file.ts';
export { currentCpu, sampleRow } from './sample.ts';
export type { RowResult, SampleOptions } from './sample.ts';
export { summarize, median, quantile } from './stats.ts';
export type { Summary } from './stats.ts';
export { cpuSplits, formatCpuSplits, formatResults, mediansByCpu } from './report.ts';
export type { CpuSplit, Outcome, ResultColumns } from './report.ts';
export { nsPer } from './row.ts';
export type { BenchRow, Unit } from './row.ts';
