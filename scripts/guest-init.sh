#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of labyrinth's QEMU guests (packed by scripts/qemu-lib.sh, run by
# busybox sh as PID 1).  Every check prints one marker line that the host
# turns into a PASS/FAIL line:
#   LABYRINTH-CHECK PASS <name>
#   LABYRINTH-CHECK FAIL <name> <why>
# LABYRINTH-INFO lines are for humans; LABYRINTH-DONE is printed last, so
# its absence tells the host that the guest crashed or hung.
#
# Kernel command line: lbt_mode=check (default) runs every check,
# lbt_mode=demo only loads, exercises and unloads, lbt_mode=bench loads
# labyrinth (fixed reserve) and then bench/labyrinth_bench.ko (see
# scripts/bench.sh); lbt_pages=N is the nr_pages of the valid load (default
# 512); lbt_bench_args=a=1,b=2 are the bench module's parameters.
# lbt_mode=torture loads labyrinth and runs torture/labyrinth_torture.ko
# with the parameters lbt_torture_args=a=1,b=2 while taking CPU1 offline and
# online again and again (see scripts/torture.sh).  lbt_mode=debug, for the
# debug kernel of scripts/debug-boot.sh, runs every check, then the torture,
# then has kmemleak scan after the last unload, and shows that the scan
# catches the leak of labyrinth_leaky.ko (a copy built with one kfree cut).
# lbt_mode=edu loads labyrinth and samples/labyrinth_edu.ko, which moves
# lbt_edu_frames=N pages through QEMU's edu device by DMA from and into
# DMA-mapped pools and checks every byte (see scripts/edu-test.sh);
# lbt_edu_args=a=1,b=2 are further parameters of that module;
# lbt_edu_negative=fault then checks that a DMA after the pool's destroy
# faults on the IOMMU, lbt_edu_negative=stale that rx frames read without
# a sync for the CPU hold stale bytes under swiotlb=force.
# lbt_mode=dmabench loads labyrinth and bench/dma's PCI driver, which
# measures on QEMU's edu device in its probe (scripts/bench-dma.sh);
# lbt_dmabench_args=a=1,b=2 are its parameters.
#
# PID 1 must never exit (the kernel would panic), so there is no `set -e`:
# a failing step is reported and the script goes on to power off.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2> /dev/null
TRACE=/sys/kernel/tracing
exec < /dev/console > /dev/console 2>&1
# Only warnings and worse reach the console: enough for a WARNING or BUG
# to be in the serial log whole before panic_on_warn stops the guest, little
# enough that kernel chatter seldom lands between marker lines.  The checks
# read the kernel log with dmesg.
dmesg -n 5

MOD=/modules
DLOG=/tmp/dmesg.all
ERR=/tmp/cmd.err
PAGE_KB=4	# x86_64 guests only
# kmod's insmod (see qemu-lib.sh), by path: this busybox sh would run its
# own insmod applet ahead of anything on $PATH.
INSMOD=/sbin/insmod

mode=check
pages=512
client_args=
expect_double_free=0
bench_args=
torture_args=
nolock_args=
edu_frames=16
edu_args=
edu_negative=
dmabench_args=
# shellcheck disable=SC2013 # the command line is words, not lines
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lbt_mode=*) mode=${arg#lbt_mode=} ;;
	lbt_pages=*) pages=${arg#lbt_pages=} ;;
	lbt_bench_args=*) bench_args=$(echo "${arg#lbt_bench_args=}" | tr ',' ' ') ;;
	lbt_torture_args=*) torture_args=$(echo "${arg#lbt_torture_args=}" | tr ',' ' ') ;;
	lbt_nolock_args=*) nolock_args=$(echo "${arg#lbt_nolock_args=}" | tr ',' ' ') ;;
	lbt_edu_frames=*) edu_frames=${arg#lbt_edu_frames=} ;;
	lbt_edu_args=*) edu_args=$(echo "${arg#lbt_edu_args=}" | tr ',' ' ') ;;
	lbt_edu_negative=*) edu_negative=${arg#lbt_edu_negative=} ;;
	lbt_dmabench_args=*) dmabench_args=$(echo "${arg#lbt_dmabench_args=}" | tr ',' ' ') ;;
	esac
done

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

