#!/usr/bin/env python3
"""CPU, memory and check counts of running services over a window, as
bench/compare measures them.

usage: sample.py --window SECONDS [--poll SECONDS] ROW...

Each ROW is "NAME|COUNTER|PID,PID,..." for one kind of service (the PIDs of
every service of that kind, its resident processes: a pipeline's shell and
filters, or a healthcheck's Python).  The services of a row are its PIDs
whose parent is not one of them.  COUNTER says how the checks are
counted, on the side of the service checked: "redis:PORT" (the connections
Redis accepted, less this script's own queries) or "lines:FILE" (the lines
of an access log).

CPU is summed over every live process of each PID's tree (the PID and all
its descendants, found in /proc/PID/task/*/children) at the start and at the
end of the window: what each ran itself (/proc/PID/task/*/schedstat, ns)
plus what the children it reaped ran (cutime + cstime, clock ticks).  A
check that is alive at one sample and reaped by the next is counted once:
first as a live process, then inside its parent's reaped time.  So the
resident check of hc-loop --resident, a long-lived child of hc-loop, is
counted as well as the checks hc-loop or a healthcheck starts per run.

Memory is read at the end from /proc/PID/smaps_rollup of the processes of
the trees that were alive, with the same PID and start time, at both ends of
the window (the resident ones; a check in flight is not counted): RSS, PSS
and USS (Private_Clean + Private_Dirty).  The tree is polled every 50 ms
through the window, to see how many resident checks were started in it
(a new PID under an hc-loop).

Prints one JSON object: {"window": s, "load": [..], "rows": [{"name",
"checks", "own_ns", "reaped_ns", "tool_ns", "check_ns", "by_comm": {comm:
ns}, "rss_kib", "pss_kib", "uss_kib", "services", "check_starts",
"check_pids_end", "mem_by_comm": {comm: [rss, pss, uss]}}]}.  "tool" is what the given PIDs ran themselves; "check"
is everything else (their descendants and what they reaped).
"""
import json
import os
import socket
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def children(pid):
    """Direct children of pid (every thread's)."""
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    kids += [int(k) for k in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree(pid):
    """pid and its live descendants, parents first."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        found.append(p)
        todo += children(p)
    return found


def stat(pid):
    """(comm, state, ppid, reaped_ns, starttime) of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    f = text[text.rindex(")") + 2:].split()
    # f[0] is field 3 (state); cutime, cstime are fields 16, 17; starttime 22.
    return comm, f[0], int(f[1]), (int(f[13]) + int(f[14])) * 10**9 // HZ, int(f[19])


def own_ns(pid):
    """CPU pid ran itself, every thread, in ns."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total


def memory(pid):
    """(rss, pss, uss) of pid in KiB, from smaps_rollup."""
    values = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":"):
                    values[parts[0][:-1]] = int(parts[1])
    except (OSError, ValueError):
        return 0, 0, 0
    return (values.get("Rss", 0), values.get("Pss", 0),
            values.get("Private_Clean", 0) + values.get("Private_Dirty", 0))


def redis_accepted(port):
    """Connections Redis on port has accepted, not counting this query."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"INFO stats\r\n")
        data = b""
        while b"total_connections_received:" not in data or not data.endswith(b"\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    for line in data.decode().splitlines():
        if line.startswith("total_connections_received:"):
            return int(line.split(":")[1]) - 1
    raise RuntimeError("no total_connections_received from Redis on port %d" % port)


def count(counter):
    kind, arg = counter.split(":", 1)
    if kind == "redis":
        return redis_accepted(int(arg))
    if kind == "lines":
        with open(arg, "rb") as f:
            return sum(1 for _ in f)
    raise ValueError("unknown counter %r" % counter)


class Row:
    def __init__(self, spec):
        self.name, self.counter, pids = spec.split("|")
        self.roots = [int(p) for p in pids.split(",") if p]
        self.check_pids = set()  # every PID seen as a child of an hc-loop

    def snapshot(self):
        """{pid: (comm, starttime, own_ns, reaped_ns)} over the live trees."""
        snap = {}
        for root in self.roots:
            for pid in tree(root):
                s = stat(pid)
                if s is None or s[1] == "Z":
                    continue
                snap[pid] = (s[0], s[4], own_ns(pid), s[3])
        return snap

    def watch(self):
        """Notes the children of every hc-loop of the row."""
        for root in self.roots:
            s = stat(root)
            if s is not None and s[0] == "hc-loop":
                self.check_pids.update(children(root))

    def start(self):
        # A service is a root whose parent is not a root: a pipeline's
        # shell (its filters are roots too), or a healthcheck's Python.
        roots = set(self.roots)
        self.services = sum(1 for p in self.roots if (stat(p) or (0, 0, 0))[2] not in roots)
        self.watch()
        self.pids_start = set(self.check_pids)
        self.snap0 = self.snapshot()
        self.n0 = count(self.counter)
        self.t0 = time.monotonic()

    def end(self):
        self.snap1 = self.snapshot()
        n1 = count(self.counter)
        window = time.monotonic() - self.t0
        self.watch()
        total0 = sum(v[2] + v[3] for v in self.snap0.values())
        total1 = sum(v[2] + v[3] for v in self.snap1.values())
        tool0 = sum(self.snap0[p][2] for p in self.roots if p in self.snap0)
        tool1 = sum(self.snap1[p][2] for p in self.roots if p in self.snap1)
        by_comm = {}
        for snap, sign in ((self.snap1, 1), (self.snap0, -1)):
            for pid, (comm, _, own, reaped) in snap.items():
                by_comm[comm] = by_comm.get(comm, 0) + sign * own
                if reaped:
                    key = "reaped by " + comm
                    by_comm[key] = by_comm.get(key, 0) + sign * reaped
        rss = pss = uss = 0
        mem_by_comm = {}
        for pid, v in self.snap1.items():
            if pid in self.snap0 and self.snap0[pid][1] == v[1]:
                r, p, u = memory(pid)
                rss, pss, uss = rss + r, pss + p, uss + u
                m = mem_by_comm.setdefault(v[0], [0, 0, 0])
                m[0], m[1], m[2] = m[0] + r, m[1] + p, m[2] + u
        ends = [c for r in self.roots for c in children(r)
                if (stat(r) or ("",))[0] == "hc-loop"]
        return {
            "name": self.name, "services": self.services, "checks": n1 - self.n0,
            "own_ns": total1 - total0, "tool_ns": tool1 - tool0,
            "check_ns": (total1 - total0) - (tool1 - tool0),
            "by_comm": by_comm, "mem_by_comm": mem_by_comm, "rss_kib": rss, "pss_kib": pss, "uss_kib": uss,
            "check_starts": len(self.check_pids - self.pids_start),
            "check_pids_end": len(ends), "window": window,
        }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "--window":
        sys.exit(__doc__.split("\n\n")[1])
    window, poll = float(args[1]), 0.05
    args = args[2:]
    if args[:1] == ["--poll"]:
        poll, args = float(args[1]), args[2:]
    rows = [Row(spec) for spec in args]
    load0 = loadavg()
    for row in rows:
        row.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < window:
        time.sleep(min(poll, max(0, window - (time.monotonic() - t0))))
        for row in rows:
            row.watch()
    out = [row.end() for row in rows]
    print(json.dumps({"window": time.monotonic() - t0, "load": [load0, loadavg()],
                      "rows": out}))


if __name__ == "__main__":
    main()
