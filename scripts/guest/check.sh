# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/check.sh: the boot checks of
# lbt_mode=check and lbt_mode=debug.  Every invalid parameter refused with
# its line and no pages lost, the sample client in process and hardirq
# context and its rx_pool, tracepoints read back through tracefs, debugfs
# statistics, rmmod refused while the client is loaded, and an unload with
# a frame still owned.
# shellcheck disable=SC2154 # $MOD, $ERR, $INSMOD, $PAGE_KB and the lbt_* settings come from common.sh and guest-init.sh

TRACE=/sys/kernel/tracing

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

# check_params: every invalid nr_pages and max_pages refused.
check_params() {
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
