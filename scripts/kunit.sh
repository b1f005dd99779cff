#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kunit.sh <plain|debug|kcsan|rt-debug-7.2> [torture seconds]: build
# labyrinth's KUnit suites into a kernel and run them with kunit.py in QEMU
# (TCG, two CPUs).  plain, debug and kcsan build linux-source-6.12: the debug
# flavour adds KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak
# and DEBUG_VM; the kcsan flavour adds KCSAN instead (the two exclude each
# other).  rt-debug-7.2 builds linux-source-7.2 (unpacked by
# scripts/fetch-kernel.sh) as PREEMPT_RT with lockdep, DEBUG_ATOMIC_SLEEP and
# DEBUG_PREEMPT, the debug RT kernel Debian does not ship: the same suites,
# and the torture's hard hrtimers and NMIs, on 7.2 and on RT.  Any splat in the
# log fails the run, a KCSAN data-race report ("BUG: KCSAN: ...") included.
# Also gates the in-tree build: W=1 and sparse C=2 on drivers/labyrinth.
#
# The labyrinth_torture suite runs for [torture seconds], else
# $LABYRINTH_TORTURE_SECONDS, else 20 s on the plain kernel and 60 s on the
# debug and kcsan kernels (labyrinth.torture_seconds= on the command line).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

flavour=${1:-plain}
case "$flavour" in
plain|debug|kcsan) version=6.12 ;;
rt-debug-7.2) version=7.2 ;;
*) echo "usage: $0 <plain|debug|kcsan|rt-debug-7.2> [torture seconds]" >&2; exit 2 ;;
esac
tree=$cache/linux-$version
build=$cache/kunit-$flavour
if [ "$version" = 6.12 ]; then
	[ -f "$tree/.unpacked" ] || bash "$top/scripts/setup.sh"
else
	# linux-source-7.2 is unpacked with sid's 7.2 kernel
	bash "$top/scripts/fetch-kernel.sh" "$version" > /dev/null ||
		{ fail "kunit-$flavour (scripts/fetch-kernel.sh $version failed)"; exit 1; }
fi

# Overlay labyrinth into the tree as drivers/labyrinth (a copy, so the
# checkout never sees in-tree build products).
overlay() {
	copy_sources "$tree/drivers/labyrinth" "$top/kunit"
	rm -rf "$tree/drivers/labyrinth/samples"
	grep -q 'drivers/labyrinth/Kconfig' "$tree/drivers/Kconfig" ||
		sed -i '$i source "drivers/labyrinth/Kconfig"' "$tree/drivers/Kconfig"
	grep -q 'CONFIG_LABYRINTH' "$tree/drivers/Makefile" ||
		echo 'obj-$(CONFIG_LABYRINTH)		+= labyrinth/' >> "$tree/drivers/Makefile"
}

# Each flavour boots with one of the kernel's page-init policies, so both
# are exercised: no owner may see the previous owner's bytes under either.
# KCSAN reports honour panic_on_warn, which would stop the kernel at the
# first one: the kcsan kernel runs without it, collects every report, and
# the splat check below fails the run on any.
configs=(--kunitconfig "$top/kunit/.kunitconfig")
init_arg=init_on_free=1
warn_arg=panic_on_warn=1
torture_default=60
case "$flavour" in
plain)
	torture_default=20 ;;
rt-debug-7.2)
	configs+=(--kunitconfig "$top/kunit/rt-debug.kunitconfig")
	torture_default=30 ;;
debug)
	configs+=(--kunitconfig "$top/kunit/debug.kunitconfig")
	init_arg=init_on_alloc=1 ;;
kcsan)
	configs+=(--kunitconfig "$top/kunit/kcsan.kunitconfig")
	init_arg=init_on_alloc=1
	warn_arg= ;;
esac
torture_seconds=${2:-${LABYRINTH_TORTURE_SECONDS:-$torture_default}}

