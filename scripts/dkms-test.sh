#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS check: `dkms add` and `dkms build` labyrinth against the installed
# Debian 6.12 headers, then boot that kernel in QEMU with the DKMS-built
# labyrinth.ko and run the boot checks on it.  Uses the same commands as
# `make dkms-install` but never installs into this machine's module tree,
# and removes what it added.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
kver=$(distro_kver 6.12)
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
if ! { dkms add "labyrinth/$ver" && dkms build "labyrinth/$ver" -k "$kver"; } > "$log" 2>&1; then
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
mkdir -p "$cache/dkms"
ko=$cache/dkms/labyrinth.ko
case "$built" in
*.xz) xz -dc "$built" > "$ko" ;;
*.zst) zstd -qdc "$built" > "$ko" ;;
*.gz) gzip -dc "$built" > "$ko" ;;
*) cp "$built" "$ko" ;;
esac
LABYRINTH_KO=$ko LABYRINTH_TAG=boot-dkms bash "$top/scripts/boot-test.sh" 6.12
