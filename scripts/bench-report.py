#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Turn the serial logs of scripts/bench.sh's guests (LABYRINTH-BENCH lines
# printed by bench/labyrinth_bench.ko) and the native harness's JSON into
# bench/results/latest.json, a PNG of the ratios, and the printed table.
# Called by scripts/bench.sh; not meant to be run by hand, though it can be:
#
#   bench-report.py --guest main:LOG:"kernel args" [--guest zeroing:LOG:"..."]
#                   [--native JSON] --json OUT --png OUT [--smoke]
#                   [--problem TEXT]...
#
# With --smoke it checks that every expected (scenario, allocator) result is
# present and prints one "PASS: bench smoke" or "FAIL: bench smoke (...)".

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

SCENARIOS = [
    ("a", "one CPU, alloc+free pairs"),
    ("b", "one CPU, 64 allocs then 64 frees"),
    ("c", "every CPU at once, per-CPU cost"),
    ("d", "alloc on one CPU, free on another (busy time)"),
    ("e", "hardirq context, alloc+free pairs"),
    ("f", "single-alloc latency, p50"),
    ("g", "success rate under memory pressure"),
    ("h", "bursts of 64 after 30 ms idle, grant cost per page"),
    ("a_zeroing", "scenario a with init_on_alloc=1 (Debian's default)"),
    ("h_zeroing", "scenario h with init_on_alloc=1 (Debian's default)"),
]

ALLOCATORS = [
    # name, column header, meaning
    ("labyrinth", "labyrinth", "labyrinth default pool (exported alloc/free)"),
    ("labyrinth_pool", "lab_pool", "labyrinth per-client pool"),
    ("labyrinth_bulk", "lab_bulk", "labyrinth bulk calls, 64 pages a call (b, d)"),
    ("labyrinth_steal", "lab_steal", "labyrinth grant that must steal from another CPU (f)"),
    ("labyrinth_single_owner", "lab_single", "labyrinth pool, LABYRINTH_POOL_SINGLE_OWNER (a, h)"),
    ("labyrinth_no_wipe", "lab_nowipe", "labyrinth pool, LABYRINTH_POOL_NO_WIPE (a, h)"),
    ("alloc_page", "alloc_page", "alloc_page(GFP_ATOMIC) + __free_page"),
    ("page_pool", "page_pool", "page_pool, BH disabled, direct recycle"),
    ("mempool", "mempool", "mempool_alloc(GFP_ATOMIC): buddy first, then reserve"),
    ("mempool_reserve", "mp_reserve", "mempool_alloc_preallocated: reserve only"),
    ("objpool", "objpool", "objpool of objects carrying a page"),
    ("floor", "floor", "no allocator: array pop/push + one atomic bit set and clear (a)"),
]

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
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit or None, "dirty": dirty}


EXTRA_KEYS = ["cycles", "alone", "alone_min", "alone_max", "all_over_one", "alloc_side",
              "free_side", "wall", "wall_min", "wall_max", "p99", "p999", "ratio_p99",
              "free_p50", "free_p99", "cycles_p50", "cycles_p99", "cycles_p999",
              "cycles_max", "samples", "steals", "ok", "tried", "reserve", "runs",
              "pages_per_run", "fails", "touch", "touch_max", "grant_touch",
              "ratio_grant_touch", "bursts", "idle_ms"]


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
        "ratio_to_labyrinth": rec.get("ratio"),
    }
    if "ratio_min" in rec:
        # median of the run-by-run ratios, runs interleaved with labyrinth's
        out["ratio_spread"] = {"min": rec["ratio_min"], "max": rec["ratio_max"]}
    extra = {k: rec[k] for k in EXTRA_KEYS if k in rec}
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
    r = rec.get("ratio_to_labyrinth")
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


def render(records, native, machine):
    """The human table, as text."""
    by = {(r["scenario"], r["allocator"]): r for r in records}
    cols = [a for a in ALLOCATORS if any(k[1] == a[0] for k in by)]
    headers = ["scenario"] + [c[1] for c in cols]
    txt = []
    if "TCG" in machine:
        txt.append("labyrinth vs peers, measured side by side in one QEMU guest "
                   "(TCG, -smp 2, -m 1024).")
        txt.append("Guest times are EMULATED (TCG) time, never native: "
                   "compare the ratios, not the ns.")
    else:
        txt.append("labyrinth vs peers, measured side by side in one boot on %s." % machine)
    txt.append("")
    txt.append("Ratio to labyrinth's default pool in the same boot (peer / labyrinth).")
    txt.append("a-f are costs: above 1 the peer is slower than labyrinth, below 1 it is faster.")
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
        unit = next((by[k]["unit"] for k in by if k[0] == sid and by[k]["unit"]), "")
        rows.append(["%s %s" % (sid, unit)] + [fmt_median(by.get((sid, c[0]))) for c in cols])
    txt.append(table(rows, headers))
    txt.append("")
    rows = []
    for c in cols:
        rc, rd, rf, rg = (by.get((s, c[0])) for s in "cdfg")
        ok = lambda r: r is not None and r["status"] == "ok"  # noqa: E731
        rows.append([
            c[1],
            "%.2f" % rc["extra"]["all_over_one"] if ok(rc) else "-",
            "%s / %s" % (fmt_value(rd["extra"]["alloc_side"]), fmt_value(rd["extra"]["free_side"]))
            if ok(rd) else "-",
            "%s / %s" % (fmt_value(rf["extra"]["p99"]), fmt_value(rf["extra"]["p999"]))
            if ok(rf) else "-",
            fmt_value(rf["extra"]["free_p50"]) if ok(rf) else "-",
            "%d/%d" % (rg["extra"]["ok"], rg["extra"]["tried"]) if ok(rg) else "-",
        ])
    txt.append("Details: c = per-CPU cost with all CPUs / one CPU alone; d = busy ns per page on the")
    txt.append("allocating / freeing CPU; f = alloc p99 / p99.9 ns and free p50 ns; g = successes.")
    txt.append(table(rows, ["allocator", "c all/one", "d alloc / free", "f p99 / p99.9",
                            "f free p50", "g ok"]))
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
    return "\n".join(txt)


