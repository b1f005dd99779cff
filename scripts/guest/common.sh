# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh, the /init of labyrinth's QEMU guests,
# from /guest/common.sh: what every guest mode uses.  The marker helpers
# (pass, fail, info, verdict), the kernel log and free-page readers, the
# mounts and console of guest_setup, and the load, unload and final
# kernel-log checks that every mode runs.

# guest_setup: the filesystems the checks read and the console as stdio.
guest_setup() {
	export PATH=/bin:/sbin:/usr/bin:/usr/sbin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null
	mount -t tracefs tracefs /sys/kernel/tracing 2> /dev/null
	exec < /dev/console > /dev/console 2>&1
	# Only warnings and worse reach the console: enough for a WARNING or BUG
	# to be in the serial log whole before panic_on_warn stops the guest, little
	# enough that kernel chatter seldom lands between marker lines.  The checks
	# read the kernel log with dmesg.
	dmesg -n 5
}

MOD=/modules
DLOG=/tmp/dmesg.all
ERR=/tmp/cmd.err
# shellcheck disable=SC2034 # used by the mode files
PAGE_KB=4	# x86_64 guests only
# kmod's insmod (see qemu-lib.sh), by path: this busybox sh would run its
# own insmod applet ahead of anything on $PATH.
INSMOD=/sbin/insmod

pass() { echo "LABYRINTH-CHECK PASS $1"; }
fail() { echo "LABYRINTH-CHECK FAIL $1 $2"; }
info() { echo "LABYRINTH-INFO $*"; }

# Result of one check: pass when no reason was collected.
verdict() {
	if [ -z "$2" ]; then
		pass "$1"
	else
		fail "$1" "${2#; }"
	fi
}

loaded() { grep -q "^$1 " /proc/modules; }

# Kernel lines logged since the last call, without timestamps.  Everything
# is also kept in $DLOG for the final scan, since -c empties the buffer.
new_dmesg() {
	dmesg -c | sed 's/^\[[^]]*\] //' | tee -a "$DLOG"
}

# Show the kernel lines of one module ("labyrinth" also matches the client),
# less the taint notices every out-of-tree, unsigned module gets.
show_dmesg() {
	echo "$1" | grep "^$2" | grep -v -e "taints kernel" -e "module verification failed" |
	while read -r line; do
		info "$line"
	done
}

# Free pages, counting those parked on the per-CPU page lists (the
# "count:" lines of /proc/zoneinfo), which nr_free_pages leaves out: a
# module that frees thousands of pages at unload leaves many there.
free_pages() {
	sync
	echo 3 > /proc/sys/vm/drop_caches 2> /dev/null
	free=$(awk '$1 == "nr_free_pages" { print $2 }' /proc/vmstat)
	pcp=$(awk '$1 == "count:" { n += $2 } END { print n + 0 }' /proc/zoneinfo)
	echo $((free + pcp))
}

# free_pages_after <before>: free_pages once it is back within 1024 pages
# of <before>, or after 3 s.  Freed pages can sit in per-CPU lists or
# uncommitted vmstat deltas for a moment; a real leak does not come back.
free_pages_after() {
	now=$(free_pages)
	tries=0
	while [ $(($1 - now)) -gt 1024 ] && [ $tries -lt 3 ]; do
		sleep 1
		now=$(free_pages)
		tries=$((tries + 1))
	done
	echo "$now"
}

# Value of key=N in a "key=N key=N" line.
field() {
	echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

check_load() {
	why=
	new_dmesg > /dev/null
	if "$INSMOD" "$MOD/labyrinth.ko" "nr_pages=$1" "max_pages=$2" 2> "$ERR"; then
		param=$(cat /sys/module/labyrinth/parameters/nr_pages 2> /dev/null)
		[ "$param" = "$1" ] ||
			why="/sys/module/labyrinth/parameters/nr_pages reads '$param', expected $1"
		param=$(cat /sys/module/labyrinth/parameters/max_pages 2> /dev/null)
		[ "$param" = "$2" ] ||
			why="$why; /sys/module/labyrinth/parameters/max_pages reads '$param', expected $2"
	else
		why="insmod labyrinth.ko nr_pages=$1 max_pages=$2: $(cat "$ERR")"
	fi
	show_dmesg "$(new_dmesg)" "labyrinth:"
	verdict load "$why"
}

check_unload() {
	why=
	if loaded labyrinth_client; then
		rmmod labyrinth_client 2> "$ERR" || why="$why; rmmod labyrinth_client: $(cat "$ERR")"
	fi
	if loaded labyrinth; then
		rmmod labyrinth 2> "$ERR" || why="$why; rmmod labyrinth: $(cat "$ERR")"
	else
		why="$why; labyrinth was not loaded"
	fi
	! loaded labyrinth_client || why="$why; labyrinth_client still in /proc/modules"
	! loaded labyrinth || why="$why; labyrinth still in /proc/modules"
	show_dmesg "$(new_dmesg)" "labyrinth"
	verdict unload "$why"
}

# run_measuring <module> <end marker> [parameter...]: load a module that
# measures in its init and prints its lines at KERN_NOTICE, so they reach
# the console as they come; check that its <end marker> line came, unload
# it.  Leaves the reasons it failed in $why ("; "-separated, empty if none).
run_measuring() {
	m_ko=$1
	m_end=$2
	shift 2
	why=
	new_dmesg > /dev/null
	dmesg -n 6
	"$INSMOD" "$MOD/$m_ko.ko" "$@" 2> "$ERR" ||
		why="insmod $m_ko.ko: $(cat "$ERR")"
	dmesg -n 5
	new_dmesg | grep "$m_end" > /dev/null || why="$why; no $m_end line"
	rmmod "$m_ko" 2> "$ERR" || why="$why; rmmod: $(cat "$ERR")"
}

check_dmesg_clean() {
	new_dmesg > /dev/null
	bad=$(grep -E "WARNING:|BUG:|Call Trace" "$DLOG" | head -n 3 | tr '\n' '|')
	verdict dmesg-clean "${bad:+kernel log has: $bad}"
}
