#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-dma.sh [--smoke]: a DMA-mapped labyrinth pool against page_pool
# with PP_FLAG_DMA_MAP on QEMU's edu device (1234:11e8).  Builds
# labyrinth.ko and bench/dma/labyrinth_dma_bench.ko against Debian's 6.12
# kernel, boots it in QEMU (TCG, -smp 2, -m 1024, q35 with intel-iommu and
# edu, intel_iommu=on iommu.strict=1, as scripts/edu-test.sh does) in
# dmabench mode (scripts/guest/dmabench.sh) and collects the module's
# LABYRINTH-DMA lines: grant + DMA address lookup + free per page, single
# and 64 at a time, for labyrinth, page_pool, both with a sync for the
# device, and alloc_page + dma_map_page + dma_unmap_page + free, all in one
# boot.  scripts/bench-dma-report.py then writes
#   bench/results/dma/dma-latest.json and its table, report-latest.txt
#   (a run whose checks fail goes to bench/results/failed/ instead)
# and prints the ratio table: each peer's cost over labyrinth's.
#
# --smoke: tiny counts, results under .cache, and exactly one line,
# "PASS: bench dma smoke" or "FAIL: bench dma smoke (why)".
#
# Guest times are emulated: only ratios measured in one boot mean anything.
# Nothing is loaded into this machine's kernel.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

smoke=0
case "${1:-}" in
"") ;;
--smoke) smoke=1 ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

pages=256
if [ "$smoke" = 1 ]; then
	tag=bench-dma-smoke
	results=$cache/bench-dma-smoke
	margs=iters=128,runs=3,pool_pages=$pages
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-180}
else
	tag=bench-dma
	results=$top/bench/results/dma
	margs=pool_pages=$pages
	qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-900}
fi
mkdir -p "$results"
# Whatever stops the script early (set -e included), smoke still says so.
trap '[ "$smoke" = 0 ] || fail "bench dma smoke (harness aborted; see the messages above)"' EXIT
exec {lock_fd}> "$cache/$tag.lock"
flock "$lock_fd"

commit=$(git -C "$top" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
dirty=0
# the runs' own outputs under bench/results/ do not make the tree dirty
[ -z "$(git -C "$top" status --porcelain --untracked-files=no -- . ':(exclude)bench/results' \
	2> /dev/null)" ] || dirty=1
# shellcheck disable=SC2054 # commas inside QEMU option values
qemu_extra=(-machine q35 -device intel-iommu,intremap=off -device edu)
# Like for like: no allocator clears pages on the kernel's behalf.
kargs="lbt_mode=dmabench lbt_pages=64 intel_iommu=on iommu.strict=1 init_on_alloc=0 init_on_free=0 lbt_dmabench_args=$margs"
report=(--commit "$commit" --dirty "$dirty"
	--loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
	--qemu "qemu-system-x86_64 -accel tcg -smp $qemu_smp -m $qemu_mem -nographic -no-reboot ${qemu_extra[*]}")
[ "$smoke" = 0 ] || report+=(--smoke)

# build_dma <kver> <out>: labyrinth.ko (qemu_build), then the bench driver
# in <out>/bench/dma so that its "../../labyrinth.h" resolves.
build_dma() {
	local kver=$1 out=$2

	qemu_build "$kver" "$out" || return 1
	rm -rf "$out/bench/dma"
	mkdir -p "$out/bench/dma"
	rsync -a "$top/bench/dma/Kbuild" "$top/bench/dma/labyrinth_dma_bench.c" "$out/bench/dma/"
	make -s -C "$(kernel_info "$kver" kdir)" M="$out/bench/dma" \
		KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" W=1 modules 2>&1 |
		{ grep -v '^Skipping BTF generation' || true; }
	[ "${PIPESTATUS[0]}" = 0 ] && [ -f "$out/bench/dma/labyrinth_dma_bench.ko" ]
}

kver=$(distro_kver 6.12 || true)
if [ -z "$kver" ]; then
	report+=(--run "6.12||||cannot resolve the Debian 6.12 kernel (run scripts/setup.sh)|")
else
	out=$cache/$tag-$kver
	log=$cache/$tag-$kver.log
	if ! build_dma "$kver" "$out"; then
		report+=(--run "6.12|$kver|||labyrinth.ko or labyrinth_dma_bench.ko did not build|")
	else
		initrd=$cache/initramfs-$tag-$kver.cpio.gz
		qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/bench/dma/labyrinth_dma_bench.ko"
		image=$(kernel_info "$kver" image)
		echo "bench-dma: booting $kver (TCG, -smp $qemu_smp, -m $qemu_mem, ${qemu_extra[*]}): $kargs" >&2
		t=$SECONDS
		rc=0
		qemu_boot "$image" "$initrd" "$log" "$kargs" || rc=$?
		echo "bench-dma: $kver guest ran for $((SECONDS - t)) s; log ${log#"$top"/}" >&2
		report+=(--run "6.12|$kver|$log|$rc||console=ttyS0 panic_on_warn=1 panic=-1 oops=panic quiet $kargs|-kernel ${image#"$top"/} -initrd ${initrd#"$top"/}")
	fi
fi

trap - EXIT
run_guest_report dma "$results" "$smoke" "${report[@]}"