def plot(records, png, gnuplot):
    """Grouped bars of the cost ratios (a-f, a_zeroing), log scale."""
    by = {(r["scenario"], r["allocator"]): r for r in records}
    groups = []
    for sid, _ in SCENARIOS:
        if sid == "g":
            continue
        groups.append((sid, sid, "ratio_to_labyrinth"))
        if sid == "f":
            groups.append(("f", "f p99", "ratio_p99"))
    cols = [a for a in ALLOCATORS if a[0] != "labyrinth" and any(k[1] == a[0] for k in by)]
    values = []
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "ratios.dat")
        with open(dat, "w") as f:
            f.write("scenario " + " ".join(c[0] for c in cols) + "\n")
            for sid, label, key in groups:
                if not any(k[0] == sid for k in by):
                    continue
                cells = []
                for c in cols:
                    r = by.get((sid, c[0]))
                    v = None
                    if r is not None and r["status"] == "ok":
                        v = r.get(key) if key == "ratio_to_labyrinth" \
                            else r.get("extra", {}).get(key)
                    if v:
                        values.append(v)
                    cells.append("%.4f" % v if v else "?")
                f.write('"%s" %s\n' % (label, " ".join(cells)))
        if not values:
            return "no ratios to plot"
        lo = min(min(values) / 1.5, 0.5)
        hi = max(max(values) * 1.5, 2)
        script = os.path.join(tmp, "plot.gp")
        with open(script, "w") as f:
            f.write("""set terminal pngcairo size 1400,720 font "sans,10" noenhanced
set output '%s'
set title "Cost of a page relative to labyrinth's default pool, same QEMU TCG boot (above 1: the peer is slower)"
set ylabel "peer / labyrinth (log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [%g:%g]
set grid ytics
set key outside right top vertical
set datafile missing "?"
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 2 linecolor rgb "black"
set label "labyrinth = 1" at graph 0.005, first 1.08
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (png, lo, hi, len(cols) + 1, dat))
        res = subprocess.run([gnuplot, script], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            return "gnuplot failed: " + res.stderr.strip()[:300]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", action="append", default=[],
                    help="name:log:kernel-args of one guest boot")
    ap.add_argument("--native")
    ap.add_argument("--native-note")
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--problem", action="append", default=[])
    ap.add_argument("--loadavg", default=None)
    ap.add_argument("--machine", default="QEMU TCG guest",
                    help="what ran the module, e.g. 'bare metal' for a dmesg of real hardware")
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()

    problems = list(args.problem)
    records, guests = [], []
    for spec in args.guest:
        name, log, kargs = spec.split(":", 2)
        rename = {"a": "a_zeroing", "h": "h_zeroing"} if name == "zeroing" else None
        recs, info, end, probs = parse_guest(log, rename)
        problems += probs
        records += [normalise(r) for r in recs]
        guests.append({"name": name, "kernel_args": kargs, "info": info, "end": end,
                       "log": os.path.relpath(log, args.top)})

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
        "scenarios": {s: w for s, w in SCENARIOS},
        "allocators": {a: m for a, _, m in ALLOCATORS},
        "guest_runs": guests,
        "records": records,
        "native": native,
    }
    if native_note:
        doc["native_note"] = native_note

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.json)

    print(render(records, native, args.machine))
    if native is None:
        print("\nNative figures: %s" % (native_note or "none"))
    print("\nJSON: %s" % os.path.relpath(args.json, args.top))

    gnuplot = shutil.which("gnuplot")
    if gnuplot:
        err = plot(records, os.path.abspath(args.png), gnuplot)
    else:
        err = "gnuplot not installed (scripts/setup.sh installs gnuplot-nox)"
    if err:
        problems.append("plot: " + err)
    else:
        print("PNG:  %s" % os.path.relpath(args.png, args.top))

    # every expected result present, n/a exactly where the contract says so
    by = {(r["scenario"], r["allocator"]): r for r in records}
    ran = {r["scenario"] for r in records}
    for sid, allocs in EXPECTED.items():
        if sid not in ran and not args.smoke and sid == "a_zeroing" and \
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
            elif r.get("ratio_to_labyrinth") is None:
                problems.append("%s/%s has no ratio" % (sid, a))

    if args.smoke:
        if problems:
            shown = "; ".join(problems[:6]) + ("; ..." if len(problems) > 6 else "")
            print("FAIL: bench smoke (%s)" % shown)
            return 1
        print("PASS: bench smoke")
        return 0
    for p in problems:
        print("bench: problem: %s" % p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
