#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# torture.sh [seconds [pages [kernel]]]: `make torture DURATION=... PAGES=...
# KERNEL=...`.  Builds labyrinth.ko and torture/labyrinth_torture.ko against
# a Debian kernel (6.12 unless told: 6.1, or 5.10, 7.2 and 7.2-rt through
# scripts/fetch-kernel.sh), boots that kernel in QEMU (TCG, -smp 2, -m 1024) in torture mode
# (scripts/guest/torture.sh): the torture module grants and frees from kthreads,
# tasklets, hard hrtimers and NMIs on both CPUs for <seconds>, on a pool of
# <pages> frames that may grow to 4 x <pages>; after a third of the run a
# memory hog takes every free page it can get (hog=1), and all the while the
# guest shell takes CPU1 offline and back online.
#
# Arguments, or the DURATION, PAGES and KERNEL environment variables:
# seconds (default 60), pool frames (default 128), kernel (default 6.12).
# Prints one "PASS: torture-<kernel> <check>" / "FAIL: ..." line per property: the run's
# verdict, no faults, counters consistent, every context ran, NMIs
# delivered, hotplug cycles done, the whole reserve granted before and after
# the run, the hog held more than half the memory, unload, a clean log.
# The serial log stays in .cache/torture-<kernel>-<kver>.log.  Nothing is loaded
# into this machine's kernel.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

duration=${1:-${DURATION:-60}}
pages=${2:-${PAGES:-128}}
ver=${3:-${KERNEL:-6.12}}
tag=torture-$ver
finished=

trap '[ -n "$finished" ] || fail "$tag harness (aborted; see the messages above)"' EXIT

case "$duration$pages" in
*[!0-9]*|"")
	echo "usage: $0 [seconds [pages]] (got '$duration' '$pages')" >&2
	finished=1
	exit 2 ;;
esac
if [ "$duration" -lt 1 ] || [ "$pages" -lt 1 ]; then
	echo "$0: seconds and pages must be at least 1" >&2
	finished=1
	exit 2
fi

case "$ver" in
6.12|6.1) ;;
5.10|7.2|7.2-rt) bash "$top/scripts/fetch-kernel.sh" "$ver" || true ;;
*) echo "$0: unknown kernel '$ver' (6.12, 6.1, 5.10, 7.2, 7.2-rt)" >&2; finished=1; exit 2 ;;
esac
kver=$(distro_kver "$ver") || true
if [ -z "$kver" ]; then
	fail "$tag build (cannot resolve the Debian $ver kernel; run scripts/setup.sh)"
	finished=1
	exit 1
fi

out=$cache/torture-$kver
if ! qemu_build "$kver" "$out" || [ ! -f "$out/torture/labyrinth_torture.ko" ]; then
	fail "$tag build (labyrinth.ko or labyrinth_torture.ko did not build against $kver)"
	finished=1
	exit 1
fi

initrd=$cache/initramfs-$tag-$kver.cpio.gz
log=$cache/$tag-$kver.log
qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/torture/labyrinth_torture.ko"

# Boot, setup and the checks take under a minute; the hog and hotplug slow
# the guest down, so leave generous room.
qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-$((duration * 2 + 180))}
targs=duration=$duration,nr_pages=$pages,max_pages=$((pages * 4)),nmi=1,hog=1
echo "torture: booting $kver (TCG, -smp $qemu_smp, -m $qemu_mem) for a $duration s torture"
echo "torture: module parameters $targs; log in ${log#"$top"/} (tail -f it to watch)"
start=$SECONDS
rc=0
qemu_boot "$(kernel_info "$kver" image)" "$initrd" "$log" "lbt_mode=torture lbt_pages=64 lbt_torture_args=$targs" ||
	rc=$?
echo "torture: guest ran for $((SECONDS - start)) s"

failed=0
qemu_report "$tag" "$log" "$rc" || failed=1
finished=1
exit "$failed"
