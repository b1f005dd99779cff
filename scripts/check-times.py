#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# check-times.py --markdown|--rst FILE: the stages of a stored `make check`
# run (bench/results/check/*.txt: its "== ... finished in N s ==" lines, the
# total and the last "N passed, N failed" line) as a table for the docs,
# where scripts/docs-figures.py keeps it equal to the file.

import argparse
import re
import sys

STAGE = re.compile(r"^== \S*?/scripts/(\S+)(.*?) finished in (\d+) s \(exit (\d+)\) ==$")
TOTAL = re.compile(r"^make check took (\d+) s")
RESULT = re.compile(r"^(\d+) passed, (\d+) failed$")


def main():
    ap = argparse.ArgumentParser()
    fmt = ap.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--markdown", action="store_true")
    fmt.add_argument("--rst", action="store_true")
    ap.add_argument("file")
    args = ap.parse_args()

    stages, total, result, what = [], None, None, ""
    with open(args.file) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# ") and not what:
                what = line[2:]
            m = STAGE.match(line)
            if m:
                stages.append(("%s%s" % (m.group(1), m.group(2)), m.group(3), m.group(4)))
            m = TOTAL.match(line)
            if m:
                total = m.group(1)
            m = RESULT.match(line)
            if m:
                result = "%s passed, %s failed" % m.groups()
    if not stages or total is None or result is None:
        print("check-times: %s is not a stored make check run" % args.file, file=sys.stderr)
        return 1
    rows = [(s, t if rc == "0" else "%s (exit %s)" % (t, rc)) for s, t, rc in stages]
    rows.append(("make check, in all", total))
    head = ("stage", "seconds")
    if args.markdown:
        print("| %s | %s |" % head)
        print("|---|---:|")
        for s, t in rows:
            print("| `%s` | %s |" % (s, t))
        print()
        print("%s: `%s`, from `%s`." % (what, result, args.file))
        return 0
    w = max(len(s) + 4 for s, _ in rows + [head])
    rule = "=" * w + " " + "=" * 8
    print(rule)
    print("%-*s %8s" % (w, head[0], head[1]))
    print(rule)
    for s, t in rows:
        print("%-*s %8s" % (w, "``%s``" % s, t))
    print(rule)
    print()
    print("%s: ``%s``, from ``%s``." % (what, result, args.file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
