#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Turn the serial logs of scripts/bench.sh's guests (LABYRINTH-BENCH lines
# printed by bench/labyrinth_bench.ko) and the native harness's JSON into
# bench/results/latest.json, a PNG of the ratios, and the printed table.
# Called by scripts/bench.sh; not meant to be run by hand, though it can be:
#
#   bench-report.py --guest main:LOG:"kernel args" [--guest zeroing:LOG:"..."]
#                   [--qemu-argv main:FILE]... [--native JSON]
#                   --json OUT --png OUT [--smoke] [--problem TEXT]...
#   bench-report.py --print JSON      the table of a stored JSON, nothing else
#   bench-report.py --markdown JSON   a compact Markdown table for the README
#
# Every ratio is to labyrinth_pool, a labyrinth pool of the bench's own.
# The checks (every expected result present and ok, n/a where the contract
# says so, d's remote frees, g's exhausted page allocator) run before the
# JSON is written, and their verdict is in it ("checks").  A full run whose
# checks fail is written to failed/<commit12>-<UTC time>.json beside OUT
# instead of OUT, and the exit status is 1.  With --smoke the JSON always
# goes to OUT and the last line is "PASS: bench smoke" or
# "FAIL: bench smoke (...)".  --print and --markdown read only the JSON, so
# their output is the same on any machine at any time.

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys

from benchplot import plot

SCENARIOS = [
    ("a", "one CPU, alloc+free pairs"),
    ("b", "one CPU, 64 allocs then 64 frees"),
    ("c", "every CPU at once, per-CPU cost"),
    ("d", "alloc on one CPU, free on another (busy time); labyrinth's remote_frees checked"),
    ("e", "hardirq context, alloc+free pairs"),
    ("f", "single-alloc latency, p50, less the get_cycles() pair's own p50"),
    ("g", "success rate once alloc_page(GFP_ATOMIC) fails, tries above every reserve"),
    ("h", "bursts of 64 after 30 ms idle, grant cost per page"),
    ("a_zeroing", "scenario a with init_on_alloc=1 (Debian's default)"),
    ("h_zeroing", "scenario h with init_on_alloc=1 (Debian's default)"),
]

# The baseline of every ratio.
BASE = "labyrinth_pool"

# The floor, described as in bench/labyrinth_bench.ko's top comment.
FLOOR_TEXT = ("no allocator: two noinline calls on this CPU's state, reached through a "
              "per-CPU pointer: an array pop and one atomic bit set, one atomic bit clear "
              "and an array push (the native floor's definition, per-thread state there)")

ALLOCATORS = [
    # name, column header, meaning
    ("labyrinth_pool", "lab_pool", "labyrinth per-client pool (labyrinth_pool_create()): "
     "the baseline of every ratio"),
    ("labyrinth", "labyrinth", "labyrinth default pool (the exported alloc/free wrapper)"),
    ("labyrinth_bulk", "lab_bulk", "labyrinth bulk calls, 64 pages a call (b, d)"),
    ("labyrinth_steal", "lab_steal", "labyrinth grant that must steal from another CPU (f)"),
    ("labyrinth_single_owner", "lab_single", "labyrinth pool, LABYRINTH_POOL_SINGLE_OWNER (a, h)"),
    ("labyrinth_no_wipe", "lab_nowipe", "labyrinth pool, LABYRINTH_POOL_NO_WIPE (a, h)"),
    ("alloc_page", "alloc_page", "alloc_page(GFP_ATOMIC) + __free_page"),
    ("page_pool", "page_pool", "page_pool, BH disabled, direct recycle"),
    ("mempool", "mempool", "mempool_alloc(GFP_ATOMIC): buddy first, then reserve"),
    ("mempool_reserve", "mp_reserve", "mempool_alloc_preallocated: reserve only"),
    ("objpool", "objpool", "objpool of objects carrying a page"),
    ("floor", "floor", FLOOR_TEXT + " (a)"),
]

# One colour per allocator, the same in every plot.
# Allocators whose pool's remote_frees scenario d checks.
REMOTE_CHECKED = ["labyrinth", "labyrinth_pool", "labyrinth_bulk"]

COMMON = ["labyrinth", "labyrinth_pool", "alloc_page", "page_pool", "mempool",
          "mempool_reserve", "objpool"]
