#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/native.sh [--smoke|--full]: labyrinth's pool built in user space
# (bench/native).  Builds bench-native, bench-tsan and bench-ubsan with gcc
# and bench-native-clang and bench-ubsan-clang with clang under
# .cache/native, runs the ThreadSanitizer concurrency check (as is, and with
# init_on_alloc), the same check under UBSan (no recovery) with each
# compiler, then the native benchmark, prezero, and, as a smoke test, the
# clang build of the benchmark.
# Prints one PASS/FAIL line for each:
#   PASS: native tsan check
#   PASS: native tsan check (init_on_alloc: the background wipe)
#   PASS: native ubsan check (gcc)
#   PASS: native ubsan check (clang)
#   PASS: native bench runs
#   PASS: native prezero runs
#   PASS: native bench runs (clang)
# The benchmark's JSON goes to $NATIVE_JSON, else .cache/native-bench.json;
# prezero's, when $PREZERO_JSON is set, there.
# Environment: TSAN_SECONDS (default 10), TSAN_THREADS (default 4).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mode=smoke
case "${1:---smoke}" in
--smoke) mode=smoke ;;
--full) mode=full ;;
*) echo "usage: $0 [--smoke|--full]" >&2; exit 2 ;;
esac

out=$cache/native
json=${NATIVE_JSON:-$cache/native-bench.json}
tsan_seconds=${TSAN_SECONDS:-10}
tsan_threads=${TSAN_THREADS:-4}
mkdir -p "$out"
failed=0
start=$SECONDS

if ! make -s -C "$top/bench/native" OUT="$out" all clang >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	fail "native tsan check (build failed, see $out/build.log)"
	fail "native bench runs (build failed, see $out/build.log)"
	exit 1
fi

# ThreadSanitizer: a few CPU ids on the cores, the last one offline when the
# pool is created.  A report makes the run exit 66 even if the check passed.
# Twice: as is, and with init_on_alloc, where the background wipe runs on
# the shim's kworker thread against every other thread and every granted
# frame must come out all zero.
tsan_check() {
	TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1" \
		"$@" "$out/bench-tsan" --check --seconds "$tsan_seconds" \
		--threads "$tsan_threads" --online $((tsan_threads > 1 ? tsan_threads - 1 : 1)) \
		$tsan_extra >"$log" 2>&1
}
for tsan_extra in "" --init-on-alloc; do
	label="native tsan check${tsan_extra:+ (init_on_alloc: the background wipe)}"
	log=$out/tsan-check${tsan_extra:+-init-on-alloc}.log
	rc=0
	tsan_check || rc=$?
	# gcc 12's TSan cannot map its shadow under some kernels' ASLR: retry without
	if grep -q 'unexpected memory mapping' "$log"; then
		echo "native: TSan cannot run with ASLR here; again under setarch -R"
		rc=0
		tsan_check setarch "$(uname -m)" -R || rc=$?
	fi
	races=$(grep -c '^WARNING: ThreadSanitizer' "$log" || true)
	grep '^check: ' "$log" || true
	if [ "$rc" -eq 0 ] && [ "$races" -eq 0 ]; then
		pass "$label"
	else
		grep -m 20 -E '^(WARNING: ThreadSanitizer|check: FAIL|FATAL)' "$log" || true
		fail "$label (exit $rc, $races TSan reports, see $log)"
		failed=1
	fi
done

# UBSan, no recovery: any undefined behaviour in the pool stops the check.
for cc in gcc clang; do
	bin=$out/bench-ubsan
	[ "$cc" = gcc ] || bin=$out/bench-ubsan-clang
	log=$out/ubsan-check-$cc.log
	rc=0
	UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" "$bin" --check \
		--seconds "$((tsan_seconds / 2 > 0 ? tsan_seconds / 2 : 1))" \
		--threads "$tsan_threads" --online $((tsan_threads > 1 ? tsan_threads - 1 : 1)) \
		>"$log" 2>&1 || rc=$?
	grep '^check: ' "$log" || true
	if [ "$rc" -eq 0 ] && ! grep -q 'runtime error' "$log"; then
		pass "native ubsan check ($cc)"
	else
		grep -m 10 -E 'runtime error|check: FAIL' "$log" || true
		fail "native ubsan check ($cc, exit $rc, see $log)"
		failed=1
	fi
done

if [ "$mode" = smoke ]; then
	bench_args=(--pairs 200000 --reps 5)
else
	bench_args=(--pairs 5000000 --reps 11)
fi
mkdir -p "$(dirname "$json")"
rc=0
"$out/bench-native" "${bench_args[@]}" --json "$json" || rc=$?
if [ "$rc" -eq 0 ] && [ -s "$json" ]; then
	echo "native bench: JSON in $json"
	pass "native bench runs"
else
	fail "native bench runs (exit $rc)"
	failed=1
fi
# The argument against pre-zeroing, measured (bench/native/prezero.c).
if [ "$mode" = smoke ]; then
	prezero_args=(--rounds 3 --evict 64)
else
	prezero_args=(--rounds 21)
fi
[ -z "${PREZERO_JSON:-}" ] || prezero_args+=(--json "$PREZERO_JSON")
rc=0
"$out/prezero" "${prezero_args[@]}" || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "native prezero runs"
else
	fail "native prezero runs (exit $rc)"
	failed=1
fi
rc=0
"$out/bench-native-clang" --pairs 100000 --reps 3 >"$out/bench-clang.log" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "native bench runs (clang)"
else
	tail -5 "$out/bench-clang.log"
	fail "native bench runs (clang, exit $rc, see $out/bench-clang.log)"
	failed=1
fi
echo "native ($mode) took $((SECONDS - start)) s"
exit "$failed"
