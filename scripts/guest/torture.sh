# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/torture.sh: lbt_mode=torture
# (scripts/torture.sh) and the torture step of lbt_mode=debug, running
# torture/labyrinth_torture.ko while CPU1 goes offline and online, then one
# check per property read from the module's summary lines.
# shellcheck disable=SC2154 # $MOD, $ERR, $INSMOD, $PAGE_KB and $torture_args come from common.sh and guest-init.sh

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
