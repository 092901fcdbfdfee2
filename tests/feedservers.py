"""Loopback servers for authenticated and proxied feeds: a feed server that checks the
headers it is sent, and a small forward/CONNECT proxy that records what passes through
it, and a SOCKS5 one. All listen on 127.0.0.1 and reach nothing else: the proxy forwards only to
127.0.0.1, and answers for the host names in ``canned`` itself."""

from __future__ import annotations

import http.client
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire API</title>
<item><guid>wire-1</guid><title>NATO summit: Peskov says security guarantees stalled</title>
<description>Kremlin spokesman Dmitry Peskov said on Tuesday that talks with NATO on
security guarantees had stalled.</description></item>
</channel></rss>"""


class FeedServer(ThreadingHTTPServer):
    """Serves ``RSS`` at any path when every header in ``required`` matches, else 401.
    ``seen`` holds each request's headers; ``redirect`` maps a path to a Location."""

    daemon_threads = True

    def __init__(self, required: dict[str, str]) -> None:
        self.required = required
        self.seen: list[dict[str, str]] = []
        self.redirect: dict[str, str] = {}
        super().__init__(("127.0.0.1", 0), _FeedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path in self.server.redirect:
            self.send_response(302)
            self.send_header("Location", self.server.redirect[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if any(self.headers.get(k) != v for k, v in self.server.required.items()):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ForwardProxy(ThreadingHTTPServer):
    """An HTTP proxy: absolute-form requests forwarded, CONNECT tunnelled, to 127.0.0.1
    only. ``requests`` holds (method, target, headers) of each request it took;
    ``canned`` host names are answered here with ``RSS`` (no connection made)."""

    daemon_threads = True

    def __init__(self, canned: frozenset[str] = frozenset()) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.canned = canned
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: ForwardProxy

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append(("GET", self.path, headers))
        target = urlsplit(self.path)
        if target.hostname in self.server.canned:
            self.send_response(200)
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)
            return
        if target.hostname != "127.0.0.1":
            self.send_error(403, "this test proxy reaches 127.0.0.1 only")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", target.port or 80, timeout=10)
        try:
            forwarded = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("proxy-authorization", "proxy-connection", "connection")
            }
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request("GET", path or "/", headers=forwarded)
            answer = upstream.getresponse()
            body = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            upstream.close()

    def do_CONNECT(self) -> None:
        self.server.requests.append(("CONNECT", self.path, dict(self.headers.items())))
        host, _, port = self.path.rpartition(":")
        if host != "127.0.0.1":
            self.send_error(403, "this test proxy reaches 127.0.0.1 only")
            return
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            _relay(self.connection, upstream)
        finally:
            upstream.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


class Socks5Proxy(socketserver.ThreadingTCPServer):
    """A SOCKS5 proxy (RFC 1928, with RFC 1929 user/password when offered) that connects
    to 127.0.0.1 only. ``requests`` holds (host, port, user) of each CONNECT."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[tuple[str, int, str | None]] = []
        super().__init__(("127.0.0.1", 0), _SocksHandler)

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.server_address[1]}"


class _SocksHandler(socketserver.BaseRequestHandler):
    server: Socks5Proxy

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError("socks client went away")
            data += chunk
        return data

    def handle(self) -> None:
        sock: socket.socket = self.request
        _version, count = self._read(2)
        methods = self._read(count)
        user = None
        if 2 in methods:
            sock.sendall(b"\x05\x02")
            _sub, size = self._read(2)
            user = self._read(size).decode()
            self._read(self._read(1)[0])  # the password
            sock.sendall(b"\x01\x00")
        else:
            sock.sendall(b"\x05\x00")
        _version, _command, _reserved, kind = self._read(4)
        if kind == 1:
            host = socket.inet_ntoa(self._read(4))
        elif kind == 3:
            host = self._read(self._read(1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, self._read(16))
        port = int.from_bytes(self._read(2), "big")
        self.server.requests.append((host, port, user))
        if host != "127.0.0.1":
            sock.sendall(b"\x05\x02\x00\x01" + bytes(6))  # not allowed by ruleset
            return
        upstream = socket.create_connection((host, port), timeout=10)
        sock.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + bytes(2))
        try:
            _relay(sock, upstream)
        finally:
            upstream.close()


def _relay(one: socket.socket, other: socket.socket) -> None:
    ends = [one, other]
    while True:
        ready, _, _ = select.select(ends, [], [], 10)
        if not ready:
            return
        for end in ready:
            data = end.recv(65536)
            if not data:
                return
            (other if end is one else one).sendall(data)


@contextmanager
def serving(server: socketserver.TCPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
