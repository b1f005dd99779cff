#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kernel-matrix.py <check-results.txt>: the kernel x stage table of a run.

Reads the PASS/FAIL/SKIP lines that scripts/check.sh collected and counts
them per kernel and stage, so that the table in a closing note or a review
is generated from the run rather than typed.  A cell reads "passed/total";
"-" means the stage has no case on that kernel.  Lines that name no kernel
(the explorer, the native harness, checkpatch) are summed in the last row.
"""
import re
import sys

KERNELS = ["5.10", "6.1", "6.12", "7.2", "7.2-rt"]
STAGES = ["W=1+sparse", "DKMS", "boot", "client", "torture", "debug boot", "DMA/edu",
          "KUnit", "bench"]

# Debian kernel release -> the short name the scripts use.
RELEASES = [
    (r"^5\.10\.", "5.10"),
    (r"^6\.1\.", "6.1"),
    (r"^6\.12\.", "6.12"),
    (r"^7\.2\.\S*-rt-amd64$", "7.2-rt"),
    (r"^7\.2\.", "7.2"),
]

# (pattern on the text after "PASS: ", stage, kernel or None for group 1)
RULES = [
    (r"^gate W=1 C=2 against Debian (\S+) headers$", "W=1+sparse", "release"),
    (r"^gate W=1 C=2 bench/nolock against Debian (\S+)$", "W=1+sparse", "release"),
    (r"^gate in-tree-(6\.12)-\S+ W=1 C=2$", "W=1+sparse", None),
    (r"^gate in-tree-7\.2-rt-debug W=1 C=2$", "W=1+sparse", "7.2-rt"),
    (r"^boot-(?:dkms-)?(\S+) client-", "client", None),
    (r"^boot-dkms-(\S+) ", "boot", None),
    (r"^dkms add\+build \S+ for (\S+)$", "DKMS", "release"),
    (r"^boot-(\S+) ", "boot", None),
    (r"^torture-(\S+) ", "torture", None),
    (r"^debug-(6\.12) ", "debug boot", None),
    (r"^kunit-(?:plain|debug|kcsan) ", "KUnit", "6.12"),
    (r"^kunit-rt-debug-7\.2 ", "KUnit", "7.2-rt"),
    (r"^edu-(?:iommu|swiotlb) ", "DMA/edu", "6.12"),
    (r"^bench (?:dma )?smoke$", "bench", "6.12"),
    (r"^bench nolock smoke (\S+)$", "bench", None),
]


def kernel_of(release):
    for pattern, name in RELEASES:
        if re.search(pattern, release):
            return name
    return None


def classify(text):
    for pattern, stage, kernel in RULES:
        m = re.search(pattern, text)
        if not m:
            continue
        if kernel == "release":
            return stage, kernel_of(m.group(1))
        return stage, kernel or m.group(1)
    return None, None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kernel-matrix.py <check-results.txt>")
    cells = {}
    other = [0, 0]
    for line in open(sys.argv[1], errors="replace"):
        m = re.match(r"^(PASS|FAIL): (.*)$", line.rstrip("\n"))
        if not m:
            continue
        ok = m.group(1) == "PASS"
        stage, kernel = classify(m.group(2))
        if kernel not in KERNELS:
            other[0] += ok
            other[1] += 1
            continue
        cell = cells.setdefault((kernel, stage), [0, 0])
        cell[0] += ok
        cell[1] += 1
    width = max(len(s) for s in STAGES) + 2
    print("kernel  " + "".join(s.rjust(width) for s in STAGES))
    for kernel in KERNELS:
        row = []
        for stage in STAGES:
            c = cells.get((kernel, stage))
            row.append((f"{c[0]}/{c[1]}" if c else "-").rjust(width))
        print(kernel.ljust(8) + "".join(row))
    print("6.12 KUnit: linux-source-6.12 plain, debug and kcsan kernels; 7.2-rt KUnit: "
          "linux-source-7.2 built PREEMPT_RT with lockdep and DEBUG_ATOMIC_SLEEP")
    print(f"not per kernel (explorer, native, checkpatch, kernel-doc): {other[0]}/{other[1]}")


if __name__ == "__main__":
    main()
