"""Fetching over HTTP (a real server on 127.0.0.1), the SSRF guard, drop folders."""

from __future__ import annotations

import gzip
import ipaddress
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.errors import FetchError, TransientFetchError
from monitor.net.guard import FEEDS, check_destination, is_public
from monitor.net.transport import _GuardedBackend
from monitor.sources.drop import scan_folder
from monitor.sources.fetch import USER_AGENT, fetch_feed
from tests.helpers import raises_permanent

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str]]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that stop reading at the size cap break the pipe: expected

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers.items())))
        path = self.path.split("?", 1)[0]
        if path == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, ETag='"v1"')
            else:
                self._send(200, FEED, ETag='"v1"', Last_Modified="Wed, 12 Jan 2022 10:00:00 GMT")
        elif path == "/gzip":
            self._send(200, gzip.compress(FEED), Content_Encoding="gzip")
        elif path == "/bomb":
            self._send(200, gzip.compress(b"\0" * (8 * 1024 * 1024)), Content_Encoding="gzip")
        elif path == "/big":
            self._send(200, b"x" * (2 * 1024 * 1024))
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/feed" if left == 0 else f"/hop/{left - 1}"
            self._send(302, Location=target)
        elif path == "/to-file":
            self._send(301, Location="file:///etc/passwd")
        elif path == "/busy":
            self._send(429, b"slow down", Retry_After="120")
        elif path == "/down":
            self._send(503, b"down")
        elif path == "/gone":
            self._send(404, b"no")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(8):  # 0.8 s of drip, then silence
                    self.wfile.write(b"x" * 100)
                    self.wfile.flush()
                    time.sleep(0.1)
                time.sleep(5)
            except OSError:
                pass
        else:
            self._send(500)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def base(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def test_fetch_and_conditional_get(server: _Server) -> None:
    first = fetch_feed(f"{base(server)}/feed", allow_private=True)
    assert (first.status, first.content) == (200, FEED)
    assert first.etag == '"v1"' and first.last_modified == "Wed, 12 Jan 2022 10:00:00 GMT"
    assert server.requests[-1][1]["User-Agent"] == USER_AGENT
    again = fetch_feed(
        f"{base(server)}/feed",
        etag=first.etag,
        last_modified=first.last_modified,
        allow_private=True,
    )
    assert (again.status, again.content) == (304, b"")
    sent = server.requests[-1][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Wed, 12 Jan 2022 10:00:00 GMT"


def test_gzip_is_decompressed(server: _Server) -> None:
    assert fetch_feed(f"{base(server)}/gzip", allow_private=True).content == FEED


def test_size_cap_counts_decompressed_bytes(server: _Server) -> None:
    with raises_permanent(FetchError, match="larger than 1048576 bytes"):
        fetch_feed(f"{base(server)}/bomb", allow_private=True, max_bytes=1024 * 1024)
    with raises_permanent(FetchError, match="larger than 1048576 bytes"):
        fetch_feed(f"{base(server)}/big", allow_private=True, max_bytes=1024 * 1024)


def test_redirects_followed_up_to_five(server: _Server) -> None:
    result = fetch_feed(f"{base(server)}/hop/4", allow_private=True)
    assert result.content == FEED
    assert result.url.endswith("/feed")
    with raises_permanent(FetchError, match="more than 5 redirects"):
        fetch_feed(f"{base(server)}/hop/5", allow_private=True)


def test_redirect_to_other_scheme_refused(server: _Server) -> None:
    with raises_permanent(FetchError, match="only http and https"):
        fetch_feed(f"{base(server)}/to-file", allow_private=True)


def test_status_mapping(server: _Server) -> None:
    with pytest.raises(TransientFetchError) as busy:
        fetch_feed(f"{base(server)}/busy", allow_private=True)
    assert busy.value.retry_after == 120.0
    with pytest.raises(TransientFetchError, match="503"):
        fetch_feed(f"{base(server)}/down", allow_private=True)
    with raises_permanent(FetchError, match="404"):
        fetch_feed(f"{base(server)}/gone", allow_private=True)


def test_slow_drip_hits_the_whole_fetch_deadline(server: _Server) -> None:
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match=r"longer than 1 s|timed out"):
        fetch_feed(f"{base(server)}/drip", allow_private=True, timeout=1.0)
    assert time.monotonic() - started < 3.0


def test_stall_after_data_ends_at_the_deadline(server: _Server) -> None:
    started = time.monotonic()
    with pytest.raises(TransientFetchError):
        fetch_feed(f"{base(server)}/stall", allow_private=True, timeout=1.0)
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_transient() -> None:
    with pytest.raises(TransientFetchError):
        fetch_feed("http://127.0.0.1:9/feed", allow_private=True, timeout=2)


def test_private_address_refused_without_connecting(server: _Server) -> None:
    before = server.connections
    with raises_permanent(FetchError, match=r"non-public address 127\.0\.0\.1"):
        fetch_feed(f"{base(server)}/feed")
    with raises_permanent(FetchError, match="non-public"):
        fetch_feed(f"http://localhost:{server.server_address[1]}/feed")
    with raises_permanent(FetchError, match="non-public"):
        backend = _GuardedBackend(allow_private=False, rules=FEEDS, what=None)
        backend.connect_tcp("127.0.0.1", server.server_address[1])
    assert server.connections == before


def test_redirect_to_private_address_is_rechecked() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://[::ffff:127.0.0.1]/admin"})

    with raises_permanent(FetchError, match="non-public"):
        fetch_feed("http://93.184.216.34/feed", transport=httpx.MockTransport(handler))
    assert seen == ["http://93.184.216.34/feed"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://[::1]:8080/",
    ],
)
def test_check_url_refuses_smuggled_addresses(url: str) -> None:
    with raises_permanent(FetchError, match="non-public"):
        check_destination(url, allow_private=False)


def test_check_url_schemes_and_public() -> None:
    for bad in ("file:///etc/passwd", "gopher://x/", "ftp://example.org/", "http:///nohost"):
        with raises_permanent(FetchError):
            check_destination(bad, allow_private=True)
    check_destination("http://8.8.8.8/", allow_private=False)
    check_destination("http://127.0.0.1/", allow_private=True)
    assert is_public(ipaddress.ip_address("2606:4700:4700::1111"))
    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))


def test_scan_folder(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("B")
    (tmp_path / "a.xml").write_text("AA")
    (tmp_path / ".hidden").write_text("h")
    (tmp_path / "upload.part").write_text("p")
    (tmp_path / "x.tmp").write_text("t")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "a.xml", tmp_path / "link.xml")
    files = scan_folder(tmp_path)
    assert [f.path.name for f in files] == ["a.xml", "b.txt"]
    first = files[0]
    assert first.size == 2 and first.path == tmp_path / "a.xml"
    assert first.key == f"a.xml:2:{(tmp_path / 'a.xml').stat().st_mtime_ns}"
    (tmp_path / "a.xml").write_text("AAA")
    assert scan_folder(tmp_path)[0].key != first.key
    assert scan_folder(tmp_path / "missing") == []


def test_errors_never_echo_tokens(server: _Server) -> None:
    secret = "s3cr3t-t0ken"
    urls = [
        f"{base(server)}/gone?token={secret}",
        f"http://user:{secret}@127.0.0.1:{server.server_address[1]}/down",
    ]
    for url in urls:
        with pytest.raises(FetchError) as caught:
            fetch_feed(url, allow_private=True)
        assert secret not in str(caught.value)
        with raises_permanent(FetchError) as refused:
            fetch_feed(url)
        assert secret not in str(refused.value)
