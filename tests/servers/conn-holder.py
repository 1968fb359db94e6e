#!/usr/bin/env python3
"""Opens established TCP connections on loopback and holds them until killed,
for hc-load's --conns tests and benchmark.

usage: conn-holder.py READYFILE IPV4_COUNT [IPV6_COUNT]

Each connection is a client socket and the server socket that accepted it,
so the kernel sees two established sockets per connection.  Listeners are
bound to port 0 on 127.0.0.1, 127.0.0.2, ... (and ::1), a new one every
10,000 connections so that no address pair runs out of ephemeral ports.
When every connection is up, READYFILE is written (atomically) with the two
counts; the program then sleeps until a signal ends it.
"""
import os
import resource
import signal
import socket
import sys

PER_LISTENER = 10000


def open_connections(family, count, addresses, keep):
    """Opens count connections, spread over listeners on the given addresses."""
    opened = 0
    index = 0
    while opened < count:
        address = addresses[index % len(addresses)]
        index += 1
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.bind((address, 0))
        srv.listen(1024)
        keep.append(srv)
        target = srv.getsockname()[:2]
        for _ in range(min(PER_LISTENER, count - opened)):
            client = socket.socket(family, socket.SOCK_STREAM)
            client.connect(target)
            server_side, _ = srv.accept()
            keep.append(client)
            keep.append(server_side)
            opened += 1


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: conn-holder.py READYFILE IPV4_COUNT [IPV6_COUNT]")
    ready = sys.argv[1]
    count4 = int(sys.argv[2])
    count6 = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    need = 2 * (count4 + count6) + (count4 + count6) // PER_LISTENER + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if need > soft:
        if hard != resource.RLIM_INFINITY and need > hard:
            sys.exit(f"conn-holder.py: needs {need} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    keep = []
    open_connections(socket.AF_INET, count4, [f"127.0.0.{i}" for i in range(1, 255)], keep)
    open_connections(socket.AF_INET6, count6, ["::1"], keep)
    with open(ready + ".tmp", "w") as f:
        f.write(f"{count4} {count6}\n")
    os.rename(ready + ".tmp", ready)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