# check_rejected <name> <param=value> <what the value is> [other params]:
# insmod must fail, log exactly one "labyrinth: <param=value> rejected"
# line, leave no module behind and give back every page it took.
check_rejected() {
	name=$1
	value=$2
	why=
	new_dmesg > /dev/null
	before=$(free_pages)
	# shellcheck disable=SC2086 # $4: further parameters, word-split on purpose
	if "$INSMOD" "$MOD/labyrinth.ko" "$value" ${4:-} 2> "$ERR"; then
		fail "$name" "insmod $value ($3) succeeded"
		rmmod labyrinth
		new_dmesg > /dev/null
		return
	fi
	after=$(free_pages_after "$before")
	out=$(new_dmesg)
	line=$(echo "$out" | grep -F "labyrinth: $value rejected" | head -n 1)
	nlines=$(echo "$out" | grep -c "rejected")
	info "$name: $value ($3): $(cat "$ERR")"
	info "$name: ${line:-no rejected line in dmesg}"
	info "$name: nr_free_pages $before before, $after after"

	[ -n "$line" ] || why="$why; no 'labyrinth: $value rejected' line in dmesg"
	[ "$nlines" -le 1 ] || why="$why; $nlines 'rejected' lines, expected one"
	! loaded labyrinth || why="$why; labyrinth left in /proc/modules"
	[ $((before - after)) -le 1024 ] ||
		why="$why; nr_free_pages fell by $((before - after)) pages ($before -> $after)"
	verdict "$name" "$why"
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

# The client's init grants and frees from process and hardirq context and
# fails insmod if anything went wrong; its counters must add up too.
check_client() {
	if ! loaded labyrinth; then
		fail client-load "skipped: labyrinth is not loaded"
		fail client-rounds "skipped: labyrinth is not loaded"
		fail client-stats "skipped: labyrinth is not loaded"
		return
	fi
	why=
	# shellcheck disable=SC2086 # $client_args: one word per parameter
	"$INSMOD" "$MOD/labyrinth_client.ko" $client_args 2> "$ERR" ||
		why="insmod labyrinth_client.ko $client_args: $(cat "$ERR")"
	out=$(new_dmesg)
	show_dmesg "$out" "labyrinth_client:"
	verdict client-load "$why"

	rounds=$(echo "$out" | grep -o "labyrinth_client: process ok=.*" | head -n 1)
	if [ "$rounds" = "labyrinth_client: process ok=64 hardirq ok=64" ]; then
		pass client-rounds
	else
		fail client-rounds "expected 'process ok=64 hardirq ok=64', got '${rounds:-nothing}'"
	fi

	# 64 rounds in each context on an otherwise idle pool.
	stats=$(echo "$out" | grep -o "labyrinth_client: stats .*" | head -n 1)
	why=
	if [ -z "$stats" ]; then
		why="no stats line"
	else
		[ "$(field "$stats" nr_frames)" = "$1" ] || why="$why; nr_frames is not $1"
		[ "$(field "$stats" owned)" = 0 ] || why="$why; owned is not 0"
		grants=$(field "$stats" grants)
		[ "${grants:-0}" -ge 128 ] || why="$why; grants < 128"
		[ "$(field "$stats" frees)" = "$grants" ] || why="$why; frees != grants"
		for k in failures bad_addr foreign; do
			[ "$(field "$stats" $k)" = 0 ] || why="$why; $k is not 0"
		done
		[ "$(field "$stats" double_free)" = "$expect_double_free" ] ||
			why="$why; double_free is not $expect_double_free"
	fi
	verdict client-stats "$why"

	# rx_pool: a ring filled in hardirq, drained by a work item, 4 times.
	rx=$(echo "$out" | grep -o "labyrinth_client: rx_pool .*" | head -n 1)
	why=
	[ -n "$rx" ] || why="no rx_pool line"
	[ "$(field "$rx" bad)" = 0 ] || why="$why; bad is not 0"
	[ "${rx:+$(field "$rx" frames)}" -ge 256 ] 2> /dev/null || why="$why; fewer than 256 frames"
	verdict client-rx-pool "${why#; }"
}

# debugfs: one directory per pool with summed and per-CPU counters, and no
# kernel pointer anywhere.
check_debugfs() {
	d=/sys/kernel/debug/labyrinth
	why=
	for pool in default rx_pool; do
		if [ ! -r "$d/$pool/stats" ]; then
			why="$why; no $d/$pool/stats"
			continue
		fi
		st=$(cat "$d/$pool/stats")
		echo "$st" | sed "s|^|LABYRINTH-INFO debugfs $pool: |"
		for k in nr_frames max_frames owned grants frees steals remote_frees failures \
			 refills bad_addr foreign double_free busy_destroy poison_faults \
			 clean_grants wiped; do
			echo "$st" | grep -Eq "^$k +[0-9]+$" || why="$why; $pool: no $k line"
		done
		[ "$(echo "$st" | grep -c '^[0-9]')" -ge 2 ] || why="$why; $pool: no per-CPU lines"
		! echo "$st" | grep -Eq 'ffff[0-9a-f]{8}' || why="$why; $pool: raw pointer"
	done
	grants=$(sed -n 's/^grants *//p' "$d/rx_pool/stats" 2> /dev/null)
	[ "${grants:-0}" -ge 256 ] || why="$why; rx_pool grants ${grants:-none} < 256"
	verdict debugfs "${why#; }"
}

# Tracepoints, enabled through tracefs before the client loads, read back:
# every event the client's run must have produced.
trace_on() {
	[ -w "$TRACE/events/labyrinth/enable" ] || return 0
	echo 0 > "$TRACE/tracing_on"
	echo > "$TRACE/trace"
	echo 1 > "$TRACE/events/labyrinth/enable"
	echo 1 > "$TRACE/tracing_on"
}

check_trace() {
	why=
	if [ ! -w "$TRACE/events/labyrinth/enable" ]; then
		verdict tracepoints "no $TRACE/events/labyrinth"
		return
	fi
	echo 0 > "$TRACE/tracing_on"
	tr=$(cat "$TRACE/trace")
	echo 0 > "$TRACE/events/labyrinth/enable"
	for ev in "labyrinth_grant: pool=default" "labyrinth_free: pool=default" \
		  "labyrinth_grant: pool=rx_pool" "labyrinth_free: pool=rx_pool" \
		  "labyrinth_free_refused: pool=default .* reason=double_free" \
		  "labyrinth_exhausted: pool=rx_pool" "labyrinth_refill: pool=rx_pool added=[1-9]"; do
		n=$(echo "$tr" | grep -c "$ev")
		info "tracepoints: $n x '$ev'"
		[ "$n" -gt 0 ] || why="$why; no '$ev' event"
	done
	echo "$tr" | grep "labyrinth_free_refused" | head -n 1 | sed 's/^/LABYRINTH-INFO trace: /'
	echo "$tr" | grep "labyrinth_refill" | head -n 1 | sed 's/^/LABYRINTH-INFO trace: /'
	verdict tracepoints "${why#; }"
}

# A module in use must refuse to go.
check_rmmod_busy() {
	if ! loaded labyrinth_client; then
		fail rmmod-busy "skipped: labyrinth_client is not loaded"
		return
	fi
	if rmmod labyrinth 2> "$ERR"; then
		fail rmmod-busy "rmmod labyrinth succeeded while labyrinth_client was loaded"
	elif ! loaded labyrinth; then
		fail rmmod-busy "rmmod failed but labyrinth left /proc/modules"
	else
		info "rmmod-busy: $(cat "$ERR")"
		pass rmmod-busy
	fi
	new_dmesg > /dev/null
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

# The benchmark module does all its work in its init and prints its
# results (LABYRINTH-BENCH lines) at KERN_NOTICE, so they reach the console
# as they come while insmod runs in the foreground: nothing else in the
# guest runs, or allocates, while its memory-pressure scenario holds every
# free page.  Its insmod fails if any result failed.
run_bench() {
	if ! loaded labyrinth; then
		fail bench "skipped: labyrinth is not loaded"
		return
	fi
	why=
	new_dmesg > /dev/null
	info "bench: insmod labyrinth_bench.ko $bench_args"
	dmesg -n 6
	# shellcheck disable=SC2086 # one word per module parameter
	"$INSMOD" "$MOD/labyrinth_bench.ko" $bench_args 2> "$ERR" ||
		why="insmod labyrinth_bench.ko: $(cat "$ERR")"
	dmesg -n 5
	out=$(new_dmesg)
	echo "$out" | grep -q 'LABYRINTH-BENCH-END' || why="$why; no LABYRINTH-BENCH-END line"
	if loaded labyrinth_bench; then
		rmmod labyrinth_bench 2> "$ERR" || why="$why; rmmod labyrinth_bench: $(cat "$ERR")"
	fi
	show_dmesg "$(echo "$out" | grep -v LABYRINTH-BENCH)" "labyrinth"
	verdict bench "${why#; }"
}

# lbt_mode=nolock (scripts/bench-nolock.sh): bench/nolock's module does
# everything in its init and prints LABYRINTH-NOLOCK lines at KERN_NOTICE;
# lbt_nolock_args=a=1,b=2 are its parameters.
run_nolock() {
	why=
	new_dmesg > /dev/null
	dmesg -n 6
	# shellcheck disable=SC2086 # one word per module parameter
	"$INSMOD" "$MOD/labyrinth_nolock_bench.ko" $nolock_args 2> "$ERR" ||
		why="insmod labyrinth_nolock_bench.ko: $(cat "$ERR")"
	dmesg -n 5
	new_dmesg | grep 'LABYRINTH-NOLOCK-END' > /dev/null || why="$why; no LABYRINTH-NOLOCK-END line"
	rmmod labyrinth_nolock_bench 2> "$ERR" || why="$why; rmmod: $(cat "$ERR")"
	verdict nolock "${why#; }"
}

# Like verdict, with what was measured in the PASS line: "hotplug (12 cycles)".
tverdict() {
	if [ -z "$2" ]; then
		pass "$1 ($3)"
	else
		fail "$1" "${2#; }"
	fi
}

# The torture module runs its whole test in its init, so insmod's status is
# its verdict (-EIO on any fault).  It runs in the background; once its
# "start:" line says the pool is laid out over both CPUs, this shell takes
# CPU1 offline and online again, every half second, and reads MemFree.  The
# module's lines are shown as they come.  Then every property gets its own
# check, read from the module's summary lines.
run_torture() {
	if ! loaded labyrinth; then
		fail run "skipped: labyrinth is not loaded"
		return
	fi
	tlog=/tmp/torture.dmesg
	done_file=/tmp/torture.rc
	online=/sys/devices/system/cpu/cpu1/online
	rm -f "$done_file"
	: > "$tlog"
	new_dmesg > /dev/null
	info "torture: insmod labyrinth_torture.ko $torture_args"
	# shellcheck disable=SC2086 # one word per module parameter
	("$INSMOD" "$MOD/labyrinth_torture.ko" $torture_args > "$ERR" 2>&1
	 echo $? > "$done_file") &
	cycles=0
	hp_errors=0
	min_free=
	shown=0
	while [ ! -f "$done_file" ]; do
		if [ -w "$online" ] && grep -q "^labyrinth_torture: start:" "$tlog"; then
			if echo 0 > "$online"; then
				sleep 0.5
				tries=0
				until echo 1 > "$online" || [ $tries -ge 20 ]; do
					tries=$((tries + 1))
					sleep 0.5
				done
				cycles=$((cycles + 1))
			else
				hp_errors=$((hp_errors + 1))
			fi
		fi
		kb=$(awk '$1 == "MemFree:" { print $2 }' /proc/meminfo)
		if [ -z "$min_free" ] || [ "$kb" -lt "$min_free" ]; then
			min_free=$kb
		fi
		new_dmesg >> "$tlog"
		grep "^labyrinth_torture:" "$tlog" | tail -n +$((shown + 1)) | sed 's/^/LABYRINTH-INFO /'
		shown=$(grep -c "^labyrinth_torture:" "$tlog")
		sleep 0.5
	done
	rc=$(cat "$done_file")
	new_dmesg >> "$tlog"
	grep "^labyrinth_torture:" "$tlog" | tail -n +$((shown + 1)) | sed 's/^/LABYRINTH-INFO /'
	info "torture: $cycles CPU1 offline/online cycles ($hp_errors refused), lowest MemFree $min_free kB"

	ops=$(grep -o "labyrinth_torture: summary ops: .*" "$tlog" | tail -n 1)
	grants=$(grep -o "labyrinth_torture: summary grants: .*" "$tlog" | tail -n 1)
	faults=$(grep -o "labyrinth_torture: summary faults: .*" "$tlog" | tail -n 1)
	stats=$(grep -o "labyrinth_torture: summary stats: .*" "$tlog" | tail -n 1)
	result=$(grep -o "labyrinth_torture: summary result: .*" "$tlog" | tail -n 1)
	reserve=$(grep -o "labyrinth_torture: reserve: .*" "$tlog" | tail -n 1)

	why=
	[ "$rc" = 0 ] || why="insmod exited $rc: $(cat "$ERR")"
	[ "$result" = "labyrinth_torture: summary result: PASS" ] ||
		why="$why; summary result is '${result:-missing}'"
	tverdict run "$why" "$(field "$ops" duration) s on $(field "$ops" cpus) CPUs"

	why=
	if [ -z "$faults" ]; then
		why="no summary faults line"
	else
		[ "$(field "$faults" faults)" = 0 ] || why="$faults"
	fi
	grep -q "labyrinth_torture: FAULT" "$tlog" && why="$why; FAULT lines in the log"
	tverdict no-faults "$why" "0 faults in $(field "$stats" grants) grants"

	# owned 0 and grants = frees: every frame came back
	why=
	if [ -z "$stats" ]; then
		why="no summary stats line"
	else
		[ "$(field "$stats" owned)" = 0 ] || why="owned is $(field "$stats" owned)"
		[ "$(field "$stats" grants)" = "$(field "$stats" frees)" ] ||
			why="$why; grants $(field "$stats" grants) != frees $(field "$stats" frees)"
		[ "$(field "$stats" double_free)" = 0 ] || why="$why; double_free is not 0"
	fi
	tverdict counters "$why" "grants = frees = $(field "$stats" grants), owned 0"

	why=
	for ctx in thread softirq hardirq; do
		[ "$(field "$ops" $ctx)" -gt 0 ] 2> /dev/null || why="$why; no $ctx ops"
	done
	[ "$(field "$grants" handoffs)" -gt 0 ] 2> /dev/null || why="$why; no frame handed over"
	[ "$(field "$grants" misuse)" -gt 0 ] 2> /dev/null || why="$why; no misuse tried"
	tverdict contexts "$why" "steps: thread $(field "$ops" thread), softirq $(field "$ops" softirq), hardirq $(field "$ops" hardirq); $(field "$grants" handoffs) handed over, $(field "$grants" misuse) misuse"

	if grep -q "labyrinth_torture: NMI: skipped" "$tlog"; then
		fail nmi "$(grep -o 'NMI: skipped.*' "$tlog" | head -n 1)"
	elif [ "$(field "$ops" nmi)" -gt 0 ] 2> /dev/null; then
		pass "nmi ($(field "$ops" nmi) NMIs handled)"
	else
		fail nmi "no NMI handled ($(field "$ops" nmi_sent) sent)"
	fi

	why=
	[ "$cycles" -gt 0 ] || why="no CPU1 offline/online cycle (is $online there?)"
	[ ! -f "$online" ] || [ "$(cat "$online")" = 1 ] || why="$why; CPU1 left offline"
	tverdict hotplug "$why" "$cycles CPU1 offline/online cycles"

	# An idle pool grants every frame: before the run, and after it with
	# the hog still holding memory when it ran.
	why=
	got=$(field "$reserve" start_granted)
	had=$(field "$reserve" start_frames)
	got_end=$(field "$reserve" end_granted)
	had_end=$(field "$reserve" end_frames)
	if [ -z "$reserve" ]; then
		why="no reserve line"
	else
		[ "${got:-0}" -ge "${had:-1}" ] || why="granted $got of $had frames before the run"
		[ "${got_end:-0}" -ge "${had_end:-1}" ] ||
			why="$why; granted $got_end of $had_end frames after the run"
	fi
	tverdict reserve "$why" "granted $got of $had frames before, $got_end of $had_end after"

	case " $torture_args " in
	*" hog=1 "*)
		why=
		hog=$(field "$grants" hog_pages)
		total=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
		[ "${hog:-0}" -gt $((total / PAGE_KB / 2)) ] ||
			why="the hog held ${hog:-no} pages, not half of MemTotal"
		[ "$(field "$reserve" pressure)" = 1 ] ||
			why="$why; the end reserve check did not run under the hog"
		tverdict pressure "$why" "hog held $hog of $((total / PAGE_KB)) pages, lowest MemFree $min_free kB"
		;;
	esac

	why=
	if loaded labyrinth_torture; then
		rmmod labyrinth_torture 2> "$ERR" || why="rmmod labyrinth_torture: $(cat "$ERR")"
	fi
	verdict unload-torture "$why"
}

# A client that unloads holding a frame: labyrinth's unload must report it,
# keep that frame, and give every other page back.
check_unload_owned() {
	why=
	new_dmesg > /dev/null
	before=$(free_pages)
	"$INSMOD" "$MOD/labyrinth.ko" nr_pages=8192 2> "$ERR" || why="insmod labyrinth: $(cat "$ERR")"
	"$INSMOD" "$MOD/labyrinth_client.ko" leak_on_exit=1 2> "$ERR" ||
		why="$why; insmod labyrinth_client leak_on_exit=1: $(cat "$ERR")"
	rmmod labyrinth_client 2> "$ERR" || why="$why; rmmod labyrinth_client: $(cat "$ERR")"
	rmmod labyrinth 2> "$ERR" || why="$why; rmmod labyrinth: $(cat "$ERR")"
	after=$(free_pages_after "$before")
	out=$(new_dmesg)
	show_dmesg "$out" "labyrinth: pool default"
	echo "$out" | grep -q "pool default: abandoned with 1 frames still owned" ||
		why="$why; no 'abandoned with 1 frames still owned' line"
	! loaded labyrinth || why="$why; labyrinth still loaded"
	# 8192 pages were reserved: all but the owned one must come back
	[ $((before - after)) -le 1024 ] ||
		why="$why; nr_free_pages fell by $((before - after)) pages ($before -> $after)"
	info "unload-owned: nr_free_pages $before before, $after after"
	verdict unload-owned "${why#; }"
}

# kmemleak only reports objects allocated after kmemleak_start and at
# least 5 s old at the scan (its minimum age).  Two scans: kmemleak does not
# report an object whose contents changed since the scan before, so one in
# the middle of being linked somewhere is not taken for a leak.
KMEMLEAK=/sys/kernel/debug/kmemleak

kmemleak_start() {
	echo clear 2> /dev/null > "$KMEMLEAK" ||
		fail kmemleak "cannot write $KMEMLEAK: kernel without kmemleak, or it is off"
}

# kmemleak_leaks <file>: scan and write what kmemleak reports into <file>;
# prints how many objects it reports, or "none: <why>" when it cannot scan
# (kmemleak turns itself off for good if it runs out of memory).
kmemleak_leaks() {
	sleep 6
	if ! { echo scan > "$KMEMLEAK" && echo scan > "$KMEMLEAK"; } 2> /dev/null; then
		echo "none: kmemleak cannot scan (off?)"
		return
	fi
	cat "$KMEMLEAK" > "$1"
	grep -c "^unreferenced object" "$1"
}

# Everything labyrinth, its client, the rx_pool and the torture module
# allocated is gone after their unload: kmemleak finds nothing.
check_kmemleak() {
	why=
	if loaded labyrinth; then
		why="labyrinth still loaded"
	else
		n=$(kmemleak_leaks /tmp/kmemleak.clean)
		case "$n" in
		0) ;;
		none:*) why=${n#none: } ;;
		*)
			why="kmemleak reports $n unreferenced objects"
			head -n 40 /tmp/kmemleak.clean | sed 's/^/LABYRINTH-INFO kmemleak: /'
			;;
		esac
	fi
	verdict kmemleak-clean "$why"
}

