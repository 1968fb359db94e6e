#!/usr/bin/env python3
"""A small HTTP/HTTPS server for the test suite (Python standard library only).

Binds port 0 (or --port) on a loopback address, or a unix-domain socket,
writes the port it got (or "unix") to PORTFILE, and serves until killed.
Every request is appended to --log FILE (request line, headers, body, then a
line "--") so tests can assert what the client sent.

  httpserver.py [--addr ADDRESS] [--port N] [--unix PATH] [--tls CERT KEY]
                [--client-ca CA] [--hang] [--log FILE] PORTFILE

--hang accepts connections and never reads or writes (nor completes TLS).

Paths:
  /                          200 "OK"
  /status/N                  status N (no body for 1xx, 204, 304)
  /body?text=T[&status=N]    status N (default 200) with body T
  /delay/MS                  answers 200 after MS milliseconds
  /trickle?n=N&every=MS      200 with Content-Length N, one byte every MS ms
  /large?size=N&head=H&tail=T  200 with H, then 'x' filler, then T: N bytes in all
  /redirect?to=URL[&code=N]  status N (default 302) with Location URL
  /loop                      302 with Location /loop, for ever
  /echo                      200 echoing the request line, headers and body
  /auth?user=U&pass=P        200 with the right basic credentials, else 401
  /sni                       "sni=NAME": the server name the TLS client sent
  /client                    "client=CN": the client certificate's common name
  /family                    "family=4" or "family=6": the socket's family
"""
import argparse
import base64
import http.server
import os
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

LOG_LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hc-test"
    sys_version = ""

    def setup(self):
        self.request.settimeout(30)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve(True)

    def do_POST(self):
        self.serve(True)

    def do_HEAD(self):
        self.serve(False)

    def record(self, body):
        if not self.server.log:
            return
        entry = self.requestline + "\n" + str(self.headers) + body.decode("latin-1") + "\n--\n"
        with LOG_LOCK, open(self.server.log, "a", encoding="latin-1") as f:
            f.write(entry)

    def reply(self, status, body=b"", headers=(), send_body=True):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        no_body = status < 200 or status in (204, 304)
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        if not self.server.keep_alive:
            self.send_header("Connection", "close")
        self.end_headers()
        if send_body and not no_body:
            self.wfile.write(body)
        self.close_connection = not self.server.keep_alive

    def serve(self, send_body):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.record(body)
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = url.path.strip("/").split("/")
        try:
            self.route(parts, q, body, send_body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def route(self, parts, q, body, send_body):
        name = parts[0]
        if name == "":
            self.reply(200, b"OK\n", send_body=send_body)
        elif name == "status":
            code = int(parts[1])
            self.reply(code, b"status %d\n" % code, send_body=send_body)
        elif name == "body":
            self.reply(int(q.get("status", "200")), q.get("text", "").encode("latin-1"),
                       send_body=send_body)
        elif name == "delay":
            time.sleep(int(parts[1]) / 1000)
            self.reply(200, b"delayed\n", send_body=send_body)
        elif name == "trickle":
            n, every = int(q.get("n", "100")), int(q.get("every", "100")) / 1000
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.flush()
            for _ in range(n):
                self.wfile.write(b"t")
                self.wfile.flush()
                time.sleep(every)
            self.close_connection = True
        elif name == "large":
            size = int(q.get("size", "1048576"))
            head, tail = q.get("head", "").encode(), q.get("tail", "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(head)
            left = size - len(head) - len(tail)
            chunk = b"x" * 65536
            while left > 0:
                self.wfile.write(chunk[:min(left, len(chunk))])
                left -= min(left, len(chunk))
            self.wfile.write(tail)
            self.close_connection = True
        elif name == "redirect":
            self.reply(int(q.get("code", "302")), b"moved\n",
                       headers=[("Location", q.get("to", "/"))], send_body=send_body)
        elif name == "loop":
            self.reply(302, b"again\n", headers=[("Location", "/loop")], send_body=send_body)
        elif name == "echo":
            text = self.requestline + "\n" + str(self.headers)
            self.reply(200, text.encode("latin-1") + body, send_body=send_body)
        elif name == "auth":
            want = base64.b64encode(("%s:%s" % (q.get("user"), q.get("pass"))).encode()).decode()
            if self.headers.get("Authorization") == "Basic " + want:
                self.reply(200, b"authorized\n", send_body=send_body)
            else:
                self.reply(401, b"unauthorized\n", headers=[("WWW-Authenticate", 'Basic realm="hc"')],
                           send_body=send_body)
        elif name == "sni":
            sni = getattr(self.request, "hc_sni", None)
            self.reply(200, ("sni=%s\n" % sni).encode(), send_body=send_body)
        elif name == "client":
            cert = self.request.getpeercert() if isinstance(self.request, ssl.SSLSocket) else None
            cn = "none"
            for rdn in (cert or {}).get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            self.reply(200, ("client=%s\n" % cn).encode(), send_body=send_body)
        elif name == "family":
            fam = {socket.AF_INET: "4", socket.AF_INET6: "6"}.get(self.request.family, "unix")
            self.reply(200, ("family=%s\n" % fam).encode(), send_body=send_body)
        else:
            self.reply(404, b"not found\n", send_body=send_body)


class Quiet:
    daemon_threads = True
    allow_reuse_address = True
    log = None
    keep_alive = False

    def handle_error(self, request, client_address):
        pass


class TCPServer(Quiet, socketserver.ThreadingTCPServer):
    pass


class TCP6Server(TCPServer):
    address_family = socket.AF_INET6


class UnixServer(Quiet, socketserver.ThreadingUnixStreamServer):
    pass


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)

    def remember_sni(sock, name, _ctx):
        sock.hc_sni = name

    ctx.sni_callback = remember_sni
    return ctx


def write_portfile(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def hang(listener, portfile, text):
    """Accepts connections and holds them, silent, until killed."""
    listener.listen(64)
    write_portfile(portfile, text)
    held = []
    while True:
        select.select([listener], [], [])
        held.append(listener.accept()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--unix")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--keep-alive", action="store_true",
                    help="keep each connection open for more requests")
    ap.add_argument("portfile")
    args = ap.parse_args()

    if args.unix:
        server = UnixServer(args.unix, Handler, bind_and_activate=False)
    else:
        cls = TCP6Server if ":" in args.addr else TCPServer
        server = cls((args.addr, args.port), Handler, bind_and_activate=False)
    server.server_bind()
    port_text = "unix" if args.unix else str(server.socket.getsockname()[1])
    if args.hang:
        hang(server.socket, args.portfile, port_text)
    server.server_activate()
    server.log = args.log
    server.keep_alive = args.keep_alive
    if args.tls:
        server.socket = tls_context(args).wrap_socket(server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
    write_portfile(args.portfile, port_text)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
