# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/edu.sh: lbt_mode=edu
# (scripts/edu-test.sh), samples/labyrinth_edu.ko moving frames through
# QEMU's edu device by DMA, and the fault and stale negative controls.
# shellcheck disable=SC2154 # $MOD, $ERR, $INSMOD, $DLOG, $PAGE_KB and the lbt_edu_* settings come from common.sh and guest-init.sh

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