# The control: the same scan must fail when labyrinth does leak.
# labyrinth_leaky.ko never frees its pools' per-CPU region arrays.
check_kmemleak_catches() {
	why=
	echo clear 2> /dev/null > "$KMEMLEAK"
	if "$INSMOD" "$MOD/labyrinth_leaky.ko" nr_pages=64 2> "$ERR"; then
		rmmod labyrinth 2> "$ERR" || why="rmmod labyrinth (leaky): $(cat "$ERR")"
		n=$(kmemleak_leaks /tmp/kmemleak.leaky)
		info "kmemleak-catches-leak: $n unreferenced objects after labyrinth_leaky.ko"
		grep -m 1 "^unreferenced object" /tmp/kmemleak.leaky 2> /dev/null |
			sed 's/^/LABYRINTH-INFO kmemleak: /'
		[ "$n" -ge 1 ] 2> /dev/null || why="$why; kmemleak found nothing"
	else
		why="insmod labyrinth_leaky.ko: $(cat "$ERR")"
	fi
	new_dmesg > /dev/null
	verdict kmemleak-catches-leak "${why#; }"
}

# The edu sample's probe moves every frame and says how many bytes came
# back right; through an IOMMU no transfer may fault.
run_edu() {
	if ! loaded labyrinth; then
		fail edu-load "skipped: labyrinth is not loaded"
		return
	fi
	grep -q "DMAR: IOMMU enabled" "$DLOG" && info "edu: DMAR: IOMMU enabled"
	extra=
	[ "$edu_negative" = fault ] && extra=dma_after_destroy=1
	why=
	# shellcheck disable=SC2086 # $edu_args: one word per parameter
	"$INSMOD" "$MOD/labyrinth_edu.ko" "frames=$edu_frames" $edu_args $extra 2> "$ERR" ||
		why="insmod labyrinth_edu.ko: $(cat "$ERR")"
	out=$(new_dmesg)
	show_dmesg "$out" "labyrinth_edu"
	verdict edu-load "$why"

	want="$edu_frames frames, $((edu_frames * PAGE_KB * 1024)) bytes verified, 0 wrong"
	got=$(echo "$out" | grep -o "[0-9]* frames, [0-9]* bytes verified, [0-9]* wrong" | head -n 1)
	if [ "$got" = "$want" ]; then
		pass edu-transfers
	else
		fail edu-transfers "expected '$want', got '${got:-nothing}'"
	fi

	# under swiotlb=force, proof that the mappings were bounced
	hiwater=/sys/kernel/debug/swiotlb/io_tlb_used_hiwater
	[ -r "$hiwater" ] && [ "$(cat "$hiwater")" != 0 ] &&
		info "edu: swiotlb bounced: io_tlb_used_hiwater $(cat "$hiwater")"
	faults=$(grep -c "DMAR: \[DMA" "$DLOG")
	verdict edu-dmar-faults "$([ "$faults" = 0 ] || echo "$faults DMAR faults")"

	why=
	rmmod labyrinth_edu 2> "$ERR" || why="rmmod labyrinth_edu: $(cat "$ERR")"
	! loaded labyrinth_edu || why="$why; labyrinth_edu still in /proc/modules"
	out=$(new_dmesg)
	show_dmesg "$out" "labyrinth_edu"
	verdict edu-unload "$why"

	if [ "$edu_negative" = fault ]; then
		fault=$(echo "$out" | grep -m1 "DMAR: \[DMA")
		if [ -n "$fault" ]; then
			info "edu: $fault"
			pass edu-dmar-fault-after-destroy
		else
			fail edu-dmar-fault-after-destroy "a DMA to a destroyed pool's frame raised no DMAR fault"
		fi
	elif [ "$edu_negative" = stale ]; then
		# shellcheck disable=SC2086 # $edu_args: one word per parameter
		"$INSMOD" "$MOD/labyrinth_edu.ko" "frames=$edu_frames" $edu_args skip_cpu_sync=1 \
			2> "$ERR"
		out=$(new_dmesg)
		show_dmesg "$out" "labyrinth_edu"
		wrong=$(echo "$out" | sed -n 's/.* bytes verified, \([0-9]*\) wrong.*/\1/p' | head -n 1)
		if [ "${wrong:-0}" -gt 0 ]; then
			pass edu-stale-without-sync
		else
			fail edu-stale-without-sync "rx frames read without a sync for the CPU were right: is swiotlb bouncing?"
		fi
		loaded labyrinth_edu && rmmod labyrinth_edu
	fi
}

