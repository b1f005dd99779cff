# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for labyrinth's scripts.  Source it; it defines no side
# effects beyond variables and functions.
#
# Result lines: every check prints exactly one line "PASS: <name>" or
# "FAIL: <name> (<why>)"; `make check` counts those lines.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${LABYRINTH_CACHE:-$top/.cache}
mkdir -p "$cache"

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

# expect_none <name> <file> <pattern>: PASS when no line of <file> matches
# the extended regex <pattern>; otherwise FAIL, show the first matches and
# return 1.
expect_none() {
	if grep -Eq "$3" "$2"; then
		fail "$1"
		grep -E "$3" "$2" | head -20
		return 1
	fi
	pass "$1"
}

# Kernel release of a Debian distro kernel, resolved through its meta
# package: "6.1" -> 6.1.0-56-amd64, "6.12" -> 6.12.117+deb12-amd64; the
# host's suite, installed by scripts/setup.sh.  Kernels of other suites
# (5.10, 7.2, 7.2-rt) come from scripts/fetch-kernel.sh, which records theirs.
distro_kver() {
	local meta
	case "$1" in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	5.10|7.2|7.2-rt) cat "$cache/kernels/$1/kver" 2>/dev/null; return ;;
	*) echo "distro_kver: unknown kernel '$1'" >&2; return 1 ;;
	esac
	apt-cache depends "$meta" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { sub(/^linux-image-/, "", $2); print $2; exit }'
}

# private_apt_opts <dir>: set apt_opts, the options that make apt-get and
# apt-cache use only the sources, lists and cache under <dir>, never the
# host's own apt configuration.
private_apt_opts() {
	apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$1/sources"
		  -o "Dir::State::Lists=$1/lists" -o "Dir::Cache=$1"
		  -o "Dir::Cache::Archives=$1/archives" -o APT::Sandbox::User=root)
}

# kernel_info <kver> <kdir|image|make>: where a kernel release's headers
# tree and vmlinuz are, and the extra make arguments it needs: the host's
# installed kernels first, then those scripts/fetch-kernel.sh unpacked.
kernel_info() {
	local kver=$1 what=$2 d
	case "$what" in
	kdir) [ -d "/lib/modules/$kver/build" ] && { echo "/lib/modules/$kver/build"; return; } ;;
	image) [ -f "/boot/vmlinuz-$kver" ] && { echo "/boot/vmlinuz-$kver"; return; } ;;
	make) [ -d "/lib/modules/$kver/build" ] && return ;;
	esac
	for d in "$cache"/kernels/*; do
		if [ "$(cat "$d/kver" 2>/dev/null)" = "$kver" ]; then
			cat "$d/$what"
			return
		fi
	done
	return 1
}

# Module sources copied into a build directory of their own, so builds for
# several kernels never share objects with each other or with the checkout.
module_sources=(Makefile Kbuild Kconfig dkms.conf labyrinth.h labyrinth_internal.h
		labyrinth_compat.h labyrinth_trace.h labyrinth_debugfs.c
		labyrinth_core.c labyrinth_pool.c samples torture)

# copy_sources <dir> [more paths...]: the module sources, and any further
# paths, into <dir>, leaving out build products and deleting what the
# checkout no longer has.  By content, and without the checkout's times: a
# file that changed gets the time of the copy, so make rebuilds what
# depends on it even when the checkout's file is older than the last build
# (another commit checked out, or another clone sharing LABYRINTH_CACHE).
copy_sources() {
	local dir=$1
	shift
	mkdir -p "$dir"
	rsync -rlpD --checksum --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		"${module_sources[@]/#/$top/}" "$@" "$dir/"
}

# build_oot <kdir> <outdir> [make args...]: build labyrinth.ko, the sample
# client and the torture module in <outdir> against the kernel build tree
# <kdir>.
build_oot() {
	local kdir=$1 out=$2
	shift 2
	copy_sources "$out"
	make -s -C "$out" KDIR="$kdir" "$@" modules samples torture-module
}

# run_guest_report <name> <results dir> <smoke 0|1> <report args...>: run
# scripts/bench-<name>-report.py.  A full run's result becomes
# <results>/<name>-latest.json with its table, report-latest.txt (the docs
# include it; the gates compare the two), only if its checks passed;
# otherwise it is kept apart in bench/results/failed/ and the exit is 1.
run_guest_report() {
	local name=$1 results=$2 smoke=$3 rc=0 tmp stamp
	shift 3

	if [ "$smoke" = 1 ]; then
		python3 "$top/scripts/bench-$name-report.py" --json "$results/$name-latest.json" "$@"
		return
	fi
	tmp=$results/.$name-run.json
	python3 "$top/scripts/bench-$name-report.py" --json "$tmp" "$@" || rc=$?
	if [ "$rc" = 0 ]; then
		mv "$tmp" "$results/$name-latest.json"
		python3 "$top/scripts/bench-$name-report.py" --print "$results/$name-latest.json" \
			> "$results/report-latest.txt"
		return
	fi
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$top/bench/results/failed"
	[ ! -f "$tmp" ] || mv "$tmp" "$top/bench/results/failed/$name-$stamp.json"
	echo "bench-$name: checks failed: result kept in bench/results/failed/$name-$stamp.json"
	return 1
}
