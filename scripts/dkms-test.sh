#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-test.sh [5.10|6.1|6.12|7.2|7.2-rt]: `dkms add` and `dkms build`
# labyrinth against a Debian kernel's headers (6.12 by default; 6.1 and 6.12
# installed by scripts/setup.sh, bullseye's 5.10 and sid's 7.2 trees from
# scripts/fetch-kernel.sh through --kernelsourcedir), then boot that kernel
# in QEMU with the DKMS-built labyrinth.ko and run the boot checks on it.
# Uses the same commands as `make dkms-install` but never installs into this
# machine's module tree, and removes what it added.
#
# 5.10: bullseye's headers name gcc-10 as the compiler, which a bullseye
# machine has (the headers package depends on it) and this bookworm one
# does not; DKMS runs with gcc 12 under that name, first in PATH, as
# scripts/gates.sh builds 5.10 with CC=gcc.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

kernel=${1:-6.12}
case "$kernel" in
6.1|6.12) ;;
5.10|7.2|7.2-rt) bash "$top/scripts/fetch-kernel.sh" "$kernel" > /dev/null || true ;;
*) echo "usage: $0 [5.10|6.1|6.12|7.2|7.2-rt]" >&2; exit 2 ;;
esac
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
kver=$(distro_kver "$kernel" || true)
[ -n "$kver" ] || { fail "dkms add+build labyrinth for $kernel (no Debian $kernel kernel)"; exit 1; }
# a kernel not installed here: DKMS builds against the prepared tree
srcdir=()
[ -d "/lib/modules/$kver/build" ] || srcdir=(--kernelsourcedir "$(kernel_info "$kver" kdir)")
if [ "$kernel" = 5.10 ]; then
	mkdir -p "$cache/gcc-10-bin"
	ln -sf "$(command -v gcc)" "$cache/gcc-10-bin/gcc-10"
	export PATH=$cache/gcc-10-bin:$PATH
fi
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
