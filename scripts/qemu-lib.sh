# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by boot-test.sh and demo.sh: build labyrinth against a Debian distro
# kernel, pack it with busybox, scripts/guest-init.sh and the files of
# scripts/guest/ it sources into an initramfs, boot that kernel in QEMU
# (TCG: KVM cannot run these guests here) and read the guest's markers back
# from the serial log.  Source lib.sh first: it
# sets $top and $cache.
# shellcheck disable=SC2154 # $top, $cache come from lib.sh
#
# Guest protocol (written by guest-init.sh and scripts/guest/, one marker a line):
#   LABYRINTH-CHECK PASS <name>
#   LABYRINTH-CHECK FAIL <name> <why>
#   LABYRINTH-INFO <text>      something worth showing a human
#   LABYRINTH-DONE             the guest ran to the end; anything else is a crash
#   LABYRINTH-BENCH...         printed by bench/labyrinth_bench.ko (bench mode)

qemu_timeout=${LABYRINTH_QEMU_TIMEOUT:-300}
qemu_mem=1024
qemu_smp=2
# more QEMU arguments for qemu_boot: a machine and devices (scripts/edu-test.sh)
qemu_extra=()

# qemu_build <kver> <outdir>: labyrinth.ko and samples/labyrinth_client.ko
# against the distro headers.  W=1 so warnings show up in every boot run.
qemu_build() {
	local kver=$1 out=$2 kdir margs

	kdir=$(kernel_info "$kver" kdir) ||
		{ echo "no headers for $kver (run scripts/setup.sh)" >&2; return 1; }
	margs=$(kernel_info "$kver" make || true)
	# Debian's 6.1 headers have no vmlinux; kbuild says so for every module.
	# build_oot's own status counts: modules of an earlier build stay behind.
	# shellcheck disable=SC2086 # $margs is a list of make arguments
	build_oot "$kdir" "$out" W=1 $margs 2>&1 | { grep -v '^Skipping BTF generation' || true; }
	[ "${PIPESTATUS[0]}" = 0 ] &&
		[ -f "$out/labyrinth.ko" ] && [ -f "$out/samples/labyrinth_client.ko" ]
}

