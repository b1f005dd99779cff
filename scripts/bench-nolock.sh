#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-nolock.sh [--smoke] [7.2|7.2-rt ...]: the nolock peer.  For each
# kernel (default: both sid 7.2 flavours, fetched by scripts/fetch-kernel.sh)
# builds labyrinth.ko and bench/nolock/labyrinth_nolock_bench.ko, boots the
# kernel's own vmlinuz in QEMU (TCG, -smp 2, -m 1024) in nolock mode
# (scripts/guest/nolock.sh) and collects the module's LABYRINTH-NOLOCK lines:
# alloc_pages_nolock(), labyrinth, page_pool and alloc_page(GFP_ATOMIC),
# pair cost in process, hardirq and NMI context and success rates, all in
# one boot per kernel.  scripts/bench-nolock-report.py then writes
#   bench/results/nolock/nolock-latest.json and its table, report-latest.txt
#   (a run whose checks fail goes to bench/results/failed/ instead)
# and prints a ratio table per kernel: each peer's cost over labyrinth's.
#
# --smoke: tiny counts, results under .cache, and exactly one line per
# kernel, "PASS: bench nolock smoke <kernel>" or "FAIL: ... (why)".
#
# Guest times are emulated: only ratios measured in one boot mean anything.
# Nothing is loaded into this machine's kernel.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

smoke=0
kernels=()
for a in "$@"; do
	case "$a" in
	--smoke) smoke=1 ;;
	7.2|7.2-rt) kernels+=("$a") ;;
	*) echo "usage: $0 [--smoke] [7.2|7.2-rt ...]" >&2; exit 2 ;;
	esac
done
[ "${#kernels[@]}" -gt 0 ] || kernels=(7.2 7.2-rt)

pages=256
if [ "$smoke" = 1 ]; then
	tag=bench-nolock-smoke
	results=$cache/bench-nolock-smoke
	margs=iters=400,irq_iters=64,runs=3,pool_pages=$pages
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-120}
else
	tag=bench-nolock
	results=$top/bench/results/nolock
	margs=pool_pages=$pages
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-900}
fi
mkdir -p "$results"
# Whatever stops the script early (set -e included), smoke still says so.
# shellcheck disable=SC2154 # $k is the loop variable inside the trap
trap '[ "$smoke" = 0 ] || for k in "${kernels[@]}"; do fail "bench nolock smoke $k (harness aborted; see the messages above)"; done' EXIT
exec {lock_fd}> "$cache/$tag.lock"
flock "$lock_fd"

commit=$(git -C "$top" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
dirty=0
# the runs' own outputs under bench/results/ do not make the tree dirty
[ -z "$(git -C "$top" status --porcelain --untracked-files=no -- . ':(exclude)bench/results' \
	2> /dev/null)" ] || dirty=1
# Like for like: no allocator clears pages on the kernel's behalf, except
# alloc_pages_nolock(), which always does (its clear_page row shows the cost).
kargs="lbt_mode=nolock lbt_pages=$pages init_on_alloc=0 init_on_free=0 lbt_nolock_args=$margs"
report=(--commit "$commit" --dirty "$dirty"
	--loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	--qemu "qemu-system-x86_64 -accel tcg -smp $qemu_smp -m $qemu_mem -nographic -no-reboot")
[ "$smoke" = 0 ] || report+=(--smoke)

# build_nolock <kver> <out>: labyrinth.ko (qemu_build), then the nolock
# module in <out>/bench/nolock so that its "../../labyrinth.h" resolves.
build_nolock() {
	local kver=$1 out=$2 kdir margs_k

	qemu_build "$kver" "$out" || return 1
	kdir=$(kernel_info "$kver" kdir)
	margs_k=$(kernel_info "$kver" make || true)
	rm -rf "$out/bench/nolock"
	mkdir -p "$out/bench/nolock"
	rsync -a "$top/bench/nolock/Kbuild" "$top/bench/nolock/labyrinth_nolock_bench.c" \
		"$out/bench/nolock/"
	# shellcheck disable=SC2086 # $margs_k is a list of make arguments
	make -s -C "$kdir" M="$out/bench/nolock" KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" \
		W=1 $margs_k modules 2>&1 | { grep -v '^Skipping BTF generation' || true; }
	[ "${PIPESTATUS[0]}" = 0 ] && [ -f "$out/bench/nolock/labyrinth_nolock_bench.ko" ]
}

for ver in "${kernels[@]}"; do
	bash "$top/scripts/fetch-kernel.sh" "$ver" > /dev/null || true
	kver=$(distro_kver "$ver" || true)
	if [ -z "$kver" ]; then
		report+=(--run "$ver||||cannot fetch or resolve the Debian $ver kernel|")
		continue
	fi
	out=$cache/$tag-$kver
	log=$cache/$tag-$kver.log
	if ! build_nolock "$kver" "$out"; then
		report+=(--run "$ver|$kver|||labyrinth.ko or labyrinth_nolock_bench.ko did not build|")
		continue
	fi
	initrd=$cache/initramfs-$tag-$kver.cpio.gz
	qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/bench/nolock/labyrinth_nolock_bench.ko"
	image=$(kernel_info "$kver" image)
	echo "bench-nolock: booting $kver (TCG, -smp $qemu_smp, -m $qemu_mem): $kargs" >&2
	t=$SECONDS
	rc=0
	qemu_boot "$image" "$initrd" "$log" "$kargs" || rc=$?
	echo "bench-nolock: $kver guest ran for $((SECONDS - t)) s; log ${log#"$top"/}" >&2
	report+=(--run "$ver|$kver|$log|$rc||console=ttyS0 panic_on_warn=1 panic=-1 oops=panic quiet $kargs|-kernel ${image#"$top"/} -initrd ${initrd#"$top"/}")
done

trap - EXIT
run_guest_report nolock "$results" "$smoke" "${report[@]}"
