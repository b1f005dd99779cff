#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--smoke]: `make bench`.  Builds labyrinth.ko and
# bench/labyrinth_bench.ko against Debian's 6.12 kernel, boots that kernel in
# QEMU (TCG, -smp 2, -m 1024) in bench mode (scripts/guest/bench.sh) and
# collects the module's LABYRINTH-BENCH lines, then runs the native harness
# (scripts/native.sh --full) when it exists, and writes
#   bench/results/latest.json  machine, commit, QEMU argv and kernel command
#                              line of each boot, every record, the checks'
#                              verdict, native records
#   bench/results/latest.png   grouped bars of the ratios to labyrinth_pool
#   bench/results/report-latest.txt  the table, bench-report.py --print
#                              of latest.json
#   bench/results/prezero.json a page clear early or at grant, natively
# and prints the table.  A run whose checks fail leaves latest.* alone: its
# JSON and PNG go to bench/results/failed/<commit12>-<UTC time>.*.  Two boots: the main one with init_on_alloc=0 and
# init_on_free=0, so that no allocator zeroes pages and the mechanisms are
# compared like for like; a second one running scenarios a and h with
# init_on_alloc=1, Debian's default, under which labyrinth's kernel-policy
# pools clear every frame between owners (at grant, or before it in the
# background wipe), as alloc_page clears every allocation, while its
# single-owner pool, page_pool, mempool's reserve and objpool hand back
# recycled pages as they are.
#
# --smoke: a tiny iteration count, no native run, results under .cache;
# checks that every expected record is there and ends with one line,
# "PASS: bench smoke" or "FAIL: bench smoke (...)".
#
# Guest times are emulated: only ratios measured in the same boot mean
# anything.  Nothing is loaded into this machine's kernel.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
smoke=0
case "${1:-}" in
"") ;;
--smoke) smoke=1 ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

done_line=
# Whatever stops the script early (set -e included), smoke still says so.
trap '[ -n "$done_line" ] || [ "$smoke" = 0 ] || echo "FAIL: bench smoke (harness aborted; see the messages above)"' EXIT

finish_fail() {
	if [ "$smoke" = 1 ]; then
		echo "FAIL: bench smoke ($1)"
	else
		echo "bench: FAILED: $1"
	fi
	done_line=1
	exit 1
}

bash "$here/setup.sh" || finish_fail "scripts/setup.sh failed"

# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$here/qemu-lib.sh"

loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
start=$SECONDS
pages=1024
if [ "$smoke" = 1 ]; then
	tag=bench-smoke
	results=$cache/bench-smoke
	main_args=iters=256,cross_iters=256,runs=3,samples=2000,bursts=3
	zero_args=scenarios=ah,iters=256,runs=3,bursts=3
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-90}
else
	tag=bench
	results=$top/bench/results
	main_args=
	zero_args=scenarios=ah
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-900}
fi
mkdir -p "$results"

# A smoke run (make check) and a full run may overlap: each mode has its own
# build directory, initramfs and logs, and waits for another run of the same
# mode to finish.
exec {lock_fd}> "$cache/$tag.lock"
flock "$lock_fd"

kver=$(distro_kver 6.12) || true
[ -n "$kver" ] || finish_fail "cannot resolve Debian's 6.12 kernel (run scripts/setup.sh)"

out=$cache/$tag-$kver
echo "bench: building labyrinth.ko and bench/labyrinth_bench.ko for $kver"
qemu_build "$kver" "$out" || finish_fail "labyrinth.ko did not build against $kver"
qemu_build_bench "$kver" "$out" || finish_fail "labyrinth_bench.ko did not build against $kver"

initrd=$cache/initramfs-$tag-$kver.cpio.gz
qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/bench/labyrinth_bench.ko"

problems=()

