# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/debug.sh: what lbt_mode=debug
# (scripts/debug-boot.sh) adds to the boot checks: the torture on a module
# loaded for it, then kmemleak after the last unload, and the control that
# kmemleak catches labyrinth_leaky.ko.
# shellcheck disable=SC2154 # $MOD, $ERR and $INSMOD come from common.sh

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

# run_debug: the torture, then kmemleak, once every boot check has run.
run_debug() {
	why=
	"$INSMOD" "$MOD/labyrinth.ko" nr_pages=64 2> "$ERR" || why="insmod labyrinth: $(cat "$ERR")"
	verdict torture-load "$why"
	run_torture
	why=
	rmmod labyrinth 2> "$ERR" || why="rmmod labyrinth: $(cat "$ERR")"
	verdict torture-unload "$why"
	check_kmemleak
	check_kmemleak_catches
}
