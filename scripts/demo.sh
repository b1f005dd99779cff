#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: on a fresh machine, install what is needed, build labyrinth
# against Debian's 6.12 kernel, boot that kernel in QEMU, load labyrinth with
# a 2048-page pool, let the sample client take and return pages from process
# and hardirq context, and show its counters.  Then boot it again with an
# IOMMU and QEMU's edu device, where samples/labyrinth_edu.ko runs an RX/TX
# ring of DMA-mapped frames through the device (scripts/edu-test.sh).  Ends
# with DEMO PASS or DEMO FAIL, and the exit status to match.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
demo_pages=2048
verdict=

finish() {
	verdict=$1
	echo "DEMO $1"
	if [ "$1" = PASS ]; then exit 0; fi
	exit 1
}

# Whatever stops the script early (set -e included), the last line says so.
trap '[ -n "$verdict" ] || { echo "DEMO FAIL"; exit 1; }' EXIT

bash "$here/setup.sh" || { echo "demo: scripts/setup.sh failed"; finish FAIL; }

# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$here/qemu-lib.sh"

kver=$(distro_kver 6.12) || true
[ -n "$kver" ] || { echo "demo: cannot resolve Debian's 6.12 kernel"; finish FAIL; }

out=$cache/oot-$kver
echo "demo: building labyrinth.ko and samples/labyrinth_client.ko for $kver"
qemu_build "$kver" "$out" || { echo "demo: build failed"; finish FAIL; }

initrd=$cache/initramfs-demo-$kver.cpio.gz
log=$cache/demo-$kver.log
qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/samples/labyrinth_client.ko"

echo "demo: booting $kver in QEMU (TCG, $qemu_smp CPUs, $qemu_mem MiB)"
echo "demo: guest runs: insmod labyrinth.ko nr_pages=$demo_pages; insmod labyrinth_client.ko; rmmod both"
start=$SECONDS
rc=0
qemu_boot "/boot/vmlinuz-$kver" "$initrd" "$log" "lbt_mode=demo lbt_pages=$demo_pages" || rc=$?
echo "demo: guest ran for $((SECONDS - start)) s; serial log in ${log#"$top"/}"
echo

ok=1
while read -r line; do
	case "$line" in
	"LABYRINTH-CHECK PASS "*)
		printf '  %-6s %s\n' ok "${line#LABYRINTH-CHECK PASS }" ;;
	"LABYRINTH-CHECK FAIL "*)
		line=${line#LABYRINTH-CHECK FAIL }
		printf '  %-6s %s: %s\n' FAIL "${line%% *}" "${line#* }"
		ok=0 ;;
	"LABYRINTH-INFO "*)
		echo "         ${line#LABYRINTH-INFO }" ;;
	esac
done < <(qemu_markers "$log")
echo

if ! qemu_guest_done "$log"; then
	echo "demo: the guest did not finish ($(qemu_why_stopped "$rc"))"
	qemu_show_failure "$log"
	ok=0
fi

echo "demo: booting $kver again, q35 with intel-iommu and QEMU's edu device;"
echo "demo: labyrinth_edu moves 16 pages tx pool -> edu -> rx pool by DMA, every byte checked"
edu_done=0
while IFS= read -r line; do
	case "$line" in
	"PASS: edu-iommu finished")
		edu_done=1
		printf '  %-6s %s\n' ok finished ;;
	"PASS: edu-iommu "*)
		printf '  %-6s %s\n' ok "${line#PASS: edu-iommu }" ;;
	"FAIL: edu-iommu "*)
		printf '  %-6s %s\n' FAIL "${line#FAIL: edu-iommu }"
		ok=0 ;;
	"FAIL: "*)
		echo "  FAIL   ${line#FAIL: }"
		ok=0 ;;
	"  labyrinth:"*) ;;
	"  "*)
		echo "       $line" ;;
	esac
done < <(bash "$here/edu-test.sh" iommu 16 2>&1 || true)
[ "$edu_done" = 1 ] || ok=0
echo
if [ "$ok" = 1 ]; then finish PASS; else finish FAIL; fi