# boot_bench <name> <log> <kernel args>: one guest; its progress lines are
# shown as they arrive on the serial console.
boot_bench() {
	local name=$1 log=$2 args=$3 t=$SECONDS rc=0 qpid line

	echo "bench: [$name] booting $kver (QEMU TCG, -smp $qemu_smp, -m $qemu_mem): $args"
	: > "$log"
	qemu_boot "/boot/vmlinuz-$kver" "$initrd" "$log" "$args" &
	qpid=$!
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		*LABYRINTH-BENCH-PROGRESS*)
			echo "bench: [$name] ${line#*LABYRINTH-BENCH-PROGRESS }" ;;
		*"LABYRINTH-CHECK FAIL "*)
			echo "bench: [$name] guest check failed: ${line#*LABYRINTH-CHECK FAIL }" ;;
		esac
	done < <(tail -n +1 -f --pid="$qpid" "$log" 2> /dev/null)
	wait "$qpid" || rc=$?
	echo "bench: [$name] guest ran for $((SECONDS - t)) s; serial log in ${log#"$top"/}"

	while read -r line; do
		case "$line" in
		"LABYRINTH-CHECK FAIL "*)
			problems+=("$name guest: ${line#LABYRINTH-CHECK FAIL }") ;;
		esac
	done < <(qemu_markers "$log")
	if ! qemu_guest_done "$log"; then
		problems+=("$name guest did not finish: $(qemu_why_stopped "$rc")")
		qemu_show_failure "$log"
	fi
}

guest_args="lbt_mode=bench lbt_pages=$pages"
main_log=$cache/$tag-main-$kver.log
zero_log=$cache/$tag-zeroing-$kver.log
main_kargs="init_on_alloc=0 init_on_free=0"
zero_kargs="init_on_alloc=1 init_on_free=0"
boot_bench main "$main_log" \
	"$guest_args $main_kargs${main_args:+ lbt_bench_args=$main_args}"
boot_bench zeroing "$zero_log" "$guest_args $zero_kargs lbt_bench_args=$zero_args"
guest_time=$((SECONDS - start))

native_json=$cache/bench-native-full.json
report_native=()
if [ "$smoke" = 1 ]; then
	report_native=(--native-note "not run by --smoke")
elif [ -f "$top/scripts/native.sh" ]; then
	echo "bench: native harness: scripts/native.sh --full"
	rm -f "$native_json"
	if NATIVE_JSON=$native_json PREZERO_JSON=$results/prezero.json \
		bash "$top/scripts/native.sh" --full; then
		report_native=(--native "$native_json")
	else
		report_native=(--native "$native_json" --native-note "scripts/native.sh --full failed")
		problems+=("scripts/native.sh --full failed")
	fi
else
	report_native=(--native-note "scripts/native.sh not present")
fi

report=(--guest "main:$main_log:$main_kargs" --guest "zeroing:$zero_log:$zero_kargs"
	--qemu-argv "main:$main_log.argv" --qemu-argv "zeroing:$zero_log.argv"
	--json "$results/latest.json" --png "$results/latest.png"
	--loadavg "$loadavg_start" "${report_native[@]}")
[ "$smoke" = 0 ] || report+=(--smoke)
for p in "${problems[@]}"; do
	report+=(--problem "$p")
done

echo "bench: took $((SECONDS - start)) s ($guest_time s building and in the guests)"
echo
rc=0
python3 "$top/scripts/bench-report.py" "${report[@]}" || rc=$?
# a full run's table, reprinted from the stored JSON alone, for the docs'
# gate; only when its checks passed, as only then latest.json was replaced
if [ "$smoke" = 0 ] && [ "$rc" = 0 ]; then
	python3 "$top/scripts/bench-report.py" --print "$results/latest.json" \
		> "$results/report-latest.txt.tmp" &&
		mv "$results/report-latest.txt.tmp" "$results/report-latest.txt" || rc=1
fi
[ "$smoke" = 1 ] || bash "$top/scripts/bench-nolock.sh" || rc=1
[ "$smoke" = 1 ] || bash "$top/scripts/bench-dma.sh" || rc=1
# the docs' generated figures follow the results just stored
[ "$smoke" = 1 ] || python3 "$top/scripts/docs-figures.py" --update || rc=1
done_line=1
exit "$rc"
