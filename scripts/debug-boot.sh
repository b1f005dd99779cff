#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-boot.sh [torture seconds]: build a linux-source-6.12 kernel with
# loadable modules, KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS,
# DEBUG_VM and kmemleak (scripts/debug-kernel.config), build labyrinth.ko,
# the sample client and the torture module against it, and boot it in QEMU
# (TCG) with lbt_mode=debug: every boot check, a torture with CPU hotplug
# (default 20 s), then a kmemleak scan after the last rmmod that must be
# clean.  A copy of labyrinth built with one kfree cut (labyrinth_leaky.ko)
# is loaded last and the same scan must report it: the control showing that
# the clean scan could have failed.
#
# Prints one "PASS: debug-6.12 <check>" / "FAIL: ..." line per guest check;
# the serial log is .cache/debug-6.12.log.  Exits non-zero on any failure.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$top/scripts/qemu-lib.sh"

tag=debug-6.12
seconds=${1:-20}
case "$seconds" in
'' | *[!0-9]*) echo "usage: $0 [torture seconds]" >&2; exit 2 ;;
esac
tree=$cache/linux-6.12
kbuild=$cache/kernel-debug
fragment=$top/scripts/debug-kernel.config
out=$cache/oot-debug
leaky=$cache/oot-debug-leaky
finished=

trap '[ -n "$finished" ] || fail "$tag harness (aborted; see the messages above)"' EXIT

finish_fail() {
	fail "$tag $1"
	finished=1
	exit 1
}

[ -f "$tree/.unpacked" ] || bash "$top/scripts/setup.sh"

# Configure from the fragment when it changed, and insist that every
# option in it survived olddefconfig: a dropped dependency would otherwise
# quietly build a kernel without the checker the run relies on.
configure() {
	local line

	mkdir -p "$kbuild"
	cmp -s "$fragment" "$kbuild/.fragment" && return 0
	cp "$fragment" "$kbuild/.config"
	make -s -C "$tree" O="$kbuild" ARCH=x86_64 olddefconfig
	while read -r line; do
		case "$line" in
		CONFIG_*=* | "# CONFIG_"*" is not set") ;;
		*) continue ;;
		esac
		grep -qxF "$line" "$kbuild/.config" || { echo "$line did not stick" >&2; return 1; }
	done < "$fragment"
	cp "$fragment" "$kbuild/.fragment"
}

echo "debug-boot: building the debug kernel in ${kbuild#"$top"/} (log: kernel-debug.build.log)"
start=$SECONDS
configure || finish_fail "kernel config (see the messages above)"
make -C "$tree" O="$kbuild" ARCH=x86_64 -j"$(nproc)" > "$cache/kernel-debug.build.log" 2>&1 ||
	{ tail -n 30 "$cache/kernel-debug.build.log"; finish_fail "kernel build"; }
echo "debug-boot: kernel ready after $((SECONDS - start)) s"

if ! build_oot "$kbuild" "$out" W=1 > "$cache/oot-debug.build.log" 2>&1 ||
	[ ! -f "$out/labyrinth.ko" ] || [ ! -f "$out/torture/labyrinth_torture.ko" ]; then
	cat "$cache/oot-debug.build.log"
	finish_fail "build (modules against the debug kernel)"
fi
expect_none "$tag W=1 build" "$cache/oot-debug.build.log" 'warning:|error:' ||
	finish_fail "W=1 build has findings"

# The control build: pool teardown forgets the per-CPU region array.
copy_sources "$leaky"
cut_line=$'\tkfree(pool->regions);'
grep -qxF "$cut_line" "$leaky/labyrinth_pool.c" ||
	finish_fail "leaky build (no '$cut_line' line left to cut in labyrinth_pool.c)"
grep -vxF "$cut_line" "$leaky/labyrinth_pool.c" > "$leaky/labyrinth_pool.c.cut"
mv "$leaky/labyrinth_pool.c.cut" "$leaky/labyrinth_pool.c"
make -s -C "$leaky" KDIR="$kbuild" modules > "$cache/oot-debug-leaky.build.log" 2>&1 ||
	{ cat "$cache/oot-debug-leaky.build.log"; finish_fail "leaky build"; }
cp "$leaky/labyrinth.ko" "$leaky/labyrinth_leaky.ko"

initrd=$cache/initramfs-$tag.cpio.gz
log=$cache/$tag.log
qemu_initramfs "$initrd" "$out/labyrinth.ko" "$out/samples/labyrinth_client.ko" \
	"$out/torture/labyrinth_torture.ko" "$leaky/labyrinth_leaky.ko"

# KASAN and lockdep slow TCG down several times over; hog=0 because
# kmemleak turns itself off for good when it cannot allocate its metadata.
targs=duration=$seconds,nr_pages=256,max_pages=1024,nmi=1,hog=0
qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-$((seconds * 3 + 600))}
echo "debug-boot: booting (TCG, -smp $qemu_smp, -m $qemu_mem), torture $targs, log in ${log#"$top"/}"
start=$SECONDS
rc=0
qemu_boot "$kbuild/arch/x86/boot/bzImage" "$initrd" "$log" \
	"lbt_mode=debug lbt_torture_args=$targs" || rc=$?
echo "debug-boot: guest ran for $((SECONDS - start)) s"

failed=0
qemu_report "$tag" "$log" "$rc" || failed=1
finished=1
exit "$failed"
