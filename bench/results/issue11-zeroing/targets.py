#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Issue #11's targets, each computed from one stored make bench run.

  targets.py RUN.json [PREZERO.json]

Every figure is a ratio read from the run's JSON (guest ratios are paired
medians from one boot; native ones are from the same process) or a ratio
of two of them, so the output can be checked against the file.
"""
import json
import sys


def main():
    run = json.load(open(sys.argv[1]))
    by = {(r["scenario"], r["allocator"]): r for r in run["records"]}
    nat = {(r["scenario"], r["threads"]): r for r in run["native"]["records"]}

    def ratio(s, a):
        return by[(s, a)]["ratio_to_labyrinth"]

    def med(s, a):
        return by[(s, a)]["median"]

    src = run["source"]
    print("run %s, commit %s%s, kernel %s" % (run["generated"], src["commit"][:7],
                                           " (dirty tree)" if src["dirty"] else "",
                                           run["machine"]["kernel"]))
    rows = []

    def target(name, value, goal, met):
        rows.append((name, "%.2f" % value, goal, "met" if met else "missed"))

    pp = ratio("a", "page_pool")
    v = ratio("a", "labyrinth_single_owner") / pp
    target("single-owner pair / page_pool pair, init_on_alloc=0 (a)", v, "<= 1.5", v <= 1.5)
    v = ratio("a_zeroing", "labyrinth_single_owner") / ratio("a_zeroing", "page_pool")
    target("single-owner pair / page_pool pair, init_on_alloc=1 (a_zeroing)", v, "<= 1.5",
           v <= 1.5)
    v = 1 / pp
    target("default pool (export) / page_pool, init_on_alloc=0 (a)", v, "<= 1.5", v <= 1.5)
    v = ratio("a", "labyrinth_pool") / pp
    target("kernel-policy pool / page_pool, init_on_alloc=0 (a)", v, "<= 1.5", v <= 1.5)
    v = ratio("a_zeroing", "alloc_page")
    target("alloc_page pair / default pool pair, init_on_alloc=1 (a_zeroing)", v, ">= 4",
           v >= 4)
    v = ratio("h_zeroing", "alloc_page")
    target("alloc_page / default pool, bursts, init_on_alloc=1 (h_zeroing)", v, ">= 4", v >= 4)
    v = ratio("a", "alloc_page") / ratio("a", "labyrinth_single_owner")
    target("alloc_page pair / single-owner pair, init_on_alloc=0 (a)", v, ">= 8", v >= 8)
    v = med("b", "labyrinth_bulk") / med("a", "page_pool")
    target("bulk of 64 per page / page_pool pair (b over a, one boot)", v, "<= 0.5", v <= 0.5)
    v = nat[("labyrinth", 1)]["ratio_to_floor"]
    target("native pair / native floor, 1 thread", v, "<= 1.3", v <= 1.3)
    v = nat[("labyrinth-bulk64", 1)]["ratio_to_floor"]
    target("native bulk64 per page / native floor, 1 thread", v, "(bulk below a pair)",
           v < nat[("labyrinth", 1)]["ratio_to_floor"])
    v = ratio("h_zeroing", "labyrinth_no_wipe")
    target("no-wipe grant / wiped grant, bursts, init_on_alloc=1 (h_zeroing)", v,
           "> 1 (keep the wipe)", v > 1)
    v = by[("h_zeroing", "labyrinth_no_wipe")]["spread"]["max"] / \
        by[("h_zeroing", "labyrinth")]["spread"]["max"]
    target("no-wipe / wiped, worst burst, init_on_alloc=1 (h_zeroing max)", v,
           "> 1 (keep the wipe)", v > 1)
    v = ratio("a_zeroing", "labyrinth_no_wipe")
    target("no-wipe pair / wiped pair, tight loop, init_on_alloc=1 (a_zeroing)", v,
           ">= 0.95 (wipe adds nothing)", v >= 0.95)
    w = max(len(r[0]) for r in rows)
    for r in rows:
        print("%-*s  %6s  %-26s %s" % (w, r[0], r[1], r[2], r[3]))
    if len(sys.argv) > 2:
        pz = {r["way"]: r["ns_per_page"] for r in json.load(open(sys.argv[2]))["records"]}
        print("prezero (native ns per page): " +
              ", ".join("%s %.1f" % kv for kv in pz.items()))
        print("grant + first write of an idle frame, without / with the wipe: %.2f" %
              (pz["clear-write-cold"] / pz["write-cold-prezeroed"]))
        print("all the work, without / with the wipe: %.2f" %
              (pz["clear-write-cold"] / (pz["write-cold-prezeroed"] + pz["clear-cold"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