# lbt_mode=dmabench: bench/dma's driver binds edu and measures in its
# probe, printing LABYRINTH-DMA lines at KERN_NOTICE.
run_dmabench() {
	why=
	new_dmesg > /dev/null
	dmesg -n 6
	# shellcheck disable=SC2086 # one word per module parameter
	"$INSMOD" "$MOD/labyrinth_dma_bench.ko" $dmabench_args 2> "$ERR" ||
		why="insmod labyrinth_dma_bench.ko: $(cat "$ERR")"
	dmesg -n 5
	new_dmesg | grep 'LABYRINTH-DMA-END' > /dev/null || why="$why; no LABYRINTH-DMA-END line"
	rmmod labyrinth_dma_bench 2> "$ERR" || why="$why; rmmod: $(cat "$ERR")"
	faults=$(grep -c "DMAR: \[DMA" "$DLOG")
	[ "$faults" = 0 ] || why="$why; $faults DMAR faults"
	verdict dmabench "${why#; }"
}

check_dmesg_clean() {
	new_dmesg > /dev/null
	bad=$(grep -E "WARNING:|BUG:|Call Trace" "$DLOG" | head -n 3 | tr '\n' '|')
	verdict dmesg-clean "${bad:+kernel log has: $bad}"
}

new_dmesg > /dev/null	# boot messages go to $DLOG only
info "guest up: $(uname -r), mode $mode, $(grep -c ^processor /proc/cpuinfo) CPUs"

