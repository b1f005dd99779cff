# SPDX-License-Identifier: GPL-2.0
"""The plot of scripts/bench-report.py: grouped bars of every peer's cost
over labyrinth_pool's in one boot, log scale, one fixed colour per
allocator, the scenarios named on the axis and the boot in the title."""

import os
import subprocess
import tempfile

COLOURS = {
    "labyrinth": "#1f77b4",
    "labyrinth_bulk": "#17becf",
    "labyrinth_steal": "#9467bd",
    "labyrinth_single_owner": "#8c564b",
    "labyrinth_no_wipe": "#e377c2",
    "alloc_page": "#d62728",
    "page_pool": "#2ca02c",
    "mempool": "#ff7f0e",
    "mempool_reserve": "#bcbd22",
    "objpool": "#7f7f7f",
    "floor": "#000000",
    "labyrinth_pool": "#aec7e8",
}

# Scenario labels on the plot's axis: (scenario, label, ratio key).
PLOT_GROUPS = [
    ("a", "a pairs", "ratio_to_pool"),
    ("b", "b bulk64", "ratio_to_pool"),
    ("c", "c all CPUs", "ratio_to_pool"),
    ("d", "d cross-CPU", "ratio_to_pool"),
    ("e", "e hardirq", "ratio_to_pool"),
    ("f", "f p50", "ratio_to_pool"),
    ("f", "f p99", "ratio_p99"),
    ("h", "h bursts", "ratio_to_pool"),
    ("a_zeroing", "a init_on_alloc", "ratio_to_pool"),
    ("h_zeroing", "h init_on_alloc", "ratio_to_pool"),
]


def plot_title(doc):
    boots = []
    for g in doc.get("guest_runs", []):
        info = g.get("info") or {}
        boots.append("%s boot init_on_alloc=%s" % (g.get("name"), info.get("init_on_alloc", "?")))
    kernels = sorted({(g.get("info") or {}).get("kernel", "?") for g in doc.get("guest_runs", [])})
    src = doc.get("source") or {}
    return ("Cost of a page relative to labyrinth_pool, same boot (above 1: slower than the pool)"
            "\\nkernel %s; %s; commit %s%s" % (", ".join(kernels), ", ".join(boots),
                                              (src.get("commit") or "unknown")[:12],
                                              " DIRTY TREE" if src.get("dirty") else ""))


def plot(doc, png, gnuplot, allocators, base):
    """Grouped bars of the cost ratios to the pool, log scale."""
    records = doc.get("records", [])
    by = {(r["scenario"], r["allocator"]): r for r in records}
    cols = [a for a in allocators if a[0] != base and any(k[1] == a[0] for k in by)]
    values = []
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "ratios.dat")
        with open(dat, "w") as f:
            f.write("scenario " + " ".join(c[0] for c in cols) + "\n")
            for sid, label, key in PLOT_GROUPS:
                if not any(k[0] == sid for k in by):
                    continue
                cells = []
                for c in cols:
                    r = by.get((sid, c[0]))
                    v = None
                    if r is not None and r["status"] == "ok":
                        v = r.get(key) if key == "ratio_to_pool" \
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
        plots = ", ".join("'%s' using %d:xtic(1) title columnheader(%d) linecolor rgb \"%s\""
                          % (dat, i + 2, i + 2, COLOURS.get(c[0], "#444444"))
                          for i, c in enumerate(cols))
        with open(script, "w") as f:
            f.write("""set terminal pngcairo size 1500,760 font "sans,10" noenhanced
set output '%s'
set title "%s"
set ylabel "peer / labyrinth_pool (log scale)"
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
set label "labyrinth_pool = 1" at graph 0.005, first 1.15
plot %s
""" % (png, plot_title(doc), lo, hi, plots))
        res = subprocess.run([gnuplot, script], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            return "gnuplot failed: " + res.stderr.strip()[:300]
    return None
