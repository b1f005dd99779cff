#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# docs-figures.py [--update] [FILE...]: every measured figure in the docs
# comes from a stored result file, through a generator, never typed.
#
# A figure lives in a generated region, the output of one command run from
# the repository's top directory on a stored result file:
#
#   Markdown:  <!-- generated: python3 scripts/X.py --markdown bench/results/Y -->
#              (the command's output)
#              <!-- end generated -->
#   RST:       .. generated: python3 scripts/X.py --rst bench/results/Y
#              (the command's output)
#              .. end generated
#
# or in a stored table an RST file literalincludes (gates.sh compares those
# with their generators).  Without --update, each region must equal its
# command's output, and no line outside a region may hold what reads as a
# measured figure: a decimal that is not a version, a multiplier ("3x"), a
# percentage, nanoseconds, an approximation ("~5", "about 40"), "took N" or
# "N passed".  One "PASS: docs ..." or "FAIL: docs ..." line per file.
# With --update the regions are rewritten from their commands (make bench
# does this after a run) and nothing is checked.

import argparse
import os
import re
import shlex
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BEGIN = {
    ".md": re.compile(r"^<!-- generated: (.+?) -->$"),
    ".rst": re.compile(r"^\.\. generated: (.+)$"),
}
END = {".md": "<!-- end generated -->", ".rst": ".. end generated"}

# Version numbers are not figures: the kernels, QEMU, sparse and glibc the
# docs name, and p99.9.
VERSIONS = {"5.10", "5.11", "5.12", "5.16", "6.1", "6.7", "6.12", "6.13", "6.15", "6.16",
            "6.18", "7.2", "7.2.13", "6.12.117", "0.6.4", "0.6.5", "2.38", "99.9"}
FIGURE = [
    (re.compile(r"(?<![\w.:-])(\d+\.\d+(?:\.\d+)*)(?![\w.])"), "a decimal"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?x(?![\w])"), "a multiplier"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)? ?%"), "a percentage"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)? ?(?:ns|µs|us)\b"), "nanoseconds"),
    (re.compile(r"~ ?\d|\babout \d|\baround \d|\broughly \d"), "an approximation"),
    (re.compile(r"\btook \d|\b\d+ passed\b"), "a run's result"),
]


def docs():
    out = subprocess.run(["git", "ls-files", "*.md", "*.rst"], cwd=TOP, check=True,
                         capture_output=True, text=True).stdout.split()
    return sorted(out)


def generate(cmd):
    argv = shlex.split(cmd)
    if len(argv) < 2 or argv[0] != "python3" or not os.path.isfile(os.path.join(TOP, argv[1])):
        raise ValueError("a region's command must be python3 <script in the tree>: %s" % cmd)
    res = subprocess.run(argv, cwd=TOP, capture_output=True, text=True)
    if res.returncode != 0:
        raise ValueError("`%s` exited %d: %s" % (cmd, res.returncode, res.stderr.strip()[:300]))
    return res.stdout.rstrip("\n").split("\n")


def split_regions(lines, ext):
    """Yield ('text', [(lineno, line)]) and ('region', cmd, start, end) parts."""
    i, parts, text = 0, [], []
    while i < len(lines):
        m = BEGIN[ext].match(lines[i])
        if not m:
            text.append((i + 1, lines[i]))
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j] == END[ext]), None)
        if end is None:
            raise ValueError("line %d: region without `%s`" % (i + 1, END[ext]))
        parts.append(("region", m.group(1), i, end))
        i = end + 1
    parts.append(("text", text))
    return parts


def figures_in(text):
    found = []
    for lineno, line in text:
        if line.startswith(".. SPDX") or line.startswith("<!-- SPDX"):
            continue
        for rx, what in FIGURE:
            for m in rx.finditer(line):
                tok = m.group(1) if rx.groups else m.group(0)
                if what == "a decimal" and tok in VERSIONS:
                    continue
                found.append("line %d: %s, `%s`" % (lineno, what, m.group(0).strip()))
    return found


def process(path, update):
    ext = os.path.splitext(path)[1]
    with open(os.path.join(TOP, path)) as f:
        lines = f.read().split("\n")
    problems = []
    parts = split_regions(lines, ext)
    new = list(lines)
    # from the last region up, so that earlier line numbers stay right
    for part in reversed([p for p in parts if p[0] == "region"]):
        _, cmd, start, end = part
        body = [""] + generate(cmd) + [""]
        if update:
            new[start + 1:end] = body
        elif lines[start + 1:end] != body:
            problems.append("line %d: region differs from `%s`" % (start + 1, cmd))
    if update:
        if new != lines:
            with open(os.path.join(TOP, path), "w") as f:
                f.write("\n".join(new))
            print("docs: regenerated the figures of %s" % path)
        return []
    problems += figures_in(parts[-1][1])
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--update", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    rc = 0
    for path in args.files or docs():
        try:
            problems = process(path, args.update)
        except ValueError as e:
            problems = [str(e)]
        if args.update and not problems:
            continue
        if problems:
            rc = 1
            shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
            print("FAIL: docs %s: figures not generated from a stored result (%s)" %
                  (path, shown))
        else:
            print("PASS: docs %s: every figure generated from a stored result" % path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