# check and debug run every check; debug adds the torture and kmemleak.
full=
case "$mode" in
check|debug) full=1 ;;
esac
[ "$mode" = debug ] && kmemleak_start

if [ -n "$full" ]; then
	ram_kb=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
	ram_pages=$((ram_kb / PAGE_KB))
	check_rejected reject-zero nr_pages=0 "zero"
	check_rejected reject-negative nr_pages=-1 "negative"
	check_rejected reject-nonnumeric nr_pages=abc "not a decimal number"
	check_rejected reject-too-big nr_pages=$((ram_pages * 2)) "twice MemTotal"
	check_rejected reject-unreservable nr_pages=$((ram_pages - 1)) "MemTotal - 1, cannot all be reserved"
	check_rejected reject-cap-negative max_pages=-5 "negative"
	check_rejected reject-cap-nonnumeric max_pages=4k "not a decimal number"
	check_rejected reject-cap-too-big max_pages=$((ram_pages * 2)) "twice MemTotal"
	check_rejected reject-cap-below-size max_pages=100 "below nr_pages" nr_pages=512
fi

if [ "$mode" = bench ]; then
	check_load "$pages" 0
	run_bench
elif [ "$mode" = nolock ]; then
	check_load "$pages" 0
	run_nolock
elif [ "$mode" = torture ]; then
	check_load "$pages" 0
	run_torture
