#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-sparse.sh: build sid's sparse (0.6.5~rc1) from its Debian source
# package into .cache/sparse/sparse and print its path.  Linux 6.15 and
# later only run a sparse that knows __typeof_unqual__
# (scripts/checker-valid.sh); Debian 12's 0.6.4 does not, and kbuild then
# skips the check with "C=2 specified, but sparse is not available", so the
# 7.2 builds use this one (CHECK=...).  sid's binary package needs glibc
# 2.38, hence the source.  The host's apt sources are never touched: the
# download goes through a private apt configuration in .cache/apt-sid-src.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

dest=$cache/sparse
if [ -x "$dest/sparse" ]; then
	echo "$dest/sparse"
	exit 0
fi
apt_dir=$cache/apt-sid-src
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial"
cat > "$apt_dir/sources/sid-src.sources" <<EOT
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
private_apt_opts "$apt_dir"
echo "fetch-sparse: sid's sparse source (private apt configuration in ${apt_dir#"$top"/})" >&2
apt-get "${apt_opts[@]}" -qq update >&2
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
(cd "$dest.tmp" && apt-get "${apt_opts[@]}" -qq --download-only source sparse >&2)
tar -C "$dest.tmp" -xzf "$dest.tmp"/sparse_*.orig.tar.gz
src=$(find "$dest.tmp" -mindepth 1 -maxdepth 1 -type d -name 'sparse-*' | head -n 1)
[ -n "$src" ] || { echo "fetch-sparse: no sparse source unpacked" >&2; exit 1; }
make -s -C "$src" -j"$(nproc)" sparse > "$dest.tmp/build.log" 2>&1 ||
	{ tail -n 20 "$dest.tmp/build.log" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/sparse" "$dest/sparse"
cp "$dest.tmp"/*.dsc "$dest/"
rm -rf "$dest.tmp"
echo "fetch-sparse: built $(basename "$dest"/*.dsc .dsc) into ${dest#"$top"/}" >&2
echo "$dest/sparse"
