#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-test.sh [6.12|7.2|7.2-rt]: `dkms add` and `dkms build` labyrinth
# against a Debian kernel's headers (6.12, installed, by default; sid's 7.2
# trees from scripts/fetch-kernel.sh through --kernelsourcedir), then boot
# that kernel in QEMU with the DKMS-built labyrinth.ko and run the boot
# checks on it.  Uses the same commands as `make dkms-install` but never
# installs into this machine's module tree, and removes what it added.
#
# Not 5.10: bullseye's headers build with gcc-10, which a bullseye machine
# has (the headers package depends on it) and this bookworm one does not,
# and DKMS has no way to pass CC=gcc; its builds are checked by
# scripts/gates.sh with CC=gcc instead.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

kernel=${1:-6.12}
case "$kernel" in
6.12) ;;
7.2|7.2-rt) bash "$top/scripts/fetch-kernel.sh" "$kernel" || true ;;
*) echo "usage: $0 [6.12|7.2|7.2-rt]" >&2; exit 2 ;;
esac
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
kver=$(distro_kver "$kernel" || true)
[ -n "$kver" ] || { fail "dkms add+build labyrinth for $kernel (no Debian $kernel kernel)"; exit 1; }
# a kernel not installed here: DKMS builds against the prepared tree
srcdir=()
[ -d "/lib/modules/$kver/build" ] || srcdir=(--kernelsourcedir "$(kernel_info "$kver" kdir)")
src=/usr/src/labyrinth-$ver
log=$cache/dkms-build.out

cleanup() {
	dkms remove "labyrinth/$ver" --all > /dev/null 2>&1 || true
	rm -rf "$src"
}
trap cleanup EXIT

cleanup
mkdir -p "$src"
cp -r "${module_sources[@]/#/$top/}" "$src/"
if ! { dkms add "labyrinth/$ver" && dkms build "labyrinth/$ver" -k "$kver" "${srcdir[@]}"; } \
	> "$log" 2>&1; then
	fail "dkms add+build labyrinth/$ver for $kver (see ${log#"$top"/})"
	tail -n 20 "$log"
	exit 1
fi
built=$(find "/var/lib/dkms/labyrinth/$ver/$kver" -name 'labyrinth.ko*' | head -n 1)
if [ -z "$built" ]; then
	fail "dkms add+build labyrinth/$ver for $kver (no labyrinth.ko under /var/lib/dkms)"
	exit 1
fi
pass "dkms add+build labyrinth/$ver for $kver"

# DKMS compresses modules the way the kernel's own are; the guest gets a
# plain one so that any insmod loads it.
# the guest loads /modules/labyrinth.ko: one directory per kernel
mkdir -p "$cache/dkms/$kver"
ko=$cache/dkms/$kver/labyrinth.ko
case "$built" in
*.xz) xz -dc "$built" > "$ko" ;;
*.zst) zstd -qdc "$built" > "$ko" ;;
*.gz) gzip -dc "$built" > "$ko" ;;
*) cp "$built" "$ko" ;;
esac
LABYRINTH_KO=$ko LABYRINTH_TAG=boot-dkms bash "$top/scripts/boot-test.sh" "$kernel"
