#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static gates, each of which must report zero findings:
#   - W=1 + sparse C=2 builds of the module, the sample client and the
#     torture module against Debian's 5.10 (bullseye), 6.1, 6.12, 7.2 and
#     7.2-rt (sid) kernels (the foreign ones fetched by
#     scripts/fetch-kernel.sh; 7.2 checked by sid's sparse, built by
#     scripts/fetch-sparse.sh, as Debian 12's is too old for it), and of
#     bench/nolock (7.2, 7.2-rt) and bench/dma (6.12);
#   - checkpatch.pl --no-tree --strict on every source;
#   - kernel-doc -none -Wall on the API header and every C source.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

tree=$cache/linux-6.12
[ -f "$tree/.unpacked" ] || bash "$top/scripts/setup.sh"
rc=0

# gate <name> <output file> <pattern>: pass when no output line matches.
gate() {
	expect_none "gate $1" "$2" "$3" || rc=1
}

for k in 5.10 7.2 7.2-rt; do
	bash "$top/scripts/fetch-kernel.sh" "$k" || echo "gates: fetching $k failed"
done
# 7.2's kbuild runs only a sparse that knows __typeof_unqual__
sparse_72=$(bash "$top/scripts/fetch-sparse.sh") || sparse_72=sparse-build-failed
# kbuild says this, and no "warning:", when it skips sparse: a gate finding
no_sparse='sparse is not available'
for k in 5.10 6.1 6.12 7.2 7.2-rt; do
	kver=$(distro_kver "$k" || true)
	out=$cache/gate-w1-$k.out
	if [ -z "$kver" ]; then
		echo "error: no Debian $k kernel" > "$out"
	else
		# shellcheck disable=SC2046 # make arguments, one word each
		check=()
		case "$k" in 7.2*) check=(CHECK="$sparse_72") ;; esac
		build_oot "$(kernel_info "$kver" kdir)" "$cache/gate-$k" W=1 C=2 "${check[@]}" \
			$(kernel_info "$kver" make || true) > "$out" 2>&1 ||
			echo "error: build failed" >> "$out"
	fi
	gate "W=1 C=2 against Debian ${kver:-$k} headers" "$out" "warning:|error:|$no_sparse"
done

# gate_bench_module <name> <kernel> [make args]: W=1 C=2 build of
# bench/<name>/ (bench/ itself for "main", built one level up, as its
# sources include ../labyrinth.h) against that kernel's labyrinth build
# from the loop above.
gate_bench_module() {
	local name=$1 k=$2 kver out dir src=$top/bench/$1
	shift 2

	kver=$(distro_kver "$k" || true)
	out=$cache/gate-w1-$name-$k.out
	dir=$cache/gate-$k/bench/$name
	if [ "$name" = main ]; then
		src=$top/bench
		dir=$cache/gate-$k/bench-main
	fi
	if [ -z "$kver" ] || [ ! -f "$cache/gate-$k/Module.symvers" ]; then
		echo "error: no labyrinth build for Debian $k" > "$out"
	else
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$src/Kbuild" "$src"/*.[ch] "$dir/"
		# shellcheck disable=SC2046 # make arguments, one word each
		make -s -C "$(kernel_info "$kver" kdir)" M="$dir" \
			KBUILD_EXTRA_SYMBOLS="$cache/gate-$k/Module.symvers" W=1 C=2 "$@" \
			$(kernel_info "$kver" make || true) modules > "$out" 2>&1 ||
			echo "error: build failed" >> "$out"
	fi
	gate "W=1 C=2 ${src#"$top"/} against Debian ${kver:-$k}" "$out" "warning:|error:|$no_sparse"
}

# The nolock peer benchmark builds only where alloc_pages_nolock() exists;
# the DMA benchmark (a PCI driver for QEMU's edu device) runs in 6.12 only.
for k in 7.2 7.2-rt; do
	gate_bench_module nolock "$k" CHECK="$sparse_72"
done
gate_bench_module dma 6.12
# the main benchmark needs page_pool's and objpool's 6.12 API
gate_bench_module main 6.12

# gate_stored_reports <name>: each stored result table that the docs
# include, bench/results/<name>/report-*.txt, must be what
# scripts/bench-<name>-report.py prints for the JSON beside it.
gate_stored_reports() {
	local name=$1 json report out=$cache/gate-report.out

	for json in "$top/bench/results/$name/$name"-*.json; do
		report=${json%.json}.txt
		report=${report/\/$name-/\/report-}
		if [ ! -f "$report" ]; then
			echo "error: no ${report#"$top"/} for ${json#"$top"/}" > "$out"
		else
			python3 "$top/scripts/bench-$name-report.py" --print "$json" |
				diff - "$report" > "$out" 2>&1 || true
		fi
		gate "${report#"$top"/} is the report of ${json##*/}" "$out" '.'
	done
}
gate_stored_reports nolock
gate_stored_reports dma
out=$cache/gate-report.out
python3 "$top/scripts/bench-report.py" --print "$top/bench/results/latest.json" |
	diff - "$top/bench/results/report-latest.txt" > "$out" 2>&1 || true
gate "bench/results/report-latest.txt is the report of latest.json" "$out" '.'

# Every figure in the docs comes from a stored result through a generator
# (scripts/docs-figures.py): one PASS or FAIL line per README and RST file.
docs_out=$cache/gate-docs.out
python3 "$top/scripts/docs-figures.py" > "$docs_out" 2>&1 || true
if ! grep -q '^PASS: docs ' "$docs_out"; then
	fail "gate docs figures (scripts/docs-figures.py printed no verdict: $docs_out)"
	rc=1
fi
while read -r line; do
	case "$line" in
	"PASS: docs "*) pass "gate ${line#PASS: }" ;;
	"FAIL: docs "*) fail "gate ${line#FAIL: }"; rc=1 ;;
	esac
done < "$docs_out"

# modinfo: every field a user looks for, and the version DKMS installs.
kver=$(distro_kver 6.12)
info=$(modinfo "$cache/gate-6.12/labyrinth.ko" 2>&1)
echo "$info" > "$cache/gate-modinfo.out"
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
missing=
for field in "description:" "author:" "license: *GPL" "version: *$dkms_ver" \
	     "parm: *nr_pages:" "parm: *max_pages:" "parm: *poison:"; do
	echo "$info" | grep -q "^$field" || missing="$missing '$field'"
done
if [ -n "$missing" ]; then
	fail "gate modinfo labyrinth.ko (missing:$missing)"
	rc=1
else
	pass "gate modinfo labyrinth.ko"
fi

cd "$top"
# bench/native/shim/ stands in for kernel headers in user space (kernel
# typedefs, no-op macros): it is tools code, not kernel code, and is left
# out of checkpatch the way the kernel's tools/ directory is.
mapfile -t sources < <(git ls-files '*.c' '*.h' Kbuild Kconfig '*/Kbuild' |
	grep -v '^bench/native/shim/')
for f in "${sources[@]}"; do
	out=$cache/gate-checkpatch.out
	"$tree/scripts/checkpatch.pl" --no-tree --strict --quiet -f "$f" > "$out" 2>&1 || true
	gate "checkpatch --strict $f" "$out" '^(WARNING|ERROR|CHECK)'
done

out=$cache/gate-kernel-doc.out
mapfile -t csources < <(git ls-files '*.c' '*.h')
"$tree/scripts/kernel-doc" -none -Wall "${csources[@]}" > "$out" 2>&1 || echo "error: kernel-doc failed" >> "$out"
gate "kernel-doc -Wall" "$out" '.'
exit $rc
