#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package labyrinth's build, tests and demo need, and
# unpack linux-source-6.12 into the cache.  Idempotent: a second run that
# finds everything in place does no network access.
#
# Kernel ABI numbers move with security updates, so the distro kernels are
# resolved through the meta packages rather than named here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LABYRINTH_CACHE:-$top/.cache}
mkdir -p "$cache"

base_pkgs=(build-essential bc bison flex libelf-dev libssl-dev cpio kmod
	   python3 rsync xz-utils qemu-system-x86 busybox-static sparse
	   gnuplot-nox dkms zstd libtsan2 libubsan1 clang libclang-rt-14-dev
	   linux-source-6.12 linux-headers-amd64 linux-headers-6.12-amd64)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# Name of the versioned package a meta package depends on, e.g.
# linux-image-amd64 -> linux-image-6.1.0-56-amd64.
resolve_meta() {
	apt-cache depends "$1" 2>/dev/null |
		awk -v p="$2" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}

image_pkgs() {
	local m v
	for m in linux-image-amd64 linux-image-6.12-amd64; do
		v=$(resolve_meta "$m" linux-image-)
		[ -n "$v" ] || { echo "setup: cannot resolve $m" >&2; return 1; }
		echo "$v-unsigned"
	done
}

need=$(missing "${base_pkgs[@]}")
imgs=$(image_pkgs 2>/dev/null || true)
[ -z "$imgs" ] || need="$need $(missing $imgs)"
if [ -n "${need// /}" ] || [ -z "$imgs" ]; then
	echo "setup: installing packages"
	"${sudo_cmd[@]}" apt-get update -qq
	imgs=$(image_pkgs)
	# shellcheck disable=SC2086
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${base_pkgs[@]}" $imgs
fi

# The KUnit kernels are built from this tree; the unpacked copy is pristine
# and each build overlays labyrinth into its own copy.
src=$cache/linux-6.12
if [ ! -f "$src/.unpacked" ]; then
	echo "setup: unpacking linux-source-6.12"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xf /usr/src/linux-source-6.12.tar.xz
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi
echo "setup: ok"
