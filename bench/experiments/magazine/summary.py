#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# summary.py DIR...: what the stored native runs say of the magazines.  For
# every bench JSON in the directories (their "native" section, written by
# bench/native's bench-native), the magazines' median over labyrinth's in
# the same run, lowest and highest over the runs, as a Markdown table, with
# the runs' conditions.  bench/experiments/magazine/README.md includes its
# output, kept equal by scripts/docs-figures.py.

import glob
import json
import os
import sys

JOBS = [("", "alloc + free"), ("-bulk64", "bulk 64, per page"),
        ("-fifo256", "FIFO of 256 held"), ("-cross", "cross-CPU free"),
        ("-drain", "drain, per frame")]
SHAPES = ["magazine", "magazine-local"]


def runs(dirs):
    out = []
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            with open(path) as f:
                doc = json.load(f)
            native = doc.get("native")
            if isinstance(native, dict) and native.get("records"):
                out.append((path, doc, native))
    return out


def span(values, fmt="%.2f"):
    if not values:
        return "-"
    return (fmt + " - " + fmt) % (min(values), max(values))


def main():
    found = runs(sys.argv[1:])
    if not found:
        print("summary.py: no native records under %s" % " ".join(sys.argv[1:]),
              file=sys.stderr)
        return 1
    ratio = {}
    drain_local, per_atomic, loads, dirty = [], [], [], 0
    cpus, conds = set(), set()
    for _, doc, nat in found:
        by = {(r["scenario"], r["threads"]): r for r in nat["records"]}
        dirty += bool(doc.get("source", {}).get("dirty"))
        cpus.add("%s, %s threads" % (nat.get("cpu"), nat.get("threads")))
        conds.add("%s frames a pool, %s pairs a thread, median of %s repetitions" %
                  (nat.get("frames"), nat.get("pairs_per_thread"), nat.get("reps")))
        loads.append(float(nat.get("loadavg_start", "0").split()[0]))
        for suffix, _ in JOBS:
            for threads in (1, 2):
                lab = by.get(("labyrinth" + suffix, threads))
                for shape in SHAPES:
                    mag = by.get((shape + suffix, threads))
                    if lab and mag and lab["ns_per_pair"]:
                        ratio.setdefault((suffix, threads, shape), []).append(
                            mag["ns_per_pair"] / lab["ns_per_pair"])
        r = by.get(("magazine-local-drain", 1))
        if r and "drain_min_frames" in r:
            drain_local.append(r["drain_min_frames"])
        r = by.get(("magazine-bulk64", 1))
        if r and "frames_per_bitmap_atomic" in r:
            per_atomic.append(r["frames_per_bitmap_atomic"])

    print("%d runs (%d from a dirty tree); %s; %s; 1-minute load average %.1f to %.1f at "
          "the start." % (len(found), dirty, "; ".join(sorted(cpus)), "; ".join(sorted(conds)),
                          min(loads), max(loads)))
    print()
    print("| scenario | threads | magazine / labyrinth | magazine-local / labyrinth |")
    print("|----------|---------|----------------------|----------------------------|")
    for suffix, what in JOBS:
        for threads in (1, 2):
            cells = [span(ratio.get((suffix, threads, s), [])) for s in SHAPES]
            if cells == ["-", "-"]:
                continue
            print("| %s | %d | %s | %s |" % (what, threads, cells[0], cells[1]))
    print()
    print("magazine-local's fewest frames in a one-thread drain: %s of %s; frames per "
          "atomic bitmap operation in magazine's one-thread bulk path: %s." %
          (span(drain_local, "%d"), found[0][2].get("frames"), span(per_atomic)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
