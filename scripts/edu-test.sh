#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# edu-test.sh [iommu|swiotlb] [frames]: samples/labyrinth_edu.ko on QEMU's
# edu PCI device (1234:11e8) in Debian's 6.12 kernel, TCG.  The driver
# moves [frames] pages (default 16) tx pool -> edu -> rx pool by DMA, two
# 2048-byte halves each way a page, from DMA-mapped labyrinth pools, and
# checks every byte.
#
#   iommu    q35 with intel-iommu, intel_iommu=on iommu.strict=1, edu's
#            default 28-bit DMA mask: every transfer goes through the
#            IOMMU's page tables; any DMAR fault fails the run.  Then, at
#            remove, one DMA to an rx frame's address after its pool was
#            destroyed must raise a DMAR fault: the mappings' lifetime is
#            real.
#   swiotlb  no IOMMU, swiotlb=force, edu with a 64-bit DMA mask: every
#            mapping is bounced.  Then the same run without the sync for
#            the CPU must read stale bytes: the syncs are needed, and there.
#
# Prints one "PASS: edu-<mode> <check>" / "FAIL: ..." line per guest check;
# the serial log is kept in .cache/edu-<mode>-<kver>.log.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

mode=${1:-iommu}
frames=${2:-16}
case "$mode" in
iommu)
	qemu_extra=(-machine q35 -device intel-iommu,intremap=off -device edu)
	args="intel_iommu=on iommu.strict=1 lbt_edu_negative=fault" ;;
swiotlb)
	qemu_extra=(-machine q35 -device edu,dma_mask=0xffffffffffffffff)
	args="swiotlb=force lbt_edu_args=dma_bits=64 lbt_edu_negative=stale" ;;
*) echo "usage: $0 [iommu|swiotlb] [frames]" >&2; exit 2 ;;
esac
tag=edu-$mode
finished=
trap '[ -n "$finished" ] || fail "$tag harness (aborted; see the messages above)"' EXIT

kver=$(distro_kver 6.12) || true
if [ -z "$kver" ]; then
	fail "$tag build (cannot resolve the Debian 6.12 kernel; run scripts/setup.sh)"
	finished=1
	exit 1
fi
out=$cache/oot-$kver
if ! qemu_build "$kver" "$out" || [ ! -f "$out/samples/labyrinth_edu.ko" ]; then
	fail "$tag build (labyrinth.ko or labyrinth_edu.ko did not build against $kver)"
	finished=1
	exit 1
fi

initrd=$cache/initramfs-$tag-$kver.cpio.gz
log=$cache/$tag-$kver.log
qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/samples/labyrinth_edu.ko"

echo "edu-test: booting $kver with ${qemu_extra[*]} ($args), log in ${log#"$top"/}"
start=$SECONDS
rc=0
qemu_boot "$(kernel_info "$kver" image)" "$initrd" "$log" \
	"lbt_mode=edu lbt_pages=64 lbt_edu_frames=$frames $args" || rc=$?
echo "edu-test: guest ran for $((SECONDS - start)) s"

failed=0
qemu_report "$tag" "$log" "$rc" || failed=1
finished=1
exit "$failed"