elif [ "$mode" = edu ]; then
	check_load "$pages" 0
	run_edu
elif [ "$mode" = dmabench ]; then
	check_load "$pages" 0
	run_dmabench
else
	check_load "$pages" $((pages * 2))
	if [ -n "$full" ]; then
		client_args=misuse=1
		expect_double_free=1
		trace_on
	fi
	check_client "$pages"
	if [ -n "$full" ]; then
		check_trace
		check_debugfs
	fi
fi
[ -n "$full" ] && check_rmmod_busy
check_unload
[ -n "$full" ] && check_unload_owned
if [ "$mode" = debug ]; then
	why=
	"$INSMOD" "$MOD/labyrinth.ko" nr_pages=64 2> "$ERR" || why="insmod labyrinth: $(cat "$ERR")"
	verdict torture-load "$why"
	run_torture
	why=
	rmmod labyrinth 2> "$ERR" || why="rmmod labyrinth: $(cat "$ERR")"
	verdict torture-unload "$why"
	check_kmemleak
	check_kmemleak_catches
fi
check_dmesg_clean

# Whole kernel log, for whoever reads the serial log after a failure; the
# benchmark's lines are on the console already.
grep -v LABYRINTH-BENCH "$DLOG" | sed 's/^/dmesg| /'
echo LABYRINTH-DONE
# Let the UART drain before the machine goes away.  A reset, not a power
# off: QEMU runs with -no-reboot, so a reset ends it on every kernel, the
# debug kernel too, which has no ACPI power-off.
sleep 1
reboot -f
