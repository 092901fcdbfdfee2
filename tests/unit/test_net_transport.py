"""The guarded httpx transport on real sockets on 127.0.0.1: it connects only where the
guard allows, and httpcore's faults come out as httpx's, as from httpx's own transport."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from monitor.errors import DeliveryError, FetchError
from monitor.net.guard import CHANNELS
from monitor.net.transport import guarded_transport
from tests.helpers import free_port, http_server, raises_permanent


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.0)
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up on /slow
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    with http_server(_Slow) as bound:
        yield bound


def test_a_private_address_is_refused_before_any_connection() -> None:
    accepted = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        url = f"http://localhost:{listener.getsockname()[1]}/"
        feeds = httpx.Client(transport=guarded_transport())
        with feeds, raises_permanent(FetchError, match=r"non-public address 127\.0\.0\.1"):
            feeds.get(url)
        hooks = httpx.Client(transport=guarded_transport(rules=CHANNELS, what="hook"))
        with hooks, raises_permanent(DeliveryError, match=r"^hook: refused"):
            hooks.get(url)
        with contextlib.suppress(TimeoutError):
            listener.accept()
            accepted.set()
    assert not accepted.is_set()


def test_an_allowed_private_address_is_fetched_and_kept_alive(port: int) -> None:
    with httpx.Client(transport=guarded_transport(allow_private=True)) as client:
        first = client.get(f"http://localhost:{port}/")
        second = client.get(f"http://127.0.0.1:{port}/")
    assert (first.status_code, first.content, second.content) == (200, b"hello", b"hello")


def test_faults_come_out_as_httpx_errors(port: int) -> None:
    with httpx.Client(transport=guarded_transport(allow_private=True)) as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://127.0.0.1:{free_port()}/")  # nothing listens
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"http://127.0.0.1:{port}/slow", timeout=0.2)
