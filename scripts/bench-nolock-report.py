#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the serial logs of scripts/bench-nolock.sh, write one JSON file and
print a ratio table per kernel: each peer's cost over labyrinth's pool, per
context, and success rates as k/n.  "--print <json>" prints the tables of a
stored result file again (the docs include that output).  With --smoke, one line per kernel:
"PASS: bench nolock smoke <kernel>" or "FAIL: bench nolock smoke <kernel> (why)".
Guest times are emulated (QEMU TCG): only the ratios are worth quoting."""

import argparse
import datetime
import json
import os
import re
import sys

CTXS = ["process", "hardirq", "nmi"]
PEERS = ["labyrinth", "nolock", "page_pool", "alloc_page", "clear_page"]
PRESSURE = ["labyrinth", "nolock", "page_pool", "alloc_page"]
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"LABYRINTH-NOLOCK(-INFO|-END)? (\{.*\})\s*$")
SPLAT = re.compile(r"WARNING:|BUG:|Oops|Kernel panic|Call Trace|sleeping function called"
                   r"|possible (recursive|circular) locking|lockdep|Uhhuh\. NMI")


def parse_log(path):
    """The module's lines (not the end-of-run dmesg copy) and any splat."""
    info, end, recs, splats, cmdline, guest = None, None, [], [], None, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("dmesg| "):
                m = re.search(r"Command line: (.*)", line)
                if m:
                    cmdline = m.group(1)
                continue
            if SPLAT.search(line):
                splats.append(line.strip())
            if "LABYRINTH-CHECK" in line or line.startswith("LABYRINTH-DONE"):
                guest.append(line[line.index("LABYRINTH-"):])
            m = LINE.search(line)
            if not m:
                continue
            try:
                obj = json.loads(m.group(2))
            except ValueError:
                splats.append("unparsable: " + line.strip())
                continue
            if m.group(1) == "-INFO":
                info = obj
            elif m.group(1) == "-END":
                end = obj
            else:
                recs.append(obj)
    return info, end, recs, splats, cmdline, guest


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


def problems_of(run, info, end, recs, splats, guest):
    why = []
    if run["why"]:
        return [run["why"]]
    if not any(g == "LABYRINTH-DONE" for g in guest):
        why.append("guest did not finish (qemu status %s)" % run["rc"])
    why += ["guest check failed: " + g for g in guest if g.startswith("LABYRINTH-CHECK FAIL")]
    if info is None:
        why.append("no LABYRINTH-NOLOCK-INFO line")
    if end is None:
        why.append("no LABYRINTH-NOLOCK-END line")
    elif end.get("failed"):
        why.append("module counted %d failed results" % end["failed"])
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
    if splats:
        why.append("kernel splat: " + splats[0][:160])
    return why


def fmt_ratio(v):
    ratio, note = v
    if ratio is None:
        return note
    s = "%.2f" % ratio if ratio < 10 else "%.1f" % ratio
    return s + (" (%s)" % note if note else "")


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


def print_stored(path):
    """The tables of a stored result file, as the run printed them."""
    with open(path) as f:
        doc = json.load(f)
    print("%s: commit %s%s, %s, QEMU %s" % (os.path.relpath(os.path.abspath(path), TOP),
                                          doc["commit"][:12],
                                          " (dirty tree)" if doc["dirty"] else "",
                                          doc["date"], doc["qemu"]))
    for run in doc["runs"]:
        run["ratios"] = {c: {p: (v["ratio"], v["note"]) for p, v in row.items()}
                         for c, row in run["ratios"].items()}
        if run["records"]:
            print()
            print(table(run))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        return print_stored(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", default=[],
                    help="kernel|kver|log|qemu status|why it did not run|kernel command line")
    ap.add_argument("--commit", required=True)
    ap.add_argument("--dirty", type=int, default=0)
    ap.add_argument("--json", required=True)
    ap.add_argument("--qemu", default="")
    ap.add_argument("--loadavg", default="")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()

    runs, failed = [], False
    for spec in a.run:
        kernel, kver, log, rc, why, cmdline, boot = (spec.split("|", 6) + [""] * 7)[:7]
        run = {"kernel": kernel, "kver": kver, "log": log, "rc": rc, "why": why,
               "qemu": (a.qemu + " " + boot).strip() if boot else "",
               "cmdline": cmdline, "info": None, "end": None, "records": []}
        splats, guest = [], []
        if log and os.path.exists(log):
            info, end, recs, splats, kcmd, guest = parse_log(log)
            run.update(info=info, end=end, records=recs)
            run["cmdline"] = kcmd or cmdline
        run["problems"] = problems_of(run, run["info"], run["end"], run["records"], splats, guest)
        run["ratios"] = ratios(run["records"])
        run["log"] = os.path.relpath(log, TOP) if log else ""
        runs.append(run)
        failed = failed or bool(run["problems"])

    doc = {
        "what": "alloc_pages_nolock() beside labyrinth, page_pool and alloc_page(GFP_ATOMIC)",
        "commit": a.commit, "dirty": bool(a.dirty), "smoke": a.smoke,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host_loadavg": a.loadavg, "qemu": a.qemu,
        "note": "guest ns are emulated under QEMU TCG: compare ratios within one boot only. "
                "nolock's NMI figure (and its hardirq figure on PREEMPT_RT) is allocation "
                "only: free_pages_nolock() is not exported, so those pages are freed in "
                "process context after the stretch; labyrinth's figure is a full pair "
                "everywhere. alloc_pages_nolock() zeroes every page; the boots run with "
                "init_on_alloc=0 so no other peer does (clear_page is the reference).",
        "runs": [{k: v for k, v in r.items()} for r in runs],
    }
    for r in doc["runs"]:
        r["ratios"] = {c: {p: {"ratio": None if v[0] is None else round(v[0], 3), "note": v[1]}
                           for p, v in row.items()} for c, row in r["ratios"].items()}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(a.json + ".tmp", a.json)

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
