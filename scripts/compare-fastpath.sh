#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/compare-fastpath.sh <before-commit> <after-commit> [results dir]
#
# Fast-path cost of one pool against another:
#  1. instructions: bench/native of each commit built with gcc -O2 and run
#     under callgrind (--pairs 200000 --reps 1 --threads 1); instruction
#     counts are repeatable whatever else the machine does.  Prints each
#     export's inclusive count and the after/before ratio.
#  2. if [results dir] holds before-*.json and after-*.json (make bench runs
#     of each commit, alternated), the medians over the runs of: guest
#     labyrinth_pool / page_pool and export / page_pool (scenario a), native
#     pair / floor (1 and 2 threads) and bulk64 / floor.
# Needs valgrind.  Builds under .cache/compare.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || { echo "usage: $0 <before> <after> [results dir]" >&2; exit 2; }
work=$cache/compare
rm -rf "$work"
mkdir -p "$work"

for side in before after; do
	rev=$1
	[ "$side" = before ] || rev=$2
	mkdir -p "$work/$side"
	git -C "$top" archive "$rev" | tar -x -C "$work/$side"
	make -s -C "$work/$side/bench/native" OUT="$work/$side" "$work/$side/bench-native" \
		>"$work/$side.build.log" 2>&1
	valgrind --tool=callgrind --callgrind-out-file="$work/$side.cg" \
		"$work/$side/bench-native" --pairs 200000 --reps 1 --threads 1 >/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$work/$side.cg" 2>/dev/null |
		awk '$NF ~ /bench-native/ && $(NF - 1) ~ /labyrinth_pool_(alloc|free|alloc_bulk|free_bulk)$/ {
			gsub(",", "", $1); sub(/^\?\?\?:/, "", $(NF - 1)); print $(NF - 1), $1 }' \
		>"$work/$side.counts"
done

echo "instructions under callgrind, bench-native --pairs 200000 --reps 1 --threads 1:"
echo "  before $1, after $2"
join <(sort "$work/before.counts") <(sort "$work/after.counts") |
	awk '{ printf "  %-28s %12d %12d  x%.3f\n", $1, $2, $3, $3 / $2
	       if ($1 == "labyrinth_pool_alloc" || $1 == "labyrinth_pool_free") { b += $2; a += $3 } }
	     END { printf "  %-28s %12d %12d  x%.3f\n", "alloc + free (the pair)", b, a, a / b }'

dir=${3:-}
[ -n "$dir" ] || exit 0
python3 - "$dir" <<'PY'
import glob, json, statistics, sys

def summary(paths):
    rows = []
    for p in paths:
        d = json.load(open(p))
        g = {(r["scenario"], r["allocator"]): r["median"] for r in d["records"]}
        n = {(r["scenario"], r["threads"]): r["ratio_to_floor"] for r in d["native"]["records"]}
        rows.append((g[("a", "labyrinth_pool")] / g[("a", "page_pool")],
                     g[("a", "labyrinth")] / g[("a", "page_pool")],
                     n[("labyrinth", 1)], n[("labyrinth", 2)], n[("labyrinth-bulk64", 1)]))
    return [statistics.median(col) for col in zip(*rows)], len(rows)

names = ["guest labyrinth_pool / page_pool", "guest export / page_pool",
         "native pair / floor, 1 thread", "native pair / floor, 2 threads",
         "native bulk64 / floor"]
b, nb = summary(sorted(glob.glob(sys.argv[1] + "/before-*.json")))
a, na = summary(sorted(glob.glob(sys.argv[1] + "/after-*.json")))
print(f"make bench, median of {nb} runs before and {na} after (alternated):")
for name, x, y in zip(names, b, a):
    print(f"  {name:34s} {x:6.3f} {y:6.3f}  {100 * (y / x - 1):+5.1f} %")
PY
