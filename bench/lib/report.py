#!/usr/bin/env python3
"""Prints the figures of bench/lib/sample.py's JSON for bench/compare.

usage:
  report.py rows FILE
      one line per row: checks, CPU per 1000 checks (total, the resident
      processes themselves, the checks), % of a core per service, and RSS,
      PSS and USS per service; then a note for each hc-loop --resident row
      whose check was started again in the window
  report.py ratio FILE LABEL REF ROW KEY TARGET [FLOOR_MS]
      LABEL: REF's KEY over ROW's KEY, against TARGET (times); KEY is cpu
      (per check), pss, uss, rss (per service), or pss-nosh and so on (the
      shells left out).  With FLOOR_MS (CPU per check that no hc pipeline can
      go below), also the ceiling REF's CPU / FLOOR_MS.
  report.py get FILE ROW KEY
      one value: cpu_s (CPU seconds per check), period_extra_s (the time a
      check of the healthcheck adds to its interval: window x services /
      checks less INTERVAL, given as the 5th argument), tool_ms, check_ms,
      comm_ms:COMM (what processes named COMM ran, per check)
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def row(data, name):
    for r in data["rows"]:
        if r["name"] == name:
            return r
    sys.exit("report.py: no row %r" % name)


def value(r, key):
    """A per-check or per-service figure of row r."""
    n, k = max(r["checks"], 1), r["services"]
    mem = r["mem_by_comm"]
    if key == "cpu":
        return r["own_ns"] / n / 1e6
    if key in ("rss", "pss", "uss"):
        return r[key + "_kib"] / k / 1024
    if key.endswith("-nosh"):
        i = ("rss", "pss", "uss").index(key[:-5])
        return (r[key[:-5] + "_kib"] - mem.get("sh", [0, 0, 0])[i]) / k / 1024
    raise ValueError(key)


def rows(data):
    print("   %-38s %6s %23s %6s %8s %8s %8s" % (
        "", "", "CPU ms per check", "% core", "RSS MiB", "PSS MiB", "USS MiB"))
    print("   %-38s %6s %7s %7s %7s %6s %8s %8s %8s" % (
        "", "checks", "total", "tool", "checks", "/serv.", "/serv.", "/serv.", "/serv."))
    notes = []
    for r in data["rows"]:
        n, k, w = max(r["checks"], 1), r["services"], r["window"]
        print("   %-38s %6d %7.3f %7.3f %7.3f %6.2f %8.2f %8.3f %8.3f" % (
            r["name"], r["checks"], r["own_ns"] / n / 1e6, r["tool_ns"] / n / 1e6,
            r["check_ns"] / n / 1e6, r["own_ns"] / 1e9 / w / k * 100,
            value(r, "rss"), value(r, "pss"), value(r, "uss")))
        if "sh" in r["mem_by_comm"]:
            print("   %-38s %6s %7s %7s %7s %6s %8.2f %8.3f %8.3f" % (
                "  without the shell", "", "", "", "", "",
                value(r, "rss-nosh"), value(r, "pss-nosh"), value(r, "uss-nosh")))
        starts = r["check_starts"]
        if "--resident" in r["name"] and starts > 0:
            why = ("it does not stay resident (it exits after each run), so this row "
                   "counts a process per check" if starts * 2 >= r["checks"] / k else
                   "a missed deadline or an exit each time, see the pipelines' stderr")
            notes.append("   note: %s: the resident checks were started again %d times "
                         "in the window (%d checks): %s" % (r["name"], starts, r["checks"], why))
        if r["checks"] == 0:
            notes.append("   note: %s saw no checks in the window" % r["name"])
    for line in notes:
        print(line)


def ratio(data, label, ref, name, key, target, floor=None):
    if key == "cpu" and min(row(data, ref)["checks"], row(data, name)["checks"]) == 0:
        print("   %-44s not measured: no checks counted in a row" % label)
        return
    a, b = value(row(data, ref), key), value(row(data, name), key)
    r = a / b if b > 0 else float("inf")
    verdict = "met" if r >= target else "missed by %.1fx" % (target / r)
    line = "   %-44s %.1fx (target %gx: %s)" % (label, r, target, verdict)
    if floor is not None and floor > 0:
        line += "; ceiling %.0fx (%.4f ms per check at the floor)" % (a / floor, floor)
    print(line)


def get(data, name, key, extra=None):
    r = row(data, name)
    n = max(r["checks"], 1)
    if key == "cpu_s":
        return "%.9f" % (r["own_ns"] / n / 1e9)
    if key == "period_extra_s":
        return "%.6f" % (r["window"] * r["services"] / n - float(extra))
    if key in ("tool_ms", "check_ms"):
        return "%.6f" % (r[key[:-3] + "_ns"] / n / 1e6)
    if key.startswith("comm_ms:"):
        return "%.6f" % (r["by_comm"].get(key[8:], 0) / n / 1e6)
    if key in ("checks", "check_starts", "services"):
        return str(r[key])
    raise ValueError(key)


def main():
    a = sys.argv[1:]
    if a[:1] == ["rows"] and len(a) == 2:
        rows(load(a[1]))
    elif a[:1] == ["ratio"] and len(a) in (7, 8):
        ratio(load(a[1]), a[2], a[3], a[4], a[5], float(a[6]),
              float(a[7]) if len(a) == 8 else None)
    elif a[:1] == ["get"] and len(a) in (4, 5):
        print(get(load(a[1]), a[2], a[3], a[4] if len(a) == 5 else None))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
