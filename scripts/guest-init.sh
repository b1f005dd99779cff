#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of labyrinth's QEMU guests (packed by scripts/qemu-lib.sh, run by
# busybox sh as PID 1): reads the kernel command line and runs one mode.
# The checks themselves are in scripts/guest/, packed as /guest/: common.sh
# (marker helpers, mounts, load and unload), check.sh (the boot checks),
# torture.sh, debug.sh (kmemleak), bench.sh, nolock.sh, edu.sh and
# dmabench.sh, one file per mode.  Every check prints one marker line that
# the host turns into a PASS/FAIL line:
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

# shellcheck source=scripts/guest/common.sh
. /guest/common.sh
# shellcheck source=scripts/guest/check.sh
. /guest/check.sh
# shellcheck source=scripts/guest/torture.sh
. /guest/torture.sh
# shellcheck source=scripts/guest/debug.sh
. /guest/debug.sh
# shellcheck source=scripts/guest/bench.sh
. /guest/bench.sh
# shellcheck source=scripts/guest/nolock.sh
. /guest/nolock.sh
# shellcheck source=scripts/guest/edu.sh
. /guest/edu.sh
# shellcheck source=scripts/guest/dmabench.sh
. /guest/dmabench.sh
guest_setup

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

new_dmesg > /dev/null	# boot messages go to $DLOG only
info "guest up: $(uname -r), mode $mode, $(grep -c ^processor /proc/cpuinfo) CPUs"

# check and debug run every check; debug adds the torture and kmemleak.
full=
case "$mode" in
check|debug) full=1 ;;
esac
[ "$mode" = debug ] && kmemleak_start
[ -n "$full" ] && check_params

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
[ "$mode" = debug ] && run_debug
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
