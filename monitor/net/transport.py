"""httpx transports that connect only where the guard allows (feeds and webhooks).

A name is resolved once, each address checked (``monitor.net.guard``), and the
connection made to those very addresses: no DNS rebinding between the check and the
connect. The seam is httpcore's documented ``network_backend`` of a
``ConnectionPool``, behind httpx's documented custom-transport interface
(``httpx.BaseTransport.handle_request``); httpcore's exceptions come out as httpx's,
as from httpx's own transport, so callers catch ``httpx.ConnectError`` and the rest.
TLS still verifies and sends SNI for the URL's host name: httpcore starts TLS with
the origin's host, not the address connected to. Does I/O.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

from monitor.net.guard import FEEDS, Refusals, checked_addresses

__all__ = ["GuardedTransport", "guarded_transport", "proxied_transport", "tls_context"]

# httpx's defaults for a transport's pool (httpx.Limits())
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20
_KEEPALIVE_EXPIRY = 5.0


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves once, checks, then connects to the checked addresses themselves.

    Each address is tried in turn until one accepts (as ``socket.create_connection``
    would); nothing has been sent when a connection is refused, so moving on is safe.
    """

    def __init__(self, *, allow_private: bool, rules: Refusals, what: str | None) -> None:
        self._allow_private = allow_private
        self._rules = rules
        self._what = what

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        what = self._what or f"tcp://{host}:{port}"
        addresses = checked_addresses(
            host, port, what=what, rules=self._rules, allow_private=self._allow_private
        )
        refused: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                refused = exc
        raise refused or httpcore.ConnectError(f"{what}: no address to connect to")


# httpcore's exceptions and the httpx ones its transport raises for them, most
# specific first (a ConnectTimeout is a TimeoutException too).
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


_HTTPCORE_ERRORS = tuple(ours for ours, _ in _HTTPX_ERRORS)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except _HTTPCORE_ERRORS as exc:
        kind = next(theirs for ours, theirs in _HTTPX_ERRORS if isinstance(exc, ours))
        raise kind(str(exc)) from exc


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            self._stream.close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over a connection pool whose every connection is guarded."""

    def __init__(self, *, allow_private: bool, rules: Refusals, what: str | None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=_MAX_CONNECTIONS,
            max_keepalive_connections=_MAX_KEEPALIVE,
            keepalive_expiry=_KEEPALIVE_EXPIRY,
            retries=0,
            network_backend=_GuardedBackend(allow_private=allow_private, rules=rules, what=what),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once per process: making it (loading the
    CA bundle) for every fetch would cap a pool of fetches well below its size."""
    return httpx.create_ssl_context(verify=True, cert=None, trust_env=True)


def guarded_transport(
    *, allow_private: bool = False, rules: Refusals = FEEDS, what: str | None = None
) -> httpx.BaseTransport:
    """A transport that connects only to addresses the guard checked at connect time.

    ``what`` starts refusal messages (default ``tcp://host:port``); ``rules`` picks the
    error classes. With ``allow_private`` nothing is refused, but the name is still
    resolved once and each address tried.
    """
    return GuardedTransport(allow_private=allow_private, rules=rules, what=what)


def proxied_transport(proxy: str) -> httpx.HTTPTransport:
    """A transport through ``proxy`` (http, https, socks5, socks5h). The proxy is the
    operator's choice, so its own address is not checked; the target URL still is, by
    name, before each request (``fetch_feed``), and the proxy resolves it again."""
    return httpx.HTTPTransport(verify=tls_context(), retries=0, proxy=proxy)