overlay
mkdir -p "$build"
log=$cache/kunit-$flavour.out
json=$cache/kunit-$flavour.json
rm -f "$json"
echo "kunit-$flavour: building and running, torture ${torture_seconds} s (log: $log)"
start=$SECONDS
# kunit.py starts qemu-system-x86_64 from PATH: TCG only, as every guest here.
real_qemu=$(command -v qemu-system-x86_64) || { fail "kunit-$flavour (no qemu-system-x86_64)"; exit 1; }
mkdir -p "$cache/tcg-bin"
ln -sf "$top/scripts/qemu-tcg.sh" "$cache/tcg-bin/qemu-system-x86_64"
set +e
(cd "$tree" && PATH=$cache/tcg-bin:$PATH LABYRINTH_REAL_QEMU=$real_qemu python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
	--build_dir="$build" "${configs[@]}" --jobs="$(nproc)" --timeout=900 \
	--qemu_args='-smp 2' \
	--kernel_args="$warn_arg $init_arg labyrinth.torture_seconds=$torture_seconds" \
	--json="$json") > "$log" 2>&1
rc=$?
set -e
echo "kunit-$flavour: kunit.py exited $rc after $((SECONDS - start)) s"

# One result line per leaf test case (parameterised cases count each value).
python3 - "$json" "$flavour" <<'PY' || rc=1
import json, sys
try:
    root = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"FAIL: kunit-{sys.argv[2]} results ({e})")
    sys.exit(1)
bad = 0
def walk(group, path):
    global bad
    for case in group.get("test_cases", []):
        name = f"kunit-{sys.argv[2]} {'.'.join(path + [case['name']])}"
        if case["status"] == "PASS":
            print(f"PASS: {name}")
        elif case["status"] == "SKIP":
            print(f"SKIP: {name}")
        else:
            print(f"FAIL: {name} ({case['status']})")
            bad += 1
    for sub in group.get("sub_groups", []):
        walk(sub, path + [sub["name"]])
for suite in root.get("sub_groups", []):
    walk(suite, [suite["name"]])
sys.exit(1 if bad else 0)
PY

# A kernel splat anywhere in the run fails it, even if every case passed.
# One KCSAN report is the kernel's own and is left out: process_one_work()
# reads its worker task's se.sum_exec_runtime (kernel/workqueue.c, for
# current_at) while the scheduler tick updates it, a plain read against an
# unmarked write KCSAN can only call "race at unknown origin", with no
# second function in the title.  The background wipe's work item, which
# runs often on an unbound kworker, makes it show up; a race in labyrinth's
# own code names labyrinth's functions in the title and still fails.
splats='BUG:|WARNING:|KASAN|kmemleak:.*suspected|possible recursive locking|inconsistent lock state|INFO: task|sleeping function called|Kernel panic|Oops'
kernel_own='^BUG: KCSAN: data-race in process_one_work\+0x[0-9a-f]+/0x[0-9a-f]+$'
grep -Ev "$kernel_own" "$build/test.log" > "$build/test-splats.log" || true
expect_none "kunit-$flavour no kernel splats" "$build/test-splats.log" "$splats" || rc=1

# In-tree gate: rebuild drivers/labyrinth with W=1 and sparse; zero findings.
gate=$cache/kunit-$flavour-w1.out
touch "$tree"/drivers/labyrinth/*.c "$tree"/drivers/labyrinth/kunit/*.c \
	"$tree"/drivers/labyrinth/torture/*.c
check=()
[ "$version" = 6.12 ] || check=(CHECK="$(bash "$top/scripts/fetch-sparse.sh")")
(cd "$tree" && make ARCH=x86_64 O="$build" W=1 C=2 "${check[@]}" -j"$(nproc)" drivers/labyrinth/) \
	> "$gate" 2>&1 || echo "in-tree build failed" >> "$gate"
# kbuild skips a sparse it finds too old with this message and no warning
expect_none "gate in-tree-$version-${flavour%-7.2} W=1 C=2" "$gate" \
	'warning:|error:|failed|sparse is not available' || rc=1
exit $rc
