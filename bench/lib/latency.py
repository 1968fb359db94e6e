#!/usr/bin/env python3
"""Detection latency of a health-check pipeline, as bench/compare measures it.

usage: latency.py [options] TCPSERVER TEMPLATE

Each try starts a fresh service (TCPSERVER, tests/servers/tcpserver.py, in hold
mode on 127.0.0.1, port 0) and a fresh pipeline: TEMPLATE with {port} replaced,
run by /bin/sh -c with its standard input a pipe that stays open and its
standard output a pipe read here.  Tries run in batches of --parallel.  Once
every pipeline of the batch has written its first 'announce' line, each try
waits a random time, uniform in [0, --offset), so that the kill falls anywhere
in the check schedule, then kills its service with SIGKILL and takes the
monotonic time.  The latency is the time from the kill
to the moment the first 'withdraw' line after it is read from the pipe.
Every process is stopped by its PID at the end of its try.

Prints one line: "n_ok n_failed median_ms max_ms false_downs", where
false_downs counts withdraws while the service was still alive (a check that
missed its deadline on a loaded machine).  A failed try is reported on
standard error, and with -v every try.
"""
import argparse
import os
import random
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def descendants(pid):
    """PIDs of every live descendant of pid, children first."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            for tid in os.listdir("/proc/%d/task" % parent):
                with open("/proc/%d/task/%s/children" % (parent, tid)) as f:
                    kids = [int(k) for k in f.read().split()]
                found += kids
                todo += kids
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def stop(proc, grace=5.0):
    """SIGTERM proc and each of its descendants by PID, SIGKILL what is left
    after grace seconds, and reap proc."""
    pids = [proc.pid] + descendants(proc.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        proc.poll()
        time.sleep(0.02)
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    proc.wait(timeout=grace)


class Try:
    """One service, one pipeline, one kill, one latency."""

    def __init__(self, args, tmpdir, number, everyone):
        self.args = args
        self.pipeline = self.server = None
        everyone.append(self)
        portfile = os.path.join(tmpdir, "port.%d" % number)
        self.server = subprocess.Popen(
            [sys.executable, args.tcpserver, "127.0.0.1", portfile, "hold"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(portfile):
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise RuntimeError("tcpserver.py did not start")
            time.sleep(0.01)
        with open(portfile) as f:
            self.port = int(f.read())
        self.pipeline = subprocess.Popen(
            ["/bin/sh", "-c", args.template.format(port=self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        os.set_blocking(self.pipeline.stdout.fileno(), False)
        self.buffer = b""
        self.started = time.monotonic()
        self.kill_at = None
        self.killed_at = None
        self.latency = None
        self.failed = None
        self.false_downs = 0
        self.announced = False

    def fileno(self):
        return self.pipeline.stdout.fileno()

    def on_readable(self, now):
        """Reads what the pipeline wrote; now is when poll said it was there."""
        try:
            data = os.read(self.fileno(), 65536)
        except BlockingIOError:
            return
        if not data:
            self.failed = "the pipeline closed its output"
            return
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"announce"):
                self.announced = True
            elif line.startswith(b"withdraw"):
                if self.killed_at is not None:
                    self.latency = now - self.killed_at
                    return
                if self.announced:
                    self.false_downs += 1
                self.announced = False

    def on_time(self, now):
        """Kills the service when its time has come; gives up at the deadline."""
        if self.kill_at is not None and self.killed_at is None and now >= self.kill_at:
            self.killed_at = time.monotonic()
            os.kill(self.server.pid, signal.SIGKILL)
        if now - self.started > self.args.timeout:
            self.failed = "no %s within %gs" % (
                "withdraw" if self.killed_at else "announce", self.args.timeout)

    def schedule_kill(self, now):
        """The kill comes at a random point of the next --offset seconds."""
        self.kill_at = now + random.uniform(0, self.args.offset)

    def next_deadline(self):
        if self.kill_at is not None and self.killed_at is None:
            return self.kill_at
        return self.started + self.args.timeout

    def done(self):
        return self.latency is not None or self.failed is not None

    def close(self):
        """Stops the pipeline and the service; may be called again."""
        if self.pipeline is not None and self.pipeline.returncode is None:
            stop(self.pipeline)
            self.pipeline.stdin.close()
            self.pipeline.stdout.close()
        if self.server is not None:
            if self.server.poll() is None:
                self.server.kill()
            self.server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=1,
                        help="tries running at once, each with its own service")
    parser.add_argument("--offset", type=float, required=True,
                        help="the kill comes uniformly within this many seconds after 'announce'")
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds a try may take in all")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("tcpserver")
    parser.add_argument("template")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    latencies, failures, false_downs, everyone = [], 0, 0, []
    selector = selectors.DefaultSelector()
    started = 0
    with tempfile.TemporaryDirectory() as tmpdir:
        try:
            # Batches of --parallel tries.  No kill comes before every try of
            # the batch has announced, so the start of the other services and
            # pipelines (Python, the shells) does not delay a measured one,
            # and no try is stopped before the whole batch is done, so
            # stopping one does not hold up reading the others.
            while started < args.tries:
                batch = []
                while started < args.tries and len(batch) < args.parallel:
                    started += 1
                    t = Try(args, tmpdir, started, everyone)
                    batch.append(t)
                    selector.register(t, selectors.EVENT_READ)
                armed = False
                while not all(t.done() for t in batch):
                    running = [t for t in batch if not t.done()]
                    wait = min(t.next_deadline() for t in running) - time.monotonic()
                    for key, _ in selector.select(max(wait, 0)):
                        key.fileobj.on_readable(time.monotonic())
                    now = time.monotonic()
                    if not armed and all(t.announced or t.done() for t in batch):
                        armed = True
                        for t in running:
                            t.schedule_kill(now)
                    for t in running:
                        if not t.done():
                            t.on_time(now)
                        if t.done():
                            selector.unregister(t)
                for t in batch:
                    t.close()
                    false_downs += t.false_downs
                    if t.latency is not None:
                        latencies.append(t.latency * 1000)
                    else:
                        failures += 1
                    if args.verbose or t.latency is None:
                        print("latency.py: try on port %d: %s" % (
                            t.port, "%.1f ms" % (t.latency * 1000)
                            if t.latency is not None else t.failed),
                            file=sys.stderr)
        finally:
            for t in everyone:
                t.close()
    if latencies:
        print("%d %d %.0f %.0f %d" % (len(latencies), failures,
                                      statistics.median(latencies), max(latencies),
                                      false_downs))
    else:
        print("0 %d - - %d" % (failures, false_downs))


if __name__ == "__main__":
    main()