# qemu_build_bench <kver> <outdir>: bench/labyrinth_bench.ko against the
# distro headers and the labyrinth.ko that qemu_build left in <outdir>,
# built in <outdir>/bench so that its "../labyrinth.h" resolves.  Every
# bench/*.[ch] is copied, so that a file bench/Kbuild gains needs no change
# here.
qemu_build_bench() {
	local kver=$1 out=$2 kdir=/lib/modules/$1/build

	# From scratch: symbol CRCs come from labyrinth's Module.symvers, which
	# a rebuilt labyrinth.ko changes without touching the bench's sources.
	rm -rf "$out/bench"
	mkdir -p "$out/bench"
	rsync -a "$top/bench/Kbuild" "$top"/bench/*.[ch] "$out/bench/"
	make -s -C "$kdir" M="$out/bench" KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" \
		W=1 modules 2>&1 | { grep -v '^Skipping BTF generation' || true; }
	[ "${PIPESTATUS[0]}" = 0 ] && [ -f "$out/bench/labyrinth_bench.ko" ]
}

# qemu_add_binary <stage> <binary>: a dynamically linked host binary and
# the libraries ldd names, at the same paths inside <stage>.
qemu_add_binary() {
	local stage=$1 bin=$2 lib

	install -D -m 0755 "$bin" "$stage$bin"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		install -D -m 0755 "$lib" "$stage$lib"
	done
}

# qemu_initramfs <outfile> <ko>...: busybox with every applet as a symlink,
# kmod's insmod, the guest init (scripts/guest-init.sh as /init, the
# scripts/guest/*.sh it sources under /guest) and the given modules under
# /modules.
# Built in a scratch directory and renamed into place so a half-written
# image is never booted.  A subshell body, so the EXIT trap cleans up on
# every way out.
qemu_initramfs() (
	local out=$1 stage applet
	shift
	stage=$(mktemp -d "$cache/initramfs.XXXXXX")
	trap 'rm -rf "$stage" "$out.tmp"' EXIT

	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,modules,guest}
	cp /bin/busybox "$stage/bin/busybox"
	# Symlinks made on the host: the guest then needs no install step.
	while read -r applet; do
		[ "$applet" = bin/busybox ] || [ -e "$stage/$applet" ] ||
			ln -s /bin/busybox "$stage/$applet"
	done < <(/bin/busybox --list-full)
	# insmod is kmod's, as on the systems users run: busybox insmod retries
	# a failed finit_module() with init_module(), so a module whose init
	# fails would run that init twice.  rmmod stays busybox's, which calls
	# delete_module() directly instead of refusing in user space the way
	# kmod does, so the kernel's own in-use refusal is what gets tested.
	qemu_add_binary "$stage" "$(command -v kmod)"
	ln -sf "$(command -v kmod)" "$stage/sbin/insmod"
	install -m 0755 "$top/scripts/guest-init.sh" "$stage/init"
	install -m 0644 "$top"/scripts/guest/*.sh "$stage/guest/"
	cp "$@" "$stage/modules/"

	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -9 > "$out.tmp"
	mv "$out.tmp" "$out"
)

# qemu_boot <kernel image> <initramfs> <log> <guest args>: boot and capture
# the serial console into <log>, and QEMU's argv, one word a line, into
# <log>.argv.  Returns QEMU's status (124 on timeout).
# panic_on_warn/oops=panic turn any kernel splat into a stop that the
# missing LABYRINTH-DONE marker reports; -no-reboot makes panic=-1 exit.
#
# One boot is retried: a guest that died of "Oops: int3" in the kernel's
# own code before the guest init said anything, so before any of our
# modules was loaded.  That is QEMU 7.2's multi-threaded TCG racing the
# kernel's live code patching (text_poke_bp() flipping a static key while
# the other vCPU runs the patched code; seen on sid's 7.2 at ~1.6 s, in
# sched_clock_cpu() when sched_clock becomes stable).  The first log is
# kept as <log>.first-boot and the retry is announced.
qemu_boot() {
	local kernel=$1 initrd=$2 log=$3 args=$4 rc=0

	qemu_boot_once "$@" || rc=$?
	if qemu_died_before_init "$log"; then
		echo "qemu: guest died of a TCG code-patching int3 before init ran; booting once more (first log: ${log#"$top"/}.first-boot)" >&2
		mv "$log" "$log.first-boot"
		rc=0
		qemu_boot_once "$kernel" "$initrd" "$log" "$args" || rc=$?
	fi
	return "$rc"
}

qemu_boot_once() {
	local kernel=$1 initrd=$2 log=$3 args=$4 rc=0

	[ -f "$kernel" ] || { echo "no kernel image $kernel" >&2; return 1; }
	local qemu=(qemu-system-x86_64 -accel tcg -smp "$qemu_smp" -m "$qemu_mem"
		-nographic -no-reboot "${qemu_extra[@]}"
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 panic_on_warn=1 panic=-1 oops=panic quiet $args")
	# the exact command, one word a line, for reports (scripts/bench-report.py)
	printf '%s\n' "${qemu[@]}" > "$log.argv"
	# stdin from /dev/null: -nographic would otherwise put a terminal in raw mode.
	timeout --kill-after=10 "$qemu_timeout" "${qemu[@]}" \
		< /dev/null > "$log" 2>&1 || rc=$?
	# Serial output has CRLF line ends; keep the log plain text.
	sed -i 's/\r$//' "$log"
	return "$rc"
}

# qemu_died_before_init <log>: an int3 oops, no module in its RIP line, and
# no guest marker at all.
qemu_died_before_init() {
	grep -a -q 'Oops: int3' "$1" &&
		! grep -a -q 'LABYRINTH-' "$1" &&
		! grep -a -A3 'Oops: int3' "$1" | grep -a -q '^\[.*RIP: .*\['
}

# qemu_markers <log>: the guest's marker lines, each cut to start at its
# marker in case console output got glued in front of it.
qemu_markers() {
	grep -a -o 'LABYRINTH-\(CHECK\|INFO\|DONE\|BENCH\).*' "$1" || true
}

# qemu_guest_done <log>: did the guest reach its last line?
qemu_guest_done() {
	qemu_markers "$1" | grep -qx 'LABYRINTH-DONE'
}

# qemu_why_stopped <qemu status>: words for a guest that never said DONE.
qemu_why_stopped() {
	case "$1" in
	124|137) echo "timed out after ${qemu_timeout}s" ;;
	0) echo "guest stopped early: panic, oops or init died" ;;
	*) echo "qemu exited with status $1" ;;
	esac
}

# qemu_show_failure <log>: what a human needs after a crash or hang: the
# first lines of any kernel splat (they scroll out of the tail) and the tail.
qemu_show_failure() {
	local log=$1 name=${1#"$top"/}

	if grep -a -q -E 'WARNING:|BUG:|Oops|Kernel panic' "$log"; then
		echo "---- kernel splat in $name ----"
		grep -a -E 'WARNING:|BUG:|Oops|Kernel panic|RIP:' "$log" | head -n 10
	fi
	echo "---- last 40 lines of $name ----"
	tail -n 40 "$log"
	echo "----"
}

# qemu_report <tag> <log> <qemu status>: one "PASS: <tag> <check>" or
# "FAIL: ..." line per guest marker, the guest's info lines indented, and
# "<tag> finished" saying whether the guest ran to LABYRINTH-DONE.
# Returns 1 if anything failed.
qemu_report() {
	local tag=$1 log=$2 rc=$3 line failed=0

	while read -r line; do
		case "$line" in
		"LABYRINTH-CHECK PASS "*)
			pass "$tag ${line#LABYRINTH-CHECK PASS }" ;;
		"LABYRINTH-CHECK FAIL "*)
			line=${line#LABYRINTH-CHECK FAIL }
			fail "$tag ${line%% *} (${line#* })"
			failed=1 ;;
		"LABYRINTH-INFO "*)
			echo "  ${line#LABYRINTH-INFO }" ;;
		esac
	done < <(qemu_markers "$log")

	if qemu_guest_done "$log"; then
		pass "$tag finished"
	else
		fail "$tag finished (no LABYRINTH-DONE: $(qemu_why_stopped "$rc"))"
		qemu_show_failure "$log"
		failed=1
	fi
	return "$failed"
}
