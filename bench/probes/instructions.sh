#!/usr/bin/env bash
# Instructions per operation of a benchmark row under callgrind (see instructions.ts).
# Usage: bash bench/probes/instructions.sh GROUP ROW N1 N2   (needs valgrind: apt-get install -y valgrind)
set -euo pipefail
group=$1 row=$2 n1=$3 n2=$4
here=$(cd "$(dirname "$0")" && pwd)
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded --import tsx "$here/instructions.ts" "$group" "$row" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$n1")
b=$(count "$n2")
echo "$row: $(( (b - a) / (n2 - n1) )) instructions per operation ($n1: $a, $n2: $b)"
