#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh <5.10>: a Debian kernel from another suite than the
# host's, for building against and booting in QEMU, without touching the
# host's apt configuration or its installed packages.
#
# A private apt configuration (its own sources, lists and cache under
# .cache/apt-<suite>) is used only to download; the packages are unpacked
# with dpkg -x under .cache/kernels/<ver>/root.  The kernel is resolved
# through the suite's meta package, as scripts/setup.sh does for the host's
# kernels, so an ABI bump is picked up.  The result is described by files
# in .cache/kernels/<ver>/ that scripts/lib.sh reads:
#   kver    kernel release, e.g. 5.10.0-46-amd64
#   kdir    headers tree to build modules against
#   image   vmlinuz to boot
#   make    extra make arguments (bullseye's headers name gcc-10: CC=gcc)
#
# Idempotent: once .cache/kernels/<ver>/kver exists nothing is downloaded.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ver=${1:-}
case "$ver" in
5.10) suite=bullseye; meta=linux-image-amd64; kbuild=linux-kbuild-5.10; make_args="CC=gcc" ;;
*) echo "usage: $0 <5.10>" >&2; exit 2 ;;
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

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
	  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir"
	  -o "Dir::Cache::Archives=$apt_dir/archives" -o APT::Sandbox::User=root)

echo "fetch-kernel: $suite package lists (private apt configuration in ${apt_dir#"$top"/})"
apt-get "${apt_opts[@]}" -qq update

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

echo "fetch-kernel: $image, $headers, $common, $kbuild"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
(cd "$dir.tmp/debs" && apt-get "${apt_opts[@]}" -qq download "$image" "$headers" "$common" "$kbuild")
for deb in "$dir.tmp"/debs/*.deb; do
	dpkg -x "$deb" "$dir.tmp/root"
done
rm -rf "$dir.tmp/debs"

# The arch headers include the common ones by absolute path: point it here.
kdir=$dir/root/usr/src/$headers
sed -i "s|/usr/src/$common|$kdir/../$common|" "$dir.tmp/root/usr/src/$headers/Makefile"
[ -f "$dir.tmp/root/boot/vmlinuz-$kver" ] || { echo "fetch-kernel: no vmlinuz in $image" >&2; exit 1; }

echo "$kver" > "$dir.tmp/kver"
echo "$kdir" > "$dir.tmp/kdir"
echo "$dir/root/boot/vmlinuz-$kver" > "$dir.tmp/image"
echo "$make_args" > "$dir.tmp/make"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "fetch-kernel: $ver is $kver, in ${dir#"$top"/}"
