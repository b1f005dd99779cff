#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/explore.sh [--deep]: the interleaving explorer (explore/) over
# the unmodified pool, every schedule of every scenario up to its
# preemption bound, built with gcc and with clang, both with UBSan.  Then
# each bug of explore/mutations.py is put back into a copy of the pool,
# one at a time, and the explorer must catch it.
#
# --deep raises every scenario's bound by one (about 3 minutes).
# Prints one line per scenario and per mutation:
#   PASS: explore <scenario> (gcc, <N> schedules, bound <B>)
#   PASS: explore <scenario> (clang, ...)
#   PASS: explore catches <mutation> (<scenario>, schedule <N>)
# The explorer's own output goes to .cache/explore/.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

extra=0
case "${1:-}" in
"") ;;
--deep) extra=1 ;;
*) echo "usage: $0 [--deep]" >&2; exit 2 ;;
esac

out=$cache/explore
mkdir -p "$out"
failed=0
start=$SECONDS
xdir=$top/explore

# run_explorer <label> <binary>: one PASS/FAIL line per scenario; a crash
# (a sanitizer report, a signal) ends the run without its scenario's line.
run_explorer() {
	local label=$1 bin=$2 log=$out/explore-$1.log rc=0 lines

	"$bin" --extra-bound "$extra" >"$log" 2>&1 || rc=$?
	lines=$(awk -v label="$label" '
		/^scenario [a-z0-9-]+ +[0-9]+ schedules/ {
			name = $2; n = $3; bound = $6; v = $(NF - 3)
			if (v == 0)
				printf "PASS: explore %s (%s, %d schedules, bound %d)\n", name, label, n, bound
			else
				printf "FAIL: explore %s (%s, violation at schedule %d)\n", name, label, n
		}' "$log")
	echo "$lines"
	grep -A12 '^VIOLATION' "$log" | head -40
	[ "$rc" -eq 0 ] && return 0
	grep -q '^FAIL: ' <<<"$lines" || fail "explore ($label exited $rc, see $log)"
	return 1
}

# explore_with <gcc|clang>: build the explorer with that compiler, run it.
explore_with() {
	local label=$1 bin=$out/explore target=$out/explore

	[ "$label" = gcc ] || { bin=$out/explore-clang; target=$bin; }
	if ! make -s -C "$xdir" OUT="$out" "$target" >"$out/build-$label.log" 2>&1; then
		cat "$out/build-$label.log"
		fail "explore ($label build failed)"
		return 1
	fi
	run_explorer "$label" "$bin"
}

# catch_mutation <name> <what it breaks>: that bug, put back into a copy of
# the pool, must make the explorer report a violation.
catch_mutation() {
	local name=$1 about=$2 src=$out/mut-$1.c bin=$out/explore-mut-$1 log=$out/mut-$1.log rc=0
	local caught

	if ! python3 "$xdir/mutations.py" "$name" "$top/labyrinth_pool.c" "$src" ||
	   ! make -s -C "$xdir" OUT="$out" POOL_SRC="$src" EXPLORE="$bin" "$bin" \
		>"$log" 2>&1; then
		fail "explore catches $name (mutation does not apply or build, see $log)"
		return 1
	fi
	"$bin" >"$log" 2>&1 || rc=$?
	caught=$(awk '/^VIOLATION: / { sub(/:$/, "", $2); s = $2 }
		/^  schedule [0-9]+/ && s { print s ", schedule " $2; exit }' "$log")
	if [ "$rc" -ne 0 ] && [ -n "$caught" ]; then
		pass "explore catches $name ($caught: $(grep -m1 '^VIOLATION' "$log" |
			cut -d: -f3- | cut -c2-90))"
		return 0
	fi
	fail "explore catches $name ($about: not caught, exit $rc, see $log)"
	return 1
}

# Finding 1 without the sanitizer's divide check: clang -O2 hoists the
# division above the early returns and the kworker traps (SIGFPE); gcc 12
# happens not to.  The UBSan builds above catch it with either compiler.
catch_div_without_ubsan() {
	local name=div-before-seg-check rc=0
	local src=$out/mut-$name-nodivcheck.c bin=$out/explore-clang-nodivcheck-$name
	local log=$out/mut-$name-clang-nodivcheck.log

	python3 "$xdir/mutations.py" "$name" "$top/labyrinth_pool.c" "$src" &&
	make -s -C "$xdir" OUT="$out" POOL_SRC="$src" EXPLORE_CLANG="$bin" \
		XSAN="-fsanitize=undefined -fno-sanitize=integer-divide-by-zero -fno-sanitize-recover=all" \
		"$bin" >"$log" 2>&1 && "$bin" --scenario growth-last-segment >>"$log" 2>&1 || rc=$?
	if grep -q '^VIOLATION: growth-last-segment: SIGFPE' "$log"; then
		pass "explore catches $name under clang -O2 alone (SIGFPE in the kworker, $(awk \
			'/^  schedule [0-9]+/ { print "schedule " $2; exit }' "$log"))"
		return 0
	fi
	fail "explore catches $name under clang -O2 alone (exit $rc, see $log)"
	return 1
}

# Every job is independent and single-threaded: run as many at once as
# there are CPUs, each into its own file, and print them in a fixed order.
par=$(nproc)
jobs_started=()
spawn() {
	local id=$1

	shift
	while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do
		wait -n || true
	done
	( "$@" >"$out/job-$id.out" 2>&1; echo $? >"$out/job-$id.rc" ) &
	jobs_started+=("$id")
}

rm -f "$out"/job-*
spawn gcc explore_with gcc
spawn clang explore_with clang
while IFS=$'\t' read -r name about; do
	spawn "mut-$name" catch_mutation "$name" "$about"
done < <(python3 "$xdir/mutations.py" --list)
spawn nodivcheck catch_div_without_ubsan
wait
for id in "${jobs_started[@]}"; do
	cat "$out/job-$id.out"
	[ "$(cat "$out/job-$id.rc" 2>/dev/null)" = 0 ] || failed=1
done

echo "explore took $((SECONDS - start)) s"
exit "$failed"
