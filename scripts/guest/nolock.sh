# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/nolock.sh: lbt_mode=nolock
# (scripts/bench-nolock.sh), the alloc_pages_nolock() peer benchmark.
# shellcheck disable=SC2154 # $nolock_args comes from guest-init.sh

# lbt_mode=nolock (scripts/bench-nolock.sh): bench/nolock's module does
# everything in its init and prints LABYRINTH-NOLOCK lines at KERN_NOTICE;
# lbt_nolock_args=a=1,b=2 are its parameters.
run_nolock() {
	# shellcheck disable=SC2086 # one word per module parameter
	run_measuring labyrinth_nolock_bench LABYRINTH-NOLOCK-END $nolock_args
	verdict nolock "${why#; }"
}
