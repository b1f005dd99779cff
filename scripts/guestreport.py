# SPDX-License-Identifier: GPL-2.0
"""What the guest-run reports of scripts/bench-nolock-report.py and
scripts/bench-dma-report.py share: reading a guest's serial log (the
module's LABYRINTH-<TAG> JSON lines, kernel splats, DMAR faults, the guest
init's check lines), the checks every run gets, the ratio format, and
writing and reading the stored JSON (ratios as (value, note) pairs in
memory, {"ratio", "note"} objects on disk)."""

import argparse
import datetime
import json
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLAT = re.compile(r"WARNING:|BUG:|Oops|Kernel panic|Call Trace|sleeping function called"
                   r"|possible (recursive|circular) locking|lockdep|Uhhuh\. NMI")
DMAR_FAULT = re.compile(r"DMAR: \[DMA|DMAR: DRHD: handling fault")


class GuestLog:
    """One serial log: the module's lines (not the end-of-run dmesg copy)."""

    def __init__(self, path, tag):
        line_rx = re.compile(r"LABYRINTH-%s(-INFO|-END)? (\{.*\})\s*$" % tag)
        self.info, self.end, self.records = None, None, []
        self.splats, self.faults, self.guest, self.cmdline = [], [], [], None
        with open(path, errors="replace") as f:
            for line in f:
                self._line(line.rstrip("\n"), line_rx)

    def _line(self, line, line_rx):
        if DMAR_FAULT.search(line):
            # the same fault on the console and in the dmesg copy: once
            fault = re.sub(r"^(dmesg\| )?(\[[^]]*\] )?", "", line).strip()
            if fault not in self.faults:
                self.faults.append(fault)
        if line.startswith("dmesg| "):
            m = re.search(r"Command line: (.*)", line)
            if m:
                self.cmdline = m.group(1)
            return
        if SPLAT.search(line):
            self.splats.append(line.strip())
        if "LABYRINTH-CHECK" in line or line.startswith("LABYRINTH-DONE"):
            self.guest.append(line[line.index("LABYRINTH-"):])
        m = line_rx.search(line)
        if not m:
            return
        try:
            obj = json.loads(m.group(2))
        except ValueError:
            self.splats.append("unparsable: " + line.strip())
            return
        if m.group(1) == "-INFO":
            self.info = obj
        elif m.group(1) == "-END":
            self.end = obj
        else:
            self.records.append(obj)


def run_problems(run, log, tag, info_hint=""):
    """The checks of every guest run; the caller's own follow."""
    why = []
    if not any(g == "LABYRINTH-DONE" for g in log.guest):
        why.append("guest did not finish (qemu status %s)" % run["rc"])
    why += ["guest check failed: " + g for g in log.guest
            if g.startswith("LABYRINTH-CHECK FAIL")]
    if log.info is None:
        why.append("no LABYRINTH-%s-INFO line%s" % (tag, info_hint))
    if log.end is None:
        why.append("no LABYRINTH-%s-END line" % tag)
    elif log.end.get("failed"):
        why.append("module counted %d failed results" % log.end["failed"])
    return why


def fmt_ratio(v):
    ratio, note = v
    if ratio is None:
        return note
    s = "%.2f" % ratio if ratio < 10 else "%.1f" % ratio
    return s + (" (%s)" % note if note else "")


def ratios_to_json(ratios):
    return {k: {p: {"ratio": None if v[0] is None else round(v[0], 3), "note": v[1]}
                for p, v in row.items()} for k, row in ratios.items()}


def ratios_from_json(ratios):
    return {k: {p: (v["ratio"], v["note"]) for p, v in row.items()}
            for k, row in ratios.items()}


def write_json(path, doc):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def load_stored(path):
    """A stored result file, its ratios back as pairs, and its first line."""
    with open(path) as f:
        doc = json.load(f)
    for run in doc["runs"]:
        run["ratios"] = ratios_from_json(run["ratios"])
    head = "%s: commit %s%s, %s, QEMU %s" % (os.path.relpath(os.path.abspath(path), TOP),
                                           doc["commit"][:12],
                                           " (dirty tree)" if doc["dirty"] else "",
                                           doc["date"], doc["qemu"])
    return doc, head


def parse_args():
    """The arguments scripts/bench-nolock.sh and bench-dma.sh pass."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", default=[],
                    help="kernel|kver|log|qemu status|why it did not run|kernel command line"
                         "|boot arguments")
    ap.add_argument("--commit", required=True)
    ap.add_argument("--dirty", type=int, default=0)
    ap.add_argument("--json", required=True)
    ap.add_argument("--qemu", default="")
    ap.add_argument("--loadavg", default="")
    ap.add_argument("--smoke", action="store_true")
    return ap.parse_args()


def collect_runs(a, tag, problems_of, ratios):
    """Each --run read and checked: problems_of(run, log) and ratios(records)."""
    runs = []
    for spec in a.run:
        kernel, kver, log, rc, why, cmdline, boot = (spec.split("|", 6) + [""] * 7)[:7]
        run = {"kernel": kernel, "kver": kver, "log": log, "rc": rc, "why": why,
               "qemu": (a.qemu + " " + boot).strip() if boot else "",
               "cmdline": cmdline, "info": None, "end": None, "records": [],
               "dmar_faults": 0}
        parsed = None
        if log and os.path.exists(log):
            parsed = GuestLog(log, tag)
            run.update(info=parsed.info, end=parsed.end, records=parsed.records,
                       dmar_faults=len(parsed.faults))
            run["cmdline"] = parsed.cmdline or cmdline
        if run["why"]:
            run["problems"] = [run["why"]]
        else:
            run["problems"] = problems_of(run, parsed or GuestLog(os.devnull, tag))
        run["ratios"] = ratios(run["records"])
        run["log"] = os.path.relpath(log, TOP) if log else ""
        runs.append(run)
    return runs


def write_result(a, what, note, runs):
    doc = {
        "what": what,
        "commit": a.commit, "dirty": bool(a.dirty), "smoke": a.smoke,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host_loadavg": a.loadavg, "qemu": a.qemu,
        "note": note,
        "runs": [dict(r) for r in runs],
    }
    for r in doc["runs"]:
        r["ratios"] = ratios_to_json(r["ratios"])
    write_json(a.json, doc)


def print_stored(path, table):
    """The tables of a stored result file, as the run printed them."""
    doc, head = load_stored(path)
    print(head)
    for run in doc["runs"]:
        if run["records"]:
            print()
            print(table(run))
    return 0
