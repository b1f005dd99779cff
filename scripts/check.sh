#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test and gate of labyrinth.  Each step prints one
# "PASS: ..." or "FAIL: ..." line per test case or gate; the last line
# counts them.  Exits non-zero if anything failed or a step broke.
#
# Torture durations: LABYRINTH_TORTURE_SECONDS sets the labyrinth_torture
# KUnit case on all three KUnit kernels (default 20 s plain, 60 s debug and
# kcsan), LABYRINTH_CHECK_TORTURE_SECONDS the QEMU torture with hotplug and
# memory pressure (default 30 s).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

results=$cache/check-results.txt
: > "$results"
broken=0
start=$SECONDS

step() {
	local t=$SECONDS
	echo "== $* =="
	bash "$@" 2>&1 | tee -a "$results"
	local rc=${PIPESTATUS[0]}
	echo "== $* finished in $((SECONDS - t)) s (exit $rc) =="
	[ "$rc" -eq 0 ] || broken=1
}

bash "$top/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
step "$top/scripts/gates.sh"
step "$top/scripts/native.sh" --smoke
step "$top/scripts/explore.sh"
step "$top/scripts/kunit.sh" plain
step "$top/scripts/kunit.sh" debug
step "$top/scripts/kunit.sh" kcsan
step "$top/scripts/kunit.sh" rt-debug-7.2
step "$top/scripts/debug-boot.sh"
step "$top/scripts/edu-test.sh" iommu
step "$top/scripts/edu-test.sh" swiotlb
# The boot checks of each kernel run on the labyrinth.ko DKMS builds there
# (the sample client, the torture module and the torture's labyrinth.ko
# come from `make KDIR=...`): one boot per kernel, not one per build route.
for k in 6.12 6.1 5.10 7.2 7.2-rt; do
	step "$top/scripts/dkms-test.sh" "$k"
done
step "$top/scripts/torture.sh" "${LABYRINTH_CHECK_TORTURE_SECONDS:-30}"
# shorter on the other kernels; 7.2-rt: hard hrtimers and NMIs on PREEMPT_RT
for k in 6.1 5.10 7.2 7.2-rt; do
	step "$top/scripts/torture.sh" 15 128 "$k"
done
step "$top/scripts/bench.sh" --smoke
step "$top/scripts/bench-nolock.sh" --smoke
step "$top/scripts/bench-dma.sh" --smoke

passed=$(grep -c '^PASS: ' "$results")
failed=$(grep -c '^FAIL: ' "$results")
skipped=$(grep -c '^SKIP: ' "$results")
# A step that broke without printing a FAIL line still fails the run.
if [ "$broken" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL: a step exited non-zero without reporting a failed case"
	failed=1
fi
echo
python3 "$top/scripts/kernel-matrix.py" "$results"
echo "make check took $((SECONDS - start)) s; $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
