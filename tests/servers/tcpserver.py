#!/usr/bin/env python3
"""A small TCP server for the test suite: binds port 0 on a loopback address,
writes the port it got to a file, and serves one behaviour until killed.

Modes:
  hold            accept and keep every connection open, silent
  banner TEXT     send TEXT on accept, then hold
  reply IN OUT    when a connection has sent IN, answer OUT (Redis-like PING)
  close           accept and close at once without a byte
  reset           accept and reset (RST) at once
  full            listen with a backlog of 0 and fill it, so new SYNs get no answer
  closed          bind and never listen: every connection is refused, and no
                  other socket can take the port while this server holds it
"""
import os
import select
import socket
import struct
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: tcpserver.py ADDRESS PORTFILE MODE [ARGS]")
    address, portfile, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    args = [a.encode().decode("unicode_escape").encode("latin-1") for a in sys.argv[4:]]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    if mode != "closed":
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, 0))
    keep = []
    if mode == "closed":
        pass
    elif mode == "full":
        srv.listen(0)
        port = srv.getsockname()[1]
        # Fill the accept queue; later SYNs are dropped and never answered.
        for _ in range(4):
            c = socket.socket(family, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((address, port))
            except BlockingIOError:
                pass
            keep.append(c)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            probe = socket.socket(family, socket.SOCK_STREAM)
            probe.setblocking(False)
            try:
                probe.connect((address, port))
            except BlockingIOError:
                pass
            _, w, _ = select.select([], [probe], [], 0.2)
            keep.append(probe)
            if not w:
                break
    else:
        srv.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, portfile)

    if mode in ("full", "closed"):
        while True:
            time.sleep(3600)

    conns = {}
    while True:
        readable, _, _ = select.select([srv] + list(conns), [], [])
        for s in readable:
            if s is srv:
                c, _ = srv.accept()
                if mode == "close":
                    c.close()
                elif mode == "reset":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()
                else:
                    if mode == "banner":
                        c.sendall(args[0])
                    conns[c] = b""
                continue
            data = s.recv(65536)
            if not data:
                del conns[s]
                s.close()
                continue
            conns[s] += data
            if mode == "reply" and args[0] in conns[s]:
                s.sendall(args[1])
                conns[s] = b""


if __name__ == "__main__":
    main()
