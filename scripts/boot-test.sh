#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot-test.sh <6.12|6.1|5.10|7.2|7.2-rt>: build labyrinth.ko and the sample
# client against a Debian distro kernel (5.10 from bullseye, 7.2 and its
# PREEMPT_RT flavour from sid, through scripts/fetch-kernel.sh), boot that kernel in QEMU (TCG) with a busybox
# initramfs, and run the checks of scripts/guest/check.sh there: rejected
# parameters leak nothing, a valid load, grants and frees from process and
# hardirq context, a refused rmmod while in use, a clean unload, a clean
# kernel log.  Modules are never loaded into this machine's own kernel.
#
# Prints one "PASS: boot-<ver> <check>" / "FAIL: ..." line per guest check;
# the serial log is kept in .cache/boot-<kver>.log.  Exits non-zero if any
# check failed or the guest never finished.
#
# LABYRINTH_KO=<path> boots that labyrinth.ko (e.g. one DKMS built) instead
# of the one built here, and LABYRINTH_TAG names the result lines.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

ver=${1:-}
case "$ver" in
6.12|6.1) ;;
5.10|7.2|7.2-rt) bash "$top/scripts/fetch-kernel.sh" "$ver" || true ;;
*) echo "usage: $0 <6.12|6.1|5.10|7.2|7.2-rt>" >&2; exit 2 ;;
esac
tag=${LABYRINTH_TAG:-boot}-$ver
ko=${LABYRINTH_KO:-}
finished=

# A harness step that dies under set -e must still leave a FAIL line.
trap '[ -n "$finished" ] || fail "$tag harness (aborted; see the messages above)"' EXIT

kver=$(distro_kver "$ver") || true
if [ -z "$kver" ]; then
	fail "$tag build (cannot resolve the Debian $ver kernel; run scripts/setup.sh)"
	finished=1
	exit 1
fi

out=$cache/oot-$kver
if ! qemu_build "$kver" "$out"; then
	fail "$tag build (labyrinth.ko or labyrinth_client.ko did not build against $kver)"
	finished=1
	exit 1
fi

initrd=$cache/initramfs-$tag-$kver.cpio.gz
log=$cache/$tag-$kver.log
qemu_initramfs "$initrd" "${ko:-$out/labyrinth.ko}" "$out/samples/labyrinth_client.ko"

echo "boot-test: booting $kver (TCG, -smp $qemu_smp, -m $qemu_mem), log in ${log#"$top"/}"
start=$SECONDS
rc=0
qemu_boot "$(kernel_info "$kver" image)" "$initrd" "$log" "lbt_mode=check" || rc=$?
echo "boot-test: guest ran for $((SECONDS - start)) s"

failed=0
qemu_report "$tag" "$log" "$rc" || failed=1
finished=1
exit "$failed"
