# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/bench.sh: lbt_mode=bench
# (scripts/bench.sh), bench/labyrinth_bench.ko loaded over labyrinth.
# shellcheck disable=SC2154 # $MOD, $ERR, $INSMOD and $bench_args come from common.sh and guest-init.sh

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