H_ALLOCS = ["labyrinth", "labyrinth_pool", "labyrinth_no_wipe", "labyrinth_single_owner",
            "alloc_page", "page_pool"]
EXPECTED = {
    "a": COMMON + ["floor", "labyrinth_single_owner", "labyrinth_no_wipe"],
    "b": COMMON + ["labyrinth_bulk"],
    "c": COMMON,
    "d": COMMON + ["labyrinth_bulk"],
    "e": COMMON,
    "f": COMMON + ["labyrinth_steal"],
    "g": COMMON,
    "h": H_ALLOCS,
    "a_zeroing": COMMON + ["floor", "labyrinth_single_owner", "labyrinth_no_wipe"],
    "h_zeroing": H_ALLOCS,
}
# Results that must say "n/a": the allocator's contract forbids the context.
EXPECTED_NA = {("e", "page_pool")}

MARKER = re.compile(r"LABYRINTH-BENCH(-INFO|-END|-PROGRESS)? (.*)$")


def parse_guest(path, rename):
    """Records, info and end objects of one guest's serial log."""
    records, info, end, problems = [], None, None, []
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError as e:
        return records, info, end, ["cannot read %s: %s" % (path, e)]
    for line in lines:
        if line.startswith("dmesg| "):
            continue
        i = line.find("LABYRINTH-BENCH")
        if i < 0:
            continue
        m = MARKER.match(line[i:])
        if not m or m.group(1) == "-PROGRESS":
            continue
        try:
            obj = json.loads(m.group(2))
        except ValueError:
            problems.append("unparsable line in %s: %s" % (os.path.basename(path), line[i:][:80]))
            continue
        if m.group(1) == "-INFO":
            info = obj
        elif m.group(1) == "-END":
            end = obj
        else:
            if rename:
                obj["scenario"] = rename.get(obj["scenario"], obj["scenario"])
            records.append(obj)
    if info is None:
        problems.append("no LABYRINTH-BENCH-INFO line in %s" % os.path.basename(path))
    if end is None:
        problems.append("no LABYRINTH-BENCH-END line in %s" % os.path.basename(path))
    return records, info, end, problems


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                             text=True, check=False).stdout
        return out.splitlines()[0] if out else "unknown"
    except OSError:
        return "unknown"


def git_source(top):
    def git(*args):
        return subprocess.run(["git", "-C", top] + list(args), capture_output=True,
                              text=True, check=False).stdout.strip()
    commit = git("rev-parse", "HEAD")
    # the run's own outputs under bench/results/ do not make the tree dirty
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                     ":(exclude)bench/results"))
    return {"commit": commit or None, "dirty": dirty}


EXTRA_KEYS = ["cycles", "alone", "alone_min", "alone_max", "all_over_one", "alloc_side",
              "free_side", "wall", "wall_min", "wall_max", "p99", "p999", "ratio_p99",
              "free_p50", "free_p99", "cycles_p50", "cycles_p99", "cycles_p999",
              "cycles_max", "samples", "steals", "ok", "tried", "reserve", "runs",
              "pages_per_run", "fails", "touch", "touch_max", "grant_touch",
              "ratio_grant_touch", "bursts", "idle_ms", "remote_frees",
              "remote_frees_expected", "timer_overhead_ns", "timer_overhead_p99_ns",
              "timer_overhead_cycles", "timer_subtracted", "hog_pages", "buddy_exhausted"]


def normalise(rec):
    """One record of latest.json from one LABYRINTH-BENCH line."""
    out = {
        "scenario": rec["scenario"],
        "allocator": rec["allocator"],
        "status": rec.get("status"),
        "unit": rec.get("unit"),
        "median": rec.get("median"),
        "spread": {"min": rec.get("min"), "max": rec.get("max")}
        if rec.get("status") == "ok" else None,
        "ratio_to_pool": rec.get("ratio"),
    }
    if "ratio_min" in rec:
        # median of the run-by-run ratios, runs interleaved with the pool's
        out["ratio_spread"] = {"min": rec["ratio_min"], "max": rec["ratio_max"]}
    extra = {k: rec[k] for k in EXTRA_KEYS if k in rec}
    if rec["scenario"] == "g" and rec.get("status") == "ok" and rec.get("tried"):
        extra["rate"] = round(rec["ok"] / rec["tried"], 4)
    if extra:
        out["extra"] = extra
    if rec.get("note"):
        out["note"] = rec["note"]
    return out


