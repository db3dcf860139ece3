#!/usr/bin/env bash
# Instructions per operation of a benchmark row under callgrind (see instructions.ts).
# Usage: bash bench/probes/instructions.sh [--dist] GROUP ROW N1 N2   (needs valgrind: apt-get install -y valgrind)
# RUNS=k runs the row k times at each size (as the harness's samples do).
# --dist counts the compiled rows (npm run build first), as npm run bench runs them;
# without it the sources run through tsx, whose loader makes every typed-array access
# check for detachment (docs/dataspaces.md), so the two counts differ.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=(node --single-threaded --import tsx "$here/instructions.ts")
if [ "${1:-}" = "--dist" ]; then
  shift
  run=(node --single-threaded "$here/../../dist/bench/probes/instructions.js")
fi
group=$1 row=$2 n1=$3 n2=$4
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "${run[@]}" "$group" "$row" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$n1")
b=$(count "$n2")
runs=${RUNS:-1}
echo "$row: $(( (b - a) / ((n2 - n1) * runs) )) instructions per operation ($n1: $a, $n2: $b, $runs runs each)"
