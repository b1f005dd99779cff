#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the serial log of scripts/bench-dma.sh, write one JSON file and
print the ratio table: each peer's cost per page over labyrinth's
DMA-mapped pool, single and bulk-64, all measured in one boot.
"--print <json>" prints a stored result file's table again (the docs
include that output).  With --smoke, exactly one line:
"PASS: bench dma smoke" or "FAIL: bench dma smoke (why)".
Guest times are emulated (QEMU TCG): only the ratios are worth quoting."""

import sys

from guestreport import collect_runs, fmt_ratio, parse_args, print_stored, run_problems, \
    write_result

KINDS = ["single", "bulk64"]
KIND_HEAD = {"single": "single", "bulk64": "bulk-64"}
PEERS = ["labyrinth", "labyrinth_sync", "page_pool", "page_pool_sync", "map_page"]
WHAT = {
    "labyrinth": "labyrinth_pool_dma_addr()",
    "labyrinth_sync": "+ sync_for_device(page)",
    "page_pool": "PP_FLAG_DMA_MAP, direct recycle",
    "page_pool_sync": "+ PP_FLAG_DMA_SYNC_DEV",
    "map_page": "alloc_page + dma_map/unmap_page",
}


def find(recs, kind, peer):
    for r in recs:
        if r.get("kind") == kind and r.get("peer") == peer:
            return r
    return None


def ratios(recs):
    """{kind: {peer: (ratio or None, note)}} over labyrinth's figure."""
    out = {}
    for kind in KINDS:
        lab = find(recs, kind, "labyrinth")
        row = {}
        for peer in PEERS:
            r = find(recs, kind, peer)
            if r is None:
                row[peer] = (None, "missing")
            elif not lab or not lab.get("ns"):
                row[peer] = (None, "no labyrinth figure")
            elif r.get("ok", 0) == 0:
                row[peer] = (r["ns"] / lab["ns"], "every call NULL")
            else:
                row[peer] = (r["ns"] / lab["ns"], "")
        out[kind] = row
    return out


def problems_of(run, log):
    info, end, recs = run["info"], run["end"], run["records"]
    why = run_problems(run, log, "DMA", " (did the driver bind edu?)")
    if info is not None and info.get("domain") not in ("DMA", "DMA-FQ"):
        why.append("edu is not behind a translating IOMMU (domain %s)" % info.get("domain"))
    if end is not None and (end.get("setup_bad") or not end.get("setup_checked")):
        why.append("setup checks: %s bad of %s frames"
                   % (end.get("setup_bad"), end.get("setup_checked")))
    for kind in KINDS:
        for peer in PEERS:
            r = find(recs, kind, peer)
            if r is None:
                why.append("no %s %s record" % (peer, kind))
                continue
            if peer.startswith("labyrinth") and (r.get("n", 0) == 0 or r["ok"] != r["n"]):
                why.append("%s granted %s of %s (%s)" % (peer, r.get("ok"), r.get("n"), kind))
            if r.get("errs"):
                why.append("%s %s: %d lookup, sync or free errors" % (peer, kind, r["errs"]))
            if r.get("bad"):
                why.append("%s %s: %d of %d looked-up addresses wrong or unstable"
                           % (peer, kind, r["bad"], r.get("checked", 0)))
            if peer != "map_page" and not r.get("checked"):
                why.append("%s %s: no address checked" % (peer, kind))
    if log.faults:
        why.append("DMAR fault: " + log.faults[0][:160])
    if log.splats:
        why.append("kernel splat: " + log.splats[0][:160])
    return why


def table(run):
    recs, info, end = run["records"], run["info"] or {}, run["end"] or {}
    rows = ["%s (%s): edu %s, IOMMU domain %s, %s; cost per page over labyrinth's, "
            "same boot (TCG)" % (run["kernel"], run["kver"], info.get("dev", "?"),
                                 info.get("domain", "?"),
                                 "iommu.strict=1" if "iommu.strict=1" in run["cmdline"]
                                 else "lazy unmap")]
    head = "%-15s %-32s %-10s %-10s" % ("peer", "", KIND_HEAD["single"], KIND_HEAD["bulk64"])
    rows.append(head)
    rat = run["ratios"]
    for peer in PEERS:
        rows.append("%-15s %-32s %-10s %-10s" % ((peer, WHAT[peer]) + tuple(
            fmt_ratio(rat[k][peer]) for k in KINDS)))
    one, bulk = find(recs, "single", "labyrinth"), find(recs, "bulk64", "labyrinth")
    if one and bulk and one.get("ns"):
        rows.append("labyrinth's bulk-64 per page over its single: %.2f" % (bulk["ns"] / one["ns"]))
    checked = sum(r.get("checked", 0) for r in recs)
    bad = sum(r.get("bad", 0) for r in recs)
    rows.append("dma_dev_need_sync() of edu: %s%s" % (
        info.get("dma_need_sync", "?"),
        " (the DMA API skips its syncs; page_pool tests this flag before syncing)"
        if info.get("dma_need_sync") == 0 else ""))
    rows.append("medians of %s stretches of %s pages per peer, interleaved; pools of %s frames"
                % (info.get("runs", "?"), info.get("iters", "?"), info.get("pool_pages", "?")))
    rows.append("addresses checked against the IOMMU's page table and a second lookup: "
                "%d ring slots, %s frames at setup, %d bad; DMAR faults %d"
                % (checked, end.get("setup_checked", "?"), bad + end.get("setup_bad", 0),
                   run.get("dmar_faults", 0)))
    return "\n".join(r.rstrip() for r in rows)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        return print_stored(sys.argv[2], table)
    a = parse_args()
    runs = collect_runs(a, "DMA", problems_of, ratios)
    failed = not runs or any(run["problems"] for run in runs)
    write_result(a, "grant + DMA address lookup + free: a DMA-mapped labyrinth pool beside "
                 "page_pool with PP_FLAG_DMA_MAP on QEMU's edu device behind intel-iommu",
                 "guest ns are emulated under QEMU TCG: compare ratios within one boot only. "
                 "page_pool has no bulk allocation for its users in 6.12: its bulk-64 is 64 "
                 "page_pool_alloc_pages() and 64 direct recycles. map_page maps and unmaps "
                 "through the IOMMU for every page (iommu.strict=1: every unmap flushes the "
                 "IOTLB).", runs)

    for run in runs:
        if run["records"]:
            print(table(run))
            print()
    print("bench-dma: %s (commit %s%s)" % (a.json, a.commit, ", dirty tree" if a.dirty else ""))
    problems = [p for run in runs for p in run["problems"]] or (["no run"] if not runs else [])
    if a.smoke:
        if problems:
            print("FAIL: bench dma smoke (%s)" % "; ".join(problems)[:400])
        else:
            print("PASS: bench dma smoke")
    elif problems:
        print("bench-dma: FAILED: %s" % "; ".join(problems))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
