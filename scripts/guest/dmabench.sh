# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by scripts/guest-init.sh from /guest/dmabench.sh: lbt_mode=dmabench
# (scripts/bench-dma.sh), bench/dma's PCI driver measuring on edu.
# shellcheck disable=SC2154 # $DLOG, $dmabench_args come from common.sh and guest-init.sh

# lbt_mode=dmabench: bench/dma's driver binds edu and measures in its
# probe, printing LABYRINTH-DMA lines at KERN_NOTICE.
run_dmabench() {
	# shellcheck disable=SC2086 # one word per module parameter
	run_measuring labyrinth_dma_bench LABYRINTH-DMA-END $dmabench_args
	faults=$(grep -c "DMAR: \[DMA" "$DLOG")
	[ "$faults" = 0 ] || why="$why; $faults DMAR faults"
	verdict dmabench "${why#; }"
}