def fmt_ratio(rec):
    if rec is None:
        return "-"
    if rec["status"] == "n/a":
        return "n/a"
    if rec["status"] != "ok":
        return "FAIL"
    r = rec.get("ratio_to_pool")
    return "-" if r is None else "%.2f" % r


def fmt_value(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    return "%.2f" % v


def fmt_median(rec):
    if rec is None:
        return "-"
    if rec["status"] == "n/a":
        return "n/a"
    if rec["status"] != "ok":
        return "FAIL"
    return fmt_value(rec["median"])


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    lines = ["  ".join(str(h).rjust(w) if i else str(h).ljust(w)
                       for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def source_label(doc):
    """'commit abc123def456, clean tree' or '..., DIRTY TREE'."""
    src = doc.get("source") or {}
    commit = (src.get("commit") or "unknown")[:12]
    return "commit %s, %s" % (commit, "DIRTY TREE" if src.get("dirty") else "clean tree")


def boot_label(g):
    """'main: 6.12.x, init_on_alloc=0' for one guest run."""
    info = g.get("info") or {}
    return "%s: %s, init_on_alloc=%s" % (g.get("name"), info.get("kernel", "?"),
                                          info.get("init_on_alloc", "?"))


def render(doc):
    """The human table, as text, from the JSON document alone."""
    records, native = doc.get("records", []), doc.get("native")
    machine = (doc.get("machine") or {}).get("guest", "")
    by = {(r["scenario"], r["allocator"]): r for r in records}
    cols = [a for a in ALLOCATORS if any(k[1] == a[0] for k in by)]
    headers = ["scenario"] + [c[1] for c in cols]
    txt = []
    dirty = bool((doc.get("source") or {}).get("dirty"))
    txt.append("%slabyrinth vs peers, measured side by side in one boot; %s."
               % ("DIRTY TREE: " if dirty else "", source_label(doc)))
    if "TCG" in machine:
        txt.append("Guest times are EMULATED (TCG) time, never native: "
                   "compare the ratios, not the ns.")
    else:
        txt.append("Measured on %s." % machine)
    for g in doc.get("guest_runs", []):
        txt.append("Boot %s" % boot_label(g))
        if g.get("qemu_argv"):
            txt.append("  QEMU: %s" % " ".join(g["qemu_argv"]))
        txt.append("  kernel command line: %s" % (g.get("kernel_cmdline") or g.get("kernel_args")))
    checks = doc.get("checks")
    if checks is not None:
        txt.append("Checks: %s" % ("pass" if checks.get("passed") else
                                   "FAIL (%d problems: %s)" % (len(checks.get("problems", [])),
                                                               "; ".join(checks["problems"]))))
    txt.append("")
    txt.append("Ratio to labyrinth_pool, a labyrinth pool of the bench's own, in the same boot "
               "(peer / lab_pool);")
    txt.append("the labyrinth column is the default pool through its exported wrapper.")
    txt.append("a-f and h are costs: above 1 the peer is slower than the pool, below 1 faster.")
    txt.append("g is the success rate under memory pressure: below 1 the peer failed more often.")
    rows = []
    for sid, what in SCENARIOS:
        if not any(k[0] == sid for k in by):
            continue
        rows.append([sid] + [fmt_ratio(by.get((sid, c[0]))) for c in cols])
        if sid == "f":
            rows.append(["f p99"] + [
                "-" if by.get(("f", c[0])) is None or by[("f", c[0])]["status"] != "ok"
                else "%.2f" % by[("f", c[0])]["extra"]["ratio_p99"] for c in cols])
    txt.append(table(rows, headers))
    txt.append("")
    txt.append("Medians (%s; min-max spread over the runs in the JSON):"
               % ("emulated TCG time" if "TCG" in machine else "kernel time"))
    rows = []
    for sid, what in SCENARIOS:
        if not any(k[0] == sid for k in by):
            continue
        unit = next((by[k]["unit"] for k in sorted(by) if k[0] == sid and by[k]["unit"]), "")
        rows.append(["%s %s" % (sid, unit)] + [fmt_median(by.get((sid, c[0]))) for c in cols])
    txt.append(table(rows, headers))
    txt.append("")
    rows = []

    def ok(r):
        return r is not None and r["status"] == "ok"
    for c in cols:
        rc, rd, rf, rg = (by.get((s, c[0])) for s in "cdfg")
        rows.append([
            c[1],
            "%.2f" % rc["extra"]["all_over_one"] if ok(rc) else "-",
            "%s / %s" % (fmt_value(rd["extra"]["alloc_side"]), fmt_value(rd["extra"]["free_side"]))
            if ok(rd) else "-",
            "%s/%s" % (rd["extra"]["remote_frees"], rd["extra"]["remote_frees_expected"])
            if rd is not None and "remote_frees" in rd.get("extra", {}) else "-",
            "%s / %s" % (fmt_value(rf["extra"]["p99"]), fmt_value(rf["extra"]["p999"]))
            if ok(rf) else "-",
            fmt_value(rf["extra"]["free_p50"]) if ok(rf) else "-",
            "%d/%d (%.0f %%)" % (rg["extra"]["ok"], rg["extra"]["tried"], rg["median"])
            if ok(rg) else "-",
        ])
    txt.append("Details: c = per-CPU cost with all CPUs / one CPU alone; d = busy ns per page on the")
    txt.append("allocating / freeing CPU, and the pool's remote_frees rise / pages freed remotely;")
    txt.append("f = alloc p99 / p99.9 ns and free p50 ns, net of the timer; g = successes of the tries.")
    txt.append(table(rows, ["allocator", "c all/one", "d alloc / free", "d remote",
                            "f p99 / p99.9", "f free p50", "g ok"]))
    rf = next((by[k] for k in sorted(by) if k[0] == "f" and ok(by[k])), None)
    if rf is not None and "timer_overhead_ns" in rf.get("extra", {}):
        txt.append("f: the get_cycles() pair around an empty body costs %s ns p50 (%s cycles), "
                   "%s ns p99;" % (fmt_value(rf["extra"]["timer_overhead_ns"]),
                                   rf["extra"]["timer_overhead_cycles"],
                                   fmt_value(rf["extra"]["timer_overhead_p99_ns"])))
        txt.append("   its p50 is subtracted from every f percentile above.")
    rg = next((by[k] for k in sorted(by) if k[0] == "g" and "hog_pages" in by[k].get("extra", {})),
              None)
    if rg is not None:
        ex = [by[k]["extra"].get("buddy_exhausted") for k in sorted(by) if k[0] == "g"]
        txt.append("g: the hog held %s pages before the first peer's tries; alloc_page(GFP_ATOMIC) "
                   "failed before %d of %d peers' tries." % (rg["extra"]["hog_pages"],
                                                            sum(1 for e in ex if e), len(ex)))
    txt.append("")
    hrows = []
    for c in cols:
        cells = []
        for sid in ("h", "h_zeroing"):
            r = by.get((sid, c[0]))
            if r is None or r["status"] != "ok":
                cells += ["-", "-", "-"]
                continue
            cells += [fmt_value(r["median"]), fmt_value(r["extra"]["touch"]),
                      fmt_value(r["extra"]["grant_touch"])]
        if any(x != "-" for x in cells):
            hrows.append([c[1]] + cells)
    if hrows:
        txt.append("Scenario h, bursts of 64 after an idle spell, medians over the bursts in ns per "
                   "page: the grant, the first write of the")
        txt.append("whole page, and the two together; init_on_alloc=0 boot, then init_on_alloc=1.")
        txt.append(table(hrows, ["allocator", "h grant", "h touch", "h both",
                                 "h_z grant", "h_z touch", "h_z both"]))
        txt.append("")
    txt.append("Allocators: " + "; ".join("%s = %s" % (c[1], c[2]) for c in cols) + ".")
    txt.append("Scenarios: " + "; ".join("%s = %s" % s for s in SCENARIOS) + ".")
    if native is not None:
        txt.append("")
        txt.append("Native (user-space build of the pool, scripts/native.sh --full), real ns:")
        recs = native.get("records", []) if isinstance(native, dict) else native
        rows = []
        for r in recs:
            rows.append([r.get("scenario", "?"), r.get("threads", "?"),
                         fmt_value(r.get("ns_per_pair")),
                         "%s-%s" % (fmt_value(r.get("min")), fmt_value(r.get("max"))),
                         "-" if r.get("ratio_to_floor") is None
                         else "%.2f" % r["ratio_to_floor"]])
        if rows:
            txt.append(table(rows, ["scenario", "threads", "ns/pair", "min-max", "x floor"]))
        else:
            txt.append("(no records in the native JSON)")
    else:
        txt.append("")
        txt.append("Native figures: %s" % (doc.get("native_note") or "none"))
    return "\n".join(txt)


def markdown(doc):
    """A compact Markdown table of the ratios to the pool, for the README."""
    by = {(r["scenario"], r["allocator"]): r for r in doc.get("records", [])}
    cols = [a for a in ALLOCATORS if a[0] != BASE and any(k[1] == a[0] for k in by)]
    boots = "; ".join(boot_label(g) for g in doc.get("guest_runs", []))
    out = ["Ratio to `labyrinth_pool` in the same boot (%s; %s; g: success rate, other rows: cost)."
           % (source_label(doc), boots), ""]
    out.append("| scenario | " + " | ".join(c[1] for c in cols) + " |")
    out.append("|---" * (len(cols) + 1) + "|")
    for sid, _ in SCENARIOS:
        if not any(k[0] == sid for k in by):
            continue
        out.append("| %s | " % sid + " | ".join(fmt_ratio(by.get((sid, c[0]))) for c in cols)
                   + " |")
    return "\n".join(out)


def check(doc, smoke):
    """Every problem the records show: expected results, n/a, d's and g's own checks."""
    records, guests = doc["records"], doc["guest_runs"]
    problems = []
    by = {(r["scenario"], r["allocator"]): r for r in records}
    ran = {r["scenario"] for r in records}
    for sid, allocs in EXPECTED.items():
        if sid not in ran and not smoke and sid in ("a_zeroing", "h_zeroing") and \
                not any(g["name"] == "zeroing" for g in guests):
            continue
        for a in allocs:
            r = by.get((sid, a))
            if r is None:
                problems.append("missing %s/%s" % (sid, a))
            elif (sid, a) in EXPECTED_NA:
                if r["status"] != "n/a":
                    problems.append("%s/%s should be n/a" % (sid, a))
            elif r["status"] != "ok":
                problems.append("%s/%s %s: %s" % (sid, a, r["status"], r.get("note", "")))
            elif r.get("ratio_to_pool") is None:
                problems.append("%s/%s has no ratio to the pool" % (sid, a))
    for a in REMOTE_CHECKED:
        r = by.get(("d", a))
        if r is None or r["status"] == "n/a":
            continue
        ex = r.get("extra", {})
        if "remote_frees" not in ex:
            problems.append("d/%s: no remote_frees recorded" % a)
        elif ex["remote_frees"] != ex["remote_frees_expected"] or not ex["remote_frees"]:
            problems.append("d/%s: remote_frees rose by %s, %s pages were freed remotely"
                            % (a, ex["remote_frees"], ex["remote_frees_expected"]))
    for (sid, a), r in sorted(by.items()):
        ex = r.get("extra", {})
        if sid == "g" and r["status"] == "ok":
            if ex.get("buddy_exhausted") is not True:
                problems.append("g/%s: the page allocator was not exhausted" % a)
            if a != "alloc_page" and not ex.get("tried", 0) > ex.get("reserve", 0):
                problems.append("g/%s: %s tries do not exceed its reserve of %s"
                                % (a, ex.get("tried"), ex.get("reserve")))
        if sid == "f" and r["status"] == "ok" and not ex.get("timer_subtracted"):
            problems.append("f/%s: timer overhead not measured and subtracted" % a)
    return problems


def read_argv(path):
    """QEMU's argv as qemu-lib.sh's qemu_boot_once wrote it, one word a line."""
    try:
        with open(path) as f:
            return f.read().split("\n")[:-1]
    except OSError:
        return None


def write_json(doc, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", action="append", default=[],
                    help="name:log:kernel-args of one guest boot")
    ap.add_argument("--qemu-argv", action="append", default=[],
                    help="name:file: the QEMU argv of that guest, one word a line")
    ap.add_argument("--native")
    ap.add_argument("--native-note")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--print", dest="print_json", metavar="JSON",
                    help="print the table of a stored JSON and nothing else")
    ap.add_argument("--markdown", metavar="JSON",
                    help="print a Markdown table of a stored JSON's ratios")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--problem", action="append", default=[])
    ap.add_argument("--loadavg", default=None)
    ap.add_argument("--machine", default="QEMU TCG guest",
                    help="what ran the module, e.g. 'bare metal' for a dmesg of real hardware")
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()

    if args.print_json or args.markdown:
        with open(args.print_json or args.markdown) as f:
            stored = json.load(f)
        print(render(stored) if args.print_json else markdown(stored))
        return 0
    if not args.json or not args.png:
        ap.error("--json and --png are required unless --print or --markdown is given")

    problems = list(args.problem)
    records, guests = [], []
    argv = dict(spec.split(":", 1) for spec in args.qemu_argv)
    for spec in args.guest:
        name, log, kargs = spec.split(":", 2)
        rename = {"a": "a_zeroing", "h": "h_zeroing"} if name == "zeroing" else None
        recs, info, end, probs = parse_guest(log, rename)
        problems += probs
        records += [normalise(r) for r in recs]
        run = {"name": name, "kernel_args": kargs, "info": info, "end": end,
               "log": os.path.relpath(log, args.top)}
        if name in argv:
            words = read_argv(argv[name])
            if words is None:
                problems.append("%s guest: no QEMU argv in %s" % (name, argv[name]))
            else:
                run["qemu_argv"] = words
                if "-append" in words[:-1]:
                    run["kernel_cmdline"] = words[words.index("-append") + 1]
        guests.append(run)

    native, native_note = None, args.native_note
    if args.native and os.path.exists(args.native):
        try:
            with open(args.native) as f:
                native = json.load(f)
        except ValueError as e:
            native_note = "native JSON unreadable: %s" % e

    info = next((g["info"] for g in guests if g["info"]), {}) or {}
    doc = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "smoke" if args.smoke else "full",
        "machine": {
            "host_cpu": host_cpu(),
            "host_cpus": os.cpu_count(),
            "host_kernel": platform.release(),
            "host_loadavg_at_start": args.loadavg,
            "host_loadavg_at_end": loadavg(),
            "guest": args.machine,
            "qemu": qemu_version(),
            "guest_cpus": info.get("cpus_online"),
            "guest_ram_pages": info.get("ram_pages"),
            "kernel": info.get("kernel"),
            "note": "guest figures are emulated time under QEMU TCG: compare ratios measured "
                    "in the same boot, never the ns; native figures are under 'native'"
                    if "TCG" in args.machine else "kernel figures measured on " + args.machine,
        },
        "source": git_source(args.top),
        "baseline": BASE,
        "scenarios": {s: w for s, w in SCENARIOS},
        "allocators": {a: m for a, _, m in ALLOCATORS},
        "guest_runs": guests,
        "records": records,
        "native": native,
    }
    if native_note:
        doc["native_note"] = native_note

    # the checks run first; their verdict goes into the JSON
    problems += check(doc, args.smoke)
    doc["checks"] = {"passed": not problems, "problems": problems}

    out_json, out_png = args.json, args.png
    if problems and not args.smoke:
        # a failed full run never replaces latest: it is kept apart
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = "%s-%s" % ((doc["source"].get("commit") or "unknown")[:12], stamp)
        failed = os.path.join(os.path.dirname(os.path.abspath(args.json)), "failed")
        out_json = os.path.join(failed, base + ".json")
        out_png = os.path.join(failed, base + ".png")
    write_json(doc, out_json)

    print(render(doc))
    print("\nJSON: %s" % os.path.relpath(out_json, args.top))

    gnuplot = shutil.which("gnuplot")
    if gnuplot:
        err = plot(doc, os.path.abspath(out_png), gnuplot, ALLOCATORS, BASE)
    else:
        err = "gnuplot not installed (scripts/setup.sh installs gnuplot-nox)"
    if err:
        # after the JSON: a plot problem fails the run without a verdict change
        print("bench: problem: plot: %s" % err)
    else:
        print("PNG:  %s" % os.path.relpath(out_png, args.top))

    if args.smoke:
        if problems or err:
            allp = problems + (["plot: " + err] if err else [])
            shown = "; ".join(allp[:6]) + ("; ..." if len(allp) > 6 else "")
            print("FAIL: bench smoke (%s)" % shown)
            return 1
        print("PASS: bench smoke")
        return 0
    for p in problems:
        print("bench: problem: %s" % p)
    if problems:
        print("bench: checks failed: %s kept apart, %s not replaced"
              % (os.path.relpath(out_json, args.top), os.path.relpath(args.json, args.top)))
    return 1 if problems or err else 0


if __name__ == "__main__":
    sys.exit(main())
