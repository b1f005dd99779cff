#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-tcg.sh: run $LABYRINTH_REAL_QEMU with its arguments, minus every
# "-accel <name>" but "-accel tcg".  scripts/kunit.sh puts it first in PATH
# as qemu-system-x86_64: kunit.py from 6.16 on asks for "-accel kvm -accel
# hvf -accel tcg", and QEMU takes the first accelerator that opens.  A
# /dev/kvm that opens but cannot run a stock guest kernel (as on the build
# machines) then hangs the run until kunit.py's timeout, with no output.
set -euo pipefail

: "${LABYRINTH_REAL_QEMU:?set by scripts/kunit.sh}"
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = -accel ] && [ $# -ge 2 ]; then
		[ "$2" != tcg ] || args+=(-accel tcg)
		shift 2
		continue
	fi
	args+=("$1")
	shift
done
exec "$LABYRINTH_REAL_QEMU" "${args[@]}"
