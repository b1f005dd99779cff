#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the serial logs of scripts/bench-nolock.sh, write one JSON file and
print a ratio table per kernel: each peer's cost over labyrinth's pool, per
context, and success rates as k/n.  "--print <json>" prints the tables of a
stored result file again (the docs include that output).  With --smoke, one line per kernel:
"PASS: bench nolock smoke <kernel>" or "FAIL: bench nolock smoke <kernel> (why)".
Guest times are emulated (QEMU TCG): only the ratios are worth quoting."""

import sys

from guestreport import collect_runs, fmt_ratio, parse_args, print_stored, run_problems, \
    write_result

CTXS = ["process", "hardirq", "nmi"]
PEERS = ["labyrinth", "nolock", "page_pool", "alloc_page", "clear_page"]
PRESSURE = ["labyrinth", "nolock", "page_pool", "alloc_page"]


def find(recs, kind, peer, ctx=None):
    for r in recs:
        if r.get("kind") == kind and r.get("peer") == peer and r.get("ctx") == ctx:
            return r
    return None


def ratios(recs):
    """{ctx: {peer: (ratio or None, note)}} over labyrinth's figure."""
    out = {}
    for ctx in CTXS:
        lab = find(recs, "pair", "labyrinth", ctx)
        row = {}
        for peer in PEERS:
            r = find(recs, "pair", peer, ctx)
            if r is None:
                row[peer] = (None, "missing")
            elif "na" in r:
                row[peer] = (None, "n/a")
            elif not lab or "na" in lab or not lab.get("ns"):
                row[peer] = (None, "no labyrinth figure")
            elif r.get("ok", 0) == 0 and peer != "clear_page":
                row[peer] = (r["ns"] / lab["ns"], "every call NULL")
            else:
                row[peer] = (r["ns"] / lab["ns"],
                             "alloc only" if r.get("measures") == "alloc" else "")
        out[ctx] = row
    return out


def problems_of(run, log):
    info, recs = run["info"], run["records"]
    why = run_problems(run, log, "NOLOCK")
    for ctx in CTXS:
        for peer in PEERS:
            r = find(recs, "pair", peer, ctx)
            if r is None:
                why.append("no %s record in %s" % (peer, ctx))
                continue
            if "na" in r:
                continue
            if not r.get("ctx_ok"):
                why.append("%s in %s: context check failed" % (peer, ctx))
            if r.get("lost"):
                why.append("%s in %s: %d stretches never ran" % (peer, ctx, r["lost"]))
            if peer == "labyrinth" and (r.get("n", 0) == 0 or r["ok"] != r["n"]):
                why.append("labyrinth granted %s of %s in %s" % (r.get("ok"), r.get("n"), ctx))
    pool = (info or {}).get("pool_pages", 0)
    for peer in PRESSURE:
        r = find(recs, "pressure", peer)
        if r is None:
            why.append("no %s pressure record" % peer)
        elif peer == "labyrinth" and r.get("ok", 0) < min(r.get("n", 0), pool):
            why.append("labyrinth granted %d under pressure, below its pool of %d"
                       % (r.get("ok", 0), pool))
    if log.splats:
        why.append("kernel splat: " + log.splats[0][:160])
    return why


def kn(r):
    if r is None:
        return "missing"
    if "na" in r:
        return "n/a"
    return "%d/%d" % (r["ok"], r["n"])


def table(run):
    recs, info = run["records"], run["info"] or {}
    rows = []
    head = "%-12s %-22s %-22s %-22s" % ("peer", "process", "hardirq", "nmi")
    rows.append("%s (%s%s): pair cost over labyrinth's pool, same boot (TCG)"
                % (run["kernel"], run["kver"], ", PREEMPT_RT" if info.get("preempt_rt") else ""))
    rows.append(head)
    rat = run["ratios"]
    for peer in PEERS:
        rows.append("%-12s %-22s %-22s %-22s" % ((peer,) + tuple(
            fmt_ratio(rat[c][peer]) for c in CTXS)))
    rows.append("success (k/n):")
    rows.append(head)
    for peer in PEERS[:-1]:
        rows.append("%-12s %-22s %-22s %-22s" % ((peer,) + tuple(
            kn(find(recs, "pair", peer, c)) for c in CTXS)))
    rows.append("under pressure (hog holds %s pages; tries %s, labyrinth pool and page_pool ring %s):"
                % ((find(recs, "pressure", "labyrinth") or {}).get("hog_pages", "?"),
                   info.get("tries", "?"), info.get("pool_pages", "?")))
    rows.append("  " + ", ".join("%s %s" % (p, kn(find(recs, "pressure", p))) for p in PRESSURE))
    held = [r for r in recs if r.get("kind") == "pair" and "na" not in r]
    rows.append("context checks (in_task / in_hardirq / in_nmi) held in %d of %d measured records"
                % (sum(1 for r in held if r.get("ctx_ok")), len(held)))
    return "\n".join(r.rstrip() for r in rows)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        return print_stored(sys.argv[2], table)
    a = parse_args()
    runs = collect_runs(a, "NOLOCK", problems_of, ratios)
    failed = any(run["problems"] for run in runs)
    write_result(a, "alloc_pages_nolock() beside labyrinth, page_pool and alloc_page(GFP_ATOMIC)",
                 "guest ns are emulated under QEMU TCG: compare ratios within one boot only. "
                 "nolock's NMI figure (and its hardirq figure on PREEMPT_RT) is allocation "
                 "only: free_pages_nolock() is not exported, so those pages are freed in "
                 "process context after the stretch; labyrinth's figure is a full pair "
                 "everywhere. alloc_pages_nolock() zeroes every page; the boots run with "
                 "init_on_alloc=0 so no other peer does (clear_page is the reference).", runs)

    for run in runs:
        if run["records"]:
            print(table(run))
            print()
    print("bench-nolock: %s (commit %s%s)" % (a.json, a.commit, ", dirty tree" if a.dirty else ""))
    for run in runs:
        name = "bench nolock smoke %s" % run["kernel"]
        if a.smoke:
            if run["problems"]:
                print("FAIL: %s (%s)" % (name, "; ".join(run["problems"])[:400]))
            else:
                print("PASS: %s" % name)
        elif run["problems"]:
            print("bench-nolock: %s: FAILED: %s" % (run["kernel"], "; ".join(run["problems"])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
