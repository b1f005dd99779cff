#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh <5.10|7.2|7.2-rt>: a Debian kernel from another suite
# than the host's, for building against and booting in QEMU, without
# touching the host's apt configuration or its installed packages.
#
# A private apt configuration (its own sources, lists and cache under
# .cache/apt-<suite>) is used only to download; the packages are unpacked
# with dpkg -x under .cache/kernels/<ver>/root.  The kernel is resolved
# through the suite's meta package, as scripts/setup.sh does for the host's
# kernels, so an ABI bump is picked up.
#
# 5.10 (bullseye): its headers package and kbuild tools run here.  7.2 and
# 7.2-rt (sid): sid's kbuild tools need glibc >= 2.38, so the tree is
# prepared from linux-source-7.2 instead (unpacked once into
# .cache/linux-7.2, shared by both flavours): an O= build directory per
# flavour with the distro .config from the headers package, the distro
# CONFIG_LOCALVERSION, `make olddefconfig modules_prepare`, and the headers
# package's Module.symvers; modules built there with gcc 12 load into sid's
# own vmlinuz.
#
# The result is described by files in .cache/kernels/<ver>/ that
# scripts/lib.sh reads:
#   kver    kernel release, e.g. 5.10.0-46-amd64
#   kdir    headers tree to build modules against
#   image   vmlinuz to boot
#   make    extra make arguments (bullseye's headers name gcc-10: CC=gcc)
#
# Idempotent: once .cache/kernels/<ver>/kver exists (written last) nothing
# is downloaded.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ver=${1:-}
make_args=
case "$ver" in
5.10) suite=bullseye; meta=linux-image-amd64; kbuild=linux-kbuild-5.10; make_args="CC=gcc" ;;
7.2) suite=sid; meta=linux-image-amd64 ;;
7.2-rt) suite=sid; meta=linux-image-rt-amd64 ;;
*) echo "usage: $0 <5.10|7.2|7.2-rt>" >&2; exit 2 ;;
esac

dir=$cache/kernels/$ver
[ -f "$dir/kver" ] && exit 0

apt_dir=$cache/apt-$suite
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial"
cat > "$apt_dir/sources/$suite.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
[ "$suite" = sid ] || cat >> "$apt_dir/sources/$suite.sources" <<EOF

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
private_apt_opts "$apt_dir"

# one update per suite and cache: both sid flavours share the lists
if [ ! -f "$apt_dir/updated" ]; then
	echo "fetch-kernel: $suite package lists (private apt configuration in ${apt_dir#"$top"/})"
	apt-get "${apt_opts[@]}" -qq update
	touch "$apt_dir/updated"
fi

# depends_on <package> <prefix>: the first dependency of <package> named <prefix>...
depends_on() {
	apt-cache "${apt_opts[@]}" depends "$1" 2>/dev/null |
		awk -v p="$2" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

image=$(depends_on "$meta" linux-image-)
[ -n "$image" ] || { echo "fetch-kernel: cannot resolve $meta in $suite" >&2; exit 1; }
kver=${image#linux-image-}
headers=linux-headers-$kver
common=$(depends_on "$headers" linux-headers-)
[ -n "$common" ] || { echo "fetch-kernel: cannot resolve the headers of $kver" >&2; exit 1; }

if [ "$suite" = sid ]; then
	# the image package is a meta package; the kernel is in linux-binary
	pkgs=("linux-binary-$kver" "$headers" "$common")
else
	pkgs=("$image" "$headers" "$common" "$kbuild")
fi
echo "fetch-kernel: ${pkgs[*]}"
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
(cd "$dir/debs" && apt-get "${apt_opts[@]}" -qq download "${pkgs[@]}")
for deb in "$dir"/debs/*.deb; do
	dpkg -x "$deb" "$dir/root"
done
rm -rf "$dir/debs"

# unpack_source <version>: linux-source-<version> once into .cache/linux-<version>
unpack_source() {
	local src=$cache/linux-$1

	[ -f "$src/.unpacked" ] && return
	echo "fetch-kernel: linux-source-$1, unpacked into ${src#"$top"/}"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp/deb"
	(cd "$src.tmp/deb" && apt-get "${apt_opts[@]}" -qq download "linux-source-$1")
	dpkg -x "$src.tmp"/deb/*.deb "$src.tmp/deb/x"
	tar -C "$src.tmp" --strip-components=1 -xf "$src.tmp/deb/x/usr/src/linux-source-$1.tar.xz"
	rm -rf "$src.tmp/deb"
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
}

hdr=$dir/root/usr/src/$headers
if [ "$suite" = sid ]; then
	vmlinuz=$dir/root/usr/lib/modules/$kver/vmlinuz
	base=${kver%%+*}		# 7.2.13
	src=$cache/linux-${base%.*}	# .cache/linux-7.2
	unpack_source "${base%.*}"
	# the distro's configuration and symbol versions, this machine's gcc
	kdir=$dir/build
	mkdir -p "$kdir"
	sed "s/^CONFIG_LOCALVERSION=.*/CONFIG_LOCALVERSION=\"${kver#"$base"}\"/" \
		"$hdr/.config" > "$kdir/.config"
	echo "fetch-kernel: preparing $kver in ${kdir#"$top"/} (olddefconfig modules_prepare)"
	make -s -C "$src" O="$kdir" olddefconfig >/dev/null
	make -s -C "$src" O="$kdir" -j"$(nproc)" modules_prepare >/dev/null
	cp "$hdr/Module.symvers" "$kdir/"
	got=$(make -s -C "$src" O="$kdir" kernelrelease)
	[ "$got" = "$kver" ] ||
		{ echo "fetch-kernel: the prepared tree is $got, not $kver" >&2; exit 1; }
else
	kdir=$hdr
	vmlinuz=$dir/root/boot/vmlinuz-$kver
	# The arch headers include the common ones by absolute path: point it here.
	sed -i "s|/usr/src/$common|$kdir/../$common|" "$kdir/Makefile"
fi
[ -f "$vmlinuz" ] || { echo "fetch-kernel: no vmlinuz for $kver" >&2; exit 1; }

echo "$kdir" > "$dir/kdir"
echo "$vmlinuz" > "$dir/image"
echo "$make_args" > "$dir/make"
echo "$kver" > "$dir/kver"	# last: the mark of a complete fetch
echo "fetch-kernel: $ver is $kver, in ${dir#"$top"/}"
